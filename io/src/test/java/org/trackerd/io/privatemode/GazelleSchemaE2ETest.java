package org.trackerd.io.privatemode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.site.DeadLetters;
import org.trackerd.engine.site.PrivateTracker;
import org.trackerd.io.site.MariaDbBackend;
import org.trackerd.engine.site.SchemaReport;
import org.trackerd.engine.site.SiteCounters;
import org.trackerd.io.DeadLetterReplay;
import org.trackerd.io.e2e.TrackerHarness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.ALICE;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.BOB;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.NORMAL;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.TOKENED;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.await;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.failure;
import static org.trackerd.io.privatemode.PrivateTrackerE2ETest.target;

/**
 * Private mode on a database shaped as Gazelle ships it, in OPS's strict {@code sql_mode}, upgraded by exactly the
 * statements CONFIGURATION.md lists: a freeleech token lands; a column broken while the tracker runs costs only
 * the rows that touch it, which show in the dead-letter file, the metric, the log and {@code /check}, and the
 * documented replay lands them exactly once after the fix that the schema check itself names; a start on a
 * database that lacks what the tracker needs is refused with the statements that fix it.
 */
class GazelleSchemaE2ETest
{
    @RegisterExtension
    static final PrivateModeFixture FIXTURE = new PrivateModeFixture();

    @TempDir
    Path directory;
    TrackerHarness harness;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    PrintStream originalErr;
    final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @BeforeEach
    void seed() throws Exception
    {
        try (Connection c = FIXTURE.db().connect(); Statement s = c.createStatement())
        {
            PrivateModeFixture.truncateAll(s);
            MariaDbServer.insertUser(c, 1, "alice", "1", 1, ALICE);
            MariaDbServer.insertUser(c, 2, "bob", "1", 1, BOB);
            MariaDbServer.insertTorrent(c, 10, NORMAL, "0");
            MariaDbServer.insertTorrent(c, 13, TOKENED, "0");
            MariaDbServer.insertToken(c, 1, 13);
        }
        // slf4j-simple writes to whatever System.err is at the time: keep a copy of what the tracker logs.
        originalErr = System.err;
        final PrintStream tee = new PrintStream(new OutputStream()
        {
            @Override
            public void write(final int b)
            {
                originalErr.write(b);
                synchronized (log)
                {
                    log.write(b);
                }
            }

            @Override
            public void write(final byte[] b, final int off, final int len)
            {
                originalErr.write(b, off, len);
                synchronized (log)
                {
                    log.write(b, off, len);
                }
            }
        }, true);
        System.setErr(tee);
        harness = FIXTURE.harness(directory)
            .set("metrics", "listen", "\"127.0.0.1:0\"")
            .set("private", "connect_timeout_ms", "2000");
    }

    @AfterEach
    void stop() throws Exception
    {
        if (harness != null)
        {
            harness.close();
        }
        System.setErr(originalErr);
        // Whatever a test broke, the next one starts from Gazelle's shape upgraded as documented.
        try (Connection c = FIXTURE.db().connect(); Statement s = c.createStatement())
        {
            s.execute("DROP TABLE IF EXISTS xbt_snatched, users_freeleeches, trackerd_batches, xbt_files_users");
            for (final String sql : MariaDbServer.statements(
                Path.of(getClass().getClassLoader().getResource("gazelle/gazelle-shipped.sql").toURI())))
            {
                if (sql.contains("xbt_snatched") || sql.contains("users_freeleeches") ||
                    sql.contains("xbt_files_users"))
                {
                    s.execute(sql);
                }
            }
            for (final String sql : MariaDbServer.upgradeStatements())
            {
                s.execute(sql);
            }
        }
    }

    String logged()
    {
        synchronized (log)
        {
            return log.toString(StandardCharsets.UTF_8);
        }
    }

    Map<String, Object> announce(final String passkey, final byte[] hash, final int peer, final long up,
        final long down, final long left, final String event) throws Exception
    {
        return harness.get(target(passkey, hash, peer, up, down, left, event));
    }

    void awaitFlushed()
    {
        PrivateModeFixture.awaitFlushed(harness);
    }

    long counter(final String name)
    {
        return PrivateModeFixture.counter(harness, name);
    }

    HttpResponse<String> metrics(final String path) throws Exception
    {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" +
            harness.tracker().metricsAddress().getPort() + path)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    static long count(final String sql) throws Exception
    {
        try (Connection c = FIXTURE.db().connect(); Statement s = c.createStatement();
            ResultSet r = s.executeQuery(sql))
        {
            r.next();
            return r.getLong(1);
        }
    }

    static void execute(final String sql) throws Exception
    {
        try (Connection c = FIXTURE.db().connect(); Statement s = c.createStatement())
        {
            s.execute(sql);
        }
    }

    /** The SQL statements a schema-check message ends its lines with ("...: ALTER TABLE ...;"). */
    static List<String> fixes(final String message)
    {
        final List<String> statements = new ArrayList<>();
        final Matcher m = Pattern.compile(": ((?:ALTER|CREATE) TABLE [^;]*);").matcher(message);
        while (m.find())
        {
            statements.add(m.group(1));
        }
        return statements;
    }

    static int occurrences(final String text, final String part)
    {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1))
        {
            n++;
        }
        return n;
    }

    // ---- tests ----

    @Test
    void aFreeleechTokenLandsOnGazellesStrictSchema() throws Exception
    {
        harness.start();
        assertNull(failure(announce(ALICE, TOKENED, 1, 0, 0, 5000, "started")));
        assertNull(failure(announce(ALICE, TOKENED, 1, 200, 700, 4300, null)));
        assertNull(failure(announce(ALICE, NORMAL, 2, 0, 0, 1000, "started")));
        assertNull(failure(announce(ALICE, NORMAL, 2, 0, 1000, 0, "completed")));
        awaitFlushed();
        assertEquals(700, count("SELECT Downloaded FROM users_freeleeches WHERE UserID = 1 AND TorrentID = 13"));
        assertEquals(1, count("SELECT COUNT(*) FROM users_freeleeches WHERE Time > '1000-01-01'"),
            "the token row keeps the time it was spent");
        assertEquals(200, count("SELECT Uploaded FROM users_main WHERE ID = 1"));
        assertEquals(1000, count("SELECT Downloaded FROM users_main WHERE ID = 1"),
            "the token's download is not charged");
        assertEquals(1, count("SELECT Snatched FROM torrents WHERE ID = 10"));
        assertEquals(1, count("SELECT COUNT(*) FROM xbt_snatched WHERE uid = 1 AND fid = 10"));
        assertEquals(2, count("SELECT COUNT(*) FROM xbt_files_users"));
        assertEquals(0, counter("private_db_errors"));
        assertFalse(Files.exists(harness.storagePath().resolve("private").resolve(DeadLetters.FILE_NAME)));
    }

    @Test
    void torrentsKeepingWhatCdsZeroDatesAreUpdatedInStrictMode() throws Exception
    {
        // WhatCD's gazelle.sql defaults last_action to the zero date; a database created with it and now run in
        // OPS's strict mode (NO_ZERO_DATE) keeps such rows, and writing that value back would be refused.
        try (Connection c = FIXTURE.db().connect(); Statement s = c.createStatement())
        {
            s.execute("SET SESSION sql_mode = ''");
            s.execute("UPDATE torrents SET last_action = '0000-00-00 00:00:00' WHERE ID = 10");
        }
        harness.start();
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 0, 1000, "started")));
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 100, 900, null)));
        awaitFlushed();
        assertEquals(1, count("SELECT Leechers FROM torrents WHERE ID = 10"));
        assertEquals(1, count("SELECT COUNT(*) FROM torrents WHERE ID = 10 AND last_action = '0000-00-00 00:00:00'"),
            "no seeder seen: last_action untouched");
        assertNull(failure(announce(BOB, NORMAL, 2, 0, 0, 0, "started")));
        awaitFlushed();
        assertEquals(1, count("SELECT Seeders FROM torrents WHERE ID = 10"));
        assertEquals(1, count("SELECT COUNT(*) FROM torrents WHERE ID = 10 AND last_action > NOW() - INTERVAL 1 DAY"));
        assertFalse(Files.exists(harness.storagePath().resolve("private").resolve(DeadLetters.FILE_NAME)));
    }

    @Test
    void aBrokenColumnCostsOnlyItsRowsAndTheReplayLandsThemOnce() throws Exception
    {
        harness.start();
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 0, 1000, "started")));
        assertNull(failure(announce(BOB, NORMAL, 2, 0, 0, 0, "started")));
        awaitFlushed();
        execute("ALTER TABLE xbt_snatched DROP COLUMN IP"); // the site breaks a column under the running tracker

        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 1000, 0, "completed")));
        assertNull(failure(announce(BOB, NORMAL, 2, 500, 0, 0, null)));
        assertNull(failure(announce(ALICE, TOKENED, 3, 0, 0, 5000, "started")));
        assertNull(failure(announce(ALICE, TOKENED, 3, 0, 300, 4700, null)));
        awaitFlushed();

        // Every other row landed, exactly once.
        assertEquals(1000, count("SELECT Downloaded FROM users_main WHERE ID = 1"));
        assertEquals(500, count("SELECT Uploaded FROM users_main WHERE ID = 2"));
        assertEquals(300, count("SELECT Downloaded FROM users_freeleeches WHERE UserID = 1 AND TorrentID = 13"));
        assertEquals(1, count("SELECT Snatched FROM torrents WHERE ID = 10"));
        assertEquals(1, count("SELECT completed FROM xbt_files_users WHERE uid = 1 AND fid = 10"));
        assertEquals(0, count("SELECT COUNT(*) FROM xbt_snatched"));

        // The refused row: the dead-letter file, the metric, the log, /check.
        final Path deadLetters = harness.storagePath().resolve("private").resolve(DeadLetters.FILE_NAME);
        final String file = Files.readString(deadLetters);
        assertEquals(1, file.lines().count(), file);
        assertTrue(file.contains("\"table\":\"xbt_snatched\"") && file.contains("\"code\":1054") &&
            file.contains("\"column\":\"IP\"") && file.contains("\"IP\":\"127.0.0.1\""), file);
        assertEquals(1, counter("private_dead_letter_rows{table=\"xbt_snatched\"}"));
        assertEquals(0, counter("private_dead_letter_rows{table=\"users_main\"}"));
        assertEquals(1, counter("private_dead_letters_pending"));
        final String exposition = metrics("/metrics").body();
        assertTrue(exposition.contains("trackerd_private_dead_letter_rows_total{table=\"xbt_snatched\"} 1"),
            () -> exposition.lines().filter(l -> l.contains("dead_letter")).toList().toString());
        final HttpResponse<String> check = metrics("/check");
        assertEquals(200, check.statusCode());
        assertTrue(check.body().contains("dead letters: 1 accounting row(s)") &&
            check.body().contains("xbt_snatched 1"), check.body());
        assertEquals(1, occurrences(logged(), "table xbt_snatched for good (error 1054, column 'IP'"), logged());

        // A second snatch while still broken: one more row, the same kind of error is not logged again.
        assertNull(failure(announce(BOB, NORMAL, 4, 0, 0, 100, "started")));
        assertNull(failure(announce(BOB, NORMAL, 4, 0, 100, 0, "completed")));
        awaitFlushed();
        final SiteCounters sc = harness.tracker().privateTracker().counters();
        assertEquals(2, Files.readString(deadLetters).lines().count(), () -> "queued " + sc.deltasQueued.get() +
            " flushed " + sc.deltasFlushed.get() + " pending " + sc.pendingRows.get() + " snatched " +
            counter("private_dead_letter_rows{table=\"xbt_snatched\"}") + " log " + logged());
        assertEquals(2, counter("private_dead_letter_rows{table=\"xbt_snatched\"}"));
        assertEquals(1, occurrences(logged(), "table xbt_snatched for good (error 1054, column 'IP'"));
        assertEquals(2, count("SELECT Snatched FROM torrents WHERE ID = 10"));

        // The schema check names the problem and its fix at a reload; the operator runs that fix...
        final PrivateTracker.SchemaException refused = assertThrows(PrivateTracker.SchemaException.class,
            () -> harness.tracker().privateTracker().reload());
        final List<String> fix = fixes(refused.getMessage());
        assertEquals(List.of("ALTER TABLE xbt_snatched ADD COLUMN IP varchar(39) NOT NULL"), fix, refused.getMessage());
        execute(fix.get(0));
        harness.tracker().privateTracker().reload();

        // ... and the documented replay, while the tracker runs: each row once, and a second run does nothing.
        final TrackerConfig config = TrackerConfig.load(harness.writeConfig());
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, DeadLetterReplay.run(config, new PrintStream(out, true, StandardCharsets.UTF_8)),
            out.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("2 landed now"), out.toString(StandardCharsets.UTF_8));
        assertEquals(1, count("SELECT COUNT(*) FROM xbt_snatched WHERE uid = 1 AND fid = 10 AND IP = '127.0.0.1'"));
        assertEquals(1, count("SELECT COUNT(*) FROM xbt_snatched WHERE uid = 2 AND fid = 10 AND IP = '127.0.0.1'"));
        out.reset();
        assertEquals(0, DeadLetterReplay.run(config, new PrintStream(out, true, StandardCharsets.UTF_8)));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("0 landed now, 0 already in the database, 2 " +
            "replayed before"), out.toString(StandardCharsets.UTF_8));
        assertEquals(2, count("SELECT COUNT(*) FROM xbt_snatched"));
        assertEquals(2, count("SELECT Snatched FROM torrents WHERE ID = 10"), "the torrent's count was never held up");
        await(() -> counter("private_dead_letters_pending") == 0, "the replay seen by the tracker");
        final HttpResponse<String> after = metrics("/check");
        assertEquals("ok\n", after.body());

        // New snatches land directly again.
        assertNull(failure(announce(BOB, NORMAL, 5, 0, 0, 100, "started")));
        assertNull(failure(announce(BOB, NORMAL, 5, 0, 100, 0, "completed")));
        awaitFlushed();
        assertEquals(3, count("SELECT COUNT(*) FROM xbt_snatched"));
        assertEquals(2, Files.readString(deadLetters).lines().count());
    }

    @Test
    void aDatabaseLackingWhatTheTrackerNeedsIsRefusedWithTheFixes() throws Exception
    {
        execute("ALTER TABLE users_freeleeches DROP COLUMN Downloaded");
        execute("DROP TABLE trackerd_batches");
        execute("ALTER TABLE xbt_snatched ADD COLUMN Source int(11) NOT NULL");
        final IOException refused = assertThrows(IOException.class, harness::start);
        harness = null; // nothing to close
        final String message = refused.getMessage();
        assertTrue(message.contains("users_freeleeches.Downloaded is missing"), message);
        assertTrue(message.contains("table trackerd_batches is missing"), message);
        assertTrue(message.contains("xbt_snatched.Source is NOT NULL without a default"), message);
        final List<String> fix = fixes(message);
        assertEquals(3, fix.size(), message);
        for (final String sql : fix)
        {
            execute(sql);
        }
        harness = FIXTURE.harness(directory)
            .start();
        assertNull(failure(announce(ALICE, TOKENED, 1, 0, 0, 5000, "started")));
        assertNull(failure(announce(ALICE, TOKENED, 1, 0, 700, 4300, "completed")));
        awaitFlushed();
        assertEquals(700, count("SELECT Downloaded FROM users_freeleeches WHERE UserID = 1 AND TorrentID = 13"));
        assertEquals(1, count("SELECT COUNT(*) FROM xbt_snatched WHERE Source = 0"));
    }

    @Test
    void aRowTheDatabaseRefusesIsIsolatedFromTheRowsBesideIt() throws Exception
    {
        harness.start();
        // A constraint refusing one user's peer rows: the error is about a row, not the statement, so the
        // flusher halves the xbt_files_users piece (when other rows share it) until that row stands alone.
        execute("ALTER TABLE xbt_files_users ADD CONSTRAINT no_bob CHECK (uid <> 2)");
        for (final int peer : new int[] {1, 3, 5, 7, 9})
        {
            assertNull(failure(announce(ALICE, NORMAL, peer, 0, 0, 1000, "started")));
        }
        assertNull(failure(announce(BOB, NORMAL, 2, 0, 0, 0, "started")));
        assertNull(failure(announce(BOB, NORMAL, 2, 600, 0, 0, null)));
        awaitFlushed();
        assertEquals(5, count("SELECT COUNT(*) FROM xbt_files_users WHERE uid = 1"));
        assertEquals(0, count("SELECT COUNT(*) FROM xbt_files_users WHERE uid = 2"));
        assertEquals(600, count("SELECT Uploaded FROM users_main WHERE ID = 2"));
        assertEquals(1, count("SELECT Seeders FROM torrents WHERE ID = 10"));
        // Bob's two announces may fall into one batch or two: one dead letter each time his row was refused.
        final Path deadLetters = harness.storagePath().resolve("private").resolve(DeadLetters.FILE_NAME);
        final List<String> lines = Files.readAllLines(deadLetters);
        assertTrue(lines.size() == 1 || lines.size() == 2, lines.toString());
        assertTrue(lines.stream().allMatch(l -> l.contains("\"code\":4025") && l.contains("\"uid\":2")),
            lines.toString());
        assertEquals(lines.size(), counter("private_dead_letter_rows{table=\"xbt_files_users\"}"));
        assertTrue(counter("private_batches_split") >= 1);

        execute("ALTER TABLE xbt_files_users DROP CONSTRAINT no_bob");
        // Bob stops after the fix and before the replay: the replayed (older) report must not undo that.
        assertNull(failure(announce(BOB, NORMAL, 2, 650, 0, 0, "stopped")));
        awaitFlushed();
        assertEquals(1, count("SELECT COUNT(*) FROM xbt_files_users WHERE uid = 2 AND active = 0 AND uploaded = 650"));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, DeadLetterReplay.run(TrackerConfig.load(harness.writeConfig()),
            new PrintStream(out, true, StandardCharsets.UTF_8)), out.toString(StandardCharsets.UTF_8));
        assertEquals(1, count("SELECT COUNT(*) FROM xbt_files_users WHERE uid = 2 AND announced = 3 AND " +
            "active = 0 AND uploaded = 650 AND remaining = 0"), "the announces add up, the newer report stays");
        assertEquals(650, count("SELECT Uploaded FROM users_main WHERE ID = 2"), "the user's row was not replayed");
        assertEquals(0, count("SELECT Seeders FROM torrents WHERE ID = 10"));
    }

    @Test
    void aBrokenBatchTableHoldsTheBatchInsteadOfDeadLetteringIt() throws Exception
    {
        harness.start();
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 0, 1000, "started")));
        awaitFlushed();
        execute("RENAME TABLE trackerd_batches TO trackerd_batches_away");
        assertNull(failure(announce(ALICE, NORMAL, 1, 400, 0, 1000, null)));
        await(() -> counter("private_db_errors") >= 2, "failed flushes");
        assertTrue(harness.tracker().privateTracker().counters().pendingRows.get() > 0, "the batch waits");
        assertEquals(0, count("SELECT Uploaded FROM users_main WHERE ID = 1"));
        execute("RENAME TABLE trackerd_batches_away TO trackerd_batches");
        awaitFlushed();
        assertEquals(400, count("SELECT Uploaded FROM users_main WHERE ID = 1"));
        assertFalse(Files.exists(harness.storagePath().resolve("private").resolve(DeadLetters.FILE_NAME)),
            "no row can land without the batch table: none is dead-lettered for it");
    }

    @Test
    void narrowAddressColumnsOnlyWarn() throws Exception
    {
        execute("ALTER TABLE xbt_files_users MODIFY ip varchar(15) NOT NULL DEFAULT ''");
        harness.start();
        assertTrue(logged().contains("xbt_files_users.ip is varchar(15): IPv6 peers' rows will go to the " +
            "dead-letter file until it is widened: ALTER TABLE xbt_files_users MODIFY ip varchar(39) NOT NULL " +
            "DEFAULT '';"), logged());
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 0, 1000, "started")));
        awaitFlushed();
        assertEquals(1, count("SELECT COUNT(*) FROM xbt_files_users WHERE ip = '127.0.0.1'"));
    }

    @Test
    void theProjectsOwnDdlNeedsNothingMore() throws Exception
    {
        try (Connection c = FIXTURE.db().connect(); Statement s = c.createStatement())
        {
            s.execute("CREATE DATABASE project");
            s.execute("USE project");
            for (final String sql : MariaDbServer.statements(Path.of("..", "schema", "gazelle-tracker.sql")))
            {
                s.execute(sql);
            }
        }
        final TrackerConfig config = TrackerConfig.parse("{\"tracker\":{\"mode\":\"private\"},\"private\":{" +
            "\"database_url\":\"" + FIXTURE.db().url().replace("/gazelle", "/project") +
            "\",\"database_user\":\"root\"}," +
            "\"storage\":{\"path\":\"" + directory.resolve("p") + "\"}}");
        try (MariaDbBackend backend = new MariaDbBackend(config.privateTracker))
        {
            final SchemaReport report = backend.checkSchema();
            assertEquals(List.of(), report.errors());
            assertEquals(List.of(), report.warnings());
        }
        finally
        {
            execute("DROP DATABASE project");
        }
    }
}
