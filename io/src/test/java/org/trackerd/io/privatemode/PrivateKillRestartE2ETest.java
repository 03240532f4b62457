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
import static org.junit.jupiter.api.Assertions.assertTrue;
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

    static final String EVE = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
    static final byte[] BROKEN = org.trackerd.io.e2e.Announce.hash("kill-broken");

    private static long value(final String sql) throws Exception
    {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql))
        {
            return r.next() ? r.getLong(1) : -1;
        }
    }

    private static void execute(final String sql) throws Exception
    {
        try (Connection c = db.connect(); Statement s = c.createStatement())
        {
            s.execute(sql);
        }
    }

    /** {@code trackerd --config F --replay-dead-letters} as its own process: returns its exit code and output. */
    private String replay(final Path config, final int expectedExit) throws Exception
    {
        final java.util.List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx128m");
        command.addAll(TrackerProcess.JVM_FLAGS);
        command.addAll(java.util.List.of("-cp", System.getProperty("java.class.path"), "org.trackerd.io.TrackerMain",
            "--config", config.toString(), "--replay-dead-letters"));
        final Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("replay.out").toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            throw new AssertionError("replay did not finish");
        }
        final String out = Files.readString(dir.resolve("replay.out"));
        assertEquals(expectedExit, p.exitValue(), out);
        return out;
    }

    @Test
    void killNineAroundRefusedRowsLosesAndDoublesNothing() throws Exception
    {
        try (Connection c = db.connect())
        {
            MariaDbServer.insertUser(c, 5, "eve", "1", 1, EVE);
            MariaDbServer.insertTorrent(c, 20, BROKEN, "0");
        }
        final Path deadLetters = dir.resolve("store").resolve("private").resolve("dead-letters.jsonl");
        try
        {
            // A constraint the site got wrong: the schema check has nothing against it, eve's snatches fail for good.
            execute("ALTER TABLE xbt_snatched ADD CONSTRAINT no_eve CHECK (uid <> 5)");
            // 1. Deltas, a snatch among them, are only in the queue and the log when the process dies.
            int port = start(600_000);
            for (final String q : new String[] {"0&downloaded=0&left=1000&event=started",
                "0&downloaded=1000&left=0&event=completed", "100&downloaded=1000&left=0"})
            {
                final Map<String, Object> r = TrackerHarness.get(port, "/" + EVE + "/announce?info_hash=" +
                    org.trackerd.io.e2e.Announce.encode(BROKEN) + "&peer_id=" +
                    org.trackerd.io.e2e.Announce.encode(org.trackerd.io.e2e.Announce.peerId(7)) +
                    "&port=6007&uploaded=" + q);
                assertNull(r.get("failure reason"));
            }
            kill();

            // 2. Restarted: everything but the snatch lands; the snatch is dead-lettered. Killed again at once.
            port = start(50);
            PrivateTrackerE2ETest.await(() ->
            {
                try
                {
                    return value("SELECT Uploaded FROM users_main WHERE ID = 5") == 100 &&
                        value("SELECT Downloaded FROM users_main WHERE ID = 5") == 1000 &&
                        value("SELECT Snatched FROM torrents WHERE ID = 20") == 1 && Files.exists(deadLetters);
                }
                catch (final Exception ex)
                {
                    return false;
                }
            }, "eve's deltas and the dead letter");
            kill();

            // 3. Restarted once more: nothing is written twice, to the database or to the dead-letter file.
            start(50);
            Thread.sleep(300); // several flush intervals
            assertEquals(100, value("SELECT Uploaded FROM users_main WHERE ID = 5"));
            assertEquals(1000, value("SELECT Downloaded FROM users_main WHERE ID = 5"));
            assertEquals(1, value("SELECT Snatched FROM torrents WHERE ID = 20"));
            assertEquals(1, value("SELECT completed FROM xbt_files_users WHERE uid = 5 AND fid = 20"));
            assertEquals(1, Files.readAllLines(deadLetters).size(), Files.readString(deadLetters));
            assertEquals(0, child.terminate(30, TimeUnit.SECONDS), child.log());
            child = null;

            // 4. The operator drops the constraint; the replay command lands the snatch once, a second run nothing.
            execute("ALTER TABLE xbt_snatched DROP CONSTRAINT no_eve");
            final Path config = config(50);
            final String first = replay(config, 0);
            assertTrue(first.contains("1 landed now"), first);
            assertEquals(1, value("SELECT COUNT(*) FROM xbt_snatched WHERE uid = 5 AND fid = 20 AND IP = '127.0.0.1'"));
            final String second = replay(config, 0);
            assertTrue(second.contains("0 landed now, 0 already in the database, 1 replayed before"), second);
            assertEquals(1, value("SELECT COUNT(*) FROM xbt_snatched WHERE uid = 5 AND fid = 20"));
        }
        finally
        {
            execute("ALTER TABLE xbt_snatched DROP CONSTRAINT IF EXISTS no_eve");
        }
    }
}
