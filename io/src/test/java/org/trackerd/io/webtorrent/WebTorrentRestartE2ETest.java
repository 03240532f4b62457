package org.trackerd.io.webtorrent;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.e2e.TrackerProcess;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebRTC peers survive restarts through {@code webrtc.dat}: a tracker child process with WebTorrent peers on real
 * WebSocket connections is killed with SIGKILL, started again, and its HTTP scrape still counts each torrent's
 * WebRTC seeders, leechers and completions; a reloaded peer is sent no offer (its connection died with the old
 * process) until it announces again on a new connection, after which offers reach it. Then a SIGTERM: the open
 * connections close without their peers leaving, the clean marker is written, and the next start counts them all.
 */
@Timeout(120)
class WebTorrentRestartE2ETest
{
    private static final String X = "x".repeat(20);
    private static final String Y = "y".repeat(20);

    @TempDir
    Path dir;

    private TrackerProcess child;

    @AfterEach
    void stop() throws InterruptedException
    {
        if (child != null)
        {
            child.close();
        }
    }

    @Test
    void webRtcPeersAndCompletionsSurviveKillNineAndSigterm() throws Exception
    {
        final TrackerHarness config = new TrackerHarness(dir)
            .set("webtorrent", "enabled", "true")
            .set("webtorrent", "max_peers", "1000");
        final Path configFile = config.writeConfig();
        child = TrackerProcess.start(configFile, dir);
        int port = child.awaitReady(60, TimeUnit.SECONDS);
        // torrent X: seeder s, leecher l who then completes; torrent Y: leecher p. Every announce is answered,
        // so the processor applied it (and wrote it through) before the kill.
        try (RawWebSocket s = new RawWebSocket(port);
            RawWebSocket l = new RawWebSocket(port);
            RawWebSocket p = new RawWebSocket(port))
        {
            announce(s, X, 's', 0, "started", 0);
            announce(l, X, 'l', 100, "started", 0);
            announce(l, X, 'l', 0, "completed", 0);
            announce(p, Y, 'p', 100, "started", 0);
            assertEquals(137, child.kill9(30, TimeUnit.SECONDS));
        }
        assertFalse(Files.exists(config.storagePath().resolve("webrtc.clean")), "no clean marker after kill -9");

        child = TrackerProcess.start(configFile, dir);
        port = child.awaitReady(60, TimeUnit.SECONDS);
        assertTrue(child.log().contains("recovered"), child.log());
        assertScrape(port, X, 2, 0, 1);
        assertScrape(port, Y, 0, 1, 0);

        try (RawWebSocket n = new RawWebSocket(port);
            RawWebSocket s = new RawWebSocket(port))
        {
            // a newcomer's offers: both reloaded peers of X are detached, so none is relayed (n's answer first)
            final JsonNode first = announce(n, X, 'n', 100, "started", 2);
            assertEquals(2, first.get("complete").asInt());
            assertEquals(1, first.get("incomplete").asInt());
            // s announces again on a new connection (same address): attached, it gets the newcomer's next offers
            final JsonNode again = announce(s, X, 's', 0, "", 0);
            assertEquals(2, again.get("complete").asInt());
            announce(n, X, 'n', 100, "", 2);
            final JsonNode offer = read(s);
            assertEquals("offer", offer.get("offer").get("type").asText());
            assertEquals(hash('n'), offer.get("peer_id").asText());
            // one offer only, the other target would be l, still detached: any second offer was written to s
            // before the first one's batch ended, so it would come before the answer to this scrape
            s.sendText("{\"action\":\"scrape\",\"info_hash\":\"" + X + "\"}");
            final JsonNode scrape = read(s);
            assertEquals("scrape", scrape.get("action").asText(), scrape.toString());
            assertEquals(0, child.terminate(60, TimeUnit.SECONDS));
        }
        assertTrue(Files.exists(config.storagePath().resolve("webrtc.clean")), child.log());

        child = TrackerProcess.start(configFile, dir);
        port = child.awaitReady(60, TimeUnit.SECONDS);
        assertTrue(child.log().contains("opened"), child.log());
        // the shutdown closed s's and n's connections without them leaving
        assertScrape(port, X, 2, 1, 1);
        assertScrape(port, Y, 0, 1, 0);
        assertEquals(0, child.terminate(60, TimeUnit.SECONDS));
    }

    private static void assertScrape(final int port, final String infoHash, final long complete,
        final long incomplete, final long downloaded) throws IOException
    {
        final Map<String, Object> scrape = TrackerHarness.scrape(port,
            infoHash.getBytes(StandardCharsets.ISO_8859_1));
        final String what = infoHash.charAt(0) + ": " + scrape;
        assertEquals(complete, ((Number)scrape.get("complete")).longValue(), what);
        assertEquals(incomplete, ((Number)scrape.get("incomplete")).longValue(), what);
        assertEquals(downloaded, ((Number)scrape.get("downloaded")).longValue(), what);
    }

    /** Sends an announce (with {@code offers} offers) and returns the tracker's announce answer. */
    private static JsonNode announce(final RawWebSocket ws, final String infoHash, final char peer, final long left,
        final String event, final int offers) throws IOException
    {
        final StringBuilder sb = new StringBuilder("{\"action\":\"announce\",\"info_hash\":\"").append(infoHash)
            .append("\",\"peer_id\":\"").append(hash(peer)).append("\",\"numwant\":").append(offers)
            .append(",\"uploaded\":0,\"downloaded\":0,\"left\":").append(left);
        if (!event.isEmpty())
        {
            sb.append(",\"event\":\"").append(event).append('"');
        }
        if (offers > 0)
        {
            sb.append(",\"offers\":[");
            for (int i = 0; i < offers; i++)
            {
                sb.append(i == 0 ? "" : ",").append("{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0 ").append(i)
                    .append("\"},\"offer_id\":\"").append(String.valueOf((char)('a' + i)).repeat(20)).append("\"}");
            }
            sb.append(']');
        }
        ws.sendText(sb.append('}').toString());
        final JsonNode answer = read(ws);
        assertTrue(answer.has("interval"), answer.toString());
        return answer;
    }

    private static JsonNode read(final RawWebSocket ws) throws IOException
    {
        final RawWebSocket.Frame f = ws.read();
        assertEquals(0x1, f.opcode(), f.text());
        return WebTorrentCodecTest.MAPPER.readTree(f.text());
    }

    private static String hash(final char c)
    {
        return String.valueOf(c).repeat(20);
    }
}
