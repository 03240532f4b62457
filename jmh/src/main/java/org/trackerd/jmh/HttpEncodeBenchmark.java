package org.trackerd.jmh;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.io.http.HttpResponseEncoder;
import org.trackerd.io.http.QueryParser;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What an HTTP frontend thread does with a response it polled off its response ring: encode a complete HTTP/1.1
 * message (bencoded body, then the head placed in front of it) into its reusable direct output buffer.
 * Announces carry 50 IPv4 peers (the default numwant), compact (BEP 23) or as a dictionary list with peer ids;
 * the scrape carries ten infohashes, which the encoder sorts.
 *
 * <p>Expect 0 B/op under {@code -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HttpEncodeBenchmark extends ForkedBenchmark
{
    static final int MAX_PEERS = 200;
    static final int MAX_SCRAPE = 74;
    static final int PEERS = 50;
    static final int SCRAPE_HASHES = 10;

    private final HttpResponseEncoder encoder = new HttpResponseEncoder();
    private final UnsafeBuffer out =
        new UnsafeBuffer(ByteBuffer.allocateDirect(HttpResponseEncoder.maxMessageBytes(MAX_PEERS, MAX_SCRAPE)));
    private final ResponseEvent compact = new ResponseEvent(MAX_PEERS, MAX_SCRAPE);
    private final ResponseEvent dict = new ResponseEvent(MAX_PEERS, MAX_SCRAPE);
    private final ResponseEvent scrape = new ResponseEvent(MAX_PEERS, MAX_SCRAPE);

    @Setup
    public void setUp()
    {
        fillAnnounce(compact, QueryParser.CONTEXT_COMPACT);
        fillAnnounce(dict, 0);
        final SplittableRandom random = new SplittableRandom(3);
        final byte[] hashes = Wire.hashes(4, SCRAPE_HASHES);
        System.arraycopy(hashes, 0, scrape.scrapeHashes, 0, hashes.length);
        scrape.scrapeCount = SCRAPE_HASHES;
        for (int i = 0; i < SCRAPE_HASHES; i++)
        {
            scrape.scrapeComplete[i] = random.nextInt(5000);
            scrape.scrapeIncomplete[i] = random.nextInt(500);
            scrape.scrapeDownloaded[i] = random.nextInt(100_000);
        }
    }

    private static void fillAnnounce(final ResponseEvent r, final int context)
    {
        final SplittableRandom random = new SplittableRandom(5);
        r.kind = RequestEvent.KIND_ANNOUNCE;
        r.context = context;
        r.intervalSeconds = 1800;
        r.minIntervalSeconds = 900;
        r.complete = 1234;
        r.incomplete = 87;
        r.downloaded = 40_321;
        r.peerCount = PEERS;
        final byte[] v4 = new byte[4];
        for (int i = 0; i < PEERS; i++)
        {
            v4[0] = (byte)(1 + random.nextInt(223)); // a unicast first octet
            v4[1] = (byte)random.nextInt(256);
            v4[2] = (byte)random.nextInt(256);
            v4[3] = (byte)(1 + random.nextInt(254));
            RequestEvent.putIpv4Mapped(r.peerAddrs, i * RequestEvent.ADDRESS_LENGTH, v4, 0);
            r.peerPorts[i] = 1024 + random.nextInt(64_000);
            Wire.id20(r.peerIds, i * RequestEvent.HASH_LENGTH, 6, i);
        }
        if ((context & QueryParser.CONTEXT_COMPACT) != 0)
        {
            // As the engine answers a compact request: the peers in wire form.
            Wire.toCompact(r);
        }
    }

    /** 50 peers as a BEP 23 compact string (what nearly every client asks for). */
    @Benchmark
    public int announceCompact50()
    {
        encoder.announce(out, compact, true);
        return encoder.end();
    }

    /** 50 peers as a list of dictionaries with ip text, peer id and port (old clients, compact=0). */
    @Benchmark
    public int announceDict50()
    {
        encoder.announce(out, dict, true);
        return encoder.end();
    }

    /** A scrape of ten infohashes: sort by hash, then one dictionary each. */
    @Benchmark
    public int scrape10()
    {
        encoder.scrape(out, scrape, true);
        return encoder.end();
    }
}
