package org.trackerd.engine.site;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The backend thread of private mode: drains the swarm processor's accounting records into a growing
 * {@link DeltaBatch}, and every {@code flush_interval_ms} freezes it under a new id and writes it through the
 * {@link SiteBackend} in one transaction. A failed write keeps the frozen batch and retries it (same id, so a
 * commit whose acknowledgement was lost is recognised, and every delta lands exactly once) while new records keep
 * merging into the next batch, up to {@code max_pending_rows}; past that it stops draining and the swarm
 * processor's bounded ring fills and counts what it drops.
 *
 * <p>Nothing accepted is lost to a {@code kill -9}: the ring is a mapped file ({@link DeltaRing}); every record
 * taken off it is first copied into the mapped {@link DeltaLog}; and at each checkpoint (a batch frozen, a batch
 * acknowledged, the log full, shutdown) the batches go to the {@link DeltaJournal} under a new log generation and
 * the log is emptied. A batch is frozen into the journal before it is sent, so the batch retried after a restart
 * is exactly the one the database may already have committed.
 *
 * <p>A failure a retry cannot fix (a schema or data error, as the backend's {@link SiteFailures#isPermanent} tells)
 * must not hold up the rest: the batch is cut into pieces, each with a new id, first one per table and then in halves, until the rows
 * the database refuses stand alone (a statement-level error such as an unknown column condemns every row of its
 * table's piece at once). Those rows go to the {@link DeadLetters} file, one-row batches under their own ids, forced
 * to disk before the journal forgets them; every other row lands exactly once as before. The pieces replace the
 * batch in the journal before any of them is sent, so a kill in the middle resumes with the same pieces and ids.
 *
 * <p>Thread: {@link #run} on its own thread; {@link #recover} and {@link #close} from the controlling thread
 * (before it starts, after it stopped).
 */
public final class DeltaFlusher implements Runnable, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(DeltaFlusher.class);

    private final OneToOneRingBuffer ring;
    private final SiteBackend backend;
    private final DeltaJournal journal;
    private final DeltaLog log;
    private final SiteCounters counters;
    private final DeadLetters deadLetters;
    /** Kinds of permanent failure (table, error, column) already logged at WARN. */
    private final java.util.Set<String> loggedFailures = new java.util.HashSet<>();
    private final long intervalMs;
    private final int maxPendingRows;
    private final ControlledMessageHandler onMessage = this::onMessage;

    private DeltaBatch growing = new DeltaBatch();
    /** Frozen batches (or pieces of one) waiting to be written, oldest first. */
    private final java.util.ArrayDeque<DeltaBatch> frozen = new java.util.ArrayDeque<>();
    /** Every frozen batch is in the journal, so they may be sent. */
    private boolean frozenJournaled;
    private long deadLettersCheckedMs;
    private long deadLettersStamp = -1;
    private long nextId;
    private long nextFlushMs;
    /** Set by {@link #recover}: until then the files hold the last run's deltas and must not be touched. */
    private boolean recovered;
    private volatile boolean running = true;
    private volatile boolean idle;
    private Thread thread;

    public DeltaFlusher(final OneToOneRingBuffer ring, final SiteBackend backend, final DeltaJournal journal,
        final DeltaLog log, final SiteCounters counters, final long intervalMs, final int maxPendingRows)
    {
        this(ring, backend, journal, log, counters, intervalMs, maxPendingRows,
            new DeadLetters(journal.file().toAbsolutePath().getParent()));
    }

    public DeltaFlusher(final OneToOneRingBuffer ring, final SiteBackend backend, final DeltaJournal journal,
        final DeltaLog log, final SiteCounters counters, final long intervalMs, final int maxPendingRows,
        final DeadLetters deadLetters)
    {
        this.deadLetters = deadLetters;
        this.ring = ring;
        this.backend = backend;
        this.journal = journal;
        this.log = log;
        this.counters = counters;
        this.intervalMs = intervalMs;
        this.maxPendingRows = maxPendingRows;
        this.nextId = System.currentTimeMillis() * 1000;
    }

    /**
     * Takes over what the last run left: the journal's batches, the log's records when the journal names its
     * generation, and the records still in the ring file that the log does not have yet; checkpoints them and
     * empties the ring. Call before {@link #start}, before the swarm processor runs.
     *
     * @param replay also shown every record of the log and the ring, oldest first (e.g. to restore baselines);
     *               may be null
     * @return the sequence the recorder must number its next record with
     */
    public long recover(final DeltaRing deltaRing, final MessageHandler replay) throws java.io.IOException
    {
        final DeltaJournal.Loaded loaded = journal.load();
        for (final DeltaBatch b : loaded.batches())
        {
            if (b.id != 0)
            {
                frozen.addLast(b);
                frozenJournaled = true;
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
        final boolean logContinuesJournal = loaded.generation() == DeltaJournal.ANY_GENERATION ||
            loaded.generation() == log.generation();
        final int[] logged = {0};
        log.forEach((type, buffer, offset, length) ->
        {
            if (logContinuesJournal)
            {
                growing.merge(buffer, offset);
                logged[0]++;
            }
            if (replay != null)
            {
                replay.onMessage(type, buffer, offset, length);
            }
        });
        if (!logContinuesJournal)
        {
            // The last run died between writing the journal and emptying the log: the journal has the records.
            log.reset(loaded.generation());
        }
        final long bound = log.lastSequence();
        final int[] fromRing = {0};
        deltaRing.recover((type, buffer, offset, length) ->
        {
            if (type != DeltaMessage.TYPE_ANNOUNCE || length < DeltaMessage.LENGTH ||
                buffer.getLong(offset + DeltaMessage.SEQUENCE_OFFSET) <= bound)
            {
                return;
            }
            if (log.isFull() && !checkpoint())
            {
                throw new IllegalStateException("private mode: cannot checkpoint the delta journal " + journal.file());
            }
            log.append(buffer, offset);
            growing.merge(buffer, offset);
            fromRing[0]++;
            if (replay != null)
            {
                replay.onMessage(type, buffer, offset, length);
            }
        });
        if (!checkpoint())
        {
            throw new java.io.IOException("private mode: cannot write the delta journal " + journal.file());
        }
        deltaRing.reset();
        recovered = true;
        if (!loaded.batches().isEmpty() || logged[0] > 0 || fromRing[0] > 0)
        {
            LOG.info("private mode: recovered {} journaled batch(es), {} logged and {} queued record(s): {} rows " +
                "to write", loaded.batches().size(), logged[0], fromRing[0], pendingRows());
        }
        counters.pendingRows.setRelease(pendingRows());
        countDeadLetters(System.currentTimeMillis());
        return log.lastSequence() + 1;
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
            idle = work == 0 && frozen.isEmpty() && growing.isEmpty() && ring.size() == 0;
            if (work == 0)
            {
                LockSupport.parkNanos(1_000_000L);
            }
        }
    }

    /** One duty cycle: drain (logging each record), flush when due. Returns the work done. */
    int doWork(final long nowMs)
    {
        int work = 0;
        if (pendingRows() < maxPendingRows)
        {
            work += ring.controlledRead(onMessage, 4096);
        }
        if (nowMs >= nextFlushMs)
        {
            nextFlushMs = nowMs + intervalMs;
            final int flushed = flush();
            work += flushed;
            if (flushed > 0 && !frozen.isEmpty() && frozenJournaled && !lastWriteTransient)
            {
                nextFlushMs = nowMs; // pieces of a split batch wait: go on at the next cycle, after draining
            }
        }
        if (nowMs - deadLettersCheckedMs >= 5_000 || nowMs < deadLettersCheckedMs)
        {
            countDeadLetters(nowMs);
        }
        return work;
    }

    private ControlledMessageHandler.Action onMessage(final int type, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (type != DeltaMessage.TYPE_ANNOUNCE || length < DeltaMessage.LENGTH)
        {
            return ControlledMessageHandler.Action.CONTINUE;
        }
        if (log.isFull() && !checkpoint())
        {
            return ControlledMessageHandler.Action.ABORT; // stays in the ring until a checkpoint succeeds
        }
        log.append(buffer, offset);
        growing.merge(buffer, offset);
        return ControlledMessageHandler.Action.CONTINUE;
    }

    private int pendingRows()
    {
        int rows = growing.rows();
        for (final DeltaBatch b : frozen)
        {
            rows += b.rows();
        }
        return rows;
    }

    /** Writes at most this many batches or pieces per flush, so a long isolation does not starve the ring. */
    private static final int MAX_WRITES_PER_FLUSH = 64;
    private boolean lastWriteTransient;

    /**
     * Writes the frozen batches (freezing the growing one first when none waits); returns 1 if any went out, was
     * split or was dead-lettered.
     */
    private int flush()
    {
        if (frozen.isEmpty())
        {
            if (growing.isEmpty())
            {
                return 0;
            }
            growing.id = nextId++;
            frozen.addLast(growing);
            frozenJournaled = false;
            growing = new DeltaBatch();
        }
        if (!frozenJournaled)
        {
            if (!checkpoint())
            {
                return 0; // not sent before it is pinned: a commit followed by a kill would replay it from the log
            }
            frozenJournaled = true;
        }
        lastWriteTransient = false;
        int done = 0;
        while (!frozen.isEmpty() && done < MAX_WRITES_PER_FLUSH)
        {
            final DeltaBatch batch = frozen.peekFirst();
            final long startNs = System.nanoTime();
            try
            {
                final boolean written = backend.write(batch);
                final long micros = (System.nanoTime() - startNs) / 1000;
                counters.flushMicrosTotal.getAndAddRelease(micros);
                counters.lastFlushMicros.setRelease(micros);
                counters.lastBatchRows.setRelease(batch.rows());
                counters.batchesFlushed.incrementRelease();
                counters.rowsFlushed.getAndAddRelease(batch.rows());
                counters.deltasFlushed.getAndAddRelease(batch.deltas);
                if (!written)
                {
                    counters.batchesDeduplicated.incrementRelease();
                }
                frozen.removeFirst();
                done++;
                checkpoint();
                counters.pendingRows.setRelease(pendingRows());
            }
            catch (final Exception ex)
            {
                counters.dbErrors.incrementRelease();
                if (!backend.failures().isPermanent(ex))
                {
                    lastWriteTransient = true;
                    LOG.warn("flushing batch {} ({} rows) failed, keeping it to retry: {}", batch.id, batch.rows(),
                        ex.toString());
                    break;
                }
                done++;
                final boolean isolated = isolate(batch, ex);
                counters.pendingRows.setRelease(pendingRows());
                if (!isolated)
                {
                    break;
                }
            }
        }
        counters.pendingRows.setRelease(pendingRows());
        return done > 0 ? 1 : 0;
    }

    /**
     * The head batch failed for good: dead-letters it when it is one row, or when the error condemns every row of
     * its one table alike; otherwise replaces it by pieces (one per table, else two halves) under new ids. The
     * journal holds the pieces before any is sent. Returns false when the journal or the dead-letter file could
     * not be written (the batch then stays as it was, to be tried again).
     */
    private boolean isolate(final DeltaBatch batch, final Exception failure)
    {
        final List<DeltaBatch.Table> tables = batch.tables();
        final boolean condemned = batch.rows() <= 1 ||
            (tables.size() == 1 && backend.failures().isStatementLevel(failure));
        if (!condemned)
        {
            final List<DeltaBatch> pieces = new java.util.ArrayList<>();
            if (tables.size() > 1)
            {
                for (final DeltaBatch.Table t : tables)
                {
                    pieces.addAll(batch.slices(t, Integer.MAX_VALUE));
                }
            }
            else
            {
                pieces.addAll(batch.slices(tables.get(0), (batch.rows() + 1) / 2));
            }
            counters.batchesSplit.incrementRelease();
            LOG.debug("batch {} ({} rows) refused ({}): cut into {} pieces", batch.id, batch.rows(),
                backend.failures().message(failure), pieces.size());
            return replaceHead(batch, pieces);
        }
        List<DeltaBatch> rows = List.of(batch);
        if (batch.rows() > 1)
        {
            rows = batch.slices(tables.get(0), 1);
            if (!replaceHead(batch, rows))
            {
                return false; // every row needs its own id in the journal before it is in the dead-letter file
            }
        }
        try
        {
            deadLetters.append(rows, failure, backend.failures());
        }
        catch (final java.io.IOException ex)
        {
            counters.journalErrors.incrementRelease();
            LOG.warn("writing the dead-letter file {} failed, keeping the refused rows: {}", deadLetters.file(),
                ex.toString());
            return false;
        }
        for (int i = 0; i < rows.size(); i++)
        {
            frozen.removeFirst();
        }
        final DeltaBatch.Table table = tables.isEmpty() ? DeltaBatch.Table.USERS : tables.get(0);
        counters.deadLetterRows[table.ordinal()].getAndAddRelease(rows.size());
        counters.deadLettersPending.getAndAddRelease(rows.size());
        for (final DeltaBatch row : rows)
        {
            counters.deltasFlushed.getAndAddRelease(row.deltas); // out of the pipeline: in the dead-letter file
        }
        final String kind = table.sqlName + "/" + backend.failures().code(failure) + "/" + backend.failures().column(failure);
        if (loggedFailures.add(kind))
        {
            LOG.warn("private mode: the database refuses {} row(s) of table {} for good (error {}, column '{}': {}); " +
                "they are in {} and every other row goes on landing. Fix the schema (CONFIGURATION.md, private " +
                "mode), then replay them: java -jar trackerd.jar --config <file> --replay-dead-letters",
                rows.size(), table.sqlName, backend.failures().code(failure), backend.failures().column(failure),
                backend.failures().message(failure), deadLetters.file());
        }
        else
        {
            LOG.debug("private mode: {} more {} row(s) dead-lettered: {}", rows.size(), table.sqlName,
                backend.failures().message(failure));
        }
        return checkpoint();
    }

    /** Puts {@code pieces} (given new ids) where {@code head} was, and journals the change. */
    private boolean replaceHead(final DeltaBatch head, final List<DeltaBatch> pieces)
    {
        for (int i = 0; i < pieces.size(); i++)
        {
            pieces.get(i).id = nextId++;
        }
        // The deltas count as flushed with the last piece: pieces go out in order, so until then some still wait.
        pieces.get(pieces.size() - 1).deltas = head.deltas;
        frozen.removeFirst();
        for (int i = pieces.size() - 1; i >= 0; i--)
        {
            frozen.addFirst(pieces.get(i));
        }
        if (checkpoint())
        {
            return true;
        }
        for (int i = 0; i < pieces.size(); i++)
        {
            frozen.removeFirst();
        }
        frozen.addFirst(head);
        return false;
    }

    /** Recounts the dead-letter rows no replay has resolved, when the files changed (a replay runs elsewhere). */
    private void countDeadLetters(final long nowMs)
    {
        deadLettersCheckedMs = nowMs;
        try
        {
            final java.nio.file.Path file = deadLetters.file();
            final java.nio.file.Path marks = file.resolveSibling(DeadLetters.REPLAYED_FILE_NAME);
            final long stamp = (java.nio.file.Files.exists(file) ? java.nio.file.Files.size(file) * 31 +
                java.nio.file.Files.getLastModifiedTime(file).toMillis() : 0) * 31 +
                (java.nio.file.Files.exists(marks) ? java.nio.file.Files.size(marks) : 0);
            if (stamp != deadLettersStamp)
            {
                deadLettersStamp = stamp;
                counters.deadLettersPending.setRelease(deadLetters.pending());
            }
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            LOG.debug("counting dead letters failed: {}", ex.toString());
        }
    }

    /**
     * Writes the batches to the journal under the log's next generation, then empties the log (whose records the
     * journal now holds). Returns false, and keeps the log, when the journal cannot be written.
     */
    private boolean checkpoint()
    {
        final long next = log.generation() + 1;
        try
        {
            final List<DeltaBatch> batches = new java.util.ArrayList<>(frozen);
            batches.add(growing);
            journal.write(next, batches);
            log.reset(next);
            counters.journalWrites.incrementRelease();
            return true;
        }
        catch (final java.io.IOException ex)
        {
            counters.journalErrors.incrementRelease();
            LOG.warn("writing the delta journal {} failed: {}", journal.file(), ex.toString());
            return false;
        }
    }

    /** True when nothing is waiting: the ring is drained and every batch is in the database. */
    public boolean isIdle()
    {
        return idle;
    }

    /**
     * Stops the thread after draining the ring, tries one last flush, and checkpoints whatever is still unwritten.
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
        if (!recovered)
        {
            backend.close();
            log.close();
            return; // start failed before recovery: leave the last run's journal, log and ring as they are
        }
        while (ring.controlledRead(onMessage, 4096) > 0)
        {
            // drain what the swarm processor left
        }
        for (int i = 0; i < 64 && flush() == 1 && !lastWriteTransient && (!frozen.isEmpty() || !growing.isEmpty()); i++)
        {
            // write what the database takes (pieces of a split batch included), within bounds
        }
        checkpoint();
        backend.close();
        log.close();
        if (pendingRows() > 0)
        {
            LOG.warn("stopping with {} unflushed rows kept in {}", pendingRows(), journal.file());
        }
    }
}
