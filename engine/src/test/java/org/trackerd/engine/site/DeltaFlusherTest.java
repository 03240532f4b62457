package org.trackerd.engine.site;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.event.RequestEvent;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The backend thread's crash recovery with an in-memory database: a "kill" is simply abandoning the objects and
 * opening new ones on the same files.
 */
class DeltaFlusherTest
{
    @TempDir
    Path dir;

    /** A database of one number (uploaded credited) that remembers committed batch ids. */
    static final class FakeDatabase implements SiteBackend
    {
        final Set<Long> committed = new HashSet<>();
        long uploaded;
        boolean down;

        @Override
        public SiteData load()
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean write(final DeltaBatch batch) throws Exception
        {
            if (down)
            {
                throw new java.io.IOException("down");
            }
            if (!committed.add(batch.id))
            {
                return false;
            }
            batch.users.values().forEach(v -> uploaded += v[0]);
            return true;
        }

        @Override
        public boolean ping()
        {
            return !down;
        }

        @Override
        public void close()
        {
        }
    }

    /** One run's objects over the files in {@code dir}. */
    final class Run
    {
        final DeltaRing ring;
        final PeerBaselines baselines;
        final DeltaRecorder recorder;
        final DeltaFlusher flusher;

        /** The process dies: the map is closed only so this JVM lets go of it, and its clean marker removed. */
        void kill() throws Exception
        {
            baselines.close();
            Files.delete(dir.resolve(PeerBaselines.MARKER));
        }

        Run(final FakeDatabase db) throws Exception
        {
            final SiteCounters counters = new SiteCounters(new CountersManager(
                new UnsafeBuffer(ByteBuffer.allocateDirect(256 * CountersReader.METADATA_LENGTH)),
                new UnsafeBuffer(ByteBuffer.allocateDirect(256 * CountersReader.COUNTER_LENGTH))));
            ring = new DeltaRing(dir.resolve("deltas.ring"), 256);
            baselines = PeerBaselines.open(dir, 1000);
            recorder = new DeltaRecorder(ring, baselines, new SiteState(), counters);
            flusher = new DeltaFlusher(ring.ring(), db, new DeltaJournal(dir.resolve("journal.bin")),
                new DeltaLog(dir.resolve("deltas.log"), 1024), counters, 1000, 1_000_000);
            recorder.startSequence(flusher.recover(ring, (t, b, o, l) -> baselines.replay(b, o)));
            flusher.doWork(0); // nothing to flush; the next flush is due at 1000
        }

        void announce(final long uploaded)
        {
            final RequestEvent e = new RequestEvent(1);
            e.userId = 1;
            e.torrentId = 2;
            e.accounting = Accounting.COUNT_UP | Accounting.COUNT_DOWN;
            e.infoHash[0] = 3;
            e.peerId[0] = 4;
            e.uploaded = uploaded;
            e.left = 10;
            recorder.announce(e, 0, 1, false, 1);
        }
    }

    @Test
    void aKillBetweenTheJournalAndTheLogResetCountsNothingTwice() throws Exception
    {
        final FakeDatabase db = new FakeDatabase();
        final Run a = new Run(db);
        a.announce(0);
        a.announce(100);
        a.announce(250);
        a.flusher.doWork(1); // drained into the log, not flushed
        final Path log = dir.resolve("deltas.log");
        final Path before = dir.resolve("log-before-checkpoint");
        Files.copy(log, before);
        db.down = true;
        a.flusher.doWork(2000); // freezes the batch into the journal (new generation) and empties the log
        // ... and "dies" before the log reset reached the file: put the old log back.
        Files.copy(before, log, StandardCopyOption.REPLACE_EXISTING);
        db.down = false;
        a.kill();

        final Run b = new Run(db);
        b.flusher.doWork(5000);
        assertEquals(250, db.uploaded, "the journal's batch once, the stale log not again");
        b.announce(300);
        b.flusher.doWork(5001);
        b.flusher.doWork(7000);
        assertEquals(300, db.uploaded, "the baseline survived the kill");
    }

    @Test
    void aBatchCommittedJustBeforeAKillIsNotAppliedTwice() throws Exception
    {
        final FakeDatabase db = new FakeDatabase();
        final Run a = new Run(db);
        a.announce(0);
        a.announce(40);
        a.flusher.doWork(1);
        final Path journal = dir.resolve("journal.bin");
        final Path log = dir.resolve("deltas.log");
        // Commit happens, then the process dies before the post-commit checkpoint: keep the files as they were
        // right after the freeze checkpoint by flushing with a database that commits but whose answer is lost.
        final FakeDatabase lossy = db;
        lossy.down = false;
        a.flusher.doWork(2000); // freeze, checkpoint, commit, checkpoint
        assertEquals(40, db.uploaded);
        // Re-create the "freeze checkpoint" state: the journal naming the committed batch.
        final DeltaBatch frozen = new DeltaBatch();
        frozen.id = db.committed.iterator().next();
        frozen.users.put(1, new long[] {40, 0});
        frozen.deltas = 2;
        new DeltaJournal(journal).write(new DeltaLog(log, 1024).generation(), java.util.List.of(frozen));

        a.announce(45); // queued in the ring file, never drained: the kill
        a.kill();

        final Run b = new Run(db);
        b.flusher.doWork(5000);
        b.flusher.doWork(7000);
        assertEquals(45, db.uploaded, "the committed batch deduplicated, the queued record recovered");
    }
}
