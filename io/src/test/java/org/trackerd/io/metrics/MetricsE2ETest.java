package org.trackerd.io.metrics;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.Tracker;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Boots the tracker with the exporter on loopback and reads what an operator's Prometheus would. */
class MetricsE2ETest
{
    private static final String HASH = "%aa%bb%cc%dd%ee%ff%00%11%22%33%44%55%66%77%88%99%aa%bb%cc%dd";

    @TempDir
    Path dir;
    private Tracker tracker;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String trackerBase;
    private String metricsBase;

    @BeforeEach
    void start() throws Exception
    {
        tracker = new Tracker(TrackerConfig.parse("{\"http\":{\"listen\":[\"127.0.0.1:0\"]}," +
            "\"metrics\":{\"listen\":\"127.0.0.1:0\"},\"storage\":{\"path\":\"" + dir + "\",\"max_torrents\":100," +
            "\"max_peers\":1000},\"engine\":{\"expiry_tick_ms\":20}}")).start();
        trackerBase = "http://127.0.0.1:" + tracker.httpAddresses().get(0).getPort();
        metricsBase = "http://127.0.0.1:" + tracker.metricsAddress().getPort();
    }

    @AfterEach
    void stop()
    {
        tracker.close();
    }

    private HttpResponse<String> get(final String url, final String accept) throws Exception
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (accept != null)
        {
            b.header("Accept", accept);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double value(final String metrics, final String series)
    {
        final Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    @Test
    void countsRequestsByOutcomeAndExportsLatencyAndSwarmGauges() throws Exception
    {
        assertTrue(get(trackerBase + "/announce?info_hash=" + HASH + "&peer_id=-TR3000-aaaaaaaaaaaa&port=6881&left=0",
            null).body().contains("8:interval"));
        assertTrue(get(trackerBase + "/announce?info_hash=" + HASH + "&peer_id=-TR3000-bbbbbbbbbbbb&port=6882&left=5",
            null).body().contains("8:interval"));
        assertTrue(get(trackerBase + "/announce?info_hash=short&peer_id=-TR3000-aaaaaaaaaaaa&port=6881&left=0", null)
            .body().contains("failure reason"));
        assertTrue(get(trackerBase + "/scrape?info_hash=" + HASH, null).body().contains("5:files"));
        assertEquals(404, get(trackerBase + "/nowhere", null).statusCode());

        // Swarm gauges are published on the processor's clock tick: poll, bounded.
        String metrics = "";
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline)
        {
            metrics = get(metricsBase + "/metrics", null).body();
            if (value(metrics, "trackerd_seeders{family=\"ipv4\"}") == 1.0)
            {
                break;
            }
            Thread.sleep(20);
        }
        final String ok = "trackerd_requests_total{action=\"announce\",family=\"ipv4\",outcome=\"ok\",protocol=\"http\",thread=\"0\"}";
        assertEquals(2.0, value(metrics, ok), metrics);
        assertEquals(1.0, value(metrics, ok.replace("outcome=\"ok\"", "outcome=\"client_error\"")));
        assertEquals(1.0, value(metrics, ok.replace("announce", "scrape")));
        assertEquals(1.0, value(metrics, ok.replace("announce", "other").replace("\"ok\"", "\"client_error\"")));
        assertEquals(1.0, value(metrics, "trackerd_seeders{family=\"ipv4\"}"));
        assertEquals(1.0, value(metrics, "trackerd_leechers{family=\"ipv4\"}"));
        assertEquals(1.0, value(metrics, "trackerd_torrents"));
        assertEquals(2.0, value(metrics, "trackerd_request_latency_seconds_count{action=\"announce\",protocol=\"http\"}"));
        assertTrue(value(metrics, "trackerd_request_latency_seconds{action=\"announce\",protocol=\"http\",quantile=\"0.99\"}") > 0);
        assertTrue(value(metrics, "trackerd_ring_free_slots{ring=\"request\"}") > 0);
        assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM metrics exported");

        final HttpResponse<String> open = get(metricsBase + "/metrics", "application/openmetrics-text; version=1.0.0");
        assertTrue(open.headers().firstValue("Content-Type").orElse("").contains("openmetrics"));
        assertTrue(open.body().trim().endsWith("# EOF"));

        final HttpResponse<String> check = get(metricsBase + "/check", null);
        assertEquals(200, check.statusCode());
        final String top = "{\"info_hash\":\"aabbccddeeff00112233445566778899aabbccdd\",\"seeders\":1," +
            "\"leechers\":1,\"downloaded\":0}";
        String stats = get(metricsBase + "/stats?format=json", null).body();
        final long statsDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!stats.contains(top) && System.nanoTime() < statsDeadline)
        {
            Thread.sleep(50); // the top-swarms list is published once an expiry sweep has gone round
            stats = get(metricsBase + "/stats?format=json", null).body();
        }
        assertTrue(stats.contains("\"torrents\":1") && stats.contains("\"peers\":2"), stats);
        assertTrue(stats.contains(top), stats);
        final String html = get(metricsBase + "/stats", null).body();
        assertTrue(html.contains("<table>") && html.contains("aabbccddeeff00112233445566778899aabbccdd"), html);
    }
}
