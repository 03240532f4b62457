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
import org.trackerd.engine.swarm.WebRtcStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One WebTorrent announce through {@link SwarmProcessor#onEvent} on the calling thread, as the swarm processor
 * runs it: the torrent's WebRTC set found, the peer updated and written through to {@code webrtc.dat}
 * ({@link WebRtcStore}, a Chronicle Map put), {@code offers} offer targets picked and recorded, and the
 * torrent's BitTorrent counts added. Set-up fills {@code torrents} WebRTC sets of {@code peersPerTorrent} peers
 * each (browser swarms are small); each operation re-announces a random resident peer, so the sets stay steady and
 * allocation seen here ({@code -prof gc}) is per request.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WebRtcAnnounceBenchmark extends ForkedBenchmark
{
    @Param({"1000"})
    public int torrents;

    @Param({"8"})
    public int peersPerTorrent;

    @Param({"5"})
    public int offers;

    /** Whether the sets are written through to webrtc.dat (false: the heap sets alone, for comparison). */
    @Param({"true", "false"})
    public boolean persisted;

    private Path directory;
    private ProcessorFixture fixture;
    private final RequestEvent request = new RequestEvent(1);
    private long random = 0x2545F4914F6CDD1DL;
    private long failures;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        directory = Files.createTempDirectory("trackerd-jmh-webrtc-");
        final TrackerConfig config = TrackerConfig.parse("{" +
            "\"storage\": {\"path\": \"" + directory.toAbsolutePath() + "\", \"max_torrents\": 1000, " +
            "\"max_peers\": 1000}," +
            "\"webtorrent\": {\"enabled\": true, \"max_peers\": " + (torrents * peersPerTorrent + 64) + "}," +
            "\"engine\": {\"request_ring_size\": 64, \"response_ring_size\": 64}" +
            "}");
        fixture = new ProcessorFixture(directory, config, persisted);
        for (int t = 0; t < torrents; t++)
        {
            for (int k = 0; k < peersPerTorrent; k++)
            {
                announce(t, k, RequestEvent.EVENT_STARTED, 0);
            }
        }
        if (failures != 0)
        {
            throw new IllegalStateException(failures + " announces failed in set-up");
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

    /** A random resident peer of a random torrent re-announces with {@code offers} offers. */
    @Benchmark
    public int announce()
    {
        long x = random;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        random = x;
        final int t = (int)(((x >>> 32) * torrents) >>> 32);
        final int k = (int)(((x >>> 16) & 0xFFFF) * peersPerTorrent >>> 16);
        return announce(t, k, RequestEvent.EVENT_NONE, offers);
    }

    /** Peer {@code k} of torrent {@code t}, on connection {@code t * peersPerTorrent + k}; returns offers relayed. */
    private int announce(final int t, final int k, final byte event, final int offerCount)
    {
        final RequestEvent e = request;
        e.kind = RequestEvent.KIND_WEBRTC_ANNOUNCE;
        e.frontendId = 0;
        e.correlationId = (long)t * peersPerTorrent + k;
        Wire.id20(e.infoHash, 0, -1, t);
        Wire.id20(e.peerId, 0, t, k);
        e.address[10] = (byte)0xFF;
        e.address[11] = (byte)0xFF;
        e.address[12] = 10;
        e.address[15] = (byte)k;
        e.uploaded = 0;
        e.downloaded = 0;
        e.left = (k & 1) == 0 ? 0 : 1_000_000;
        e.event = event;
        e.numWant = offerCount;
        e.offerCount = offerCount;
        for (int i = 0; i < offerCount; i++)
        {
            Wire.id20(e.offerIds, i * RequestEvent.HASH_LENGTH, (int)fixture.sequence(), i);
        }
        e.scrapeCount = 0;

        final ResponseEvent r = fixture.submit(e);
        if (r.status != Status.OK)
        {
            failures++;
        }
        return r.relayCount;
    }
}
