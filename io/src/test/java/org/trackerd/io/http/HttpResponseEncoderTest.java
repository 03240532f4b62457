package org.trackerd.io.http;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.io.BencodeTestDecoder;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.BencodeTestDecoder.dict;
import static org.trackerd.io.BencodeTestDecoder.list;
import static org.trackerd.io.BencodeTestDecoder.string;

class HttpResponseEncoderTest
{
    private static final int MAX_PEERS = 50;
    private static final int MAX_HASHES = 10;

    private final HttpResponseEncoder encoder = new HttpResponseEncoder();
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[HttpResponseEncoder.maxMessageBytes(MAX_PEERS, MAX_HASHES)]);
    private final ResponseEvent r = new ResponseEvent(MAX_PEERS, MAX_HASHES);

    @Test
    void announceWithCompactIpv4Peers()
    {
        announceCounts();
        r.context = QueryParser.CONTEXT_COMPACT;
        addPeer(v4(10, 0, 0, 1), 6881, 1);
        addPeer(v4(192, 168, 255, 254), 65535, 2);
        addPeer(v4(1, 2, 3, 4), 258, 3);
        encoder.announce(out, r, true);
        final Message m = message();
        assertTrue(m.head.startsWith("HTTP/1.1 200 OK\r\n"), m.head);
        assertTrue(m.head.contains("\r\nConnection: keep-alive\r\n"), m.head);
        final Map<String, Object> body = dict(m.decoded());
        assertEquals(List.of("complete", "downloaded", "incomplete", "interval", "min interval", "peers"),
            new ArrayList<>(body.keySet()));
        assertEquals(7L, body.get("complete"));
        assertEquals(1234567890123L, body.get("downloaded"));
        assertEquals(3L, body.get("incomplete"));
        assertEquals(1800L, body.get("interval"));
        assertEquals(900L, body.get("min interval"));
        assertArrayEquals(new byte[] {
            10, 0, 0, 1, 0x1A, (byte)0xE1,
            (byte)192, (byte)168, (byte)255, (byte)254, (byte)0xFF, (byte)0xFF,
            1, 2, 3, 4, 1, 2 }, (byte[])body.get("peers"));
    }

    @Test
    void compactIpv6PeersGoToPeers6()
    {
        announceCounts();
        r.context = QueryParser.CONTEXT_COMPACT;
        final byte[] v6 = v6("2001:db8::1");
        addPeer(v6, 443, 1);
        addPeer(v4(8, 8, 4, 4), 53, 2);
        addPeer(v6("fe80::abcd:ef01"), 51413, 3);
        encoder.announce(out, r, false);
        final Message m = message();
        assertTrue(m.head.contains("\r\nConnection: close\r\n"), m.head);
        final Map<String, Object> body = dict(m.decoded());
        assertArrayEquals(new byte[] { 8, 8, 4, 4, 0, 53 }, (byte[])body.get("peers"));
        final byte[] peers6 = (byte[])body.get("peers6");
        assertEquals(36, peers6.length);
        assertArrayEquals(v6, Arrays.copyOfRange(peers6, 0, 16));
        assertArrayEquals(new byte[] { 1, (byte)0xBB }, Arrays.copyOfRange(peers6, 16, 18));
        assertArrayEquals(v6("fe80::abcd:ef01"), Arrays.copyOfRange(peers6, 18, 34));
        assertArrayEquals(new byte[] { (byte)0xC8, (byte)0xD5 }, Arrays.copyOfRange(peers6, 34, 36));
    }

    @Test
    void compactWithNoPeersHasEmptyPeersAndNoPeers6()
    {
        announceCounts();
        r.context = QueryParser.CONTEXT_COMPACT;
        encoder.announce(out, r, true);
        final Map<String, Object> body = dict(message().decoded());
        assertArrayEquals(new byte[0], (byte[])body.get("peers"));
        assertFalse(body.containsKey("peers6"));
    }

    @Test
    void dictionaryPeersWithPeerIds() throws Exception
    {
        announceCounts();
        r.context = 0;
        addPeer(v4(10, 20, 30, 40), 6881, 1);
        addPeer(v4(0, 0, 0, 0), 1, 2);
        addPeer(v6("2001:db8::ff00:42:8329"), 8080, 3);
        encoder.announce(out, r, true);
        final List<Object> peers = list(dict(message().decoded()).get("peers"));
        assertEquals(3, peers.size());

        final Map<String, Object> first = dict(peers.get(0));
        assertEquals(List.of("ip", "peer id", "port"), new ArrayList<>(first.keySet()));
        assertEquals("10.20.30.40", string(first.get("ip")));
        assertArrayEquals(peerId(1), (byte[])first.get("peer id"));
        assertEquals(6881L, first.get("port"));
        assertEquals("0.0.0.0", string(dict(peers.get(1)).get("ip")));

        final Map<String, Object> third = dict(peers.get(2));
        final String ip = string(third.get("ip"));
        assertEquals(InetAddress.getByName("2001:db8::ff00:42:8329"), InetAddress.getByName(ip));
        assertArrayEquals(peerId(3), (byte[])third.get("peer id"));
        assertEquals(8080L, third.get("port"));
    }

    @Test
    void dictionaryPeersWithoutPeerIds()
    {
        announceCounts();
        r.context = QueryParser.CONTEXT_NO_PEER_ID;
        addPeer(v4(127, 0, 0, 1), 6969, 1);
        addPeer(v6("::1"), 6970, 2);
        encoder.announce(out, r, true);
        final List<Object> peers = list(dict(message().decoded()).get("peers"));
        assertEquals(2, peers.size());
        for (final Object p : peers)
        {
            assertEquals(List.of("ip", "port"), new ArrayList<>(dict(p).keySet()));
        }
        assertEquals("127.0.0.1", string(dict(peers.get(0)).get("ip")));
        assertEquals("0:0:0:0:0:0:0:1", string(dict(peers.get(1)).get("ip")));
    }

    @Test
    void compactWinsOverNoPeerId()
    {
        announceCounts();
        r.context = QueryParser.CONTEXT_COMPACT | QueryParser.CONTEXT_NO_PEER_ID;
        addPeer(v4(1, 1, 1, 1), 1, 1);
        encoder.announce(out, r, true);
        assertEquals(6, ((byte[])dict(message().decoded()).get("peers")).length);
    }

    @Test
    void failureWithAndWithoutRetryIn()
    {
        final byte[] reason = "tracker is at capacity, try again later".getBytes(StandardCharsets.US_ASCII);
        encoder.failure(out, reason, 5, true);
        Map<String, Object> body = dict(message().decoded());
        assertEquals(List.of("failure reason", "retry in"), new ArrayList<>(body.keySet()));
        assertEquals("tracker is at capacity, try again later", string(body.get("failure reason")));
        assertEquals(5L, body.get("retry in"));

        encoder.failure(out, "missing port".getBytes(StandardCharsets.US_ASCII), 0, false);
        final Message m = message();
        assertTrue(m.head.contains("Connection: close"));
        body = dict(m.decoded());
        assertEquals(List.of("failure reason"), new ArrayList<>(body.keySet()));
        assertEquals("missing port", string(body.get("failure reason")));
    }

    @Test
    void scrapeIsSortedByHashWithDuplicatesOnce()
    {
        r.kind = RequestEvent.KIND_SCRAPE;
        final byte[] high = hash(0xF0);
        final byte[] low = hash(0x01);
        final byte[] middle = hash(0x80);
        addScrape(high, 1, 2, 3);
        addScrape(low, 4, 5, 6);
        addScrape(high, 1, 2, 3);
        addScrape(middle, 7, 8, 9);
        addScrape(low, 4, 5, 6);
        encoder.scrape(out, r, true);
        final Map<String, Object> body = dict(message().decoded());
        assertEquals(List.of("files"), new ArrayList<>(body.keySet()));
        final Map<String, Object> files = dict(body.get("files"));
        assertEquals(List.of(BencodeTestDecoder.key(low), BencodeTestDecoder.key(middle), BencodeTestDecoder.key(high)),
            new ArrayList<>(files.keySet()));
        final Map<String, Object> m = dict(files.get(BencodeTestDecoder.key(middle)));
        assertEquals(List.of("complete", "downloaded", "incomplete"), new ArrayList<>(m.keySet()));
        assertEquals(7L, m.get("complete"));
        assertEquals(9L, m.get("downloaded"));
        assertEquals(8L, m.get("incomplete"));
        assertEquals(4L, dict(files.get(BencodeTestDecoder.key(low))).get("complete"));
        assertEquals(3L, dict(files.get(BencodeTestDecoder.key(high))).get("downloaded"));
    }

    @Test
    void scrapeOfNothingIsAnEmptyFilesDictionary()
    {
        r.scrapeCount = 0;
        encoder.scrape(out, r, true);
        assertEquals(Map.of(), dict(dict(message().decoded()).get("files")));
    }

    @Test
    void largestResponsesFitTheBudget()
    {
        announceCounts();
        r.context = 0;
        for (int i = 0; i < MAX_PEERS; i++)
        {
            addPeer(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff" + (i % 10)), 65535, i);
        }
        r.downloaded = Long.MAX_VALUE;
        r.complete = Integer.MAX_VALUE;
        r.incomplete = Integer.MAX_VALUE;
        encoder.announce(out, r, true);
        assertEquals(MAX_PEERS, list(dict(message().decoded()).get("peers")).size());

        for (int i = 0; i < MAX_HASHES; i++)
        {
            addScrape(hash(i), Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE);
        }
        encoder.scrape(out, r, true);
        assertEquals(MAX_HASHES, dict(dict(message().decoded()).get("files")).size());
    }

    @Test
    void httpErrorsCloseWithPlainText()
    {
        encoder.httpError(out, 404);
        Message m = message();
        assertTrue(m.head.startsWith("HTTP/1.1 404 Not Found\r\n"), m.head);
        assertTrue(m.head.contains("Connection: close"));
        assertEquals("Not Found\r\n", new String(m.body(), StandardCharsets.US_ASCII));
        encoder.httpError(out, 431);
        m = message();
        assertTrue(m.head.startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"), m.head);
        encoder.httpError(out, 418);
        assertTrue(message().head.startsWith("HTTP/1.1 418 Error\r\n"));
    }

    @Test
    void consecutiveResponsesDoNotLeakIntoEachOther()
    {
        announceCounts();
        r.context = 0;
        for (int i = 0; i < 20; i++)
        {
            addPeer(v4(10, 0, 0, i), 1000 + i, i);
        }
        encoder.announce(out, r, true);
        assertEquals(20, list(dict(message().decoded()).get("peers")).size());
        encoder.failure(out, "x".getBytes(StandardCharsets.US_ASCII), 0, true);
        final Map<String, Object> body = dict(message().decoded());
        assertEquals(1, body.size());
        assertEquals("x", string(body.get("failure reason")));
    }

    // ---------------------------------------------------------------- helpers

    private record Message(String head, byte[] bytes, int bodyStart)
    {
        byte[] body()
        {
            return Arrays.copyOfRange(bytes, bodyStart, bytes.length);
        }

        Object decoded()
        {
            return BencodeTestDecoder.decode(body());
        }
    }

    /** Splits the encoder's output into head and body and checks Content-Length against the body. */
    private Message message()
    {
        assertTrue(encoder.start() >= 0 && encoder.start() < HttpResponseEncoder.BODY_OFFSET);
        final byte[] bytes = new byte[encoder.end() - encoder.start()];
        out.getBytes(encoder.start(), bytes);
        final String all = new String(bytes, StandardCharsets.ISO_8859_1);
        final int blank = all.indexOf("\r\n\r\n");
        assertTrue(blank > 0, "no blank line after the head");
        final String head = all.substring(0, blank + 2);
        final int bodyStart = blank + 4;
        assertEquals(HttpResponseEncoder.BODY_OFFSET, encoder.start() + bodyStart, "body must start at BODY_OFFSET");
        final String marker = "\r\nContent-Length: ";
        final int at = head.indexOf(marker);
        assertTrue(at > 0, head);
        final long contentLength = Long.parseLong(head.substring(at + marker.length(), head.indexOf("\r\n", at + 2)));
        assertEquals(bytes.length - bodyStart, contentLength, "Content-Length must match the body");
        final Message m = new Message(head, bytes, bodyStart);
        if (head.startsWith("HTTP/1.1 200"))
        {
            BencodeTestDecoder.decode(m.body()); // a whole, strictly valid bencode value and nothing after it
        }
        return m;
    }

    private void announceCounts()
    {
        r.kind = RequestEvent.KIND_ANNOUNCE;
        r.complete = 7;
        r.incomplete = 3;
        r.downloaded = 1234567890123L;
        r.intervalSeconds = 1800;
        r.minIntervalSeconds = 900;
        r.peerCount = 0;
        r.compact4Count = 0;
        r.compact6Count = 0;
    }

    private void addPeer(final byte[] address, final int port, final int id)
    {
        final int i = r.peerCount++;
        System.arraycopy(address, 0, r.peerAddrs, i * 16, 16);
        System.arraycopy(peerId(id), 0, r.peerIds, i * 20, 20);
        r.peerPorts[i] = port;
        r.addCompactPeer(address, 0, port); // the engine fills the form the request asked for; here both
    }

    private void addScrape(final byte[] hash, final int complete, final int incomplete, final long downloaded)
    {
        if (r.scrapeCount == MAX_HASHES)
        {
            r.scrapeCount = 0;
        }
        final int i = r.scrapeCount++;
        System.arraycopy(hash, 0, r.scrapeHashes, i * 20, 20);
        r.scrapeComplete[i] = complete;
        r.scrapeIncomplete[i] = incomplete;
        r.scrapeDownloaded[i] = downloaded;
    }

    private static byte[] peerId(final int n)
    {
        final byte[] id = "-TR3000-000000000000".getBytes(StandardCharsets.US_ASCII);
        id[19] = (byte)n;
        id[18] = (byte)':';
        return id;
    }

    private static byte[] hash(final int first)
    {
        final byte[] h = new byte[20];
        Arrays.fill(h, (byte)0x42);
        h[0] = (byte)first;
        return h;
    }

    private static byte[] v4(final int a, final int b, final int c, final int d)
    {
        final byte[] address = new byte[16];
        RequestEvent.putIpv4Mapped(address, 0, new byte[] { (byte)a, (byte)b, (byte)c, (byte)d }, 0);
        return address;
    }

    private static byte[] v6(final String literal)
    {
        try
        {
            final byte[] raw = InetAddress.getByName(literal).getAddress();
            assertEquals(16, raw.length, literal);
            return raw;
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new AssertionError(ex);
        }
    }
}
