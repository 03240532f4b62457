package org.trackerd.io.agent;

import org.agrona.concurrent.IdleStrategy;
import org.trackerd.engine.ResponseQueue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Idles a NIO agent's thread in {@link Selector#select(Consumer, long)}: it sleeps without burning CPU until a
 * channel turns ready, someone calls {@link Selector#wakeup()}, or the timeout passes. Ready keys met while asleep
 * go to the given handler (the action form of select hands them over without an iterator).
 *
 * <p>Two things bound the sleep besides {@code maxSleepMs}:
 * <ul>
 *   <li>response queues consumed on this thread but filled by another (dedicated mode): each is marked parked
 *       before the last look at it, so the producer either sees the mark and wakes the selector, or this thread
 *       sees the response and does not sleep;</li>
 *   <li>a deadline (shared mode: the swarm processor's next clock tick), so expiry runs on time without a ticker
 *       thread.</li>
 * </ul>
 *
 * <p>Thread: the agent's thread only.
 */
public final class SelectorIdleStrategy implements IdleStrategy
{
    private static final long NS_PER_MS = 1_000_000;
    private static final ResponseQueue[] NO_QUEUES = new ResponseQueue[0];

    private final Selector selector;
    private final Consumer<SelectionKey> onSelected;
    private final ResponseQueue[] parkOn;
    private final LongSupplier deadlineNs;
    private final long maxSleepMs;
    private final Runnable afterSelect;
    private final BooleanSupplier settled;

    /**
     * @param parkOn     response queues another thread fills and wakes this selector for; empty when their
     *                   producer runs on this thread
     * @param deadlineNs {@link System#nanoTime()} the sleep must end by, or null for none
     * @param afterSelect run after every {@code select} this strategy made (the ready keys were handed over
     *                    already), or null
     * @param settled     true when a cycle that did work left nothing that only another cycle would see (every
     *                    queue the selector cannot watch is empty): the thread then goes straight to
     *                    {@code select}, which returns at once if a socket is ready (level-triggered), instead
     *                    of running one more cycle to find nothing; null: only a cycle without work idles
     */
    public SelectorIdleStrategy(final Selector selector, final Consumer<SelectionKey> onSelected,
        final ResponseQueue[] parkOn, final LongSupplier deadlineNs, final long maxSleepMs, final Runnable afterSelect,
        final BooleanSupplier settled)
    {
        if (maxSleepMs < 1)
        {
            throw new IllegalArgumentException("maxSleepMs must be at least 1 (0 would mean forever)");
        }
        this.selector = selector;
        this.onSelected = onSelected;
        this.parkOn = parkOn == null ? NO_QUEUES : parkOn.clone();
        this.deadlineNs = deadlineNs;
        this.maxSleepMs = maxSleepMs;
        this.afterSelect = afterSelect;
        this.settled = settled;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount <= 0 || (settled != null && settled.getAsBoolean()))
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        long timeoutMs = maxSleepMs;
        if (deadlineNs != null)
        {
            final long leftNs = deadlineNs.getAsLong() - System.nanoTime();
            if (leftNs <= 0)
            {
                return;
            }
            timeoutMs = Math.min(timeoutMs, (leftNs + NS_PER_MS - 1) / NS_PER_MS);
        }
        park(true);
        try
        {
            if (!anyPending())
            {
                selector.select(onSelected, timeoutMs);
                if (afterSelect != null)
                {
                    afterSelect.run();
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        finally
        {
            park(false);
        }
    }

    private void park(final boolean parked)
    {
        for (final ResponseQueue queue : parkOn)
        {
            queue.parked(parked);
        }
    }

    private boolean anyPending()
    {
        for (final ResponseQueue queue : parkOn)
        {
            if (queue.hasPending())
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public void reset()
    {
    }

    @Override
    public String alias()
    {
        return "select";
    }
}
