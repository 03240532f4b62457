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
import org.trackerd.io.udp.ConnectionIds;
import org.trackerd.io.udp.UdpRequestDecoder;
import org.trackerd.io.udp.UdpResponseEncoder;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What a UDP frontend thread does per datagram, without the socket: verify the connection id (SipHash-2-4) and
 * decode a 98-byte BEP 15 announce into a {@link RequestEvent}; answer a connect; encode an announce answer with
 * 50 IPv4 peers and a scrape answer of ten hashes.
 *
 * <p>Expect 0 B/op under {@code -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class UdpCodecBenchmark extends ForkedBenchmark
{
    private static final int MAX_PEERS = 200;
    private static final int MAX_SCRAPE = 74;
    private static final long EPOCH_SECONDS = 1_790_000_000L;

    private final byte[] sender16 = new byte[16];
    private final int senderPort = 51413;
    private final ConnectionIds ids = new ConnectionIds(ConnectionIds.keyFromSecret("bench"), 300);
    private final UdpRequestDecoder decoder = new UdpRequestDecoder(ids, false);
    private final UdpResponseEncoder encoder = new UdpResponseEncoder();
    private final RequestEvent event = new RequestEvent(MAX_SCRAPE);
    private final UnsafeBuffer announce = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
    private final UnsafeBuffer connect = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
    private final UnsafeBuffer out =
        new UnsafeBuffer(ByteBuffer.allocateDirect(UdpResponseEncoder.maxMessageBytes(MAX_PEERS, MAX_SCRAPE)));
    private final ResponseEvent peers = new ResponseEvent(MAX_PEERS, MAX_SCRAPE);
    private final ResponseEvent scrape = new ResponseEvent(MAX_PEERS, MAX_SCRAPE);
    private int announceLength;

    @Setup
    public void setUp()
    {
        RequestEvent.putIpv4Mapped(sender16, 0, new byte[] { 127, 0, 0, 1 }, 0);
        final long connectionId = ids.issue(sender16, senderPort, EPOCH_SECONDS);
        final ByteBuffer b = ByteBuffer.allocate(98).order(ByteOrder.BIG_ENDIAN);
        b.putLong(connectionId).putInt(1).putInt(0x1234_5678).put(Wire.hashes(1, 1));
        final byte[] peerId = new byte[20];
        Wire.id20(peerId, 0, 7, 7);
        b.put(peerId).putLong(0).putLong(1_000_000).putLong(0).putInt(2).putInt(0).putInt(0xCAFE).putInt(-1)
            .putShort((short)6881);
        announce.putBytes(0, b.array());
        announceLength = 98;
        connect.putLong(0, 0x41727101980L, ByteOrder.BIG_ENDIAN);
        connect.putInt(8, 0, ByteOrder.BIG_ENDIAN);
        connect.putInt(12, 42, ByteOrder.BIG_ENDIAN);

        final SplittableRandom random = new SplittableRandom(5);
        peers.kind = RequestEvent.KIND_ANNOUNCE;
        peers.intervalSeconds = 1800;
        peers.complete = 1234;
        peers.incomplete = 87;
        peers.peerCount = 50;
        final byte[] v4 = new byte[4];
        for (int i = 0; i < 50; i++)
        {
            v4[0] = (byte)(1 + random.nextInt(223));
            v4[1] = (byte)random.nextInt(256);
            v4[2] = (byte)random.nextInt(256);
            v4[3] = (byte)(1 + random.nextInt(254));
            RequestEvent.putIpv4Mapped(peers.peerAddrs, i * RequestEvent.ADDRESS_LENGTH, v4, 0);
            peers.peerPorts[i] = 1024 + random.nextInt(64_000);
        }
        Wire.toCompact(peers); // as the engine answers a UDP announce: the peers in wire form
        scrape.kind = RequestEvent.KIND_SCRAPE;
        scrape.scrapeCount = 10;
        final byte[] hashes = Wire.hashes(4, 10);
        System.arraycopy(hashes, 0, scrape.scrapeHashes, 0, hashes.length);
        if (decoder.decode(announce, announceLength, sender16, senderPort, EPOCH_SECONDS, event) !=
            UdpRequestDecoder.PUBLISH)
        {
            throw new IllegalStateException("benchmark announce does not decode: " + decoder.error());
        }
    }

    /** Connection id check plus the whole announce decode, as done before publishing into the ring. */
    @Benchmark
    public int decodeAnnounce()
    {
        return decoder.decode(announce, announceLength, sender16, senderPort, EPOCH_SECONDS, event);
    }

    /** A connect: protocol id check and a new SipHash connection id; the answer is encoded too. */
    @Benchmark
    public int connect()
    {
        decoder.decode(connect, 16, sender16, senderPort, EPOCH_SECONDS, event);
        return encoder.connect(out, decoder.transactionId(), decoder.connectionId());
    }

    /** An announce answer with 50 IPv4 peers to an IPv4 sender. */
    @Benchmark
    public int encodeAnnounce50()
    {
        return encoder.announce(out, 0x1234_5678, peers, false);
    }

    /** A scrape answer of ten hashes. */
    @Benchmark
    public int encodeScrape10()
    {
        return encoder.scrape(out, 0x1234_5678, scrape);
    }
}
