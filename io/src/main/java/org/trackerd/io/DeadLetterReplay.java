package org.trackerd.io;

import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.site.DeadLetters;
import org.trackerd.io.site.MariaDbBackend;
import org.trackerd.io.site.SqlFailures;
import org.trackerd.engine.site.SchemaReport;

import java.io.PrintStream;
import java.nio.file.Files;

/**
 * {@code trackerd --config FILE --replay-dead-letters}: writes the rows private mode put in its dead-letter file
 * ({@code <storage.path>/private/dead-letters.jsonl}) once the operator has fixed the schema, each exactly once
 * (see {@link DeadLetters#replay}). May run beside a running tracker: it has its own connection and only reads
 * the tracker's file.
 *
 * <p>Thread: the caller's (a command-line run).
 */
public final class DeadLetterReplay
{
    private DeadLetterReplay()
    {
    }

    /** Replays; returns the exit code: 0 every row resolved, 1 rows still refused or the database unusable. */
    public static int run(final TrackerConfig config, final PrintStream out)
    {
        if (!config.tracker.isPrivate())
        {
            out.println("trackerd: --replay-dead-letters needs tracker.mode \"private\"");
            return 2;
        }
        final DeadLetters letters = new DeadLetters(config.storage.path.resolve("private"));
        if (!Files.exists(letters.file()))
        {
            out.println("trackerd: no dead letters (" + letters.file() + " does not exist)");
            return 0;
        }
        // A replay is idempotent: a transient failure (a busy host missing the connect timeout) is simply tried
        // again, a few times.
        for (int attempt = 1; ; attempt++)
        {
            try (MariaDbBackend backend = new MariaDbBackend(config.privateTracker))
            {
                final SchemaReport schema = backend.checkSchema();
                if (!schema.ok())
                {
                    out.println("trackerd: the site database still lacks what the tracker needs, nothing replayed:");
                    schema.errors().forEach(e -> out.println("  " + e));
                    return 1;
                }
                final DeadLetters.Result r = letters.replay(backend);
                out.println("trackerd: dead letters in " + letters.file() + ": " + r.landed() + " landed now, " +
                    r.alreadyInDatabase() + " already in the database, " + r.skipped() + " replayed before, " +
                    r.stillFailing().size() + " still refused");
                r.stillFailing().forEach(f -> out.println("  " + f));
                return r.stillFailing().isEmpty() ? 0 : 1;
            }
            catch (final Exception ex)
            {
                if (attempt < ATTEMPTS && !SqlFailures.INSTANCE.isPermanent(ex))
                {
                    sleep(500L * attempt);
                    continue;
                }
                out.println("trackerd: replay stopped, run it again when the database answers (nothing is " +
                    "counted twice): " + ex.getMessage());
                return 1;
            }
        }
    }

    private static final int ATTEMPTS = 3;

    private static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
