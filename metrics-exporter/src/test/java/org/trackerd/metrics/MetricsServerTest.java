package org.trackerd.metrics;

import org.junit.jupiter.api.Test;
import org.trackerd.engine.Counters;
import org.trackerd.engine.metrics.LatencyRecorder;
import org.trackerd.engine.metrics.TrackerMetrics;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsServerTest
{
    private static int status(final int port, final String path) throws Exception
    {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void checkTurns503WhenTheProcessorStopsMovingWithWorkQueued() throws Exception
    {
        final AtomicLong processed = new AtomicLong(10);
        final AtomicLong published = new AtomicLong(10);
        try (MetricsServer server = new MetricsServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            new TrackerMetrics(), processed::get, published::get, 200))
        {
            assertEquals(200, status(server.port(), "/check"));
            published.set(20); // work queued, processor frozen at 10
            final long deadline = System.nanoTime() + 5_000_000_000L;
            int code = 200;
            while (code == 200 && System.nanoTime() < deadline)
            {
                Thread.sleep(50);
                code = status(server.port(), "/check");
            }
            assertEquals(503, code);
            processed.set(20); // caught up again
            assertEquals(200, status(server.port(), "/check"));
            assertEquals(404, status(server.port(), "/nope"));
        }
    }

    @Test
    void countersBecomeFamiliesWithLabels()
    {
        final TrackerMetrics metrics = new TrackerMetrics();
        Counters.counter(metrics.countersManager(), "http_requests", "thread=\"0\"").increment();
        Counters.gauge(metrics.countersManager(), "torrents", "").set(7);
        metrics.countersManager().newCounter("foreign", 99).increment();
        final var snapshots = new CountersCollector(metrics.countersManager()).collect();
        assertEquals(2, snapshots.size());
        final String names = snapshots.stream().map(s -> s.getMetadata().getPrometheusName()).toList().toString();
        assertTrue(names.contains("trackerd_http_requests") && names.contains("trackerd_torrents"), names);
    }

    @Test
    void latencyRecordsTurnIntoQuantiles()
    {
        final TrackerMetrics metrics = new TrackerMetrics();
        final LatencyRecorder r = metrics.latency("udp", "announce", 0);
        for (int i = 1; i <= 1000; i++)
        {
            r.recordNs(i * 1000L);
        }
        final var snapshots = new LatencyCollector(metrics).collect();
        final var summary = snapshots.stream()
            .filter(io.prometheus.metrics.model.snapshots.SummarySnapshot.class::isInstance)
            .map(io.prometheus.metrics.model.snapshots.SummarySnapshot.class::cast).findFirst().orElseThrow();
        final var point = summary.getDataPoints().get(0);
        assertEquals(1000, point.getCount());
        final double p99 = point.getQuantiles().get(2).getValue();
        assertTrue(p99 > 0.000980 && p99 < 0.001000, "p99 " + p99);
    }
}
