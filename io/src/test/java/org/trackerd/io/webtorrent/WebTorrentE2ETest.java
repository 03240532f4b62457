package org.trackerd.io.webtorrent;

import com.fasterxml.jackson.databind.JsonNode;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.Tracker;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.tls.TestCa;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * WebTorrent on the real tracker: trackerd with {@code webtorrent.enabled} on loopback, its HTTP listener upgraded
 * to WebSocket. The npm {@code bittorrent-tracker} client ({@code ws-client.mjs}, real WebRTC offers and answers)
 * runs its whole scenario against it (announce, offer relay, answer relay, scrape, stop); a raw client over a
 * plain socket sends what a hostile one would (an oversized frame, malformed JSON, an answer to an offer never
 * sent, too many offers) and each gets its close code or error message and its counter.
 */
class WebTorrentE2ETest
{
    private static final Path FIXTURE = NodeScenario.FIXTURE;
    private static final long TIMEOUT_S = 60;

    @TempDir
    Path dir;
    private TrackerHarness harness;

    private TrackerHarness start() throws IOException
    {
        harness = new TrackerHarness(dir)
            .set("webtorrent", "enabled", "true")
            .set("webtorrent", "max_message_bytes", "16384")
            .set("webtorrent", "max_offers", "3")
            .set("webtorrent", "max_unsolicited_answers", "1");
        return harness.start();
    }

    @AfterEach
    void stop()
    {
        if (harness != null)
        {
            harness.close();
        }
    }

    @Test
    void npmClientScenarioAgainstTrackerd() throws Exception
    {
        requireFixture();
        start();
        runNpmScenario("ws://127.0.0.1:" + harness.port() + "/announce", null);
    }

    /** The same scenario over {@code wss://}: the TLS listener's connections upgrade the same way. */
    @Test
    void npmClientScenarioOverWss() throws Exception
    {
        requireFixture();
        Assumptions.assumeTrue(TestCa.available(), "openssl not installed");
        final TestCa ca = TestCa.create(dir.resolve("ca"));
        final TestCa.Pair pair = ca.server("server", TestCa.KeyKind.EC_PKCS8, 30);
        harness = new TrackerHarness(dir.resolve("t"))
            .set("tls", "listen", "[\"127.0.0.1:0\"]")
            .set("tls", "certificate_chain_file", "\"" + pair.chain() + "\"")
            .set("tls", "private_key_file", "\"" + pair.key() + "\"")
            .set("webtorrent", "enabled", "true");
        harness.start();
        runNpmScenario("wss://127.0.0.1:" + harness.tracker().tlsAddresses().get(0).getPort() + "/announce",
            ca.caCertificate);
    }

    private void runNpmScenario(final String url, final Path extraCa) throws Exception
    {
        final ProcessBuilder builder = NodeScenario.client(url);
        if (extraCa != null)
        {
            builder.environment().put("NODE_EXTRA_CA_CERTS", extraCa.toString());
        }
        NodeScenario.run(builder);
        final Tracker tracker = harness.tracker();
        assertTrue(counter(tracker, "webtorrent_offers_relayed") >= 1);
        assertTrue(counter(tracker, "webtorrent_answers_relayed") >= 1);
        assertEquals(0, counter(tracker, "webtorrent_answers_unsolicited"));
        // both stopped (or their sockets closed): the WebRTC sets are empty again
        assertTrue(await(() -> counter(tracker, "webtorrent_peers") == 0), "peers left");
    }

    @Test
    void oversizedFrameIsClosedWith1009() throws Exception
    {
        start();
        try (RawWebSocket ws = new RawWebSocket(harness.port()))
        {
            ws.sendHeaderOnly(0x1, 1 << 20); // a 1 MiB text frame announced; nothing more needs to be sent
            final RawWebSocket.Frame close = ws.read();
            assertEquals(0x8, close.opcode());
            assertEquals(1009, close.closeCode());
            ws.expectEof();
        }
        assertTrue(counter(harness.tracker(), "webtorrent_protocol_closes") >= 1);
    }

    @Test
    void malformedJsonGetsAFailureReasonAndTheConnectionStays() throws Exception
    {
        start();
        try (RawWebSocket ws = new RawWebSocket(harness.port()))
        {
            ws.sendText("{\"action\":\"announce\",");
            final RawWebSocket.Frame failure = ws.read();
            assertEquals(0x1, failure.opcode());
            assertTrue(failure.text().contains("failure reason"), failure.text());
            ws.sendText(announce(hash('a'), hash('p'), 0, ""));
            final JsonNode answer = WebTorrentCodecTest.MAPPER.readTree(ws.read().text());
            assertEquals("announce", answer.get("action").asText());
            assertEquals(1, answer.get("incomplete").asInt() + answer.get("complete").asInt());
        }
        assertTrue(counter(harness.tracker(), "webtorrent_messages_malformed") >= 1);
    }

    @Test
    void answerToAnOfferNeverSentIsRefusedThenTheConnectionClosed() throws Exception
    {
        start();
        try (RawWebSocket ws = new RawWebSocket(harness.port()))
        {
            ws.sendText(announce(hash('b'), hash('p'), 0, ""));
            assertEquals("announce", WebTorrentCodecTest.MAPPER.readTree(ws.read().text()).get("action").asText());
            final String answer = "{\"action\":\"announce\",\"info_hash\":\"" + hash('b') + "\",\"peer_id\":\"" +
                hash('p') + "\",\"to_peer_id\":\"" + hash('q') + "\",\"offer_id\":\"" + hash('o') +
                "\",\"answer\":{\"type\":\"answer\",\"sdp\":\"v=0\"}}";
            ws.sendText(answer);
            final RawWebSocket.Frame refused = ws.read();
            assertTrue(refused.text().contains("answer to an offer that was not sent"), refused.text());
            ws.sendText(answer); // past webtorrent.max_unsolicited_answers (1): closed with 1008
            final RawWebSocket.Frame close = ws.read();
            assertEquals(0x8, close.opcode());
            assertEquals(1008, close.closeCode());
        }
        assertTrue(counter(harness.tracker(), "webtorrent_answers_unsolicited") >= 2);
        assertTrue(counter(harness.tracker(), "webtorrent_unsolicited_closes") >= 1);
    }

    @Test
    void tooManyOffersAreCutToTheBoundAndRelayedToOtherPeers() throws Exception
    {
        start();
        try (RawWebSocket seeder = new RawWebSocket(harness.port());
            RawWebSocket leecher = new RawWebSocket(harness.port()))
        {
            seeder.sendText(announce(hash('c'), hash('s'), 0, ""));
            assertEquals("announce", WebTorrentCodecTest.MAPPER.readTree(seeder.read().text()).get("action").asText());
            final StringBuilder offers = new StringBuilder();
            for (int i = 0; i < 6; i++)
            {
                offers.append(i == 0 ? "" : ",").append("{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0 offer ")
                    .append(i).append("\"},\"offer_id\":\"").append(hash((char)('0' + i))).append("\"}");
            }
            leecher.sendText(announce(hash('c'), hash('l'), 100, offers.toString()));
            final JsonNode answer = WebTorrentCodecTest.MAPPER.readTree(leecher.read().text());
            assertEquals(1, answer.get("complete").asInt());
            assertEquals(1, answer.get("incomplete").asInt());
            // one other peer: one offer relayed, the first, with the offering peer and info_hash
            final JsonNode offer = WebTorrentCodecTest.MAPPER.readTree(seeder.read().text());
            assertEquals("v=0 offer 0", offer.get("offer").get("sdp").asText());
            assertEquals(hash('l'), offer.get("peer_id").asText());
            assertEquals(hash('0'), offer.get("offer_id").asText());
            // the seeder answers it: relayed to the leecher
            seeder.sendText("{\"action\":\"announce\",\"info_hash\":\"" + hash('c') + "\",\"peer_id\":\"" +
                hash('s') + "\",\"to_peer_id\":\"" + hash('l') + "\",\"offer_id\":\"" + hash('0') +
                "\",\"answer\":{\"type\":\"answer\",\"sdp\":\"v=0 answer\"}}");
            final JsonNode relayed = WebTorrentCodecTest.MAPPER.readTree(leecher.read().text());
            assertEquals("v=0 answer", relayed.get("answer").get("sdp").asText());
            assertEquals(hash('s'), relayed.get("peer_id").asText());
        }
        assertEquals(3, counter(harness.tracker(), "webtorrent_offers_dropped"));
        assertEquals(1, counter(harness.tracker(), "webtorrent_answers_relayed"));
        assertTrue(await(() -> counter(harness.tracker(), "webtorrent_peers") == 0), "closed sockets leave");
    }

    @Test
    void plainHttpAnnounceStillWorksAndCountsWebRtcPeers() throws Exception
    {
        start();
        try (RawWebSocket ws = new RawWebSocket(harness.port()))
        {
            ws.sendText(announce(hash('d'), hash('w'), 0, ""));
            ws.read();
            final byte[] infoHash = hash('d').getBytes(StandardCharsets.ISO_8859_1);
            final java.util.Map<String, Object> scrape = harness.scrape(infoHash);
            assertEquals(1L, ((Number)scrape.get("complete")).longValue());
            ws.sendText("{\"action\":\"scrape\",\"info_hash\":\"" + hash('d') + "\"}");
            assertEquals("scrape", WebTorrentCodecTest.MAPPER.readTree(ws.read().text()).get("action").asText());
        }
        // WebSocket requests under protocol="ws", the HTTP scrape under "http"
        assertEquals(1, counter(harness.tracker(),
            "requests{protocol=\"ws\",action=\"announce\",family=\"ipv4\",outcome=\"ok\""));
        assertEquals(1, counter(harness.tracker(),
            "requests{protocol=\"ws\",action=\"scrape\",family=\"ipv4\",outcome=\"ok\""));
        assertEquals(0, counter(harness.tracker(), "requests{protocol=\"http\",action=\"announce\""));
        assertEquals(1, counter(harness.tracker(),
            "requests{protocol=\"http\",action=\"scrape\",family=\"ipv4\",outcome=\"ok\""));
    }

    /**
     * Access control covers WebSocket requests: a torrent on the deny list is refused, and the JWT of the upgrade
     * URL is checked on every announce (its infohash claim too); without one, announces are refused.
     */
    @Test
    void accessListsAndTheUpgradeUrlsJwtAreCheckedOnEveryAnnounce() throws Exception
    {
        final String secret = "webtorrent-e2e-hs256-secret-long-enough";
        final Path denied = dir.resolve("denied.txt");
        Files.writeString(denied, hex(hash('e')) + "\n");
        harness = new TrackerHarness(dir)
            .set("webtorrent", "enabled", "true")
            .set("access", "torrent_list_mode", "\"deny\"")
            .set("access", "torrent_list_file", "\"" + denied + "\"")
            .set("access", "jwt", "{\"enabled\": true, \"hs256_secret\": \"" + secret + "\"}");
        harness.start();
        final String token = com.auth0.jwt.JWT.create().withExpiresAt(java.time.Instant.now().plusSeconds(600))
            .withClaim("infohash", hex(hash('f'))).sign(com.auth0.jwt.algorithms.Algorithm.HMAC256(secret));
        try (RawWebSocket ws = new RawWebSocket(harness.port(), "/announce?jwt=" + token))
        {
            ws.sendText(announce(hash('f'), hash('p'), 0, ""));
            final JsonNode ok = WebTorrentCodecTest.MAPPER.readTree(ws.read().text());
            assertEquals(1, ok.get("complete").asInt(), ok.toString());
            ws.sendText(announce(hash('g'), hash('p'), 0, ""));
            final JsonNode other = WebTorrentCodecTest.MAPPER.readTree(ws.read().text());
            assertEquals("invalid jwt: infohash does not match", other.get("failure reason").asText(), other.toString());
        }
        try (RawWebSocket ws = new RawWebSocket(harness.port()))
        {
            ws.sendText(announce(hash('e'), hash('p'), 0, ""));
            final JsonNode refused = WebTorrentCodecTest.MAPPER.readTree(ws.read().text());
            assertTrue(refused.has("failure reason"), refused.toString());
            ws.sendText(announce(hash('f'), hash('p'), 0, ""));
            final JsonNode missing = WebTorrentCodecTest.MAPPER.readTree(ws.read().text());
            assertEquals("missing jwt", missing.get("failure reason").asText(), missing.toString());
        }
        assertTrue(counter(harness.tracker(), "access_rejected") >= 3);
    }

    /** A silent client is pinged, and one that does not even answer pings is closed with 1001 and counted. */
    @Test
    void silenceIsPingedThenClosed() throws Exception
    {
        harness = new TrackerHarness(dir)
            .set("webtorrent", "enabled", "true")
            .set("webtorrent", "ping_interval_ms", "300")
            .set("webtorrent", "idle_timeout_ms", "1000");
        harness.start();
        try (RawWebSocket ws = new RawWebSocket(harness.port()))
        {
            final RawWebSocket.Frame ping = ws.read();
            assertEquals(0x9, ping.opcode());
            final RawWebSocket.Frame close = ws.read();
            assertEquals(0x8, close.opcode());
            assertEquals(1001, close.closeCode());
            ws.expectEof();
        }
        assertEquals(1, counter(harness.tracker(), "webtorrent_idle_closes"));
    }

    /** Upgrades past {@code webtorrent.max_connections_per_ip} get 429; closing one makes room again. */
    @Test
    void connectionsPerAddressAreBounded() throws Exception
    {
        harness = new TrackerHarness(dir)
            .set("webtorrent", "enabled", "true")
            .set("webtorrent", "max_connections_per_ip", "1");
        harness.start();
        try (RawWebSocket first = new RawWebSocket(harness.port()))
        {
            try (java.net.Socket second = new java.net.Socket("127.0.0.1", harness.port()))
            {
                second.setSoTimeout(10_000);
                second.getOutputStream().write(("GET /announce HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                    "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                final String answer = new String(second.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(answer.startsWith("HTTP/1.1 429"), answer);
            }
            first.sendText(announce(hash('h'), hash('p'), 0, ""));
            assertEquals("announce", WebTorrentCodecTest.MAPPER.readTree(first.read().text()).get("action").asText());
        }
        assertTrue(await(() -> counter(harness.tracker(), "webtorrent_connections_open") == 0), "closed");
        try (RawWebSocket again = new RawWebSocket(harness.port()))
        {
            again.sendText(announce(hash('h'), hash('p'), 0, ""));
            assertEquals("announce", WebTorrentCodecTest.MAPPER.readTree(again.read().text()).get("action").asText());
        }
        assertEquals(1, counter(harness.tracker(), "webtorrent_upgrades_refused"));
    }

    /** Invalid UTF-8 in a text message closes the connection with 1007 (and nothing of it reaches the engine). */
    @Test
    void invalidUtf8IsClosedWith1007() throws Exception
    {
        start();
        try (RawWebSocket ws = new RawWebSocket(harness.port()))
        {
            ws.sendTextBytes(new byte[] { '{', '"', 'a', (byte)0xC0, (byte)0xAF, '"', '}' }); // an overlong '/'
            final RawWebSocket.Frame close = ws.read();
            assertEquals(0x8, close.opcode());
            assertEquals(1007, close.closeCode());
            ws.expectEof();
        }
        assertEquals(1, counter(harness.tracker(), "webtorrent_protocol_closes"));
        assertEquals(0, counter(harness.tracker(), "webtorrent_engine_announces"));
    }

    /** A flood of messages past {@code webtorrent.max_messages_per_second} is closed with 1008 and counted. */
    @Test
    void aFloodIsClosed() throws Exception
    {
        harness = new TrackerHarness(dir)
            .set("webtorrent", "enabled", "true")
            .set("webtorrent", "max_messages_per_second", "5");
        harness.start();
        try (RawWebSocket ws = new RawWebSocket(harness.port()))
        {
            for (int i = 0; i < 20; i++)
            {
                ws.sendText("{}"); // each is answered with a failure reason, until the window's bound
            }
            RawWebSocket.Frame f;
            int failures = 0;
            while ((f = ws.read()).opcode() == 0x1)
            {
                failures++;
            }
            assertEquals(5, failures, "the five messages of the window were answered");
            assertEquals(0x8, f.opcode());
            assertEquals(1008, f.closeCode());
        }
        assertEquals(1, counter(harness.tracker(), "webtorrent_flood_closes"));
    }

    // ---- helpers ----

    private static String hex(final String binary)
    {
        final StringBuilder sb = new StringBuilder();
        for (final char c : binary.toCharArray())
        {
            sb.append(String.format("%02x", (int)c));
        }
        return sb.toString();
    }

    private static String hash(final char c)
    {
        return String.valueOf(c).repeat(20);
    }

    private static String announce(final String infoHash, final String peerId, final long left, final String offers)
    {
        return "{\"action\":\"announce\",\"info_hash\":\"" + infoHash + "\",\"peer_id\":\"" + peerId +
            "\",\"numwant\":50,\"uploaded\":0,\"downloaded\":0,\"left\":" + left + ",\"event\":\"started\"" +
            (offers.isEmpty() ? "" : ",\"offers\":[" + offers + "]") + "}";
    }

    private static void requireFixture()
    {
        if (!Files.isDirectory(FIXTURE.resolve("node_modules/bittorrent-tracker")))
        {
            final String why = "npm ci has not run in " + FIXTURE.toAbsolutePath();
            if (System.getenv("CI") != null)
            {
                fail(why);
            }
            Assumptions.abort(why);
        }
    }

    static long counter(final Tracker tracker, final String name)
    {
        final CountersReader reader = tracker.counters();
        final long[] sum = {0};
        reader.forEach((id, type, key, label) ->
        {
            if (label.equals(name) || label.startsWith(name + "{") || name.contains("{") && label.startsWith(name))
            {
                sum[0] += reader.getCounterValue(id);
            }
        });
        return sum[0];
    }

    private static boolean await(final java.util.function.BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }
}
