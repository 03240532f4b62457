package org.trackerd.engine;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The swarm processor sleeps on a condition while the request ring is empty, and a producer wakes it once per
 * burst instead of once per publish: {@link #signalAllWhenBlocking()} (called by every publish) does nothing,
 * and the frontends call {@link #wake()} when they have published the requests of one read burst. On a shared
 * core that lets a burst of datagrams reach the processor as one batch instead of a context switch per
 * request. A publisher that forgets to wake costs at most the timeout in latency, never a lost request.
 *
 * <p>Thread: {@link #waitFor} on the swarm processor; {@link #wake()} from any publishing thread.
 */
public final class BatchWakeWaitStrategy implements WaitStrategy
{
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final AtomicBoolean sleeping = new AtomicBoolean();
    private final long timeoutNs;

    public BatchWakeWaitStrategy(final long timeout, final TimeUnit unit)
    {
        this.timeoutNs = unit.toNanos(timeout);
    }

    @Override
    public long waitFor(final long sequence, final Sequence cursor, final Sequence dependentSequence,
        final SequenceBarrier barrier) throws AlertException, InterruptedException, TimeoutException
    {
        if (cursor.get() < sequence)
        {
            long remainingNs = timeoutNs;
            lock.lock();
            try
            {
                while (cursor.get() < sequence)
                {
                    // Announce the sleep before the last look, so a publisher either is seen here or sees us.
                    sleeping.set(true);
                    if (cursor.get() >= sequence)
                    {
                        break;
                    }
                    barrier.checkAlert();
                    remainingNs = notEmpty.awaitNanos(remainingNs);
                    if (remainingNs <= 0)
                    {
                        throw TimeoutException.INSTANCE;
                    }
                }
            }
            finally
            {
                sleeping.set(false);
                lock.unlock();
            }
        }
        long available;
        while ((available = dependentSequence.get()) < sequence)
        {
            barrier.checkAlert();
            Thread.onSpinWait();
        }
        return available;
    }

    @Override
    public void signalAllWhenBlocking()
    {
        // Deferred to wake(): producers wake the processor once per burst.
    }

    /** Any thread: wakes the processor if it sleeps; cheap (one atomic read) when it does not. */
    public void wake()
    {
        if (sleeping.get() && sleeping.getAndSet(false))
        {
            lock.lock();
            try
            {
                notEmpty.signalAll();
            }
            finally
            {
                lock.unlock();
            }
        }
    }
}
