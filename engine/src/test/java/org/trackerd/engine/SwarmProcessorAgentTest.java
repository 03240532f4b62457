package org.trackerd.engine;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The processor agent hands its handler batches as a BatchEventProcessor would, ticks itself, and keeps a fault to
 * the one request: counted, answered with an error, never twice.
 */
class SwarmProcessorAgentTest
{
    /** Records the calls as text: "start:N" for onBatchStart, "kind@sequence[!]" for events (! = endOfBatch). */
    private final class Recorder implements EventHandler<RequestEvent>
    {
        final List<String> calls = new ArrayList<>();
        long failOn = -1;
        /** Publish an answer to the failing request first, as the processor does when it throws mid-answer. */
        boolean answerBeforeFailing;

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
                if (answerBeforeFailing)
                {
                    final long slot = queue.ring().next();
                    final ResponseEvent r = queue.ring().get(slot);
                    r.failed(event, Status.OK);
                    queue.ring().publish(slot);
                }
                throw new IllegalStateException("boom");
            }
        }
    }

    private final RingBuffer<RequestEvent> ring =
        RingBuffer.createSingleProducer(() -> new RequestEvent(4), 64, new BusySpinWaitStrategy());
    private final CountersManager manager = new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(64 * CountersReader.METADATA_LENGTH)),
        new UnsafeBuffer(ByteBuffer.allocateDirect(64 * CountersReader.COUNTER_LENGTH)));
    private final EngineCounters counters = new EngineCounters(manager);
    private final AgentErrors errors = new AgentErrors(manager, "swarm-processor");
    private final ResponseQueue queue = new ResponseQueue(0, 8, 4, 4, () -> { });
    private final Recorder recorder = new Recorder();

    private SwarmProcessorAgent agent(final long tickPeriodMs)
    {
        return new SwarmProcessorAgent(ring, recorder, new ResponseQueue[] { queue }, counters, errors, tickPeriodMs);
    }

    private void publishAnnounces(final int n)
    {
        for (int i = 0; i < n; i++)
        {
            assertTrue(ring.tryPublishEvent((slot, sequence) ->
            {
                slot.kind = RequestEvent.KIND_ANNOUNCE;
                slot.frontendId = 0;
                slot.correlationId = 10 + sequence;
                slot.receivedNs = sequence;
            }));
        }
    }

    @Test
    void drainsWhatTheRingHoldsAsOneBatch() throws Exception
    {
        final SwarmProcessorAgent agent = agent(60_000);
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
        final SwarmProcessorAgent agent = agent(60_000);
        recorder.failOn = 1;
        publishAnnounces(3);
        assertEquals(3, agent.doWork());
        assertEquals(4, recorder.calls.size());
        assertEquals(1, counters.processorErrors.get());
        assertEquals(1, errors.counter().get());
        assertEquals(2, agent.processedSequence());
        // The failed request's client gets an error answer, not silence; the others were the handler's to answer.
        assertEquals(0, queue.ring().getCursor());
        assertEquals(Status.SERVER_ERROR, queue.ring().get(0).status);
        assertEquals(11, queue.ring().get(0).correlationId);
    }

    @Test
    void aRequestTheHandlerAnsweredBeforeFailingIsNotAnsweredTwice() throws Exception
    {
        final SwarmProcessorAgent agent = agent(60_000);
        recorder.failOn = 0;
        recorder.answerBeforeFailing = true;
        publishAnnounces(1);
        assertEquals(1, agent.doWork());
        assertEquals(1, errors.counter().get());
        assertEquals(0, queue.ring().getCursor(), "only the handler's own answer");
        assertEquals(Status.OK, queue.ring().get(0).status);
    }

    @Test
    void publishesItsOwnClockTickWhenDue() throws Exception
    {
        final SwarmProcessorAgent agent = agent(5);
        assertTrue(agent.deadlineNs() - System.nanoTime() <= TimeUnit.MILLISECONDS.toNanos(5));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(6));
        assertEquals(1, agent.doWork());
        assertEquals(List.of("start:1", RequestEvent.KIND_TICK + "@0!"), recorder.calls);
        assertTrue(agent.deadlineNs() - System.nanoTime() > 0, "next tick is in the future");
    }
}
