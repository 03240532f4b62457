package org.trackerd.jmh;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.trackerd.engine.ResponseQueue;
import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;

import java.util.concurrent.TimeUnit;

/**
 * The hand-offs between threads, on the engine's own rings ({@link TrackerEngine#tryPublish} copying a parsed
 * request into a request-ring slot, a {@link ResponseQueue} per frontend) and its own processor agent on its own
 * runner ({@code engine.threading = dedicated}), with the swarm work replaced by a trivial handler
 * ({@link TrackerEngine#start(EventHandler)}) so only the rings and the wake-ups are measured.
 *
 * <ul>
 *   <li>{@code roundTrip}: one request in flight — publish, the consumer thread copies it into a response slot,
 *   the benchmark thread polls it back as a frontend would. Latency of the two hand-offs.</li>
 *   <li>{@code publish}: the frontend side flat out — {@code tryPublish} (spinning while the ring is full) with
 *   a consumer that only counts. Throughput of the request ring.</li>
 * </ul>
 *
 * <p>{@code waitStrategy} is the engine's {@code engine.wait_strategy}: how the processor's runner idles.
 * {@code lite_blocking} (the default) parks it and a publish unparks it when it parked; {@code yielding} and
 * {@code busy_spin} burn a core and need one to spare, which a 2-core shared host does not have.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RingRoundTripBenchmark extends ForkedBenchmark
{
    /** The request every benchmark publishes: an announce as the HTTP frontend parses it. */
    static RequestEvent parsedAnnounce(final int maxScrapeHashes)
    {
        final RequestEvent e = new RequestEvent(maxScrapeHashes);
        e.kind = RequestEvent.KIND_ANNOUNCE;
        e.context = 1;
        Wire.id20(e.infoHash, 0, 1, 1);
        Wire.id20(e.peerId, 0, 2, 2);
        e.address[10] = (byte)0xFF;
        e.address[11] = (byte)0xFF;
        e.address[12] = (byte)198;
        e.address[13] = (byte)51;
        e.address[14] = (byte)100;
        e.address[15] = (byte)7;
        e.port = 51413;
        e.left = 3_912_040_448L;
        e.numWant = 200;
        e.hasKey = true;
        e.key = 0x8C1D5A3E;
        return e;
    }

    /** An engine without a store or swarm processor: just its rings. */
    static TrackerEngine ringsOnly(final String waitStrategy)
    {
        final TrackerConfig config = TrackerConfig.parse(
            "{\"engine\": {\"threading\": \"dedicated\", \"wait_strategy\": \"" + waitStrategy + "\", " +
            "\"request_ring_size\": 16384, " +
            "\"response_ring_size\": 1024}}");
        final CountersManager counters = BenchCounters.of(1024);
        return new TrackerEngine(config, null, counters);
    }

    /** Runs {@code handler} on its own thread behind the engine's request ring. */
    @State(Scope.Thread)
    public abstract static class ConsumerState
    {
        @Param({"lite_blocking", "batch_wake", "yielding"})
        public String waitStrategy;

        TrackerEngine engine;
        RequestEvent parsed;

        abstract EventHandler<RequestEvent> handler();

        void start()
        {
            parsed = parsedAnnounce(engine.maxScrapeHashes());
            engine.start(handler());
        }

        void stop()
        {
            engine.close();
        }
    }

    /** The consumer answers every request on the response queue, as the swarm processor does. */
    @State(Scope.Thread)
    public static class Echo extends ConsumerState
    {
        private ResponseQueue queue;
        private EventPoller<ResponseEvent> poller;
        long received;
        private final EventPoller.Handler<ResponseEvent> onResponse = (r, sequence, endOfBatch) ->
        {
            received = r.correlationId;
            return false;
        };

        @Override
        EventHandler<RequestEvent> handler()
        {
            return (request, sequence, endOfBatch) ->
            {
                if (request.kind != RequestEvent.KIND_ANNOUNCE)
                {
                    return; // the agent's own clock ticks get no answer
                }
                final RingBuffer<ResponseEvent> ring = queue.ring();
                final long slot = ring.next();
                final ResponseEvent r = ring.get(slot);
                r.kind = request.kind;
                r.correlationId = request.correlationId;
                r.context = request.context;
                r.peerCount = 0;
                ring.publish(slot);
            };
        }

        @Setup(Level.Trial)
        public void setUp()
        {
            engine = ringsOnly(waitStrategy);
            queue = engine.addFrontend(() -> {});
            poller = queue.poller();
            start();
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            stop();
        }

        long roundTrip() throws Exception
        {
            final long id = ++parsed.correlationId;
            for (int spins = 0; !engine.tryPublish(parsed); spins++)
            {
                idle(spins);
            }
            engine.wakeProcessor(); // as a frontend does after its burst (batch_wake)
            for (int spins = 0; poller.poll(onResponse) != EventPoller.PollState.PROCESSING; spins++)
            {
                idle(spins);
            }
            if (received != id)
            {
                throw new IllegalStateException("expected response " + id + ", got " + received);
            }
            return received;
        }
    }

    /** The consumer only counts: nothing comes back. */
    @State(Scope.Thread)
    public static class Count extends ConsumerState
    {
        long consumed;

        @Override
        EventHandler<RequestEvent> handler()
        {
            return (request, sequence, endOfBatch) -> consumed++;
        }

        @Setup(Level.Trial)
        public void setUp()
        {
            engine = ringsOnly(waitStrategy);
            start();
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            stop();
        }
    }

    @Benchmark
    public long roundTrip(final Echo echo) throws Exception
    {
        return echo.roundTrip();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public boolean publish(final Count count)
    {
        for (int spins = 0; !count.engine.tryPublish(count.parsed); spins++)
        {
            count.engine.wakeProcessor(); // a full ring: as a frontend would at the end of its cycle (batch_wake)
            idle(spins);
        }
        return true;
    }

    /**
     * Waiting on the benchmark thread: spin a little, then yield, so that on a host with fewer free cores than
     * busy threads the consumer still gets to run (pure spinning there measures the scheduler, not the ring).
     */
    static void idle(final int spins)
    {
        if (spins < 100)
        {
            Thread.onSpinWait();
        }
        else
        {
            Thread.yield();
        }
    }
}
