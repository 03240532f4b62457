package org.trackerd.io.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.e2e.Announce.compactPorts;
import static org.trackerd.io.e2e.Announce.hash;
import static org.trackerd.io.e2e.Announce.leecher;
import static org.trackerd.io.e2e.Announce.peerId;
import static org.trackerd.io.e2e.Announce.seeder;
import org.trackerd.io.BencodeTestDecoder;

/**
 * The HTTP tracker end to end: a real {@link org.trackerd.io.Tracker} on a loopback port, driven over raw
 * sockets, every answer decoded from bencode.
 */
@Timeout(60)
class HttpTrackerE2ETest
{
    private static final int MAX_REQUEST_BYTES = 1024;
    private static final int MAX_HEADERS = 16;
    private static final long REQUEST_TIMEOUT_MS = 300;
    private static final long IDLE_TIMEOUT_MS = 600;
    private static final int MAX_SCRAPE_HASHES = 8;

    @TempDir
    Path dir;

    private TrackerHarness tracker;

    @BeforeEach
    void start() throws IOException
    {
        tracker = new TrackerHarness(dir)
            .set("http", "max_request_bytes", Integer.toString(MAX_REQUEST_BYTES))
            .set("http", "max_headers", Integer.toString(MAX_HEADERS))
            .set("http", "request_timeout_ms", Long.toString(REQUEST_TIMEOUT_MS))
            .set("http", "idle_timeout_ms", Long.toString(IDLE_TIMEOUT_MS))
            .set("tracker", "max_scrape_hashes", Integer.toString(MAX_SCRAPE_HASHES))
            .start();
    }

    @AfterEach
    void stop()
    {
        if (tracker != null)
        {
            tracker.close();
        }
    }

    // ---------------------------------------------------------------- announce and scrape

    @Test
    void announceAndScrapeRoundTrip() throws IOException
    {
        final byte[] h = hash("round-trip");
        final Map<String, Object> a = tracker.announce(leecher(h, peerId(1), 7001).event("started"));
        assertNull(a.get("failure reason"), () -> "unexpected failure: " + a);
        assertInstanceOf(Long.class, a.get("interval"));
        assertTrue((Long)a.get("interval") > 0);
        assertInstanceOf(Long.class, a.get("min interval"));
        assertCounts(a, 0, 1, 0);
        assertEquals(List.of(), compactPorts(a), "the only peer gets no peers");

        assertCounts(tracker.scrape(h), 0, 1, 0);

        final Map<String, Object> b = tracker.announce(leecher(h, peerId(2), 7002).event("started"));
        assertCounts(b, 0, 2, 0);
        assertEquals(List.of(7001), compactPorts(b));
        assertCounts(tracker.scrape(h), 0, 2, 0);
    }

    /**
     * The listener is corked so a one-request connection's answer leaves with its FIN; a keep-alive connection is
     * uncorked before its first answer. Were it not, each answer but the last would wait for the kernel's 200-ms
     * cork timer: twenty exchanges would take four seconds, not a fraction of one.
     */
    @Test
    void keepAliveAnswersLeaveAtOnce() throws IOException
    {
        final String target = leecher(hash("prompt"), peerId(1), 7001).target();
        try (RawHttpClient client = new RawHttpClient(tracker.port()))
        {
            assertEquals(200, client.exchange(target).status); // warm: the first answer may wait for the JIT
            final long start = System.nanoTime();
            for (int i = 0; i < 20; i++)
            {
                assertEquals(200, client.exchange(target).status);
            }
            final long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < 2000, () -> "20 keep-alive exchanges took " + ms + " ms");
        }
        try (RawHttpClient closing = new RawHttpClient(tracker.port()))
        {
            closing.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertEquals(200, closing.readResponse().status);
            assertTrue(closing.awaitClose(1000), "the answer and the FIN");
        }
    }

    @Test
    void seedersAndLeechersAreCountedAsCompleteAndIncomplete() throws IOException
    {
        final byte[] h = hash("counts");
        tracker.announce(seeder(h, peerId(1), 7001));
        tracker.announce(seeder(h, peerId(2), 7002));
        tracker.announce(leecher(h, peerId(3), 7003));
        tracker.announce(leecher(h, peerId(4), 7004));
        final Map<String, Object> last = tracker.announce(leecher(h, peerId(5), 7005));
        assertCounts(last, 2, 3, 0);
        assertCounts(tracker.scrape(h), 2, 3, 0);

        // A leecher that finished without "completed" becomes a seeder: counts move, downloaded does not.
        assertCounts(tracker.announce(seeder(h, peerId(3), 7003)), 3, 2, 0);
        assertCounts(tracker.scrape(h), 3, 2, 0);
    }

    @Test
    void seederReceivesOnlyLeechers() throws IOException
    {
        final byte[] h = hash("seeder-gets-leechers");
        tracker.announce(seeder(h, peerId(1), 7001));
        tracker.announce(seeder(h, peerId(2), 7002));
        tracker.announce(seeder(h, peerId(3), 7003));
        tracker.announce(leecher(h, peerId(11), 7011));
        tracker.announce(leecher(h, peerId(12), 7012));
        for (int i = 0; i < 5; i++)
        {
            final Map<String, Object> r = tracker.announce(seeder(h, peerId(1), 7001));
            assertEquals(Set.of(7011, 7012), new HashSet<>(compactPorts(r)), "a seeder gets the leechers only");
            assertEquals(2, compactPorts(r).size(), "no duplicates");
        }
    }

    @Test
    void leecherNeverReceivesItself() throws IOException
    {
        final byte[] h = hash("leecher-not-itself");
        tracker.announce(seeder(h, peerId(1), 7001));
        tracker.announce(seeder(h, peerId(2), 7002));
        tracker.announce(leecher(h, peerId(11), 7011));
        tracker.announce(leecher(h, peerId(12), 7012));
        tracker.announce(leecher(h, peerId(13), 7013));
        for (int i = 0; i < 5; i++)
        {
            final Map<String, Object> r = tracker.announce(leecher(h, peerId(12), 7012));
            final List<Integer> ports = compactPorts(r);
            assertFalse(ports.contains(7012), () -> "a leecher got itself: " + ports);
            assertEquals(Set.of(7001, 7002, 7011, 7013), new HashSet<>(ports), "a leecher gets everyone else");
            assertEquals(4, ports.size(), "no duplicates");
        }
    }

    @Test
    void compactPeersAreSixBytesOfLoopbackAddressAndPort() throws IOException
    {
        final byte[] h = hash("compact");
        tracker.announce(leecher(h, peerId(1), 6881));
        tracker.announce(leecher(h, peerId(2), 65535));
        final Map<String, Object> r = tracker.announce(leecher(h, peerId(3), 1).compact(true));
        final byte[] peers = (byte[])r.get("peers");
        assertEquals(12, peers.length);
        // compactPorts checks each entry is 127.0.0.1 and reads the port in network byte order.
        assertEquals(Set.of(6881, 65535), new HashSet<>(compactPorts(r)));
        assertNull(r.get("peers6"), "no IPv6 peers on a loopback IPv4 swarm");
    }

    @Test
    @SuppressWarnings("unchecked")
    void compactZeroGivesDictionariesAndNoPeerIdOmitsThem() throws IOException
    {
        final byte[] h = hash("dict-peers");
        tracker.announce(leecher(h, peerId(1), 7001));
        tracker.announce(leecher(h, peerId(2), 7002));

        final Map<String, Object> r = tracker.announce(leecher(h, peerId(3), 7003).compact(false));
        assertInstanceOf(List.class, r.get("peers"));
        final List<Object> peers = (List<Object>)r.get("peers");
        assertEquals(2, peers.size());
        final Set<Integer> ports = new HashSet<>();
        for (final Object o : peers)
        {
            final Map<String, Object> p = (Map<String, Object>)o;
            assertEquals("127.0.0.1", new String((byte[])p.get("ip"), StandardCharsets.US_ASCII));
            final int port = ((Long)p.get("port")).intValue();
            ports.add(port);
            assertArrayEquals(peerId(port == 7001 ? 1 : 2), (byte[])p.get("peer id"), "the raw 20-byte peer id");
        }
        assertEquals(Set.of(7001, 7002), ports);

        final Map<String, Object> n = tracker.announce(leecher(h, peerId(3), 7003).compact(false).noPeerId(true));
        final List<Object> withoutIds = (List<Object>)n.get("peers");
        assertEquals(2, withoutIds.size());
        for (final Object o : withoutIds)
        {
            final Map<String, Object> p = (Map<String, Object>)o;
            assertFalse(p.containsKey("peer id"), () -> "no_peer_id=1 still sent a peer id: " + p.keySet());
            assertNotNull(p.get("ip"));
            assertNotNull(p.get("port"));
        }
    }

    @Test
    void numWantLimitsThePeersReturned() throws IOException
    {
        final byte[] h = hash("numwant");
        for (int i = 1; i <= 6; i++)
        {
            tracker.announce(leecher(h, peerId(i), 7000 + i));
        }
        assertEquals(2, compactPorts(tracker.announce(leecher(h, peerId(1), 7001).numWant(2))).size());
        assertEquals(0, compactPorts(tracker.announce(leecher(h, peerId(1), 7001).numWant(0))).size());
        assertEquals(5, compactPorts(tracker.announce(leecher(h, peerId(1), 7001).numWant(100))).size());
        assertEquals(5, compactPorts(tracker.announce(leecher(h, peerId(1), 7001))).size(),
            "no numwant means the default (50), here everyone else");
        final List<Integer> two = compactPorts(tracker.announce(leecher(h, peerId(1), 7001).numWant(2)));
        assertEquals(2, new HashSet<>(two).size(), "distinct peers");
        assertFalse(two.contains(7001));
    }

    @Test
    void stoppedRemovesThePeerAndReturnsNoPeers() throws IOException
    {
        final byte[] h = hash("stopped");
        tracker.announce(seeder(h, peerId(1), 7001));
        tracker.announce(leecher(h, peerId(2), 7002));
        tracker.announce(leecher(h, peerId(3), 7003));
        assertCounts(tracker.scrape(h), 1, 2, 0);

        final Map<String, Object> stopped = tracker.announce(leecher(h, peerId(2), 7002).event("stopped"));
        assertNull(stopped.get("failure reason"));
        assertEquals(List.of(), compactPorts(stopped), "a stopping peer gets no peers");
        assertCounts(tracker.scrape(h), 1, 1, 0);

        final List<Integer> seen = compactPorts(tracker.announce(leecher(h, peerId(3), 7003)));
        assertEquals(List.of(7001), seen, "the stopped peer is no longer handed out");

        final Map<String, Object> seederStops = tracker.announce(seeder(h, peerId(1), 7001).event("stopped"));
        assertEquals(List.of(), compactPorts(seederStops));
        assertCounts(tracker.scrape(h), 0, 1, 0);

        // Stopping again, or stopping a peer that never announced, changes nothing.
        tracker.announce(leecher(h, peerId(2), 7002).event("stopped"));
        tracker.announce(leecher(h, peerId(99), 7099).event("stopped"));
        assertCounts(tracker.scrape(h), 0, 1, 0);
    }

    @Test
    void completedIsCountedOncePerPeer() throws IOException
    {
        final byte[] h = hash("completed");
        tracker.announce(leecher(h, peerId(1), 7001).event("started"));
        tracker.announce(leecher(h, peerId(2), 7002).event("started"));
        tracker.announce(leecher(h, peerId(3), 7003).event("started"));

        final Map<String, Object> first = tracker.announce(seeder(h, peerId(1), 7001).event("completed"));
        assertCounts(first, 1, 2, 1);
        final Map<String, Object> again = tracker.announce(seeder(h, peerId(1), 7001).event("completed"));
        assertCounts(again, 1, 2, 1);
        assertCounts(tracker.scrape(h), 1, 2, 1);

        final Map<String, Object> other = tracker.announce(seeder(h, peerId(2), 7002).event("completed"));
        assertCounts(other, 2, 1, 2);
        tracker.announce(seeder(h, peerId(2), 7002));
        assertCounts(tracker.scrape(h), 2, 1, 2);
    }

    @Test
    @SuppressWarnings("unchecked")
    void scrapeOfUnknownHashReturnsZerosAndSeveralHashesAnswerEach() throws IOException
    {
        final byte[] known = hash("scrape-known");
        final byte[] unknown = hash("scrape-unknown");
        assertCounts(tracker.scrape(unknown), 0, 0, 0);

        tracker.announce(seeder(known, peerId(1), 7001));
        tracker.announce(leecher(known, peerId(2), 7002));
        final Map<String, Object> r = tracker.get(Announce.scrapeTarget(unknown, known));
        final Map<String, Object> files = (Map<String, Object>)r.get("files");
        assertEquals(2, files.size());
        assertCounts((Map<String, Object>)files.get(BencodeTestDecoder.latin1(known)), 1, 1, 0);
        assertCounts((Map<String, Object>)files.get(BencodeTestDecoder.latin1(unknown)), 0, 0, 0);
        // A hash asked twice is answered once (the strict decoder also rejects duplicate keys).
        final Map<String, Object> twice = tracker.get(Announce.scrapeTarget(known, unknown, known));
        assertEquals(2, ((Map<String, Object>)twice.get("files")).size());
        assertCounts((Map<String, Object>)((Map<String, Object>)twice.get("files")).get(BencodeTestDecoder.latin1(known)), 1, 1, 0);
        // A scrape never changes membership.
        assertCounts(tracker.scrape(unknown), 0, 0, 0);
        assertCounts(tracker.scrape(known), 1, 1, 0);
    }

    @Test
    void scrapeWithTooManyHashesFails() throws IOException
    {
        final byte[][] hashes = new byte[MAX_SCRAPE_HASHES + 1][];
        for (int i = 0; i < hashes.length; i++)
        {
            hashes[i] = hash("scrape-many-" + i);
        }
        final Map<String, Object> tooMany = tracker.get(Announce.scrapeTarget(hashes));
        assertFailure(tooMany, "too many");

        final byte[][] allowed = java.util.Arrays.copyOf(hashes, MAX_SCRAPE_HASHES);
        final Map<String, Object> ok = tracker.get(Announce.scrapeTarget(allowed));
        assertNull(ok.get("failure reason"));
        assertEquals(MAX_SCRAPE_HASHES, ((Map<?, ?>)ok.get("files")).size());
    }

    // ---------------------------------------------------------------- client errors

    @Test
    void clientErrorsAnswer200WithFailureReasonAndChangeNothing() throws IOException
    {
        final byte[] h = hash("client-errors");
        tracker.announce(leecher(h, peerId(1), 7001));
        final String hash = "info_hash=" + Announce.encode(h);
        final String newPeer = "peer_id=" + Announce.encode(peerId(2));
        final String rest = "&uploaded=0&downloaded=0&left=10";
        final String[][] cases = {
            { "missing info_hash", "/announce?" + newPeer + "&port=7002" + rest, "missing info_hash" },
            { "19-byte info_hash", "/announce?info_hash=" + Announce.encode(java.util.Arrays.copyOf(h, 19)) + "&" +
                newPeer + "&port=7002" + rest, "info_hash must be 20 bytes" },
            { "21-byte info_hash", "/announce?" + hash + "%00&" + newPeer + "&port=7002" + rest,
                "info_hash must be 20 bytes" },
            { "missing peer_id", "/announce?" + hash + "&port=7002" + rest, "missing peer_id" },
            { "short peer_id", "/announce?" + hash + "&peer_id=abc&port=7002" + rest, "peer_id must be 20 bytes" },
            { "port=0", "/announce?" + hash + "&" + newPeer + "&port=0" + rest, "port" },
            { "port=65536", "/announce?" + hash + "&" + newPeer + "&port=65536" + rest, "port" },
            { "missing port", "/announce?" + hash + "&" + newPeer + rest, "missing port" },
            { "negative numwant", "/announce?" + hash + "&" + newPeer + "&port=7002" + rest + "&numwant=-1",
                "numwant" },
            { "bad event", "/announce?" + hash + "&" + newPeer + "&port=7002" + rest + "&event=finished", "event" },
            { "malformed %-escape in a key", "/announce?" + hash + "&" + newPeer + "&port=7002" + rest + "&%zz=1",
                "malformed percent-encoding" },
            { "truncated %-escape in info_hash", "/announce?info_hash=" + Announce.encode(h).substring(0, 10) +
                "%4&" + newPeer + "&port=7002" + rest, null },
            { "non-hex %-escape in peer_id", "/announce?" + hash + "&peer_id=%GG" + Announce.encode(peerId(2))
                .substring(3) + "&port=7002" + rest, null },
            { "negative left", "/announce?" + hash + "&" + newPeer + "&port=7002&left=-5", "left" },
            { "scrape without info_hash", "/scrape", "missing info_hash" },
            { "scrape with a short info_hash", "/scrape?info_hash=abc", "info_hash must be 20 bytes" },
            { "scrape with a malformed %-escape", "/scrape?" + hash + "&%g=1", "malformed percent-encoding" },
        };
        for (final String[] c : cases)
        {
            try (RawHttpClient client = tracker.connect())
            {
                final RawHttpClient.Response response = client.exchange(c[1]);
                assertEquals(200, response.status, () -> c[0] + ": " + response);
                final Map<String, Object> body = response.bencoded();
                assertFailure(body, c[2] == null ? "" : c[2], c[0]);
                assertEquals("keep-alive", response.header("Connection"), c[0] + ": a client error keeps the connection");
                // The same connection still serves.
                assertCounts(tracker.scrape(h), 0, 1, 0);
                final RawHttpClient.Response next = client.exchange(Announce.scrapeTarget(h));
                assertEquals(200, next.status, c[0]);
            }
        }
        assertCounts(tracker.scrape(h), 0, 1, 0);
        assertEquals(List.of(7001), compactPorts(tracker.announce(leecher(h, peerId(3), 7003))),
            "none of the rejected announces added a peer");
    }

    // ---------------------------------------------------------------- HTTP layer

    @Test
    void unknownPathIs404AndPostIs405() throws IOException
    {
        try (RawHttpClient client = tracker.connect())
        {
            final RawHttpClient.Response r = client.exchange("/announcex?info_hash=x");
            assertEquals(404, r.status, r::toString);
            assertTrue(client.awaitClose(5_000), "closed after an HTTP error");
        }
        try (RawHttpClient client = tracker.connect())
        {
            assertEquals(404, client.exchange("/").status);
        }
        try (RawHttpClient client = tracker.connect())
        {
            final String target = leecher(hash("post"), peerId(1), 7001).target();
            client.send("POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
            final RawHttpClient.Response r = client.readResponse();
            assertEquals(405, r.status, r::toString);
            assertEquals("close", r.header("Connection"));
            assertTrue(client.awaitClose(5_000));
        }
        assertCounts(tracker.scrape(hash("post")), 0, 0, 0);
    }

    @Test
    void keepAliveServesThreeRequestsOnOneConnection() throws IOException
    {
        final byte[] h = hash("keep-alive");
        try (RawHttpClient client = tracker.connect())
        {
            final RawHttpClient.Response a = client.exchange(leecher(h, peerId(1), 7001).target());
            assertEquals("keep-alive", a.header("Connection"));
            assertCounts(a.bencoded(), 0, 1, 0);
            final RawHttpClient.Response b = client.exchange(seeder(h, peerId(2), 7002).target());
            assertEquals("keep-alive", b.header("Connection"));
            assertCounts(b.bencoded(), 1, 1, 0);
            final RawHttpClient.Response c = client.exchange(Announce.scrapeTarget(h));
            assertEquals("keep-alive", c.header("Connection"));
            assertNotNull(c.bencoded().get("files"));
            assertFalse(client.awaitClose(100), "the connection stays open");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void pipelinedRequestsAreAnsweredInOrder() throws IOException
    {
        final byte[] h = hash("pipelined");
        try (RawHttpClient client = tracker.connect())
        {
            client.send(RawHttpClient.get(seeder(h, peerId(1), 7001).target()) +
                RawHttpClient.get(leecher(h, peerId(2), 7002).target()) +
                RawHttpClient.get(Announce.scrapeTarget(h)));
            final Map<String, Object> first = client.readResponse().bencoded();
            final Map<String, Object> second = client.readResponse().bencoded();
            final Map<String, Object> third = client.readResponse().bencoded();
            assertCounts(first, 1, 0, 0);
            assertEquals(List.of(), compactPorts(first));
            assertCounts(second, 1, 1, 0);
            assertEquals(List.of(7001), compactPorts(second));
            final Map<String, Object> files = (Map<String, Object>)third.get("files");
            assertNotNull(files, () -> "third answer is not the scrape: " + third);
            assertCounts((Map<String, Object>)files.get(BencodeTestDecoder.latin1(h)), 1, 1, 0);
        }
    }

    @Test
    void pipelinedBurstLargerThanTheReceiveBufferIsAnsweredInOrder() throws IOException
    {
        final byte[] h = hash("pipelined-burst");
        final int n = 12;
        final StringBuilder burst = new StringBuilder();
        for (int i = 1; i <= n; i++)
        {
            burst.append(RawHttpClient.get(leecher(h, peerId(i), 7000 + i).target()));
        }
        assertTrue(burst.length() > 2 * MAX_REQUEST_BYTES, "the burst must not fit the receive buffer");
        try (RawHttpClient client = tracker.connect())
        {
            client.send(burst.toString());
            for (int i = 1; i <= n; i++)
            {
                final RawHttpClient.Response r = client.readResponse();
                assertEquals(200, r.status);
                assertCounts(r.bencoded(), 0, i, 0);
                assertEquals(i - 1, compactPorts(r.bencoded()).size());
            }
            assertEquals(200, client.exchange(Announce.scrapeTarget(h)).status, "the connection still serves");
        }
    }

    @Test
    void http10WithoutKeepAliveGetsConnectionCloseAndIsClosed() throws IOException
    {
        final byte[] h = hash("http10");
        try (RawHttpClient client = tracker.connect())
        {
            client.send("GET " + leecher(h, peerId(1), 7001).target() + " HTTP/1.0\r\n\r\n");
            final RawHttpClient.Response r = client.readResponse();
            assertEquals(200, r.status);
            assertEquals("close", r.header("Connection"));
            assertCounts(r.bencoded(), 0, 1, 0);
            assertTrue(client.awaitClose(5_000), "HTTP/1.0 without keep-alive is closed after the answer");
        }
        try (RawHttpClient client = tracker.connect())
        {
            client.send("GET " + Announce.scrapeTarget(h) + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            final RawHttpClient.Response r = client.readResponse();
            assertEquals("keep-alive", r.header("Connection"), "HTTP/1.0 may ask for keep-alive");
            assertEquals(200, client.exchange(Announce.scrapeTarget(h)).status);
        }
        try (RawHttpClient client = tracker.connect())
        {
            client.send("GET " + Announce.scrapeTarget(h) + " HTTP/1.1\r\nConnection: close\r\n\r\n");
            assertEquals("close", client.readResponse().header("Connection"));
            assertTrue(client.awaitClose(5_000), "HTTP/1.1 with Connection: close is closed after the answer");
        }
    }

    @Test
    void oversizedRequestGets431AndIsClosed() throws IOException
    {
        final byte[] h = hash("oversized");
        try (RawHttpClient client = tracker.connect())
        {
            final StringBuilder target = new StringBuilder(leecher(h, peerId(1), 7001).target()).append("&pad=");
            while (target.length() < MAX_REQUEST_BYTES + 100)
            {
                target.append('x');
            }
            client.send(RawHttpClient.get(target.toString()));
            final RawHttpClient.Response r = client.readResponse();
            assertEquals(431, r.status, r::toString);
            assertEquals("close", r.header("Connection"));
            assertTrue(client.awaitClose(5_000));
        }
        assertCounts(tracker.scrape(h), 0, 0, 0);
    }

    @Test
    void tooManyHeadersGets431() throws IOException
    {
        final byte[] h = hash("headers");
        try (RawHttpClient client = tracker.connect())
        {
            final StringBuilder request = new StringBuilder("GET ").append(leecher(h, peerId(1), 7001).target())
                .append(" HTTP/1.1\r\n");
            for (int i = 0; i <= MAX_HEADERS; i++)
            {
                request.append("X-").append(i).append(": y\r\n");
            }
            client.send(request.append("\r\n").toString());
            final RawHttpClient.Response r = client.readResponse();
            assertEquals(431, r.status, r::toString);
            assertTrue(client.awaitClose(5_000));
        }
        assertCounts(tracker.scrape(h), 0, 0, 0);
        try (RawHttpClient client = tracker.connect())
        {
            final StringBuilder request = new StringBuilder("GET ").append(leecher(h, peerId(1), 7001).target())
                .append(" HTTP/1.1\r\n");
            for (int i = 0; i < MAX_HEADERS; i++)
            {
                request.append("X-").append(i).append(": y\r\n");
            }
            client.send(request.append("\r\n").toString());
            assertEquals(200, client.readResponse().status, "exactly max_headers headers are fine");
        }
    }

    /**
     * A one-request client is answered and then sees a clean end of stream, not a reset; so is one whose request
     * arrives only after the listener's TCP_DEFER_ACCEPT period, which the tracker accepts with nothing to read
     * yet and has to wait for through the selector.
     */
    @Test
    void closingClientsAreAnsweredAndSeeACleanEndWhetherTheRequestCameAtOnceOrLate() throws Exception
    {
        final byte[] h = hash("close");
        final String request = "GET " + leecher(h, peerId(1), 7001).target() +
            " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        for (final long delayMs : new long[] { 0, 1_300 })
        {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", tracker.port()))
            {
                socket.setSoTimeout(10_000);
                Thread.sleep(delayMs);
                socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                // readAllBytes ends at FIN; a reset would throw instead.
                final String answer = new String(socket.getInputStream().readAllBytes(),
                    java.nio.charset.StandardCharsets.ISO_8859_1);
                assertTrue(answer.startsWith("HTTP/1.1 200"), delayMs + " ms: " + answer);
                assertTrue(answer.contains("Connection: close"), answer);
                assertTrue(answer.contains("8:intervali"), answer);
            }
        }
    }

    @Test
    void slowPartialRequestIsClosedAfterRequestTimeout() throws IOException
    {
        try (RawHttpClient client = tracker.connect())
        {
            final long start = System.nanoTime();
            client.send("GET /announce?info_hash=");
            assertTrue(client.awaitClose(5_000), "a request that never completes is closed");
            final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs >= REQUEST_TIMEOUT_MS, "closed too early: " + elapsedMs + " ms");
        }
        // Trickling bytes does not extend the deadline: the clock runs from the request's first byte.
        try (RawHttpClient client = tracker.connect())
        {
            final long start = System.nanoTime();
            client.send("GET /scr");
            boolean closed = false;
            for (int i = 0; i < 40 && !closed; i++)
            {
                closed = client.awaitClose(100);
                if (!closed)
                {
                    try
                    {
                        client.send("a");
                    }
                    catch (final IOException ex)
                    {
                        closed = true;
                    }
                }
            }
            final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(closed, "a trickling request is closed");
            assertTrue(elapsedMs < 3_000, "trickling extended the request timeout: " + elapsedMs + " ms");
        }
    }

    @Test
    void idleKeepAliveConnectionIsClosedAfterIdleTimeout() throws IOException
    {
        // Clocks start before we send: the server's idle clock starts later (when it writes), so the lower bound
        // is exact and the check holds however slowly this machine runs.
        try (RawHttpClient client = tracker.connect())
        {
            final long start = System.nanoTime();
            assertEquals(200, client.exchange(Announce.scrapeTarget(hash("idle"))).status);
            assertTrue(client.awaitClose(5_000), "an idle keep-alive connection is closed");
            final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs >= IDLE_TIMEOUT_MS, "closed too early: " + elapsedMs + " ms");
        }
        final long start = System.nanoTime();
        try (RawHttpClient client = tracker.connect())
        {
            assertTrue(client.awaitClose(5_000), "a connection that never sends is closed too");
            final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs >= IDLE_TIMEOUT_MS, "closed too early: " + elapsedMs + " ms");
        }
    }

    @Test
    void trackerStillServesAfterBadInput() throws IOException
    {
        final byte[] h = hash("survivor");
        tracker.announce(seeder(h, peerId(1), 7001));
        final List<byte[]> garbage = new ArrayList<>();
        garbage.add("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        garbage.add("GARBAGE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        garbage.add("GET /announce\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        garbage.add("GET /announce HTTP/2.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        garbage.add("GET /announce HTTP/1.1\r\nno colon here\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        garbage.add("GET /announce HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        garbage.add("GET /announce HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII));
        final byte[] binary = new byte[MAX_REQUEST_BYTES * 2];
        for (int i = 0; i < binary.length; i++)
        {
            binary[i] = (byte)(i * 31 + 7);
        }
        garbage.add(binary);
        for (final byte[] g : garbage)
        {
            try (RawHttpClient client = tracker.connect())
            {
                client.send(g);
                assertTrue(client.awaitCloseAfterAnyResponse(5_000), "bad input ends with the connection closed");
            }
        }
        // Connections dropped half-way.
        for (int i = 0; i < 5; i++)
        {
            try (RawHttpClient client = tracker.connect())
            {
                client.send("GET /announce?info_hash=" + Announce.encode(h));
            }
        }
        final Map<String, Object> r = tracker.announce(leecher(h, peerId(2), 7002));
        assertNull(r.get("failure reason"));
        assertEquals(List.of(7001), compactPorts(r));
        assertCounts(tracker.scrape(h), 1, 1, 0);
    }

    // ---------------------------------------------------------------- peer identity

    @Test
    void sameClientWithNewPortOrKeyUpdatesItsOneEntry() throws IOException
    {
        final byte[] h = hash("identity");
        tracker.announce(leecher(h, peerId(1), 7001).key("aaaa1111"));
        assertCounts(tracker.announce(leecher(h, peerId(1), 7002).key("bbbb2222")), 0, 1, 0);
        assertCounts(tracker.announce(leecher(h, peerId(1), 7003)), 0, 1, 0);
        assertCounts(tracker.scrape(h), 0, 1, 0);
        final Map<String, Object> other = tracker.announce(leecher(h, peerId(2), 7100));
        assertEquals(List.of(7003), compactPorts(other), "the one entry carries the latest port");
        assertCounts(tracker.scrape(h), 0, 2, 0);
    }

    @Test
    void peerIdFromAnotherAddressIsRefusedUnlessItProvesItsKey() throws IOException
    {
        final byte[] h = hash("identity-conflict");
        tracker.announce(leecher(h, peerId(1), 7001).key("aaaa1111"));
        tracker.announce(leecher(h, peerId(2), 7002));
        // A stranger at another address reusing the peer id: refused, and cannot stop the peer either.
        try (RawHttpClient stranger = new RawHttpClient(tracker.port(), "127.0.0.2"))
        {
            assertFailure(stranger.exchange(leecher(h, peerId(1), 9001).target()).bencoded(), "peer_id");
            assertFailure(stranger.exchange(leecher(h, peerId(1), 9001).key("bbbb2222").target()).bencoded(),
                "peer_id");
            assertFailure(stranger.exchange(leecher(h, peerId(1), 9001).event("stopped").target()).bencoded(),
                "peer_id");
        }
        assertCounts(tracker.scrape(h), 0, 2, 0);
        assertEquals(List.of(7001), compactPorts(tracker.announce(leecher(h, peerId(2), 7002))));

        // The same client after an address change proves itself with its key: the one entry moves.
        try (RawHttpClient moved = new RawHttpClient(tracker.port(), "127.0.0.2"))
        {
            final Map<String, Object> r = moved.exchange(leecher(h, peerId(1), 9001).key("aaaa1111").target())
                .bencoded();
            assertCounts(r, 0, 2, 0);
        }
        final byte[] peers = (byte[])tracker.announce(leecher(h, peerId(2), 7002)).get("peers");
        assertArrayEquals(new byte[] { 127, 0, 0, 2, (byte)(9001 >> 8), (byte)(9001 & 0xFF) }, peers,
            "the moved peer is handed out at its new address and port");
    }

    // ---------------------------------------------------------------- helpers

    static void assertCounts(final Map<String, Object> m, final long complete, final long incomplete,
        final long downloaded)
    {
        assertNull(m.get("failure reason"), () -> "unexpected failure: " + failureText(m));
        assertEquals(complete, m.get("complete"), () -> "complete in " + m);
        assertEquals(incomplete, m.get("incomplete"), () -> "incomplete in " + m);
        assertEquals(downloaded, m.get("downloaded"), () -> "downloaded in " + m);
    }

    static void assertFailure(final Map<String, Object> m, final String contains)
    {
        assertFailure(m, contains, "");
    }

    static void assertFailure(final Map<String, Object> m, final String contains, final String what)
    {
        final String reason = failureText(m);
        assertNotNull(reason, () -> what + ": expected a failure reason, got " + m.keySet());
        assertFalse(reason.isEmpty(), what);
        assertTrue(reason.contains(contains), () -> what + ": failure reason '" + reason + "' lacks '" + contains + "'");
        assertNull(m.get("peers"), what + ": a failure carries no peers");
        assertNull(m.get("files"), what + ": a failure carries no files");
    }

    static String failureText(final Map<String, Object> m)
    {
        final Object reason = m.get("failure reason");
        return reason == null ? null : new String((byte[])reason, StandardCharsets.UTF_8);
    }
}
