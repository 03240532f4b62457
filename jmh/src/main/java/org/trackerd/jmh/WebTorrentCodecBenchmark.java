package org.trackerd.jmh;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.trackerd.io.webtorrent.WebTorrentRequest;
import org.trackerd.io.webtorrent.WebTorrentRequestDecoder;
import org.trackerd.io.webtorrent.WebTorrentResponseEncoder;
import org.trackerd.io.ws.WebSocketFrameDecoder;
import org.trackerd.io.ws.WebSocketFrameEncoder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What a WebSocket frontend thread does with one WebTorrent announce carrying offers, without the socket:
 * unmask and UTF-8-validate the client's frame ({@link WebSocketFrameDecoder}), read the JSON
 * ({@link WebTorrentRequestDecoder}), then write the announce answer and forward one offer to another peer,
 * each as a server frame ({@link WebTorrentResponseEncoder}, {@link WebSocketFrameEncoder}). The message has
 * the npm client's shape: five offers with a 2-3 KB SDP each (about 12 KB in all), binary-string ids with
 * bytes above 0x7F and JSON escapes.
 *
 * <p>Expect 0 B/op under {@code -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WebTorrentCodecBenchmark extends ForkedBenchmark
{
    private static final int OFFERS = 5;

    private final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(32 * 1024));
    private final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(32 * 1024));
    private final WebSocketFrameDecoder frames = new WebSocketFrameDecoder(64 * 1024, 64 * 1024, 16 * 1024, false);
    private final WebTorrentRequestDecoder json = new WebTorrentRequestDecoder();
    private final WebTorrentRequest request = new WebTorrentRequest(10, 74);
    private int frameLength;

    /** A binary string as JSON.stringify writes it (the tracker's own encoder does the same). */
    private static String binaryString(final byte[] id)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        final int n = WebTorrentResponseEncoder.binaryString(b, 0, new UnsafeBuffer(id), 0);
        return b.getStringWithoutLengthUtf8(0, n);
    }

    static String sdp(final int candidates, final SplittableRandom random)
    {
        final StringBuilder sb = new StringBuilder("v=0\\r\\no=- ").append(random.nextLong(1, Long.MAX_VALUE))
            .append(" 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\na=group:BUNDLE 0\\r\\na=extmap-allow-mixed\\r\\n" +
            "a=msid-semantic: WMS\\r\\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\\r\\nc=IN IP4 0.0.0.0\\r\\n");
        for (int i = 0; i < candidates; i++)
        {
            sb.append("a=candidate:").append(random.nextInt(1 << 30)).append(" 1 udp 2122063615 192.0.2.")
                .append(i + 1).append(' ').append(random.nextInt(1024, 65536))
                .append(" typ host generation 0 network-id ").append(i + 1).append("\\r\\n");
        }
        return sb.append("a=ice-ufrag:abcd\\r\\na=ice-pwd:abcdefghijklmnopqrstuvwx\\r\\na=ice-options:trickle\\r\\n" +
            "a=fingerprint:sha-256 12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:" +
            "78:9A:BC:DE:F0\\r\\na=setup:actpass\\r\\na=mid:0\\r\\na=sctp-port:5000\\r\\na=max-message-size:262144\\r\\n")
            .toString();
    }

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(21);
        final byte[] infoHash = new byte[20];
        random.nextBytes(infoHash);
        final StringBuilder message = new StringBuilder("{\"numwant\":5,\"uploaded\":0,\"downloaded\":0,\"left\":4096," +
            "\"event\":\"started\",\"action\":\"announce\",\"info_hash\":").append(binaryString(infoHash))
            .append(",\"peer_id\":\"-WW0300-k8hj0wgej6ch\",\"offers\":[");
        for (int i = 0; i < OFFERS; i++)
        {
            final byte[] offerId = new byte[20];
            random.nextBytes(offerId);
            message.append(i == 0 ? "" : ",").append("{\"offer\":{\"type\":\"offer\",\"sdp\":\"")
                .append(sdp(12 - 2 * i, random)).append("\"},\"offer_id\":").append(binaryString(offerId)).append('}');
        }
        final byte[] payload = message.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        final byte[] mask = {0x11, 0x5A, (byte)0xC3, 0x7E};
        int p = 0;
        frame.putByte(p++, (byte)0x81);
        frame.putByte(p++, (byte)(0x80 | 126));
        frame.putByte(p++, (byte)(payload.length >>> 8));
        frame.putByte(p++, (byte)payload.length);
        for (int i = 0; i < 4; i++)
        {
            frame.putByte(p++, mask[i]);
        }
        for (int i = 0; i < payload.length; i++)
        {
            frame.putByte(p++, (byte)(payload[i] ^ mask[i & 3]));
        }
        frameLength = p;
        if (decode() != WebTorrentRequestDecoder.OK || request.offerCount() != OFFERS)
        {
            throw new IllegalStateException("benchmark message does not decode");
        }
    }

    private int decode()
    {
        if (frames.decode(frame, 0, frameLength) != WebSocketFrameDecoder.TEXT)
        {
            throw new IllegalStateException("frame: " + frames.failReason());
        }
        return json.decode(frames.message(), 0, frames.messageLength(), request);
    }

    /** Frame in, JSON read. */
    @Benchmark
    public int decodeAnnounceWithOffers()
    {
        return decode() + request.offerCount();
    }

    /** The announce answer and one forwarded offer, each framed. */
    @Benchmark
    public int encodeAnswerAndOffer()
    {
        return encode();
    }

    /** Both: the codec's whole cost for one announce with offers. */
    @Benchmark
    public int decodeAndEncode()
    {
        decode();
        return encode();
    }

    private int encode()
    {
        int json = WebTorrentResponseEncoder.announce(out, WebSocketFrameEncoder.payloadOffset(0),
            request.infoHashes(), 0, 120, 3, 7) - WebSocketFrameEncoder.payloadOffset(0);
        final int first = WebSocketFrameEncoder.finishFrame(out, 0, WebSocketFrameDecoder.OPCODE_TEXT, json);
        final int at = WebSocketFrameEncoder.payloadOffset(first);
        json = WebTorrentResponseEncoder.offer(out, at, frames.message(), request.offerValueOffset(0),
            request.offerValueLength(0), request.offerIds(), 0, request.peerId(), 0, request.infoHashes(), 0) - at;
        return first + WebSocketFrameEncoder.finishFrame(out, first, WebSocketFrameDecoder.OPCODE_TEXT, json);
    }
}
