package org.trackerd.engine;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.EventTranslator;
import com.lmax.disruptor.RingBuffer;
import org.agrona.concurrent.Agent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.event.RequestEvent;

import java.util.concurrent.TimeUnit;

/**
 * The swarm processor as an agent, for {@code engine.threading = shared}: instead of a thread of its own blocked
 * on the request ring, it drains the ring with an {@link EventPoller} inside the duty cycle of the thread that also
 * runs the frontends, so a request is published, processed and answered without waking another thread.
 *
 * <p>Each {@link #doWork()} hands the handler ({@code SwarmProcessor}) what the ring holds as one batch:
 * {@code onBatchStart} before the first event, {@code endOfBatch} on the last, as a {@code BatchEventProcessor}
 * would. The clock tick that drives expiry is published into the ring by this agent when its deadline passes, so
 * it keeps its place in the sequence and no ticker thread is needed; {@link #deadlineNs()} tells the thread's idle
 * strategy how long it may sleep.
 *
 * <p>Thread: every method except {@link #processedSequence()} on the agent's thread (the launcher thread before
 * that thread starts). A handler's exception costs that one request: it is logged and counted, and the agent moves
 * on.
 */
public final class SwarmProcessorAgent implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(SwarmProcessorAgent.class);
    private static final EventTranslator<RequestEvent> TICK = (slot, sequence) ->
    {
        slot.kind = RequestEvent.KIND_TICK;
        slot.scrapeCount = 0;
    };

    private final RingBuffer<RequestEvent> ring;
    private final EventPoller<RequestEvent> poller;
    private final EventHandler<RequestEvent> handler;
    private final EngineCounters counters;
    private final long tickPeriodNs;
    private final EventPoller.Handler<RequestEvent> onEvent = this::onEvent;
    private long nextTickNs;
    /** Sequence of the first event of the poll under way; the handler's batch starts on it. */
    private long batchFirstSequence;
    private int processed;

    SwarmProcessorAgent(final RingBuffer<RequestEvent> ring, final EventHandler<RequestEvent> handler,
        final EngineCounters counters, final long tickPeriodMs)
    {
        this.ring = ring;
        this.handler = handler;
        this.counters = counters;
        this.poller = ring.newPoller();
        ring.addGatingSequences(poller.getSequence());
        this.tickPeriodNs = TimeUnit.MILLISECONDS.toNanos(tickPeriodMs);
        this.nextTickNs = System.nanoTime() + tickPeriodNs;
    }

    @Override
    public String roleName()
    {
        return "swarm-processor";
    }

    @Override
    public int doWork() throws Exception
    {
        final long nowNs = System.nanoTime();
        if (nowNs - nextTickNs >= 0)
        {
            // A full ring skips this tick: the next one comes a period later, expiry only runs a slice late.
            ring.tryPublishEvent(TICK);
            nextTickNs = nowNs + tickPeriodNs;
        }
        return drain();
    }

    /** Processes everything published so far as one batch; returns how many events it processed. */
    public int drain() throws Exception
    {
        processed = 0;
        batchFirstSequence = poller.getSequence().get() + 1;
        poller.poll(onEvent);
        return processed;
    }

    /** Runs whatever the ring still holds (ticks, mostly) after the duty cycle stopped. */
    @Override
    public void onClose()
    {
        try
        {
            drain();
        }
        catch (final Exception ex)
        {
            LOG.warn("swarm processor: final drain failed: {}", ex.toString());
        }
    }

    /** When the next clock tick is due ({@link System#nanoTime()} scale): the thread must not sleep past it. */
    public long deadlineNs()
    {
        return nextTickNs;
    }

    /** Last request sequence processed; any thread. */
    public long processedSequence()
    {
        return poller.getSequence().get();
    }

    private boolean onEvent(final RequestEvent event, final long sequence, final boolean endOfBatch)
    {
        processed++;
        try
        {
            if (sequence == batchFirstSequence)
            {
                // Every producer runs on this thread in shared mode, so the cursor is the batch's exact end.
                final long size = ring.getCursor() - sequence + 1;
                handler.onBatchStart(size, size);
            }
            handler.onEvent(event, sequence, endOfBatch);
        }
        catch (final Exception ex)
        {
            counters.processorErrors.incrementRelease();
            LOG.warn("swarm processor: request {} failed", sequence, ex);
        }
        return true;
    }
}
