package org.trackerd.io.privatemode;

import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.trackerd.engine.site.SiteCounters;
import org.trackerd.io.e2e.TrackerHarness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Statement;
import java.util.Comparator;

/**
 * What the private-mode end-to-end tests share: a MariaDB of their own for the test class, in a temporary
 * directory that goes with it, and a tracker in private mode pointed at it that flushes every 50 ms and never
 * reloads the site on a timer (tests reload through site control when they mean to). A test class registers it
 * as a static {@code @RegisterExtension} field.
 *
 * <p>Thread: the test's.
 */
final class PrivateModeFixture implements BeforeAllCallback, AfterAllCallback
{
    /** Every table the tracker reads or writes, emptied before a test seeds its own rows. */
    private static final String[] TABLES = {"users_main", "torrents", "xbt_client_whitelist", "users_freeleeches",
        "xbt_files_users", "xbt_snatched", "trackerd_batches"};

    private Path directory;
    private MariaDbServer db;

    /** Creates and starts the database before the class's first test. */
    @Override
    public void beforeAll(final ExtensionContext context) throws Exception
    {
        directory = Files.createTempDirectory("trackerd-mariadb");
        db = MariaDbServer.create(directory);
    }

    /** Stops the database and deletes its directory after the class's last test. */
    @Override
    public void afterAll(final ExtensionContext context) throws Exception
    {
        if (db != null)
        {
            db.close();
        }
        if (directory != null)
        {
            try (var paths = Files.walk(directory))
            {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The running database. */
    MariaDbServer db()
    {
        return db;
    }

    /** A harness (not yet started) for a private-mode tracker on this database; tests add their own settings. */
    TrackerHarness harness(final Path trackerDirectory)
    {
        return new TrackerHarness(trackerDirectory)
            .set("tracker", "mode", "\"private\"")
            .set("private", "database_url", "\"" + db.url() + "\"")
            .set("private", "database_user", "\"root\"")
            .set("private", "flush_interval_ms", "50")
            .set("private", "reload_interval_seconds", "0");
    }

    /** Empties every table the tracker touches, so a test sees only the rows it seeds. */
    static void truncateAll(final Statement s) throws Exception
    {
        for (final String table : TABLES)
        {
            s.execute("TRUNCATE " + table);
        }
    }

    /** The value of the tracker's counter labelled {@code name} (0 when there is none). */
    static long counter(final TrackerHarness harness, final String name)
    {
        final CountersReader reader = harness.tracker().counters();
        final long[] value = {0};
        reader.forEach((id, type, key, label) ->
        {
            if (label.equals(name))
            {
                value[0] = reader.getCounterValue(id);
            }
        });
        return value[0];
    }

    /** Waits (bounded) until every queued delta is in the database. */
    static void awaitFlushed(final TrackerHarness harness)
    {
        final SiteCounters c = harness.tracker().privateTracker().counters();
        PrivateTrackerE2ETest.await(() -> c.deltasFlushed.get() >= c.deltasQueued.get() && c.pendingRows.get() == 0 &&
            harness.tracker().privateTracker().recorder().ring().size() == 0, "deltas flushed");
    }
}
