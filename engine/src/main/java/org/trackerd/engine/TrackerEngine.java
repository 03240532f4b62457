package org.trackerd.engine;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.EventTranslatorOneArg;
import com.lmax.disruptor.RingBuffer;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.agrona.concurrent.status.CountersManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.swarm.SwarmAccounting;
import org.trackerd.engine.swarm.SwarmProcessor;
import org.trackerd.engine.swarm.SwarmStore;
import org.trackerd.engine.swarm.WebRtcStore;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Wires the request ring, the swarm processor agent and one response queue per frontend.
 *
 * <p>The swarm processor is a {@link SwarmProcessorAgent} in every threading mode, which publishes the expiry
 * clock ticks itself; the mode only decides who runs it. With {@code engine.threading = dedicated} {@link #start}
 * gives it an {@link AgentRunner} and a thread of its own ({@code trackerd-swarm-processor}), idling as
 * {@code engine.wait_strategy} says ({@link #idleStrategy}); with {@code shared} it starts no thread, and the
 * launcher runs the {@link #processorAgent()} in one duty cycle with the frontends. Either way its faults are
 * counted in {@code agent_errors{agent="swarm-processor"}} and cost one request each.
 *
 * <p>Life cycle (launcher thread): construct, {@link #addFrontend} once per frontend, {@link #start},
 * then {@link #close} after the frontends stopped publishing (in shared mode: after the shared thread stopped).
 * Frontend threads may call {@link #tryPublish} from any thread at any time between start and close.
 */
public final class TrackerEngine implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TrackerEngine.class);
    /** How long close() waits for the processor's thread to finish its drain (itself bounded to 5 s). */
    private static final int STOP_TIMEOUT_MS = 10_000;

    private static final EventTranslatorOneArg<RequestEvent, RequestEvent> COPY = (slot, sequence, src) -> slot.copyFrom(src);

    private final TrackerConfig config;
    /** Given to the constructor, or by {@link #store(SwarmStore)} before {@link #start()}. */
    private SwarmStore store;
    private final CountersManager countersManager;
    private final EngineCounters counters;
    private final AgentErrors processorErrors;
    private final UnaryOperator<EventHandler<RequestEvent>> decorator;
    private final RingBuffer<RequestEvent> requestRing;
    private final List<ResponseQueue> queues = new ArrayList<>();
    private final long seed = new SecureRandom().nextLong();
    private SwarmProcessor processor;
    private SwarmProcessorAgent processorAgent;
    /** Dedicated mode only: the processor's runner, and its idle strategy when producers wake it. */
    private AgentRunner processorRunner;
    private ProcessorIdleStrategy parking;
    /** Dedicated mode with lite_blocking or blocking on more than one CPU: every publish wakes a parked processor. */
    private boolean wakeOnPublish;
    /** Dedicated mode with batch_wake, or lite_blocking/blocking on one CPU: only {@link #wakeProcessor()} does. */
    private boolean wakeOnBurst;
    private Thread processorThread;
    private boolean stopped;
    /** WebTorrent on: the WebRTC peer sets' record, opened by {@link #start()}, closed after the processor stopped. */
    private WebRtcStore webRtcStore;

    public TrackerEngine(final TrackerConfig config, final SwarmStore store, final CountersManager countersManager)
    {
        this(config, store, countersManager, UnaryOperator.identity());
    }

    /**
     * @param decorator wraps the swarm processor before its agent drives it: identity in production; a test
     *                  installs a handler that throws on chosen requests to show that a fault costs one request
     */
    public TrackerEngine(final TrackerConfig config, final SwarmStore store, final CountersManager countersManager,
        final UnaryOperator<EventHandler<RequestEvent>> decorator)
    {
        this.config = config;
        this.store = store;
        this.countersManager = countersManager;
        this.counters = new EngineCounters(countersManager);
        this.processorErrors = new AgentErrors(countersManager, "swarm-processor");
        this.decorator = decorator;
        final int maxScrape = config.tracker.maxScrapeHashes;
        // Nothing ever waits on the request ring (the agent polls it and idles through its runner's idle strategy),
        // so its wait strategy only matters for its signal on publish, which busy-spin's makes a no-op.
        this.requestRing = config.engine.isShared() ?
            // One thread publishes (frontends, clock tick) and polls: a single-producer ring, no CAS per claim.
            RingBuffer.createSingleProducer(() -> new RequestEvent(maxScrape), config.engine.requestRingSize,
                new BusySpinWaitStrategy()) :
            RingBuffer.createMultiProducer(() -> new RequestEvent(maxScrape), config.engine.requestRingSize,
                new BusySpinWaitStrategy());
    }

    /**
     * The dedicated processor thread's idle strategy for {@code engine.wait_strategy}. The names are those of the
     * Disruptor wait strategies they replace: {@code busy_spin}, {@code yielding}, {@code sleeping} (spin, yield,
     * then 100 ns parks, as Disruptor's) idle without being woken; {@code lite_blocking}, {@code blocking} and
     * {@code batch_wake} park until a producer wakes the processor (after every publish, or once per burst) or its
     * next clock tick is due. On a process that may run on one CPU only ({@link #wakesOncePerBurst}) the first two
     * wake once per burst as {@code batch_wake} does.
     */
    private IdleStrategy idleStrategy(final String name)
    {
        if (wakesOncePerBurst(name, Runtime.getRuntime().availableProcessors()))
        {
            wakeOnBurst = true;
            return parking(ProcessorIdleStrategy.BATCH_WAKE_MAX_PARK_NS);
        }
        return switch (name)
        {
            case "busy_spin" -> new BusySpinIdleStrategy();
            case "yielding" -> new YieldingIdleStrategy();
            case "sleeping" -> new BackoffIdleStrategy(100, 100, 100, 100);
            default ->
            {
                // lite_blocking, blocking on more than one CPU: the park is announced, so a publish wakes it only
                // when it parks.
                wakeOnPublish = true;
                yield parking(Long.MAX_VALUE);
            }
        };
    }

    /**
     * Whether producers wake a parked processor once per burst ({@link #wakeProcessor}, after a frontend's cycle
     * published) rather than at every publish: {@code batch_wake}, and {@code lite_blocking} / {@code blocking} when
     * the process may run on {@code cpus} = 1 only (pinned to one core, or a container of one CPU). There a wake per
     * publish cannot start the processor beside the frontend: the scheduler switches to the woken processor at once,
     * it answers that one request and parks, and the frontend goes on to the next: two context switches and a futex
     * wake and wait per request instead of per burst (measured on one core under udp:reannounce: 0.22 context
     * switches and 0.31 futex calls per response per publish, 0.09-0.13 and 0.13-0.20 per burst; under HTTP keep-alive
     * 0.38-0.45 processor context switches and 5.5-5.7 us of processor CPU per answer, 0.08 and 4.0-4.9 us per burst).
     * The park stays bounded as {@code batch_wake}'s is; the frontends also wake it after writing their answers, for
     * what that published (pipelined requests), so the bound is a safety net, not a latency.
     */
    static boolean wakesOncePerBurst(final String waitStrategy, final int cpus)
    {
        return switch (waitStrategy)
        {
            case "batch_wake" -> true;
            case "lite_blocking", "blocking" -> cpus == 1;
            default -> false;
        };
    }

    private IdleStrategy parking(final long maxParkNs)
    {
        parking = new ProcessorIdleStrategy(requestRing, processorAgent.sequence(),
            processorAgent::deadlineNs, maxParkNs);
        return parking;
    }

    /** Registers a frontend thread; {@code waker} is called (from the processor) to wake it from select(). */
    public ResponseQueue addFrontend(final Runnable waker)
    {
        if (processor != null)
        {
            throw new IllegalStateException("frontends must be added before start()");
        }
        final ResponseQueue queue = new ResponseQueue(queues.size(), config.engine.responseRingSize,
            config.tracker.maxNumWant, config.tracker.maxScrapeHashes, waker);
        queues.add(queue);
        return queue;
    }

    private org.trackerd.engine.site.DeltaRecorder deltaRecorder;

    /** Private mode: where the swarm processor records accounting deltas; call before {@link #start()}. */
    public void deltaRecorder(final org.trackerd.engine.site.DeltaRecorder recorder)
    {
        this.deltaRecorder = recorder;
    }

    /**
     * Loads the swarms from the store and builds the processor agent; in dedicated mode also starts its runner's
     * thread, in shared mode leaves the {@link #processorAgent()} to the launcher's shared thread.
     */
    public void start()
    {
        if (config.webtorrent.enabled && webRtcStore == null)
        {
            webRtcStore = WebRtcStore.open(config.storage.path, config.webtorrent.maxPeers,
                config.webtorrent.maxTorrents);
        }
        processor = new SwarmProcessor(config, store, webRtcStore, queues.toArray(new ResponseQueue[0]), counters,
            seed, deltaRecorder == null ? SwarmAccounting.NONE : deltaRecorder, SystemEpochClock.INSTANCE,
            SystemNanoClock.INSTANCE);
        processor.loadFromStore();
        start(decorator.apply(processor));
    }

    /**
     * As {@link #start()} with {@code handler} in place of the swarm processor (and no store): the rings, the
     * agent and its runner alone, as a benchmark of the hand-offs needs them.
     */
    public void start(final EventHandler<RequestEvent> handler)
    {
        processorAgent = new SwarmProcessorAgent(requestRing, handler, queues.toArray(new ResponseQueue[0]), counters,
            processorErrors, config.engine.expiryTickMs);
        if (config.engine.isShared())
        {
            return;
        }
        processorRunner = new AgentRunner(idleStrategy(config.engine.waitStrategy), processorErrors,
            processorErrors.counter(), processorAgent);
        // Not AgentRunner.startOnThread: it would rename the thread after the agent's role.
        processorThread = new Thread(processorRunner, "trackerd-swarm-processor");
        processorThread.start();
    }

    /** The processor agent (built by {@link #start}); shared mode runs it in the launcher's duty cycle. */
    public SwarmProcessorAgent processorAgent()
    {
        return processorAgent;
    }

    /** Where the swarm processor's faults are counted ({@code agent_errors{agent="swarm-processor"}}); any thread. */
    public AgentErrors processorErrors()
    {
        return processorErrors;
    }

    /**
     * Copies a parsed request into the ring. Returns false, without blocking, when the ring is full: the caller
     * answers the client with a "try again" error and counts it. In shared mode only the shared thread may call
     * it (the ring is single-producer there).
     */
    public boolean tryPublish(final RequestEvent parsed)
    {
        if (!requestRing.tryPublishEvent(COPY, parsed))
        {
            return false;
        }
        if (wakeOnPublish)
        {
            parking.wake();
        }
        return true;
    }

    /** Last request sequence the swarm processor finished (for liveness checks); any thread. */
    public long processedSequence()
    {
        final SwarmProcessorAgent agent = processorAgent;
        return agent == null ? -1 : agent.processedSequence();
    }

    /** The largest swarms as of the last expiry sweep; any thread. */
    public List<SwarmProcessor.TopSwarm> topSwarms()
    {
        final SwarmProcessor p = processor;
        return p == null ? List.of() : p.topSwarms();
    }

    /** Last request sequence published into the ring; any thread. */
    public long publishedSequence()
    {
        return requestRing.getCursor();
    }

    public List<ResponseQueue> responseQueues()
    {
        return List.copyOf(queues);
    }

    /**
     * Any publishing thread: call after publishing a burst of requests. With {@code batch_wake}, and with
     * {@code lite_blocking} or {@code blocking} on one CPU, it wakes a parked processor once for the whole burst;
     * otherwise publishing already woke it.
     */
    public void wakeProcessor()
    {
        if (wakeOnBurst)
        {
            parking.wake();
        }
    }

    public int maxScrapeHashes()
    {
        return config.tracker.maxScrapeHashes;
    }

    public RingBuffer<RequestEvent> requestRing()
    {
        return requestRing;
    }

    public EngineCounters counters()
    {
        return counters;
    }

    public CountersManager countersManager()
    {
        return countersManager;
    }

    public SwarmStore store()
    {
        return store;
    }

    /**
     * The store the processor will work on, when the constructor was given none: a launcher builds the rings and the
     * frontends while another thread opens the store (they need nothing of each other), then hands it over here,
     * before {@link #start()}. Launcher thread.
     */
    public void store(final SwarmStore store)
    {
        if (processor != null || this.store != null)
        {
            throw new IllegalStateException("the store is given once, before start()");
        }
        this.store = store;
    }

    /**
     * Waits until the processor has consumed everything published so far, then stops its runner. In shared
     * mode the launcher's thread has already stopped (and its last cycle drained the ring): nothing runs here.
     */
    @Override
    public void close()
    {
        if (processorRunner != null)
        {
            processorAgent.requestStop();
            if (parking != null)
            {
                parking.wakeAlways();
            }
            processorRunner.close(STOP_TIMEOUT_MS, t -> LOG.warn("{} has not stopped yet", t.getName()));
            joinQuietly(processorThread);
            processorRunner = null;
        }
        if (processor != null && !stopped)
        {
            stopped = true;
            LOG.info("swarm processor stopped: {} torrents, {} peers", processor.torrentCount(), processor.peerCount());
        }
        if (webRtcStore != null && (processorThread == null || !processorThread.isAlive()))
        {
            // Its one writer has stopped (in shared mode the launcher stopped its thread first); a processor that
            // did not leaves the file unclosed, and the next start recovers it.
            webRtcStore.close();
            webRtcStore = null;
        }
    }

    private static void joinQuietly(final Thread thread)
    {
        try
        {
            thread.join(STOP_TIMEOUT_MS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
