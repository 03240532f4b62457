package org.trackerd.io.webtorrent;

import com.fasterxml.jackson.databind.JsonNode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Proves the Node fixture (src/test/node) and the codec against the real thing: the npm
 * {@code bittorrent-tracker} 11.2.3 client ({@code ws-client.mjs}, with real WebRTC offers and answers) runs its
 * whole scenario against the npm reference server ({@code ref-server.mjs}) on loopback. Then every message the
 * client sent is read by {@link WebTorrentRequestDecoder}, and every offer and answer the reference server
 * forwarded is written again by {@link WebTorrentResponseEncoder} from the decoded request and compared as
 * JSON. The same scenario then runs against {@link MiniWebTorrentTracker}, a tracker made of the codec alone.
 * When trackerd serves WebSocket, the same client script runs against it.
 *
 * <p>Needs {@code npm ci} in src/test/node (.ci/run does it); skipped without it, failed without it in CI.
 */
class NpmReferenceTrackerTest
{
    private static final Path FIXTURE = NodeScenario.FIXTURE;
    private static final long TIMEOUT_S = 60;

    @Test
    void npmClientAgainstTheReferenceServer() throws Exception
    {
        requireFixture();
        final Process server = new ProcessBuilder("node", "ref-server.mjs", "0", "--exit-on-stdin-end")
            .directory(FIXTURE.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try
        {
            final BlockingQueue<String> serverLines = lines(server, "ref-server");
            final String listening = serverLines.poll(TIMEOUT_S, TimeUnit.SECONDS);
            assertNotNull(listening, "reference server did not report its port");
            final int port = WebTorrentCodecTest.MAPPER.readTree(listening).get("listening").asInt();
            checkCodecAgainst(runClientScenario(port));
        }
        finally
        {
            server.getOutputStream().close(); // its stdin ends: it closes and exits
            if (!server.waitFor(10, TimeUnit.SECONDS))
            {
                server.destroyForcibly();
            }
        }
    }

    /**
     * The same scenario against a tracker made of trackerd's codec alone ({@link MiniWebTorrentTracker}): the npm
     * client's WebSocket library accepts the handshake and the server frames, and the JSON decoder and encoder
     * carry announce, offer relay, answer relay and scrape end to end.
     */
    @Test
    void npmClientAgainstTheCodec() throws Exception
    {
        requireFixture();
        try (MiniWebTorrentTracker tracker = new MiniWebTorrentTracker())
        {
            runClientScenario(tracker.port());
            assertEquals(null, tracker.error);
            assertEquals(0, tracker.failures.get(), "messages the codec refused");
            assertTrue(tracker.messages.get() >= 5, "messages " + tracker.messages.get());
            assertTrue(tracker.offersForwarded.get() >= 1 && tracker.answersRelayed.get() >= 1,
                "offers " + tracker.offersForwarded.get() + ", answers " + tracker.answersRelayed.get());
        }
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

    /** Runs ws-client.mjs against the port; asserts the scenario completed; returns every line it printed. */
    private static List<JsonNode> runClientScenario(final int port) throws Exception
    {
        return NodeScenario.run(NodeScenario.client("ws://127.0.0.1:" + port + "/announce", "--raw"));
    }

    private static void checkCodecAgainst(final List<JsonNode> seen) throws IOException
    {
        final WebTorrentRequestDecoder decoder = new WebTorrentRequestDecoder();
        final WebTorrentRequest request = new WebTorrentRequest(8, 16);
        final List<byte[]> sent = new ArrayList<>();
        int offers = 0;
        int answers = 0;
        for (final JsonNode line : seen)
        {
            if (line.has("wire") && "send".equals(line.get("dir").asText()))
            {
                final byte[] wire = line.get("wire").asText().getBytes(StandardCharsets.UTF_8);
                assertEquals(WebTorrentRequestDecoder.OK, decoder.decode(new UnsafeBuffer(wire), 0, wire.length, request),
                    line.get("wire").asText());
                sent.add(wire);
            }
        }
        assertTrue(sent.size() >= 5, "announces, an answer, a scrape and stops: " + sent.size());
        final UnsafeBuffer out = new UnsafeBuffer(new byte[65_536]);
        for (final JsonNode line : seen)
        {
            if (!line.has("wire") || !"recv".equals(line.get("dir").asText()))
            {
                continue;
            }
            final JsonNode received = WebTorrentCodecTest.MAPPER.readTree(line.get("wire").asText());
            if (received.has("offer") || received.has("answer"))
            {
                final boolean isOffer = received.has("offer");
                final byte[] wantedId = WebTorrentCodecTest.latin1(received.get("offer_id").asText());
                boolean matched = false;
                for (final byte[] wire : sent)
                {
                    final UnsafeBuffer in = new UnsafeBuffer(wire);
                    decoder.decode(in, 0, wire.length, request);
                    if (isOffer)
                    {
                        for (int i = 0; i < request.offerCount() && !matched; i++)
                        {
                            if (java.util.Arrays.equals(wantedId, WebTorrentCodecTest.bytes(request.offerIds(), 20 * i, 20)))
                            {
                                final int n = WebTorrentResponseEncoder.offer(out, 0, in, request.offerValueOffset(i),
                                    request.offerValueLength(i), request.offerIds(), 20 * i, request.peerId(), 0,
                                    request.infoHashes(), 0);
                                assertEquals(received, WebTorrentCodecTest.tree(WebTorrentCodecTest.bytes(out, 0, n)));
                                matched = true;
                            }
                        }
                    }
                    else if (request.hasAnswer() &&
                        java.util.Arrays.equals(wantedId, WebTorrentCodecTest.bytes(request.offerId(), 0, 20)))
                    {
                        final int n = WebTorrentResponseEncoder.answer(out, 0, in, request.answerValueOffset(),
                            request.answerValueLength(), request.offerId(), 0, request.peerId(), 0, request.infoHashes(), 0);
                        assertEquals(received, WebTorrentCodecTest.tree(WebTorrentCodecTest.bytes(out, 0, n)));
                        matched = true;
                    }
                }
                assertTrue(matched, "relayed message matches a sent one: " + line.get("wire").asText());
                offers += isOffer ? 1 : 0;
                answers += isOffer ? 0 : 1;
            }
        }
        assertTrue(offers >= 1 && answers >= 1, "offers " + offers + ", answers " + answers);
    }

    /** Reads a process's output lines on a daemon thread (it ends with the process). */
    private static BlockingQueue<String> lines(final Process process, final String name)
    {
        final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                for (String line; (line = in.readLine()) != null; )
                {
                    queue.add(line);
                }
            }
            catch (final IOException ignored)
            {
                // the process ended
            }
        }, name + "-stdout");
        reader.setDaemon(true);
        reader.start();
        return queue;
    }
}
