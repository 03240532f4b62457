package org.trackerd.engine;

import com.lmax.disruptor.EventPoller;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;
import org.trackerd.engine.swarm.SwarmStore;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A frontend that stops draining its response ring (its thread died) must not wedge the swarm processor: the
 * processor skips that frontend's requests once its ring is full, counts them, and keeps serving the others.
 */
@Timeout(30)
class DeadFrontendTest
{
    @TempDir
    Path dir;

    @Test
    void fullResponseRingOfADeadFrontendDoesNotBlockTheOthers() throws Exception
    {
        final TrackerConfig config = TrackerConfig.parse(
            "{\"engine\": {\"request_ring_size\": 256, \"response_ring_size\": 64, \"wait_strategy\": \"sleeping\"}}");
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(1024 * CountersReader.METADATA_LENGTH)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(1024 * CountersReader.COUNTER_LENGTH)));
        final SwarmStore store = SwarmStore.open(dir.resolve("store"), 100, 1000);
        final TrackerEngine engine = new TrackerEngine(config, store, counters);
        final ResponseQueue dead = engine.addFrontend(() -> { });
        final ResponseQueue live = engine.addFrontend(() -> { });
        engine.start();
        try
        {
            final RequestEvent e = new RequestEvent(config.tracker.maxScrapeHashes);
            // 100 requests from the dead frontend: 64 fill its ring, 36 cannot be answered.
            for (int i = 0; i < 100; i++)
            {
                fill(e, dead.id(), i);
                while (!engine.tryPublish(e))
                {
                    Thread.onSpinWait();
                }
            }
            // The live frontend is still served.
            for (int i = 0; i < 10; i++)
            {
                fill(e, live.id(), 1000 + i);
                assertTrue(engine.tryPublish(e));
                final ResponseEvent[] got = new ResponseEvent[1];
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (got[0] == null && System.nanoTime() < deadline)
                {
                    live.poller().poll((event, sequence, endOfBatch) ->
                    {
                        got[0] = event;
                        return false;
                    });
                }
                assertTrue(got[0] != null, "the live frontend got its answer");
                assertEquals(Status.OK, got[0].status);
                assertEquals(e.correlationId, got[0].correlationId);
            }
            assertEquals(36, engine.counters().responsesDropped.get());
            assertEquals(EventPoller.PollState.PROCESSING, dead.poller().poll((event, sequence, end) -> true),
                "the dead frontend's first 64 answers wait in its ring");
        }
        finally
        {
            final long start = System.nanoTime();
            engine.close();
            store.close();
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "close is not held up by the dead frontend");
        }
    }

    private static void fill(final RequestEvent e, final int frontendId, final int peer)
    {
        e.kind = RequestEvent.KIND_ANNOUNCE;
        e.frontendId = frontendId;
        e.correlationId = peer;
        e.context = 0;
        final byte[] hash = new byte[20];
        Arrays.fill(hash, (byte)0x22);
        System.arraycopy(hash, 0, e.infoHash, 0, 20);
        final byte[] peerId = new byte[20];
        Arrays.fill(peerId, (byte)'p');
        peerId[0] = (byte)peer;
        peerId[1] = (byte)(peer >> 8);
        System.arraycopy(peerId, 0, e.peerId, 0, 20);
        RequestEvent.putIpv4Mapped(e.address, 0, new byte[] {10, 0, (byte)(peer >> 8), (byte)peer}, 0);
        e.port = 6881;
        e.uploaded = 0;
        e.downloaded = 0;
        e.left = 1000;
        e.event = RequestEvent.EVENT_NONE;
        e.numWant = 10;
        e.hasKey = false;
        e.key = 0;
        e.scrapeCount = 0;
    }
}
