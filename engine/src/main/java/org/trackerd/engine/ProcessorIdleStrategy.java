package org.trackerd.engine;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Idles the swarm processor's own thread ({@code engine.threading = dedicated} with a sleeping
 * {@code engine.wait_strategy}) by parking it while the request ring is empty, until a producer
 * {@link #wake() wakes} it, the agent's next clock tick is due, or {@code maxParkNs} passed.
 *
 * <p>The hand-shake needs no lock: the processor announces the park ({@code parked = true}, a volatile write) and
 * then looks at the ring's cursor once more; a producer claims its slot (a CAS on that cursor) before it reads
 * {@code parked}. So either the processor sees the claim and does not park, or the producer sees the park and
 * unparks it. Whether every publish wakes ({@code lite_blocking}, {@code blocking}) or the frontends wake once per
 * read burst ({@code batch_wake}) is the publisher's choice ({@link TrackerEngine#tryPublish},
 * {@link TrackerEngine#wakeProcessor}); a burst's wake costs one atomic read when the processor is awake.
 *
 * <p>Thread: {@link #idle} on the processor's thread; {@link #wake()} from any thread.
 */
public final class ProcessorIdleStrategy implements IdleStrategy
{
    private final RingBuffer<?> ring;
    private final Sequence processed;
    private final LongSupplier deadlineNs;
    private final long maxParkNs;
    private final AtomicBoolean parked = new AtomicBoolean();
    private volatile Thread thread;

    /**
     * @param ring       the request ring, whose cursor says what producers claimed
     * @param processed  the last sequence the processor finished
     * @param deadlineNs {@link System#nanoTime()} the park must end by (the agent's next tick)
     * @param maxParkNs  longest park whatever the deadline: the bound on a wake-up a publisher forgot
     */
    ProcessorIdleStrategy(final RingBuffer<?> ring, final Sequence processed, final LongSupplier deadlineNs,
        final long maxParkNs)
    {
        this.ring = ring;
        this.processed = processed;
        this.deadlineNs = deadlineNs;
        this.maxParkNs = maxParkNs;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount <= 0)
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        if (thread == null)
        {
            thread = Thread.currentThread();
        }
        final long parkNs = Math.min(maxParkNs, deadlineNs.getAsLong() - System.nanoTime());
        if (parkNs <= 0)
        {
            return;
        }
        parked.set(true);
        if (ring.getCursor() == processed.get())
        {
            LockSupport.parkNanos(this, parkNs);
        }
        parked.set(false);
    }

    /** Any thread: unparks the processor if it parks; one atomic read when it does not. */
    public void wake()
    {
        if (parked.get() && parked.compareAndSet(true, false))
        {
            LockSupport.unpark(thread);
        }
    }

    /** Any thread: unparks the processor whether or not it announced a park (to make it see a stop request). */
    void wakeAlways()
    {
        final Thread t = thread;
        if (t != null)
        {
            LockSupport.unpark(t);
        }
    }

    @Override
    public void reset()
    {
    }

    @Override
    public String alias()
    {
        return "park";
    }

    /** Longest park of {@code batch_wake}, where a publisher that forgot to wake costs this much latency at most. */
    static final long BATCH_WAKE_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
}
