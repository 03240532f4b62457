package org.trackerd.io.udp;

import com.lmax.disruptor.EventHandler;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.Status;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.e2e.Announce.hash;
import static org.trackerd.io.e2e.Announce.leecher;
import static org.trackerd.io.e2e.Announce.peerId;
import static org.trackerd.io.e2e.Announce.seeder;

/**
 * A fault in the swarm processor costs the one request it happened on, in every threading mode: a handler
 * installed around the processor throws on every request for one infohash (and on one clock tick), and over real
 * sockets the tracker keeps answering everyone else, the faulted clients get an error answer (an HTTP
 * {@code failure reason}, a UDP error packet) instead of silence, and {@code agent_errors{agent="swarm-processor"}}
 * counts each fault.
 */
class ProcessorFaultE2ETest
{
    private static final byte[] POISON = hash("poison");
    private static final String REASON = Status.SERVER_ERROR.reason();
    private static final String ERRORS_LABEL = "agent_errors{agent=\"swarm-processor\"}";

    @TempDir
    Path dir;

    /** Throws on announces of {@link #POISON}, and on the first tick after {@link #failNextTick} was set. */
    private static final class FaultInjector implements EventHandler<RequestEvent>
    {
        private final EventHandler<RequestEvent> processor;
        volatile boolean failNextTick;

        FaultInjector(final EventHandler<RequestEvent> processor)
        {
            this.processor = processor;
        }

        @Override
        public void onBatchStart(final long batchSize, final long queueDepth)
        {
            processor.onBatchStart(batchSize, queueDepth);
        }

        @Override
        public void onEvent(final RequestEvent event, final long sequence, final boolean endOfBatch) throws Exception
        {
            if (event.kind == RequestEvent.KIND_ANNOUNCE && Arrays.equals(event.infoHash, POISON))
            {
                throw new IllegalStateException("injected fault (a test)");
            }
            if (event.kind == RequestEvent.KIND_TICK && failNextTick)
            {
                failNextTick = false;
                throw new IllegalStateException("injected fault in a tick (a test)");
            }
            processor.onEvent(event, sequence, endOfBatch);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "shared", "dedicated:lite_blocking", "dedicated:blocking", "dedicated:batch_wake",
        "dedicated:sleeping", "dedicated:yielding" })
    @Timeout(60)
    void aFaultCostsOneRequestAndIsCounted(final String mode) throws Exception
    {
        final String[] parts = mode.split(":");
        final FaultInjector[] injector = new FaultInjector[1];
        final TrackerHarness harness = new TrackerHarness(dir.resolve(mode.replace(':', '-')))
            .set("udp", "listen", "[\"127.0.0.1:0\"]")
            .set("engine", "threading", "\"" + parts[0] + "\"")
            .set("engine", "expiry_tick_ms", "20")
            .processorDecorator(processor -> injector[0] = new FaultInjector(processor));
        if (parts.length > 1)
        {
            harness.set("engine", "wait_strategy", "\"" + parts[1] + "\"");
        }
        try (harness)
        {
            harness.start();
            int faults = 0;
            byte[] h = null;
            for (int round = 0; round < 3; round++)
            {
                h = hash("healthy-" + mode + "-" + round);
                // HTTP, one connection per request: the faulted request's client is told, the next one is served.
                Map<String, Object> answer = harness.get(seeder(POISON, peerId(1), 7001).target());
                assertEquals(REASON, failure(answer));
                faults++;
                harness.announce(seeder(h, peerId(1), 7001));
                answer = harness.announce(leecher(h, peerId(2), 7002));
                assertEquals(1L, answer.get("complete"));
                assertEquals(1L, answer.get("incomplete"));

                // HTTP keep-alive: the connection outlives the fault and answers in order.
                try (RawHttpClient client = harness.connect())
                {
                    RawHttpClient.Response response = client.exchange(leecher(POISON, peerId(3), 7003).target());
                    assertEquals(200, response.status);
                    assertEquals(REASON, failure(response.bencoded()));
                    faults++;
                    response = client.exchange(leecher(h, peerId(3), 7003).target());
                    assertEquals(200, response.status);
                    assertEquals(2L, response.bencoded().get("incomplete"));
                }

                // UDP: an error packet for the faulted announce, a normal answer for the next.
                try (UdpTrackerE2ETest.Client client =
                    new UdpTrackerE2ETest.Client(harness.tracker().udpAddresses().get(0)))
                {
                    final long connectionId = client.connect();
                    final int tid = 0x7000 + round;
                    client.exchange(client.announcePacket(connectionId, tid, POISON, peerId(4), 7004, 1000, 0, -1,
                        null));
                    client.assertError(tid, REASON);
                    faults++;
                    final AnnounceResponseFlyweight a = client.announce(connectionId, h, peerId(4), 7004, 1000, 0,
                        null);
                    assertEquals(1, a.seeders());
                }
            }
            assertEquals(faults, counter(harness, ERRORS_LABEL));
            assertEquals(faults, counter(harness, "engine_processor_errors"));

            // A fault in a clock tick is counted too, and the ticks (and answers) go on.
            injector[0].failNextTick = true;
            final long deadlineMs = System.currentTimeMillis() + 10_000;
            while (counter(harness, ERRORS_LABEL) == faults)
            {
                assertTrue(System.currentTimeMillis() < deadlineMs, "the tick fault was never counted");
                Thread.onSpinWait();
            }
            assertFalse(injector[0].failNextTick);
            assertEquals(faults + 1, counter(harness, ERRORS_LABEL));
            assertEquals(1L, harness.scrape(h).get("complete"));
            if ("dedicated".equals(parts[0]))
            {
                assertTrue(Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.getName().equals("trackerd-swarm-processor") && t.isAlive()));
            }
        }
        assertFalse(Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.getName().startsWith("trackerd-swarm") || t.getName().startsWith("trackerd-ticker")),
            "the processor's thread ended, and there is no ticker thread");
    }

    private static String failure(final Map<String, Object> answer)
    {
        final Object reason = answer.get("failure reason");
        return reason instanceof byte[] ? new String((byte[])reason, StandardCharsets.ISO_8859_1) : String.valueOf(reason);
    }

    private static long counter(final TrackerHarness harness, final String label)
    {
        final long[] value = { -1 };
        harness.tracker().counters().forEach((v, id, l) ->
        {
            if (l.equals(label))
            {
                value[0] = v;
            }
        });
        return value[0];
    }
}
