package org.trackerd.engine.site;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The backend thread of private mode: drains the swarm processor's accounting records into a growing
 * {@link DeltaBatch}, and every {@code flush_interval_ms} freezes it under a new id and writes it through the
 * {@link SiteBackend} in one transaction. A failed write keeps the frozen batch and retries it (same id, so a
 * commit whose acknowledgement was lost is recognised, and every delta lands exactly once) while new records keep
 * merging into the next batch, up to {@code max_pending_rows}; past that it stops draining and the swarm
 * processor's bounded ring fills and counts what it drops. Both batches go to the {@link DeltaJournal} on every
 * interval and on close.
 *
 * <p>Thread: {@link #run} on its own thread; {@link #close} from the controlling thread.
 */
public final class DeltaFlusher implements Runnable, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(DeltaFlusher.class);

    private final OneToOneRingBuffer ring;
    private final SiteBackend backend;
    private final DeltaJournal journal;
    private final SiteCounters counters;
    private final long intervalMs;
    private final int maxPendingRows;
    private final MessageHandler onMessage = this::onMessage;

    private DeltaBatch growing = new DeltaBatch();
    private DeltaBatch frozen;
    private long nextId;
    private long nextFlushMs;
    private boolean journalDirty;
    private volatile boolean running = true;
    private volatile boolean idle;
    private Thread thread;

    public DeltaFlusher(final OneToOneRingBuffer ring, final SiteBackend backend, final DeltaJournal journal,
        final SiteCounters counters, final long intervalMs, final int maxPendingRows)
    {
        this.ring = ring;
        this.backend = backend;
        this.journal = journal;
        this.counters = counters;
        this.intervalMs = intervalMs;
        this.maxPendingRows = maxPendingRows;
        this.nextId = System.currentTimeMillis() * 1000;
    }

    /** Takes over what the last run left in the journal; call before {@link #start}. */
    public void recover() throws java.io.IOException
    {
        if (journal == null)
        {
            return;
        }
        final List<DeltaBatch> kept = journal.load();
        for (final DeltaBatch b : kept)
        {
            if (b.id != 0 && frozen == null)
            {
                frozen = b;
                nextId = Math.max(nextId, b.id + 1);
            }
            else
            {
                for (final DeltaBatch.Snatch s : b.snatches)
                {
                    growing.snatches.add(s);
                }
                mergeInto(growing, b);
            }
        }
        if (!kept.isEmpty())
        {
            LOG.info("journal {}: recovered {} unflushed batch(es), {} rows", journal.file(), kept.size(), pendingRows());
        }
        counters.pendingRows.setRelease(pendingRows());
    }

    private static void mergeInto(final DeltaBatch into, final DeltaBatch from)
    {
        into.deltas += from.deltas;
        from.users.forEach((k, v) ->
        {
            final long[] u = into.users.computeIfAbsent(k, x -> new long[2]);
            u[0] += v[0];
            u[1] += v[1];
        });
        from.tokens.forEach((k, v) -> into.tokens.computeIfAbsent(k, x -> new long[1])[0] += v[0]);
        from.torrents.forEach((k, v) ->
        {
            final long[] t = into.torrents.computeIfAbsent(k, x -> new long[4]);
            t[0] = v[0];
            t[1] = v[1];
            t[2] += v[2];
            t[3] = Math.max(t[3], v[3]);
        });
        from.peers.forEach((k, v) ->
        {
            final DeltaBatch.Peer old = into.peers.get(k);
            if (old != null)
            {
                v.announces += old.announces;
                v.completed |= old.completed;
            }
            into.peers.put(k, v);
        });
    }

    public DeltaFlusher start()
    {
        nextFlushMs = System.currentTimeMillis() + intervalMs;
        thread = new Thread(this, "trackerd-private-flusher");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    @Override
    public void run()
    {
        while (running)
        {
            final int work = doWork(System.currentTimeMillis());
            idle = work == 0 && frozen == null && growing.isEmpty() && ring.size() == 0;
            if (work == 0)
            {
                LockSupport.parkNanos(1_000_000L);
            }
        }
    }

    /** One duty cycle: drain, flush when due, journal when due. Returns the work done. */
    int doWork(final long nowMs)
    {
        int work = 0;
        if (pendingRows() < maxPendingRows)
        {
            work += ring.read(onMessage, 4096);
        }
        if (nowMs >= nextFlushMs)
        {
            nextFlushMs = nowMs + intervalMs;
            work += flush();
            writeJournal();
        }
        return work;
    }

    private void onMessage(final int type, final DirectBuffer buffer, final int offset, final int length)
    {
        if (type == DeltaMessage.TYPE_ANNOUNCE && length >= DeltaMessage.LENGTH)
        {
            growing.merge(buffer, offset);
            journalDirty = true;
        }
    }

    private int pendingRows()
    {
        return growing.rows() + (frozen == null ? 0 : frozen.rows());
    }

    /** Writes the frozen batch (or freezes the growing one first); returns 1 if a batch went out. */
    private int flush()
    {
        if (frozen == null)
        {
            if (growing.isEmpty())
            {
                return 0;
            }
            frozen = growing;
            frozen.id = nextId++;
            growing = new DeltaBatch();
        }
        final long startNs = System.nanoTime();
        try
        {
            final boolean written = backend.write(frozen);
            final long micros = (System.nanoTime() - startNs) / 1000;
            counters.flushMicrosTotal.getAndAddRelease(micros);
            counters.lastFlushMicros.setRelease(micros);
            counters.lastBatchRows.setRelease(frozen.rows());
            counters.batchesFlushed.incrementRelease();
            counters.rowsFlushed.getAndAddRelease(frozen.rows());
            counters.deltasFlushed.getAndAddRelease(frozen.deltas);
            if (!written)
            {
                counters.batchesDeduplicated.incrementRelease();
            }
            frozen = null;
            journalDirty = true;
            counters.pendingRows.setRelease(pendingRows());
            return 1;
        }
        catch (final Exception ex)
        {
            counters.dbErrors.incrementRelease();
            counters.pendingRows.setRelease(pendingRows());
            LOG.warn("flushing batch {} ({} rows) failed, keeping it to retry: {}", frozen.id, frozen.rows(), ex.toString());
            return 0;
        }
    }

    private void writeJournal()
    {
        if (journal == null || !journalDirty)
        {
            return;
        }
        try
        {
            final List<DeltaBatch> batches = new ArrayList<>(2);
            batches.add(frozen);
            batches.add(growing);
            journal.write(batches);
            journalDirty = false;
            counters.journalWrites.incrementRelease();
        }
        catch (final java.io.IOException ex)
        {
            counters.journalErrors.incrementRelease();
            LOG.warn("writing the delta journal {} failed: {}", journal.file(), ex.toString());
        }
    }

    /** True when nothing is waiting: the ring is drained and every batch is in the database. */
    public boolean isIdle()
    {
        return idle;
    }

    /**
     * Stops the thread after draining the ring, tries one last flush, and journals whatever is still unwritten.
     * Call after the swarm processor has stopped.
     */
    @Override
    public void close()
    {
        running = false;
        if (thread != null)
        {
            try
            {
                thread.join(30_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        while (ring.read(onMessage, 4096) > 0)
        {
            // drain what the swarm processor left
        }
        if (flush() == 1 && !growing.isEmpty())
        {
            flush();
        }
        journalDirty = true;
        writeJournal();
        backend.close();
        if (pendingRows() > 0)
        {
            LOG.warn("stopping with {} unflushed rows{}", pendingRows(),
                journal == null ? " (no journal configured: they are lost)" : " kept in " + journal.file());
        }
    }
}
