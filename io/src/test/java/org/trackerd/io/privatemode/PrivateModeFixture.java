package org.trackerd.io.privatemode;

import org.trackerd.io.e2e.TrackerHarness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Statement;
import java.util.Comparator;

/**
 * What the private-mode end-to-end tests share: a MariaDB of their own for the test class, in a temporary
 * directory that goes with it, and a tracker in private mode pointed at it that flushes every 50 ms and never
 * reloads the site on a timer (tests reload through site control when they mean to).
 *
 * <p>Thread: the test's.
 */
final class PrivateModeFixture implements AutoCloseable
{
    /** Every table the tracker reads or writes, emptied before a test seeds its own rows. */
    private static final String[] TABLES = {"users_main", "torrents", "xbt_client_whitelist", "users_freeleeches",
        "xbt_files_users", "xbt_snatched", "trackerd_batches"};

    final MariaDbServer db;
    private final Path directory;

    private PrivateModeFixture(final Path directory, final MariaDbServer db)
    {
        this.directory = directory;
        this.db = db;
    }

    /** Creates and starts the database (for a test class's {@code @BeforeAll}). */
    static PrivateModeFixture start() throws Exception
    {
        final Path directory = Files.createTempDirectory("trackerd-mariadb");
        try
        {
            return new PrivateModeFixture(directory, MariaDbServer.create(directory));
        }
        catch (final Exception ex)
        {
            delete(directory);
            throw ex;
        }
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

    /** Stops the database and deletes its directory (for a test class's {@code @AfterAll}). */
    @Override
    public void close() throws Exception
    {
        db.close();
        delete(directory);
    }

    private static void delete(final Path directory) throws Exception
    {
        try (var paths = Files.walk(directory))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
