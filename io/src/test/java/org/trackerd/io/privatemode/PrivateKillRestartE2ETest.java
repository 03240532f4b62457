package org.trackerd.io.privatemode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.e2e.TrackerProcess;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.ALICE;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.BOB;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.NORMAL;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.target;

/**
 * Private mode against {@code kill -9}: a child tracker process is killed with deltas that never reached the
 * database (queued, logged, or frozen in a batch the database refused), restarted, and the accounting in
 * {@code users_main} and {@code torrents} comes out exact: nothing lost, nothing counted twice, and each peer's
 * first announce after the restart credits the traffic since its last one before it.
 */
@Timeout(240)
class PrivateKillRestartE2ETest
{
    static Path dbDirectory;
    static MariaDbServer db;

    @TempDir
    Path dir;

    private TrackerProcess child;

    @BeforeAll
    static void startDatabase() throws Exception
    {
        dbDirectory = Files.createTempDirectory("trackerd-mariadb");
        db = MariaDbServer.create(dbDirectory);
        try (Connection c = db.connect(); Statement s = c.createStatement())
        {
            MariaDbServer.insertUser(c, 1, "alice", "1", 1, ALICE);
            MariaDbServer.insertUser(c, 2, "bob", "1", 0, BOB);
            MariaDbServer.insertTorrent(c, 10, NORMAL, "0");
        }
    }

    @AfterAll
    static void stopDatabase() throws Exception
    {
        if (db != null)
        {
            db.close();
        }
        if (dbDirectory != null)
        {
            try (var paths = Files.walk(dbDirectory))
            {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @AfterEach
    void stop() throws Exception
    {
        if (child != null)
        {
            child.close();
        }
        db.start();
    }

    private Path config(final long flushIntervalMs) throws Exception
    {
        return new TrackerHarness(dir)
            .set("tracker", "mode", "\"private\"")
            .set("private", "database_url", "\"" + db.url() + "\"")
            .set("private", "database_user", "\"root\"")
            .set("private", "flush_interval_ms", Long.toString(flushIntervalMs))
            .set("private", "reload_interval_seconds", "0")
            .set("private", "connect_timeout_ms", "500")
            .writeConfig();
    }

    private int start(final long flushIntervalMs) throws Exception
    {
        child = TrackerProcess.start(config(flushIntervalMs), dir);
        return child.awaitReady(60, TimeUnit.SECONDS);
    }

    private void kill() throws Exception
    {
        child.kill9(15, TimeUnit.SECONDS);
        child = null;
    }

    private static void announce(final int port, final String passkey, final int peer, final long up,
        final long down, final long left, final String event) throws Exception
    {
        final Map<String, Object> r = TrackerHarness.get(port, target(passkey, NORMAL, peer, up, down, left, event));
        final Object failure = r.get("failure reason");
        assertNull(failure, () -> new String((byte[])failure, StandardCharsets.ISO_8859_1));
    }

    /** {alice up, alice down, bob up, bob down, snatches of torrent 10}. */
    private static long[] totals() throws Exception
    {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
            "SELECT a.Uploaded, a.Downloaded, b.Uploaded, b.Downloaded, t.Snatched FROM users_main a, users_main b, " +
            "torrents t WHERE a.ID = 1 AND b.ID = 2 AND t.ID = 10"))
        {
            r.next();
            return new long[] {r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4), r.getLong(5)};
        }
    }

    private static void awaitTotals(final long... expected)
    {
        PrivateTrackerE2ETest.await(() ->
        {
            try
            {
                return Arrays.equals(expected, totals());
            }
            catch (final Exception ex)
            {
                return false;
            }
        }, "totals " + Arrays.toString(expected));
    }

    @Test
    void killNineLosesNoAcceptedDeltaAndCountsNoneTwice() throws Exception
    {
        // 1. Nothing flushes before the kill: every delta is in the queue or the log when the process dies.
        int port = start(600_000);
        announce(port, ALICE, 1, 0, 0, 1000, "started");
        announce(port, ALICE, 1, 100, 200, 800, null);
        announce(port, ALICE, 1, 300, 500, 500, null);
        announce(port, ALICE, 1, 300, 1000, 0, "completed");
        announce(port, BOB, 2, 0, 0, 0, "started");
        announce(port, BOB, 2, 1000, 0, 0, null);
        kill();
        assertArrayEquals(new long[] {0, 0, 0, 0, 0}, totals(), "nothing reached the database before the kill");

        // 2. Restarted: the recovered deltas land exactly, and the peers' baselines survived the kill: the first
        //    announce after it credits the traffic since the last one before it.
        port = start(50);
        awaitTotals(300, 1000, 1000, 0, 1);
        announce(port, ALICE, 1, 420, 1300, 0, null);
        awaitTotals(420, 1300, 1000, 0, 1);

        // 3. The database refuses: a frozen batch is retried, more deltas pile up behind it; then kill -9.
        db.stop();
        announce(port, ALICE, 3, 0, 0, 1000, "started");
        announce(port, ALICE, 3, 40, 600, 400, null);
        Thread.sleep(300); // several failed flush attempts: the batch is frozen in the journal
        announce(port, ALICE, 3, 50, 1000, 0, "completed");
        kill();
        db.start();

        // 4. Restarted with the database back: exact again, baselines included.
        port = start(50);
        awaitTotals(470, 2300, 1000, 0, 2);
        announce(port, ALICE, 3, 80, 1000, 0, null);
        awaitTotals(500, 2300, 1000, 0, 2);

        // 5. Killed right after a flush (the journal and log name batches the database already has): no double count.
        announce(port, BOB, 4, 0, 0, 0, "started");
        announce(port, BOB, 4, 7, 0, 0, null);
        awaitTotals(500, 2300, 1007, 0, 2);
        kill();
        port = start(50);
        announce(port, BOB, 4, 9, 0, 0, null);
        announce(port, BOB, 5, 0, 0, 0, "started");
        announce(port, BOB, 5, 1, 0, 0, null);
        awaitTotals(500, 2300, 1010, 0, 2);
        Thread.sleep(300);
        assertArrayEquals(new long[] {500, 2300, 1010, 0, 2}, totals(), "still exact after several flush intervals");
        assertEquals(0, child.terminate(30, TimeUnit.SECONDS), child.log());
        child = null;
    }
}
