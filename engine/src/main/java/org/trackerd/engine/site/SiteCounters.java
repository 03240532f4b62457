package org.trackerd.engine.site;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.trackerd.engine.Counters;

/**
 * Counters of private mode's accounting path. {@link #deltasQueued} and {@link #deltasDropped} are written by the
 * swarm processor thread; everything else by the backend (flusher) thread, except {@link #reloads} and
 * {@link #reloadErrors} (reload thread).
 */
public final class SiteCounters
{
    public final AtomicCounter deltasQueued;
    public final AtomicCounter deltasDropped;
    public final AtomicCounter deltasFlushed;
    public final AtomicCounter rowsFlushed;
    public final AtomicCounter batchesFlushed;
    public final AtomicCounter batchesDeduplicated;
    public final AtomicCounter lastBatchRows;
    public final AtomicCounter pendingRows;
    public final AtomicCounter flushMicrosTotal;
    public final AtomicCounter lastFlushMicros;
    public final AtomicCounter dbErrors;
    public final AtomicCounter journalWrites;
    public final AtomicCounter journalErrors;
    /** Rows written to the dead-letter file, per table ({@link DeltaBatch.Table} order). */
    public final AtomicCounter[] deadLetterRows = new AtomicCounter[DeltaBatch.Table.values().length];
    /** Rows in the dead-letter file that no replay has resolved yet. */
    public final AtomicCounter deadLettersPending;
    /** Batches cut in pieces to find the rows the database refuses for good. */
    public final AtomicCounter batchesSplit;
    public final AtomicCounter reloads;
    public final AtomicCounter reloadErrors;

    public SiteCounters(final CountersManager manager)
    {
        deltasQueued = Counters.counter(manager, "private_deltas_queued", "");
        deltasDropped = Counters.counter(manager, "private_deltas_dropped", "");
        deltasFlushed = Counters.counter(manager, "private_deltas_flushed", "");
        rowsFlushed = Counters.counter(manager, "private_rows_flushed", "");
        batchesFlushed = Counters.counter(manager, "private_batches_flushed", "");
        batchesDeduplicated = Counters.counter(manager, "private_batches_deduplicated", "");
        lastBatchRows = Counters.gauge(manager, "private_last_batch_rows", "");
        pendingRows = Counters.gauge(manager, "private_pending_rows", "");
        flushMicrosTotal = Counters.counter(manager, "private_flush_micros", "");
        lastFlushMicros = Counters.gauge(manager, "private_last_flush_micros", "");
        dbErrors = Counters.counter(manager, "private_db_errors", "");
        journalWrites = Counters.counter(manager, "private_journal_writes", "");
        journalErrors = Counters.counter(manager, "private_journal_errors", "");
        for (final DeltaBatch.Table t : DeltaBatch.Table.values())
        {
            deadLetterRows[t.ordinal()] = Counters.counter(manager, "private_dead_letter_rows",
                "table=\"" + t.sqlName + "\"");
        }
        deadLettersPending = Counters.gauge(manager, "private_dead_letters_pending", "");
        batchesSplit = Counters.counter(manager, "private_batches_split", "");
        reloads = Counters.counter(manager, "private_reloads", "");
        reloadErrors = Counters.counter(manager, "private_reload_errors", "");
    }
}
