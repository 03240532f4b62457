package org.trackerd.io.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tracker started with the smallest limits (16 torrents, 16 peers: the old ceiling) and a 1 MiB byte budget,
 * over real HTTP: it takes thousands of torrents and peers, {@code /check} warns from 90 % of the budget (status
 * still 200), and at the budget a new peer gets the tracker-full failure reason, counted in the metrics.
 */
class StoreGrowthE2ETest
{
    private static final long BUDGET = 1L << 20;
    /** Bytes counted per torrent and per peer (StoreSizing's calibrated figures). */
    private static final long PER_TORRENT = 64;
    private static final long PER_PEER = 64;

    @TempDir
    Path dir;

    private TrackerHarness harness;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop()
    {
        if (harness != null)
        {
            harness.close();
        }
    }

    @Test
    void tinyLimitsGrowToTheByteBudgetWithACheckWarningAndThenRefuse() throws Exception
    {
        harness = new TrackerHarness(dir)
            .set("storage", "max_torrents", "16")
            .set("storage", "max_peers", "16")
            .set("storage", "max_bytes", String.valueOf(BUDGET))
            .set("metrics", "listen", "\"127.0.0.1:0\"")
            .set("engine", "expiry_tick_ms", "20")
            .start();
        final String metrics = "http://127.0.0.1:" + harness.tracker().metricsAddress().getPort();
        final int torrents = 4000; // 250 times the old max_torrents
        try (RawHttpClient client = harness.connect())
        {
            for (int t = 0; t < torrents; t++)
            {
                assertOk(client, Announce.leecher(Announce.hash("grow-" + t), Announce.peerId(1), 1000 + t % 50000));
            }
            assertNull(warning(metrics), "49 % of the budget: no warning");
            // One more swarm grows until the store holds 91 % of its budget.
            final byte[] big = Announce.hash("grow-big");
            final long base = (torrents + 1) * PER_TORRENT + torrents * PER_PEER;
            final long peersTo91 = (BUDGET * 91 / 100 - base) / PER_PEER;
            int peer = 0;
            for (; peer < peersTo91; peer++)
            {
                assertOk(client, Announce.leecher(big, Announce.peerId(peer), 1 + peer % 60000));
            }
            final String line = awaitWarning(metrics);
            assertTrue(line.startsWith("store at 9") && line.contains("storage.max_bytes"), line);
            // On to the budget: the first refusal comes exactly where the count reaches it.
            final long peersToFull = (BUDGET - base + PER_PEER - 1) / PER_PEER;
            for (; peer < peersToFull; peer++)
            {
                assertOk(client, Announce.leecher(big, Announce.peerId(peer), 1 + peer % 60000));
            }
            final Map<String, Object> refused = client.exchange(Announce.leecher(big, Announce.peerId(peer), 7)
                .target()).bencoded();
            assertEquals("tracker is at capacity, try again later",
                new String((byte[])refused.get("failure reason"), java.nio.charset.StandardCharsets.UTF_8));
            // A known peer is still served.
            assertOk(client, Announce.leecher(big, Announce.peerId(0), 1));
        }
        final HttpResponse<String> check = get(metrics + "/check");
        assertEquals(200, check.statusCode(), "a warning is no outage");
        assertTrue(check.body().contains("new peers and torrents are refused"), check.body());
        final String text = get(metrics + "/metrics").body();
        assertTrue(text.contains("trackerd_engine_rejected_full_total 1.0"), text);
        assertTrue(text.contains("trackerd_store_budget_bytes " + (double)BUDGET), text);
        assertTrue(text.contains("trackerd_store_used_bytes "), text);
        assertTrue(text.contains("trackerd_store_file_bytes "), text);
    }

    private static void assertOk(final RawHttpClient client, final Announce announce) throws IOException
    {
        final RawHttpClient.Response r = client.exchange(announce.target());
        assertEquals(200, r.status);
        final Object reason = r.bencoded().get("failure reason");
        assertNull(reason, () -> new String((byte[])reason, java.nio.charset.StandardCharsets.UTF_8));
    }

    private HttpResponse<String> get(final String url) throws Exception
    {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    /** The budget warning of /check, or null. */
    private String warning(final String metrics) throws Exception
    {
        final HttpResponse<String> check = get(metrics + "/check");
        assertEquals(200, check.statusCode());
        for (final String line : check.body().split("\n"))
        {
            if (line.startsWith("warning: store at"))
            {
                return line.substring("warning: ".length());
            }
        }
        return null;
    }

    /** The gauges are published at the processor's next expiry tick (20 ms here): polled, bounded. */
    private String awaitWarning(final String metrics) throws Exception
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        String line;
        while ((line = warning(metrics)) == null && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertTrue(line != null, "no budget warning on /check within 10 s");
        return line;
    }
}
