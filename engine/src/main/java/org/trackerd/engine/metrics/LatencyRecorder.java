package org.trackerd.engine.metrics;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Request latency of one (protocol, action) on one frontend thread, from the moment the request's bytes were
 * read to the moment its answer was written. The frontend thread records without locks or allocation
 * (HdrHistogram's {@link SingleWriterRecorder}); the exporter takes interval histograms on scrape.
 *
 * <p>Thread: {@link #recordNs} by the one owning frontend thread; {@link #drainInto} by the exporter only.
 */
public final class LatencyRecorder
{
    private static final long HIGHEST_TRACKABLE_NS = 60_000_000_000L;

    private final String protocol;
    private final String action;
    private final int thread;
    private final SingleWriterRecorder recorder = new SingleWriterRecorder(1, HIGHEST_TRACKABLE_NS, 3);
    private Histogram interval;

    LatencyRecorder(final String protocol, final String action, final int thread)
    {
        this.protocol = protocol;
        this.action = action;
        this.thread = thread;
    }

    public void recordNs(final long latencyNs)
    {
        recorder.recordValue(Math.max(1, Math.min(latencyNs, HIGHEST_TRACKABLE_NS)));
    }

    public String protocol()
    {
        return protocol;
    }

    public String action()
    {
        return action;
    }

    public int thread()
    {
        return thread;
    }

    /** Moves what was recorded since the last call into {@code target}; the exporter's threads only. */
    public synchronized void drainInto(final Histogram target)
    {
        interval = recorder.getIntervalHistogram(interval);
        target.add(interval);
    }
}
