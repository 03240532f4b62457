package org.trackerd.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;
import org.trackerd.engine.swarm.SwarmProcessor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One announce through {@link SwarmProcessor#onEvent} on the calling thread, as the swarm processor thread
 * runs it: the swarm's page looked up in the Chronicle Map, the peer added or updated in place in it, peer
 * selection into the response slot, counts. {@code peersPerTorrent=200} measures swarms of several pages (their
 * in-memory index, one map look-up per page touched). No threads, no ring hand-off: {@link RingRoundTripBenchmark} measures that.
 *
 * <p>Set-up announces {@code peersPerTorrent} resident peers into each of {@code torrents} swarms (half of them
 * seeders), in Chronicle Maps sized for that and kept in a temporary directory deleted at tear-down. Each
 * operation then picks a torrent at random; {@code churnPercent} of operations are churn — that torrent's extra
 * peer arrives ({@code started}, a new peer) or, if it is there, leaves ({@code stopped}) — and the rest are
 * re-announces of a random resident peer. The swarm sizes stay steady, so allocation seen here is per request.
 * {@code churnPercent=100} measures churn alone: a new peer joining a swarm, or leaving it, on every operation (in a
 * page with a free slot both are written in place, as a re-announce is); {@code churnPercent=0}, re-announces alone.
 *
 * <p>A million torrents: {@code -p torrents=1000000 -p peersPerTorrent=2} (about 1 GB of map files in
 * {@code java.io.tmpdir} and a minute of set-up; give the fork heap with {@code -jvmArgsAppend -Xmx4g}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SwarmProcessorBenchmark extends ForkedBenchmark
{
    @Param({"10000"})
    public int torrents;

    @Param({"10", "200"})
    public int peersPerTorrent;

    /** 10: mostly re-announces; 100: every announce a peer arriving or leaving (churn, each in place when it can). */
    @Param({"10", "100"})
    public int churnPercent;

    private Path directory;
    private ProcessorFixture fixture;
    private SwarmProcessor processor;
    private final RequestEvent request = new RequestEvent(1);

    private boolean[] churnPeerPresent;
    private long random = 0x2545F4914F6CDD1DL;
    private long failures;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        directory = Files.createTempDirectory("trackerd-jmh-swarm-");
        final int maxPeers = torrents * (peersPerTorrent + 1) + 64;
        final TrackerConfig config = TrackerConfig.parse("{" +
            "\"storage\": {\"path\": \"" + directory.toAbsolutePath() + "\", \"max_torrents\": " + torrents +
            ", \"max_peers\": " + maxPeers + "}," +
            "\"engine\": {\"request_ring_size\": 64, \"response_ring_size\": 64}" +
            "}");
        fixture = new ProcessorFixture(directory, config, false);
        processor = fixture.processor;

        churnPeerPresent = new boolean[torrents];
        for (int t = 0; t < torrents; t++)
        {
            for (int k = 0; k < peersPerTorrent; k++)
            {
                announce(t, k, RequestEvent.EVENT_STARTED);
            }
        }
        if (processor.torrentCount() != torrents || processor.peerCount() != (long)torrents * peersPerTorrent ||
            failures != 0)
        {
            throw new IllegalStateException("set-up left " + processor.torrentCount() + " torrents and " +
                processor.peerCount() + " peers, " + failures + " announces failed");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        try
        {
            if (failures != 0)
            {
                System.err.println("WARNING: " + failures + " announces were refused: the figures are not valid");
            }
            fixture.close();
        }
        finally
        {
            StoreDirectories.deleteTree(directory);
        }
    }

    /** A random torrent; a churn peer arriving or leaving, or a resident peer re-announcing. */
    @Benchmark
    public int announce()
    {
        long x = random;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        random = x;
        final int t = (int)(((x >>> 32) * torrents) >>> 32);
        if ((int)((x & 0xFFFF) * 100 >>> 16) < churnPercent)
        {
            final boolean leave = churnPeerPresent[t];
            churnPeerPresent[t] = !leave;
            return announce(t, peersPerTorrent, leave ? RequestEvent.EVENT_STOPPED : RequestEvent.EVENT_STARTED);
        }
        final int k = (int)(((x >>> 16) & 0xFFFF) * peersPerTorrent >>> 16);
        return announce(t, k, RequestEvent.EVENT_NONE);
    }

    /**
     * Announces peer {@code k} of torrent {@code t}: the same id, address, port and key every time, a seeder
     * when {@code k} is even. Returns the number of peers handed back.
     */
    private int announce(final int t, final int k, final byte event)
    {
        final RequestEvent e = request;
        e.kind = RequestEvent.KIND_ANNOUNCE;
        e.frontendId = 0;
        e.correlationId = fixture.sequence();
        e.context = 1;
        Wire.id20(e.infoHash, 0, -1, t);
        Wire.id20(e.peerId, 0, t, k);
        final long a = Wire.mix(((long)t << 16) | k);
        e.address[10] = (byte)0xFF;
        e.address[11] = (byte)0xFF;
        e.address[12] = (byte)(1 + ((a & 0xFF) % 223));
        e.address[13] = (byte)(a >>> 8);
        e.address[14] = (byte)(a >>> 16);
        e.address[15] = (byte)(a >>> 24);
        e.port = 6881 + k;
        e.uploaded = 0;
        e.downloaded = 0;
        e.left = (k & 1) == 0 ? 0 : 1_000_000;
        e.event = event;
        e.numWant = -1;
        // As a UDP announce (and HTTP compact=1, nearly every client): compact peers, no peer ids, one family.
        e.compactPeers = true;
        e.wantPeerIds = false;
        e.oneFamily = true;
        e.hasKey = true;
        e.key = (int)(a >>> 32);
        e.scrapeCount = 0;

        final ResponseEvent r = fixture.submit(e);
        if (r.status != Status.OK)
        {
            failures++;
        }
        return r.peerCount;
    }
}
