package org.trackerd.engine;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * Allocation of named counters in the shared Agrona {@link CountersManager}. A counter's label is its metric
 * name without the project prefix, optionally followed by Prometheus-style labels ({@code http_requests{thread="0"}});
 * its type id says whether it only grows ({@link #TYPE_COUNTER}) or is a level ({@link #TYPE_GAUGE}). The metrics
 * exporter turns them into Prometheus families without further configuration.
 *
 * <p>Thread: allocate on the launcher thread only (the manager is not thread-safe); each counter then has
 * exactly one writer thread, and any thread may read.
 */
public final class Counters
{
    public static final int TYPE_COUNTER = 1;
    public static final int TYPE_GAUGE = 2;

    private Counters()
    {
    }

    public static AtomicCounter counter(final CountersManager manager, final String name, final String labels)
    {
        return manager.newCounter(label(name, labels), TYPE_COUNTER);
    }

    public static AtomicCounter gauge(final CountersManager manager, final String name, final String labels)
    {
        return manager.newCounter(label(name, labels), TYPE_GAUGE);
    }

    private static String label(final String name, final String labels)
    {
        return labels == null || labels.isEmpty() ? name : name + "{" + labels + "}";
    }
}
