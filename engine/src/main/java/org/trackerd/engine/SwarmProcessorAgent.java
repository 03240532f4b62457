package org.trackerd.engine;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.EventTranslator;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;

import java.util.concurrent.TimeUnit;

/**
 * The swarm processor as an Agrona {@link Agent}, in every threading mode: it drains the request ring with an
 * {@link EventPoller} inside its duty cycle, on a runner of its own ({@code engine.threading = dedicated}) or in
 * one {@link org.agrona.concurrent.CompositeAgent} with the frontends ({@code shared}), where a request is then
 * published, processed and answered without waking another thread.
 *
 * <p>Each {@link #doWork()} hands the handler ({@code SwarmProcessor}) what the ring holds as one batch:
 * {@code onBatchStart} before the first event, {@code endOfBatch} on the last, as a {@code BatchEventProcessor}
 * would. The clock tick that drives expiry is published into the ring by this agent when its deadline passes, so
 * it keeps its place in the sequence and no ticker thread is needed; {@link #deadlineNs()} tells the thread's idle
 * strategy how long it may sleep.
 *
 * <p>A fault costs one request, never the agent: an exception out of the handler is counted
 * ({@code engine_processor_errors} and this agent's {@code agent_errors}), logged through the agent's
 * {@link AgentErrors}, and an announce or scrape the handler had not answered yet gets an error answer
 * ({@link Status#SERVER_ERROR}) in its frontend's response ring, so its client hears a failure instead of
 * nothing; then the agent moves on to the next event.
 *
 * <p>Thread: every method except {@link #processedSequence()} and {@link #requestStop()} on the agent's thread
 * (the launcher thread before that thread starts).
 */
public final class SwarmProcessorAgent implements Agent
{
    /** Longest a stopping agent waits for the ring to drain before it ends anyway. */
    private static final long STOP_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    private static final EventTranslator<RequestEvent> TICK = (slot, sequence) ->
    {
        slot.kind = RequestEvent.KIND_TICK;
        slot.scrapeCount = 0;
    };

    private final RingBuffer<RequestEvent> ring;
    private final EventPoller<RequestEvent> poller;
    private final EventHandler<RequestEvent> handler;
    private final ResponseQueue[] queues;
    private final EngineCounters counters;
    private final AgentErrors errors;
    private final long tickPeriodNs;
    private final EventPoller.Handler<RequestEvent> onEvent = this::onEvent;
    private long nextTickNs;
    /** Sequence of the first event of the poll under way; the handler's batch starts on it. */
    private long batchFirstSequence;
    private int processed;
    private volatile boolean stopRequested;
    private long stopDeadlineNs;

    SwarmProcessorAgent(final RingBuffer<RequestEvent> ring, final EventHandler<RequestEvent> handler,
        final ResponseQueue[] queues, final EngineCounters counters, final AgentErrors errors, final long tickPeriodMs)
    {
        this.ring = ring;
        this.handler = handler;
        this.queues = queues;
        this.counters = counters;
        this.errors = errors;
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
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - nextTickNs >= 0)
        {
            // A full ring skips this tick: the next one comes a period later, expiry only runs a slice late.
            ring.tryPublishEvent(TICK);
            nextTickNs = nowNs + tickPeriodNs;
        }
        final int work = drain();
        if (stopRequested && work == 0)
        {
            if (stopDeadlineNs == 0)
            {
                stopDeadlineNs = nowNs + STOP_TIMEOUT_NS;
            }
            if (poller.getSequence().get() >= ring.getCursor() || nowNs - stopDeadlineNs > 0)
            {
                throw new AgentTerminationException("stopped", true);
            }
        }
        return work;
    }

    /** Processes everything published so far as one batch; returns how many events it processed. */
    public int drain()
    {
        processed = 0;
        batchFirstSequence = poller.getSequence().get() + 1;
        try
        {
            poller.poll(onEvent);
        }
        catch (final Exception ex)
        {
            // onEvent catches everything: only the poller itself could get here.
            errors.countAndLog(ex);
        }
        return processed;
    }

    /** Runs whatever the ring still holds (ticks, mostly) after the duty cycle stopped. */
    @Override
    public void onClose()
    {
        drain();
    }

    /**
     * Dedicated mode: asks the agent to end its duty cycle once the ring holds nothing more to process (or
     * {@link #STOP_TIMEOUT_NS} passed); any thread. The runner's idle strategy must be woken to see it.
     */
    void requestStop()
    {
        stopRequested = true;
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

    Sequence sequence()
    {
        return poller.getSequence();
    }

    private boolean onEvent(final RequestEvent event, final long sequence, final boolean endOfBatch)
    {
        processed++;
        try
        {
            if (sequence == batchFirstSequence)
            {
                // The cursor may run ahead of what is published when several threads publish: an upper bound.
                final long size = ring.getCursor() - sequence + 1;
                handler.onBatchStart(size, size);
            }
            handler.onEvent(event, sequence, endOfBatch);
        }
        catch (final Throwable ex)
        {
            // Anything out of the handler is a bug: it costs this request, never the agent (an exception left to
            // the poller would leave the event unprocessed, to fail again at every poll).
            counters.processorErrors.incrementRelease();
            errors.countAndLog(ex);
            answerFailed(event);
            if (endOfBatch)
            {
                // The handler wakes the frontends it answered at the end of a batch; it may not have got there.
                for (final ResponseQueue queue : queues)
                {
                    if (queue.dirty)
                    {
                        queue.signal();
                    }
                }
            }
        }
        return true;
    }

    /**
     * Gives the client of a failed announce or scrape an error answer, unless the handler answered it already
     * (it publishes what it claimed even when it throws, so no slot is ever left claimed and unpublished).
     */
    private void answerFailed(final RequestEvent request)
    {
        if (request.kind != RequestEvent.KIND_ANNOUNCE && request.kind != RequestEvent.KIND_SCRAPE ||
            request.frontendId < 0 || request.frontendId >= queues.length)
        {
            return;
        }
        final ResponseQueue queue = queues[request.frontendId];
        final RingBuffer<ResponseEvent> responses = queue.ring();
        final long last = responses.getCursor();
        if (last >= 0)
        {
            final ResponseEvent previous = responses.get(last);
            if (previous.correlationId == request.correlationId && previous.receivedNs == request.receivedNs &&
                previous.context == request.context && previous.kind == request.kind)
            {
                return;
            }
        }
        final long slot;
        try
        {
            slot = responses.tryNext();
        }
        catch (final InsufficientCapacityException ex)
        {
            counters.responsesDropped.incrementRelease();
            return;
        }
        responses.get(slot).failed(request, Status.SERVER_ERROR);
        responses.publish(slot);
        queue.signal();
    }
}
