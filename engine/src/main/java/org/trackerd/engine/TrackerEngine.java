package org.trackerd.engine;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.LiteTimeoutBlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventTranslator;
import com.lmax.disruptor.EventTranslatorOneArg;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.status.CountersManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.swarm.SwarmAccounting;
import org.trackerd.engine.swarm.SwarmProcessor;
import org.trackerd.engine.swarm.SwarmStore;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Wires the request ring, the swarm processor, the clock tick and one response queue per frontend.
 *
 * <p>With {@code engine.threading = dedicated} the processor runs on a thread of its own (a
 * {@code BatchEventProcessor}) and a ticker thread publishes the clock ticks. With {@code shared} {@link #start}
 * starts no thread: it builds the {@link #processorAgent()}, which the launcher runs in one duty cycle with the
 * frontends, and which publishes the ticks itself.
 *
 * <p>Life cycle (launcher thread): construct, {@link #addFrontend} once per frontend, {@link #start},
 * then {@link #close} after the frontends stopped publishing (in shared mode: after the shared thread stopped).
 * Frontend threads may call {@link #tryPublish} from any thread at any time between start and close.
 */
public final class TrackerEngine implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TrackerEngine.class);

    private static final EventTranslatorOneArg<RequestEvent, RequestEvent> COPY = (slot, sequence, src) -> slot.copyFrom(src);
    private static final EventTranslator<RequestEvent> TICK = (slot, sequence) ->
    {
        slot.kind = RequestEvent.KIND_TICK;
        slot.scrapeCount = 0;
    };

    private final TrackerConfig config;
    private final SwarmStore store;
    private final CountersManager countersManager;
    private final EngineCounters counters;
    private final RingBuffer<RequestEvent> requestRing;
    /** Non-null when producers must wake the processor after a burst (engine.wait_strategy batch_wake). */
    private final BatchWakeWaitStrategy batchWake;
    private final List<ResponseQueue> queues = new ArrayList<>();
    private final long seed = new SecureRandom().nextLong();
    private SwarmProcessor processor;
    private BatchEventProcessor<RequestEvent> batchProcessor;
    /** Shared mode only: the processor as an agent of the launcher's shared thread. */
    private SwarmProcessorAgent processorAgent;
    private Thread processorThread;
    private Thread tickerThread;
    private volatile boolean running;

    public TrackerEngine(final TrackerConfig config, final SwarmStore store, final CountersManager countersManager)
    {
        this.config = config;
        this.store = store;
        this.countersManager = countersManager;
        this.counters = new EngineCounters(countersManager);
        final int maxScrape = config.tracker.maxScrapeHashes;
        if (config.engine.isShared())
        {
            // One thread publishes (frontends, clock tick) and polls: a single-producer ring, no CAS per claim. Nothing
            // ever waits on it (the poller never blocks), and busy-spin's signal on publish is a no-op.
            this.batchWake = null;
            this.requestRing = RingBuffer.createSingleProducer(() -> new RequestEvent(maxScrape),
                config.engine.requestRingSize, new BusySpinWaitStrategy());
            return;
        }
        final WaitStrategy strategy = waitStrategy(config.engine.waitStrategy);
        this.batchWake = strategy instanceof BatchWakeWaitStrategy ? (BatchWakeWaitStrategy)strategy : null;
        this.requestRing = RingBuffer.createMultiProducer(() -> new RequestEvent(maxScrape),
            config.engine.requestRingSize, strategy);
    }

    static WaitStrategy waitStrategy(final String name)
    {
        return switch (name)
        {
            case "busy_spin" -> new BusySpinWaitStrategy();
            case "yielding" -> new YieldingWaitStrategy();
            case "sleeping" -> new SleepingWaitStrategy();
            // Producers signal only when the processor is actually waiting (no lock per publish, unlike
            // BlockingWaitStrategy); the 1 ms timeout bounds the cost of any missed signal.
            case "blocking" -> new BlockingWaitStrategy();
            case "batch_wake" -> new BatchWakeWaitStrategy(1, TimeUnit.MILLISECONDS);
            default -> new LiteTimeoutBlockingWaitStrategy(1, TimeUnit.MILLISECONDS);
        };
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
     * Loads the swarms from the store; then, in dedicated mode, starts the processor and ticker threads, in shared
     * mode builds the {@link #processorAgent()} for the launcher to run.
     */
    public void start()
    {
        processor = new SwarmProcessor(config, store, queues.toArray(new ResponseQueue[0]), counters, seed,
            deltaRecorder == null ? SwarmAccounting.NONE : deltaRecorder, SystemEpochClock.INSTANCE,
            SystemNanoClock.INSTANCE);
        processor.loadFromStore();
        if (config.engine.isShared())
        {
            processorAgent = new SwarmProcessorAgent(requestRing, processor, counters, config.engine.expiryTickMs);
            running = true;
            return;
        }
        batchProcessor = new BatchEventProcessorBuilder().build(requestRing, requestRing.newBarrier(), processor);
        requestRing.addGatingSequences(batchProcessor.getSequence());
        running = true;
        processorThread = new Thread(batchProcessor, "trackerd-swarm-processor");
        processorThread.start();
        tickerThread = new Thread(this::tick, "trackerd-ticker");
        tickerThread.setDaemon(true);
        tickerThread.start();
    }

    /** Shared mode: the processor agent, for the launcher's duty cycle; null in dedicated mode or before start. */
    public SwarmProcessorAgent processorAgent()
    {
        return processorAgent;
    }

    private void tick()
    {
        final long periodNs = TimeUnit.MILLISECONDS.toNanos(config.engine.expiryTickMs);
        while (running)
        {
            LockSupport.parkNanos(periodNs);
            if (running)
            {
                requestRing.tryPublishEvent(TICK);
                wakeProcessor();
            }
        }
    }

    /**
     * Copies a parsed request into the ring. Returns false, without blocking, when the ring is full: the caller
     * answers the client with a "try again" error and counts it. In shared mode only the shared thread may call
     * it (the ring is single-producer there).
     */
    public boolean tryPublish(final RequestEvent parsed)
    {
        return requestRing.tryPublishEvent(COPY, parsed);
    }

    /** Last request sequence the swarm processor finished (for liveness checks); any thread. */
    public long processedSequence()
    {
        if (processorAgent != null)
        {
            return processorAgent.processedSequence();
        }
        return batchProcessor == null ? -1 : batchProcessor.getSequence().get();
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
     * Any publishing thread: call after publishing a burst of requests. With {@code batch_wake} it wakes a
     * sleeping processor once for the whole burst; with the other strategies publishing already woke it.
     */
    public void wakeProcessor()
    {
        if (batchWake != null)
        {
            batchWake.wake();
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
     * Waits until the processor has consumed everything published so far, then stops it and its ticker. In shared
     * mode the launcher's thread has already stopped (and its last cycle drained the ring): nothing runs here.
     */
    @Override
    public void close()
    {
        if (processorAgent != null && running)
        {
            LOG.info("swarm processor stopped: {} torrents, {} peers", processor.torrentCount(), processor.peerCount());
        }
        running = false;
        if (tickerThread != null)
        {
            tickerThread.interrupt();
            joinQuietly(tickerThread);
        }
        if (batchProcessor != null)
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (batchProcessor.getSequence().get() < requestRing.getCursor() && System.nanoTime() < deadlineNs)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            batchProcessor.halt();
            joinQuietly(processorThread);
            LOG.info("swarm processor stopped: {} torrents, {} peers", processor.torrentCount(), processor.peerCount());
        }
    }

    private static void joinQuietly(final Thread thread)
    {
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
