package org.trackerd.engine;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.trackerd.engine.event.RequestEvent;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared-mode processor agent hands its handler batches as a BatchEventProcessor would, and ticks itself. */
class SwarmProcessorAgentTest
{
    /** Records the calls as text: "start:N" for onBatchStart, "kind@sequence[!]" for events (! = endOfBatch). */
    private static final class Recorder implements EventHandler<RequestEvent>
    {
        final List<String> calls = new ArrayList<>();
        long failOn = -1;

        @Override
        public void onBatchStart(final long batchSize, final long queueDepth)
        {
            calls.add("start:" + batchSize);
        }

        @Override
        public void onEvent(final RequestEvent event, final long sequence, final boolean endOfBatch)
        {
            calls.add(event.kind + "@" + sequence + (endOfBatch ? "!" : ""));
            if (sequence == failOn)
            {
                throw new IllegalStateException("boom");
            }
        }
    }

    private final RingBuffer<RequestEvent> ring =
        RingBuffer.createSingleProducer(() -> new RequestEvent(4), 64, new BusySpinWaitStrategy());
    private final EngineCounters counters = new EngineCounters(new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(64 * CountersReader.METADATA_LENGTH)),
        new UnsafeBuffer(ByteBuffer.allocateDirect(64 * CountersReader.COUNTER_LENGTH))));
    private final Recorder recorder = new Recorder();

    private void publishAnnounces(final int n)
    {
        for (int i = 0; i < n; i++)
        {
            assertTrue(ring.tryPublishEvent((slot, sequence) -> slot.kind = RequestEvent.KIND_ANNOUNCE));
        }
    }

    @Test
    void drainsWhatTheRingHoldsAsOneBatch() throws Exception
    {
        final SwarmProcessorAgent agent = new SwarmProcessorAgent(ring, recorder, counters, 60_000);
        assertEquals(0, agent.doWork());
        publishAnnounces(3);
        assertEquals(3, agent.doWork());
        final int a = RequestEvent.KIND_ANNOUNCE;
        assertEquals(List.of("start:3", a + "@0", a + "@1", a + "@2!"), recorder.calls);
        assertEquals(2, agent.processedSequence());
        recorder.calls.clear();
        publishAnnounces(1);
        assertEquals(1, agent.doWork());
        assertEquals(List.of("start:1", a + "@3!"), recorder.calls);
        assertEquals(0, agent.doWork());
    }

    @Test
    void aFailingRequestIsCountedAndSkipped() throws Exception
    {
        final SwarmProcessorAgent agent = new SwarmProcessorAgent(ring, recorder, counters, 60_000);
        recorder.failOn = 1;
        publishAnnounces(3);
        assertEquals(3, agent.doWork());
        assertEquals(4, recorder.calls.size());
        assertEquals(1, counters.processorErrors.get());
        assertEquals(2, agent.processedSequence());
    }

    @Test
    void publishesItsOwnClockTickWhenDue() throws Exception
    {
        final SwarmProcessorAgent agent = new SwarmProcessorAgent(ring, recorder, counters, 5);
        assertTrue(agent.deadlineNs() - System.nanoTime() <= TimeUnit.MILLISECONDS.toNanos(5));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(6));
        assertEquals(1, agent.doWork());
        assertEquals(List.of("start:1", RequestEvent.KIND_TICK + "@0!"), recorder.calls);
        assertTrue(agent.deadlineNs() - System.nanoTime() > 0, "next tick is in the future");
    }
}
