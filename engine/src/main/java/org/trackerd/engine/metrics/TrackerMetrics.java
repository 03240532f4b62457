package org.trackerd.engine.metrics;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleSupplier;

/**
 * The tracker's metrics registry, on the engine side of the modules: the Agrona counters every thread writes, the
 * latency recorders of the frontends, and gauges read on scrape (ring capacity, store sizes). The agents write
 * here without importing the exporter; the exporter ({@code org.trackerd.metrics}) only reads it.
 *
 * <p>Thread: recorders, counters and gauges are created on the launcher thread before the tracker starts;
 * the exporter reads from its own threads.
 */
public final class TrackerMetrics
{
    private static final int MAX_COUNTERS = 4096;

    private final CountersManager counters = new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_COUNTERS * CountersReader.METADATA_LENGTH)),
        new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_COUNTERS * CountersReader.COUNTER_LENGTH)));
    private final List<LatencyRecorder> recorders = new CopyOnWriteArrayList<>();
    private final List<Gauge> gauges = new CopyOnWriteArrayList<>();
    private final long startMs = System.currentTimeMillis();
    private volatile java.util.function.Supplier<List<org.trackerd.engine.swarm.SwarmProcessor.TopSwarm>> topSwarms =
        List::of;

    /** Where /stats reads the largest swarms from (set by the launcher). */
    public void topSwarms(final java.util.function.Supplier<List<org.trackerd.engine.swarm.SwarmProcessor.TopSwarm>> source)
    {
        topSwarms = source;
    }

    /** The largest swarms, as /stats shows them; the exporter's threads. */
    public List<org.trackerd.engine.swarm.SwarmProcessor.TopSwarm> topSwarms()
    {
        return topSwarms.get();
    }

    public CountersManager countersManager()
    {
        return counters;
    }

    public LatencyRecorder latency(final String protocol, final String action, final int thread)
    {
        final LatencyRecorder r = new LatencyRecorder(protocol, action, thread);
        recorders.add(r);
        return r;
    }

    /** A value read when scraped; {@code labels} in Prometheus text form, e.g. {@code ring="request"}. */
    public void gauge(final String name, final String help, final String labels, final DoubleSupplier value)
    {
        gauges.add(new Gauge(name, help, labels, value));
    }

    private final List<java.util.function.Supplier<String>> checkWarnings = new CopyOnWriteArrayList<>();

    /**
     * A condition {@code /check} reports beside liveness (a certificate near its end): the supplier returns the
     * line to show, or null while all is well. A warning does not turn {@code /check} to 503.
     */
    public void checkWarning(final java.util.function.Supplier<String> warning)
    {
        checkWarnings.add(warning);
    }

    /** The warnings that hold now, for {@code /check}; any thread. */
    public List<String> checkWarnings()
    {
        final List<String> lines = new ArrayList<>();
        for (final java.util.function.Supplier<String> w : checkWarnings)
        {
            final String line = w.get();
            if (line != null)
            {
                lines.add(line);
            }
        }
        return lines;
    }

    /** Every latency recorder, for the exporter. */
    public List<LatencyRecorder> recorders()
    {
        return new ArrayList<>(recorders);
    }

    /** Every scrape-time gauge, for the exporter. */
    public List<Gauge> gauges()
    {
        return new ArrayList<>(gauges);
    }

    public long startMs()
    {
        return startMs;
    }

    /** A value read when scraped. */
    public record Gauge(String name, String help, String labels, DoubleSupplier value)
    {
    }
}
