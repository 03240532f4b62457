package org.trackerd.metrics;


import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import org.HdrHistogram.Histogram;
import org.trackerd.engine.metrics.LatencyRecorder;
import org.trackerd.engine.metrics.TrackerMetrics;

import java.util.HashMap;
import java.util.Map;

/**
 * Exports request latency as a summary per (protocol, action): quantiles p50/p90/p99/p99.9 over the requests
 * since the previous scrape (HdrHistogram interval histograms merged across frontend threads), {@code _count}
 * and {@code _sum} since start, and the interval's maximum as a separate gauge.
 *
 * <p>Thread: the exporter's threads; {@code collect} is synchronized because scrapes drain the recorders.
 */
final class LatencyCollector implements MultiCollector
{
    private static final double[] QUANTILES = { 0.5, 0.9, 0.99, 0.999 };
    private static final double NS_PER_SECOND = 1e9;

    private final TrackerMetrics metrics;
    private final Map<String, Totals> totals = new HashMap<>();

    LatencyCollector(final TrackerMetrics metrics)
    {
        this.metrics = metrics;
    }

    @Override
    public synchronized MetricSnapshots collect()
    {
        final Map<String, Histogram> intervals = new HashMap<>();
        for (final LatencyRecorder r : metrics.recorders())
        {
            r.drainInto(intervals.computeIfAbsent(r.protocol() + "|" + r.action(), k -> new Histogram(3)));
        }
        final SummarySnapshot.Builder summary = SummarySnapshot.builder()
            .name("trackerd_request_latency_seconds")
            .help("Time from reading a request to writing its answer; quantiles over the last scrape interval");
        final GaugeSnapshot.Builder max = GaugeSnapshot.builder()
            .name("trackerd_request_latency_max_seconds")
            .help("Largest request latency in the last scrape interval");
        intervals.forEach((key, h) ->
        {
            final int bar = key.indexOf('|');
            final Labels labels = Labels.of("protocol", key.substring(0, bar), "action", key.substring(bar + 1));
            final Totals t = totals.computeIfAbsent(key, k -> new Totals());
            t.count += h.getTotalCount();
            t.sumNs += h.getMean() * h.getTotalCount();
            final Quantiles.Builder q = Quantiles.builder();
            for (final double quantile : QUANTILES)
            {
                q.quantile(new Quantile(quantile,
                    h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(quantile * 100) / NS_PER_SECOND));
            }
            summary.dataPoint(SummarySnapshot.SummaryDataPointSnapshot.builder()
                .labels(labels).count(t.count).sum(t.sumNs / NS_PER_SECOND).quantiles(q.build()).build());
            max.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(labels).value(h.getTotalCount() == 0 ? 0 : h.getMaxValue() / NS_PER_SECOND).build());
        });
        return MetricSnapshots.of(summary.build(), max.build());
    }

    private static final class Totals
    {
        long count;
        double sumNs;
    }
}
