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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rows the database refuses for good cost only themselves: the flusher cuts the batch until they stand alone,
 * writes them to the dead-letter file and lands everything else exactly once, through outages and kills in the
 * middle of the isolation; a replay after the fix lands them exactly once.
 */
class DeadLetterFlusherTest
{
    @TempDir
    Path dir;

    /** A row the strict database refuses for good, with the error number and column a real one would name. */
    static final class Refused extends Exception
    {
        final int code;
        final String column;
        final boolean statementLevel;

        Refused(final int code, final String column, final String message, final boolean statementLevel)
        {
            super(message);
            this.code = code;
            this.column = column;
            this.statementLevel = statementLevel;
        }
    }

    /** The strict database's failures: a {@link Refused} is permanent, anything else (it being down) transient. */
    static final SiteFailures REFUSALS = new SiteFailures()
    {
        @Override
        public boolean isPermanent(final Throwable failure)
        {
            return failure instanceof Refused;
        }

        @Override
        public boolean isStatementLevel(final Throwable failure)
        {
            return failure instanceof Refused r && r.statementLevel;
        }

        @Override
        public int code(final Throwable failure)
        {
            return failure instanceof Refused r ? r.code : 0;
        }

        @Override
        public String column(final Throwable failure)
        {
            return failure instanceof Refused r ? r.column : "";
        }

        @Override
        public String message(final Throwable failure)
        {
            return failure.getMessage();
        }
    };

    /** A strict database: per-user uploaded, per-token downloaded, committed batch ids; atomic batches. */
    static final class StrictDatabase implements SiteBackend
    {
        final Set<Long> committed = new HashSet<>();
        final Map<Integer, Long> uploaded = new HashMap<>();
        final Map<Long, Long> tokens = new HashMap<>();
        final Set<Integer> tooLong = new HashSet<>();
        boolean tokensBroken;
        boolean down;
        int writes;
        /** Goes down after this many more write attempts (an outage in the middle of an isolation). */
        int downAfter = Integer.MAX_VALUE;

        @Override
        public SiteData load()
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean write(final DeltaBatch batch) throws Exception
        {
            writes++;
            if (downAfter-- <= 0)
            {
                down = true;
            }
            if (down)
            {
                throw new java.io.IOException("connection refused");
            }
            if (committed.contains(batch.id))
            {
                return false;
            }
            for (final int user : batch.users.keySet())
            {
                if (tooLong.contains(user))
                {
                    throw new Refused(1406, "Uploaded", "Data too long for column 'Uploaded' at row 1", false);
                }
            }
            if (tokensBroken && !batch.tokens.isEmpty())
            {
                throw new Refused(1364, "Time", "Field 'Time' doesn't have a default value", true);
            }
            committed.add(batch.id);
            batch.users.forEach((k, v) -> uploaded.merge(k, v[0], Long::sum));
            batch.tokens.forEach((k, v) -> tokens.merge(k, v[0], Long::sum));
            return true;
        }

        @Override
        public SiteFailures failures()
        {
            return REFUSALS;
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

    final class Run
    {
        final SiteCounters counters;
        final DeltaRing ring;
        final PeerBaselines baselines;
        final DeltaRecorder recorder;
        final DeltaFlusher flusher;

        Run(final StrictDatabase db) throws Exception
        {
            counters = new SiteCounters(new CountersManager(
                new UnsafeBuffer(ByteBuffer.allocateDirect(256 * CountersReader.METADATA_LENGTH)),
                new UnsafeBuffer(ByteBuffer.allocateDirect(256 * CountersReader.COUNTER_LENGTH))));
            ring = new DeltaRing(dir.resolve("deltas.ring"), 1024);
            baselines = PeerBaselines.open(dir, 1000);
            recorder = new DeltaRecorder(ring, baselines, new SiteState(), counters);
            flusher = new DeltaFlusher(ring.ring(), db, new DeltaJournal(dir.resolve("journal.bin")),
                new DeltaLog(dir.resolve("deltas.log"), 4096), counters, 1000, 1_000_000, new DeadLetters(dir));
            recorder.startSequence(flusher.recover(ring, (t, b, o, l) -> baselines.replay(b, o)));
            flusher.doWork(0);
        }

        void announce(final int user, final long uploaded, final boolean token)
        {
            final RequestEvent e = new RequestEvent(1);
            e.userId = user;
            e.torrentId = 2;
            e.accounting = token ? (byte)(Accounting.COUNT_UP | Accounting.TOKEN) :
                (byte)(Accounting.COUNT_UP | Accounting.COUNT_DOWN);
            e.infoHash[0] = 3;
            e.peerId[0] = (byte)user;
            e.uploaded = uploaded;
            e.downloaded = uploaded / 2;
            e.left = 10;
            recorder.announce(e, 0, 1, false, 1);
        }

        /** Ten users each upload 100 (user 5 on a token, so it also downloads 50 on it). */
        void traffic()
        {
            for (int user = 1; user <= 10; user++)
            {
                announce(user, 0, user == 5);
            }
            for (int user = 1; user <= 10; user++)
            {
                announce(user, 100, user == 5);
            }
        }

        void kill() throws Exception
        {
            baselines.close();
            Files.delete(dir.resolve(PeerBaselines.MARKER));
        }

        /** Flush cycles until nothing waits (bounded). */
        void drain(final long fromMs)
        {
            for (int i = 0; i < 200 && !(flusher.doWork(fromMs + 1000L * i) == 0 && pending() == 0); i++)
            {
                // each cycle writes, splits or dead-letters up to a bound
            }
        }

        long pending()
        {
            return counters.pendingRows.get();
        }
    }

    static final long TOKEN_5 = 5L << 32 | 2;

    @Test
    void refusedRowsAreIsolatedDeadLetteredAndReplayedOnce() throws Exception
    {
        final StrictDatabase db = new StrictDatabase();
        db.tooLong.addAll(List.of(3, 7));
        db.tokensBroken = true;
        final Run run = new Run(db);
        run.traffic();
        run.drain(2000);

        for (int user = 1; user <= 10; user++)
        {
            assertEquals(user == 3 || user == 7 ? null : Long.valueOf(100), db.uploaded.get(user), "user " + user);
        }
        assertTrue(db.tokens.isEmpty());
        assertEquals(0, run.pending(), "nothing holds up the accounting");
        assertEquals(2, run.counters.deadLetterRows[DeltaBatch.Table.USERS.ordinal()].get());
        assertEquals(1, run.counters.deadLetterRows[DeltaBatch.Table.TOKENS.ordinal()].get());
        assertEquals(3, run.counters.deadLettersPending.get());
        final DeadLetters letters = new DeadLetters(dir);
        final List<DeadLetters.Entry> entries = letters.read();
        assertEquals(3, entries.size());
        assertEquals(1406, entries.get(0).code());
        assertTrue(Files.readString(letters.file()).contains("\"column\":\"Time\""));

        // The next batch with the same broken table costs only its own rows again.
        run.announce(1, 150, false);
        run.announce(5, 160, true);
        run.drain(100_000);
        assertEquals(150, db.uploaded.get(1));
        assertEquals(4, letters.read().size());

        // The operator fixes the schema and replays: every row once; a second replay does nothing.
        db.tooLong.clear();
        db.tokensBroken = false;
        final DeadLetters.Result first = letters.replay(db);
        assertEquals(4, first.landed());
        assertTrue(first.stillFailing().isEmpty());
        assertEquals(100, db.uploaded.get(3));
        assertEquals(100, db.uploaded.get(7));
        assertEquals(Long.valueOf(80), db.tokens.get(TOKEN_5));
        final int writes = db.writes;
        final DeadLetters.Result second = letters.replay(db);
        assertEquals(0, second.landed());
        assertEquals(4, second.skipped());
        assertEquals(writes, db.writes, "a second replay does not even ask the database");
        assertEquals(0, letters.pending());
        run.drain(200_000);
        assertEquals(0, run.counters.deadLettersPending.get(), "the replay shows in the pending gauge");
    }

    @Test
    void anOutageAndAKillInTheMiddleOfAnIsolationLoseAndDoubleNothing() throws Exception
    {
        final StrictDatabase db = new StrictDatabase();
        db.tooLong.add(7);
        db.downAfter = 3; // the whole batch fails, two pieces are tried, then the database goes away
        final Run a = new Run(db);
        a.traffic();
        a.drain(2000);
        assertTrue(a.pending() > 0, "pieces wait for the database");
        a.kill(); // the process dies with the pieces in its journal

        db.down = false;
        db.downAfter = Integer.MAX_VALUE;
        final Run b = new Run(db);
        b.drain(10_000);
        assertEquals(0, b.pending());
        for (int user = 1; user <= 10; user++)
        {
            assertEquals(user == 7 ? null : Long.valueOf(100), db.uploaded.get(user), "user " + user);
        }
        assertEquals(Long.valueOf(50), db.tokens.get(TOKEN_5));

        db.tooLong.clear();
        final DeadLetters letters = new DeadLetters(dir);
        assertEquals(1, letters.replay(db).landed());
        assertEquals(100, db.uploaded.get(7));
        assertFalse(letters.pending() > 0);
    }

    @Test
    void aRowDeadLetteredTwiceByACrashLandsOnce() throws Exception
    {
        final StrictDatabase db = new StrictDatabase();
        db.tooLong.add(4);
        final Run a = new Run(db);
        a.traffic();
        a.drain(2000);
        final DeadLetters letters = new DeadLetters(dir);
        final DeadLetters.Entry entry = letters.read().get(0);
        // A crash between the dead-letter append and the journal checkpoint: the row is both in the file and,
        // after the restart, retried; the schema was fixed meanwhile, so the retry lands it.
        final DeltaBatch again = entry.batch();
        db.tooLong.clear();
        assertTrue(db.write(again));
        assertEquals(100, db.uploaded.get(4));
        final DeadLetters.Result r = letters.replay(db);
        assertEquals(0, r.landed());
        assertEquals(1, r.alreadyInDatabase());
        assertEquals(100, db.uploaded.get(4), "not twice");
    }
}
