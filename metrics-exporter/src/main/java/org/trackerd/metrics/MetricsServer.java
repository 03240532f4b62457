package org.trackerd.metrics;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.agrona.concurrent.status.CountersReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.metrics.TrackerMetrics;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;

/**
 * The operator's side door, on {@code metrics.listen}: {@code /metrics} (Prometheus text, or OpenMetrics when the
 * scraper asks for it), {@code /check} (liveness: 200 while the swarm processor makes progress, 503 when it is
 * stuck) and {@code /stats} (a small summary, JSON with {@code ?format=json} or HTML).
 *
 * <p>Thread: its own small executor; never on the request path. Reads only what other threads publish.
 */
public final class MetricsServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
    private static final long STUCK_AFTER_MS = 5_000;

    private final long stuckAfterMs;
    private final TrackerMetrics metrics;
    private final LongSupplier processedSequence;
    private final LongSupplier publishedSequence;
    private final HTTPServer server;
    private long lastProcessed = Long.MIN_VALUE;
    private long lastProgressMs = System.currentTimeMillis();

    /**
     * @param processedSequence the swarm processor's last processed request sequence
     * @param publishedSequence the request ring's last published sequence
     */
    public MetricsServer(final InetSocketAddress listen, final TrackerMetrics metrics,
        final LongSupplier processedSequence, final LongSupplier publishedSequence) throws IOException
    {
        this(listen, metrics, processedSequence, publishedSequence, STUCK_AFTER_MS);
    }

    MetricsServer(final InetSocketAddress listen, final TrackerMetrics metrics, final LongSupplier processedSequence,
        final LongSupplier publishedSequence, final long stuckAfterMs) throws IOException
    {
        this.stuckAfterMs = stuckAfterMs;
        this.metrics = metrics;
        this.processedSequence = processedSequence;
        this.publishedSequence = publishedSequence;
        final PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new CountersCollector(metrics.countersManager()));
        registry.register(new LatencyCollector(metrics));
        registry.register(new GaugesCollector(metrics));
        JvmMetrics.builder().register(registry);
        server = HTTPServer.builder()
            .inetAddress(listen.getAddress())
            .port(listen.getPort())
            .registry(registry)
            .executorService(Executors.newFixedThreadPool(2, r ->
            {
                final Thread t = new Thread(r, "trackerd-metrics");
                t.setDaemon(true);
                return t;
            }))
            .defaultHandler(this::handle)
            .buildAndStart();
    }

    public int port()
    {
        return server.getPort();
    }

    private void handle(final HttpExchange exchange) throws IOException
    {
        final String path = exchange.getRequestURI().getPath();
        final String query = exchange.getRequestURI().getQuery();
        switch (path)
        {
            case "/check" ->
            {
                final boolean ok = progressing();
                final StringBuilder body = new StringBuilder(ok ? "ok\n" :
                    "stuck: the swarm processor has not made progress\n");
                for (final String warning : metrics.checkWarnings())
                {
                    body.append("warning: ").append(warning).append('\n');
                }
                respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", body.append(deadLetterNote()).toString());
            }
            case "/stats" ->
            {
                final Map<String, Object> stats = stats();
                if (query != null && query.contains("format=json"))
                {
                    respond(exchange, 200, "application/json", json(stats));
                }
                else
                {
                    respond(exchange, 200, "text/html; charset=utf-8", html(stats));
                }
            }
            case "/" -> respond(exchange, 200, "text/plain; charset=utf-8",
                "trackerd: /metrics /check /stats (?format=json)\n");
            default -> respond(exchange, 404, "text/plain; charset=utf-8", "not found\n");
        }
    }

    /**
     * Private mode's rows that the database refused for good and no replay has resolved yet: not a liveness
     * problem (the status stays), but the operator must fix the schema and replay them, so {@code /check} says so.
     */
    String deadLetterNote()
    {
        final CountersReader reader = metrics.countersManager();
        final long[] pending = {0};
        final StringBuilder tables = new StringBuilder();
        reader.forEach((value, id, label) ->
        {
            if ("private_dead_letters_pending".equals(label))
            {
                pending[0] = value;
            }
            else if (label.startsWith("private_dead_letter_rows{table=\"") && value > 0)
            {
                tables.append(tables.length() == 0 ? "" : ", ")
                    .append(label, "private_dead_letter_rows{table=\"".length(), label.length() - 2)
                    .append(' ').append(value);
            }
        });
        return pending[0] == 0 ? "" : "dead letters: " + pending[0] + " accounting row(s) the site database " +
            "refused wait in <storage.path>/private/dead-letters.jsonl (since start, by table: " + tables +
            "); fix the schema and run trackerd --replay-dead-letters\n";
    }

    /** Progress: the processor has caught up with the ring, or has moved within the last few seconds. */
    synchronized boolean progressing()
    {
        final long now = System.currentTimeMillis();
        final long processed = processedSequence.getAsLong();
        if (processed != lastProcessed || processed >= publishedSequence.getAsLong())
        {
            lastProcessed = processed;
            lastProgressMs = now;
            return true;
        }
        return now - lastProgressMs < stuckAfterMs;
    }

    Map<String, Object> stats()
    {
        final CountersReader reader = metrics.countersManager();
        final long[] requests = new long[1];
        final Map<String, Long> byName = new LinkedHashMap<>();
        reader.forEach((value, id, label) ->
        {
            if (label.startsWith("requests{"))
            {
                requests[0] += value;
            }
            else if (label.startsWith("seeders{") || label.startsWith("leechers{"))
            {
                byName.merge(label.substring(0, label.indexOf('{')), value, Long::sum);
            }
            else if (label.indexOf('{') < 0)
            {
                byName.put(label, value);
            }
        });
        final double uptimeSeconds = Math.max(0.001, (System.currentTimeMillis() - metrics.startMs()) / 1000.0);
        final Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("uptime_seconds", (long)uptimeSeconds);
        stats.put("torrents", byName.getOrDefault("torrents", 0L));
        stats.put("seeders", byName.getOrDefault("seeders", 0L));
        stats.put("leechers", byName.getOrDefault("leechers", 0L));
        stats.put("peers", byName.getOrDefault("seeders", 0L) + byName.getOrDefault("leechers", 0L));
        stats.put("downloads_completed", byName.getOrDefault("engine_downloads_completed", 0L));
        stats.put("requests_total", requests[0]);
        stats.put("requests_per_second_average", Math.round(requests[0] / uptimeSeconds * 10) / 10.0);
        stats.put("engine_progressing", progressing());
        stats.put("top_swarms", metrics.topSwarms());
        return stats;
    }

    private static String json(final Map<String, Object> stats)
    {
        final StringBuilder sb = new StringBuilder("{");
        stats.forEach((k, v) ->
        {
            sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":");
            if (v instanceof List<?> list)
            {
                sb.append('[');
                for (int i = 0; i < list.size(); i++)
                {
                    final org.trackerd.engine.swarm.SwarmProcessor.TopSwarm t =
                        (org.trackerd.engine.swarm.SwarmProcessor.TopSwarm)list.get(i);
                    sb.append(i > 0 ? "," : "").append("{\"info_hash\":\"").append(t.infoHashHex())
                        .append("\",\"seeders\":").append(t.seeders()).append(",\"leechers\":").append(t.leechers())
                        .append(",\"downloaded\":").append(t.downloaded()).append('}');
                }
                sb.append(']');
            }
            else
            {
                sb.append(v);
            }
        });
        return sb.append("}\n").toString();
    }

    private static String html(final Map<String, Object> stats)
    {
        final StringBuilder sb = new StringBuilder(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>trackerd stats</title></head><body>" +
            "<h1>trackerd</h1><table>");
        stats.forEach((k, v) ->
        {
            if (!(v instanceof List))
            {
                sb.append("<tr><th align=\"left\">").append(k.replace('_', ' ')).append("</th><td>").append(v)
                    .append("</td></tr>");
            }
        });
        sb.append("</table><h2>top swarms</h2><table><tr><th>info hash</th><th>seeders</th><th>leechers</th>" +
            "<th>downloaded</th></tr>");
        for (final Object o : (List<?>)stats.get("top_swarms"))
        {
            final org.trackerd.engine.swarm.SwarmProcessor.TopSwarm t = (org.trackerd.engine.swarm.SwarmProcessor.TopSwarm)o;
            sb.append("<tr><td><code>").append(t.infoHashHex()).append("</code></td><td>").append(t.seeders())
                .append("</td><td>").append(t.leechers()).append("</td><td>").append(t.downloaded()).append("</td></tr>");
        }
        return sb.append("</table><p><a href=\"/metrics\">metrics</a> · <a href=\"/stats?format=json\">json</a>" +
            "</p></body></html>\n").toString();
    }

    private static void respond(final HttpExchange exchange, final int status, final String type, final String body)
        throws IOException
    {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(bytes);
        }
    }

    @Override
    public void close()
    {
        server.close();
        LOG.info("metrics server stopped");
    }

    /** Gauges read on scrape (ring capacity, store sizes), registered through {@link TrackerMetrics#gauge}. */
    private static final class GaugesCollector implements MultiCollector
    {
        private final TrackerMetrics metrics;

        GaugesCollector(final TrackerMetrics metrics)
        {
            this.metrics = metrics;
        }

        @Override
        public MetricSnapshots collect()
        {
            final Map<String, GaugeSnapshot.Builder> families = new LinkedHashMap<>();
            for (final TrackerMetrics.Gauge g : metrics.gauges())
            {
                families.computeIfAbsent(g.name(), n -> GaugeSnapshot.builder().name(n).help(g.help()))
                    .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                        .labels(CountersCollector.parseLabels(g.labels())).value(g.value().getAsDouble()).build());
            }
            final List<MetricSnapshot> out = new ArrayList<>();
            families.values().forEach(b -> out.add(b.build()));
            return new MetricSnapshots(out);
        }
    }
}
