package org.trackerd.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.agrona.concurrent.status.CountersReader;
import org.trackerd.engine.Counters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the Agrona counters into Prometheus families on every scrape. A counter labelled
 * {@code http_requests{thread="0"}} with type {@link Counters#TYPE_COUNTER} becomes
 * {@code trackerd_http_requests_total{thread="0"}}; {@link Counters#TYPE_GAUGE} becomes a gauge.
 * Counters with other type ids are not ours and are skipped.
 *
 * <p>Thread: the exporter's threads; reads counters with acquire semantics, never blocks their writers.
 */
final class CountersCollector implements MultiCollector
{
    static final String PREFIX = "trackerd_";

    private final CountersReader reader;

    CountersCollector(final CountersReader reader)
    {
        this.reader = reader;
    }

    @Override
    public MetricSnapshots collect()
    {
        final Map<String, List<Point>> counters = new LinkedHashMap<>();
        final Map<String, List<Point>> gauges = new LinkedHashMap<>();
        reader.forEach((value, counterId, label) ->
        {
            final int type = reader.getCounterTypeId(counterId);
            if (type != Counters.TYPE_COUNTER && type != Counters.TYPE_GAUGE)
            {
                return;
            }
            final int brace = label.indexOf('{');
            final String name = PREFIX + (brace < 0 ? label : label.substring(0, brace));
            final Labels labels = brace < 0 ? Labels.EMPTY : parseLabels(label.substring(brace + 1, label.length() - 1));
            (type == Counters.TYPE_COUNTER ? counters : gauges).computeIfAbsent(name, k -> new ArrayList<>())
                .add(new Point(labels, value));
        });
        final List<MetricSnapshot> snapshots = new ArrayList<>();
        counters.forEach((name, points) ->
        {
            final CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(Help.of(name));
            points.forEach(p -> b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(p.labels).value(p.value).build()));
            snapshots.add(b.build());
        });
        gauges.forEach((name, points) ->
        {
            final GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(Help.of(name));
            points.forEach(p -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(p.labels).value(p.value).build()));
            snapshots.add(b.build());
        });
        return new MetricSnapshots(snapshots);
    }

    /** Parses {@code a="1",b="x"} (values without quotes or commas inside, as we write them). */
    static Labels parseLabels(final String text)
    {
        final Labels.Builder b = Labels.builder();
        for (final String pair : text.split(","))
        {
            final int eq = pair.indexOf('=');
            if (eq > 0)
            {
                String v = pair.substring(eq + 1).trim();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\""))
                {
                    v = v.substring(1, v.length() - 1);
                }
                b.label(pair.substring(0, eq).trim(), v);
            }
        }
        return b.build();
    }

    private record Point(Labels labels, long value)
    {
    }
}
