package org.trackerd.engine;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.YieldingWaitStrategy;
import org.trackerd.engine.event.ResponseEvent;

/**
 * The response ring of one frontend thread: the swarm processor is its only producer, the frontend thread its
 * only consumer (through an {@link EventPoller} inside its own duty cycle), so the thread that owns a socket is
 * the only one that writes to it.
 *
 * <p>A frontend that sleeps in {@code select()} sets {@link #parked(boolean)} first; the processor wakes it at the
 * end of a batch if it published to it. Both sides use volatile accesses, so either the frontend sees the new
 * response before sleeping or the processor sees it parked and wakes it.
 *
 * <p>The processor never blocks on this ring: a frontend keeps at most {@link #capacity()} requests in flight, and
 * should one stop draining anyway (its thread died), the processor skips that frontend's requests once the ring is
 * full and counts them ({@code engine_responses_dropped}) instead of waiting for a slot.
 */
public final class ResponseQueue
{
    private final int id;
    private final RingBuffer<ResponseEvent> ring;
    private final EventPoller<ResponseEvent> poller;
    private final Runnable waker;
    private volatile boolean parked;
    /** Processor-only: published to in the current batch. */
    public boolean dirty;

    ResponseQueue(final int id, final int size, final int maxPeers, final int maxScrapeHashes, final Runnable waker)
    {
        this.id = id;
        this.ring = RingBuffer.createSingleProducer(() -> new ResponseEvent(maxPeers, maxScrapeHashes), size,
            new YieldingWaitStrategy());
        this.poller = ring.newPoller();
        ring.addGatingSequences(poller.getSequence());
        this.waker = waker;
    }

    /** The id a frontend writes into {@code RequestEvent.frontendId}. */
    public int id()
    {
        return id;
    }

    public int capacity()
    {
        return ring.getBufferSize();
    }

    /** Free slots; any thread (for the ring-capacity gauge). */
    public long remainingCapacity()
    {
        return ring.remainingCapacity();
    }

    /** Frontend thread only. */
    public EventPoller<ResponseEvent> poller()
    {
        return poller;
    }

    /** Frontend thread only: say it is about to sleep (true) or awake (false). */
    public void parked(final boolean parked)
    {
        this.parked = parked;
    }

    /** Frontend thread only: true when a response is waiting. */
    public boolean hasPending()
    {
        return ring.getCursor() > poller.getSequence().get();
    }

    /** Processor thread only. */
    public RingBuffer<ResponseEvent> ring()
    {
        return ring;
    }

    /** Processor thread only: wake the frontend if it sleeps. */
    public void signal()
    {
        dirty = false;
        if (parked)
        {
            waker.run();
        }
    }
}
