package org.trackerd.io.agent;

import com.lmax.disruptor.EventPoller;
import org.agrona.concurrent.Agent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.ResponseQueue;
import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.io.admission.Admission;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The duty cycle every NIO frontend shares, as an Agrona {@link Agent}: read the clock once, poll the sockets
 * ({@link #pollInbound}), publish into the request ring, wake the processor once for the whole burst, drain this
 * frontend's response queue ({@link #onResponse}) and write the answers. {@link #doWork()} never blocks; the
 * thread's {@link org.agrona.concurrent.IdleStrategy} sleeps when a cycle found nothing to do (see
 * {@link SelectorIdleStrategy}).
 *
 * <p>The same agent runs on a thread of its own ({@code engine.threading = dedicated}) or in one
 * {@link org.agrona.concurrent.CompositeAgent} with the other frontend and the swarm processor ({@code shared});
 * then every frontend registers its channels with one shared {@link Selector}, and each frontend's
 * {@link #selectedKeyHandler()} ignores the keys that are not its own (it tells them by their attachment). There
 * the second half of the cycle (drain, write, {@link #endOfCycle}) runs as {@link #responder()}, after the
 * processor, and the thread sleeps as soon as every frontend is {@link #settled()}.
 *
 * <p>Stopping: {@link #requestStop} (any thread) makes the next cycles stop taking new requests and only finish
 * those in flight; once none is left, or {@link #DRAIN_TIMEOUT_NS} passed, {@link #isDrained()} turns true and a
 * {@link StopWhenDrained} agent on the same thread ends the duty cycle. {@link #onClose()} closes the channels.
 *
 * <p>Thread: everything on the agent's thread, except {@link #requestStop} and {@link #isDrained} (any thread);
 * the constructor and the set-up calls of subclasses on the launcher thread before the agent's thread starts.
 */
public abstract class FrontendAgent implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(FrontendAgent.class);
    /** Longest a stopping frontend waits for the answers still in the engine. */
    protected static final long DRAIN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    private static final Consumer<SelectionKey> IGNORE_KEY = key -> { };

    private final String roleName;
    /** This frontend's selector, or the one shared by every agent of the thread. */
    protected final Selector selector;
    private final boolean ownsSelector;
    protected final TrackerEngine engine;
    /** This frontend's way into the engine: checks, publish with backpressure, outcome counting. */
    protected final Admission admission;
    protected final ResponseQueue queue;
    private final EventPoller<ResponseEvent> poller;
    private final EventPoller.Handler<ResponseEvent> responseHandler = this::onResponse;

    /** {@link System#nanoTime()} read once at the start of the cycle. */
    protected long nowNs;
    /** Requests published and not yet answered by the engine. */
    protected int outstanding;
    private boolean publishedSinceWake;
    /** True once {@link #responder()} was taken: it, not {@link #doWork()}, drains the responses and sends. */
    private boolean responderInUse;
    private final Agent responder = new Agent()
    {
        @Override
        public int doWork()
        {
            final int work = drainResponses();
            endOfCycle();
            wakeProcessorIfPublished();
            return work;
        }

        @Override
        public String roleName()
        {
            return FrontendAgent.this.roleName + "-responses";
        }
    };
    private long drainDeadlineNs;
    private volatile boolean stopRequested;
    private volatile boolean drained;

    /**
     * @param sharedSelector the thread's shared selector, or null for a selector of this frontend's own (which it
     *                       then closes in {@link #onClose()})
     */
    protected FrontendAgent(final String roleName, final Selector sharedSelector, final TrackerEngine engine,
        final Admission admission) throws IOException
    {
        this.roleName = roleName;
        this.admission = admission;
        this.ownsSelector = sharedSelector == null;
        this.selector = ownsSelector ? Selector.open() : sharedSelector;
        this.engine = engine;
        this.queue = engine.addFrontend(selector::wakeup);
        this.poller = queue.poller();
    }

    @Override
    public final String roleName()
    {
        return roleName;
    }

    /** The frontend's response queue (whose consumer parks on {@link #selector} when it idles). */
    public final ResponseQueue responseQueue()
    {
        return queue;
    }

    public final Selector selector()
    {
        return selector;
    }

    /**
     * What the idle strategy does with this frontend's keys that turn ready while the thread sleeps in
     * {@code select}; the default ignores them (the next cycle polls the channels anyway).
     */
    public Consumer<SelectionKey> selectedKeyHandler()
    {
        return IGNORE_KEY;
    }

    @Override
    public final int doWork()
    {
        nowNs = System.nanoTime();
        final boolean stopping = stopRequested;
        if (stopping)
        {
            if (drainDeadlineNs == 0)
            {
                drainDeadlineNs = nowNs + DRAIN_TIMEOUT_NS;
                onStopRequested();
            }
            if (outstanding == 0 || nowNs - drainDeadlineNs > 0)
            {
                drained = true;
            }
        }
        int work = pollInbound(stopping);
        wakeProcessorIfPublished();
        if (!responderInUse)
        {
            work += drainResponses();
            endOfCycle();
            wakeProcessorIfPublished();
        }
        return work;
    }

    /**
     * Wakes a parked processor once for everything published since the last wake (when the engine wants a wake per
     * burst: {@code engine.wait_strategy} batch_wake, or any parking strategy on one CPU). Called after the inbound
     * poll, and again at the end of the cycle for what writing the answers published (a pipelined request parsed
     * once the answer before it went out): the thread may sleep in select next, and nothing else would wake the
     * processor for it.
     */
    private void wakeProcessorIfPublished()
    {
        if (publishedSinceWake)
        {
            publishedSinceWake = false;
            engine.wakeProcessor();
        }
    }

    /**
     * The second half of the duty cycle as an agent of its own: drain the response queue, write the answers, send
     * what the cycle queued ({@link #endOfCycle}). Shared mode runs it after the swarm processor in the same cycle,
     * so what the frontends received is answered before the thread sleeps again (one wake-up: receive, process,
     * send); once taken, {@link #doWork()} only receives and publishes.
     */
    public final Agent responder()
    {
        responderInUse = true;
        return responder;
    }

    /** Called at the end of every cycle, after the responses were drained: sends what the cycle queued. */
    protected void endOfCycle()
    {
    }

    /**
     * Polls the sockets without blocking: receives, answers what it can itself and publishes the rest through
     * {@link #publish}. While {@code stopping} it takes no new request but still finishes those in flight.
     *
     * @return how much it did (0 lets the thread idle)
     */
    protected abstract int pollInbound(boolean stopping);

    /** One answer from the engine, to encode and write; a failure must cost that answer only, never the thread. */
    protected abstract boolean onResponse(ResponseEvent response, long sequence, boolean endOfBatch);

    /**
     * True when nothing is left for this frontend that only another cycle would see: its response queue is empty
     * and it is not stopping (subclasses add what they keep of their own). Sockets are not asked: a select sees
     * them.
     */
    public boolean settled()
    {
        // A stopping frontend needs the next cycle to see that it is drained.
        return !queue.hasPending() && !(stopRequested && !drained);
    }

    /**
     * Called on the agent's thread when its idle strategy's {@code select} returned: every key ready then was handed
     * to {@link #selectedKeyHandler()} already, so the next cycle may skip a {@code selectNow} of its own.
     */
    public void afterIdleSelect()
    {
    }

    /** Called once, on the agent's thread, in the first cycle after {@link #requestStop}. */
    protected void onStopRequested()
    {
    }

    /** Closes the frontend's channels; called once from {@link #onClose()}. */
    protected abstract void closeChannels();

    /**
     * Copies an admitted request into the request ring through {@link Admission#publish}; false, without blocking,
     * when the ring is full or {@code room} is false (counted as dropped there). Counts it in {@link #outstanding}
     * when it went in.
     */
    protected final boolean publish(final RequestEvent request, final int action, final int family, final boolean room)
    {
        return publish(admission, request, action, family, room);
    }

    /**
     * As {@link #publish(RequestEvent, int, int, boolean)} through {@code via}: a route of this frontend that counts
     * its requests under a protocol of its own (WebSocket under {@code ws}).
     */
    protected final boolean publish(final Admission via, final RequestEvent request, final int action,
        final int family, final boolean room)
    {
        final boolean published = via.publish(request, action, family, room);
        if (published)
        {
            publishedSinceWake = true;
            outstanding++;
        }
        return published;
    }

    private int drainResponses()
    {
        int work = 0;
        try
        {
            while (poller.poll(responseHandler) == EventPoller.PollState.PROCESSING)
            {
                work++;
            }
        }
        catch (final Exception ex)
        {
            LOG.warn("{}: response failed: {}", roleName, ex.toString());
        }
        return work;
    }

    /** Asks the frontend to stop taking requests and finish those in flight; any thread. */
    public final void requestStop()
    {
        stopRequested = true;
        selector.wakeup();
    }

    public final boolean isStopRequested()
    {
        return stopRequested;
    }

    /** True once a stop was asked and no answer is owed any more (or the drain timed out); any thread. */
    public final boolean isDrained()
    {
        return drained;
    }

    @Override
    public final void onClose()
    {
        closeChannels();
        if (ownsSelector)
        {
            try
            {
                selector.close();
            }
            catch (final IOException ex)
            {
                LOG.warn("{}: closing selector: {}", roleName, ex.toString());
            }
        }
    }
}
