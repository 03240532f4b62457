package org.trackerd.jmh;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;
import org.trackerd.engine.ResponseQueue;
import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.swarm.SwarmAccounting;
import org.trackerd.engine.swarm.SwarmProcessor;
import org.trackerd.engine.swarm.SwarmStore;
import org.trackerd.engine.swarm.WebRtcStore;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A swarm processor driven by hand, as the benchmarks and footprint probes need it: the store opened in a
 * directory, an engine with one frontend whose responses this fixture consumes, the processor loaded from the
 * store. {@link #submit} hands one request to the processor as a batch of one and consumes its answer, so the response
 * ring never fills and whatever the processor allocates is per request.
 *
 * <p>Thread: the one calling thread is the processor's thread and the frontend's.
 */
final class ProcessorFixture implements AutoCloseable
{
    final SwarmStore store;
    final WebRtcStore webRtcStore;
    final TrackerEngine engine;
    final SwarmProcessor processor;
    private final RingBuffer<ResponseEvent> responses;
    private final Sequence consumed;
    private long sequence;

    /**
     * Opens the store under {@code config.storage} in {@code directory} (and {@code webrtc.dat} beside it when
     * {@code persistedWebRtc}) and builds the engine and processor over it.
     */
    ProcessorFixture(final Path directory, final TrackerConfig config, final boolean persistedWebRtc)
        throws IOException
    {
        store = SwarmStore.open(directory, config.storage.maxTorrents, config.storage.maxPeers,
            config.storage.maxBytes);
        webRtcStore = persistedWebRtc ?
            WebRtcStore.open(directory, config.webtorrent.maxPeers, config.webtorrent.maxTorrents) : null;
        engine = new TrackerEngine(config, store, BenchCounters.of(1024));
        final ResponseQueue queue = engine.addFrontend(() -> {});
        responses = queue.ring();
        consumed = queue.poller().getSequence();
        processor = new SwarmProcessor(config, store, webRtcStore, new ResponseQueue[] {queue}, engine.counters(),
            42, SwarmAccounting.NONE, SystemEpochClock.INSTANCE, SystemNanoClock.INSTANCE);
        processor.loadFromStore();
    }

    /** The next request's sequence (what a frontend would put in {@code correlationId} to tell answers apart). */
    long sequence()
    {
        return sequence;
    }

    /** Processes {@code request} as a batch of one and returns its answer, consumed (valid until the next call). */
    ResponseEvent submit(final RequestEvent request)
    {
        processor.onBatchStart(1, 0);
        processor.onEvent(request, sequence++, true);
        final long cursor = responses.getCursor();
        final ResponseEvent response = responses.get(cursor);
        consumed.set(cursor);
        return response;
    }

    @Override
    public void close()
    {
        engine.close();
        if (webRtcStore != null)
        {
            webRtcStore.close();
        }
        store.close();
    }
}
