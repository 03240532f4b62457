package org.trackerd.io.site;

import com.zaxxer.hikari.HikariDataSource;
import org.agrona.concurrent.status.CountersManager;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.site.PrivateTracker;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Private mode over a MariaDB (or MySQL) site database: the engine's {@link PrivateTracker} with
 * {@link MariaDbBackend}s that share one small pool, closed with the tracker.
 *
 * <p>Thread: the launcher's.
 */
public final class MariaDbSite
{
    private MariaDbSite()
    {
    }

    /** See {@link PrivateTracker#PrivateTracker} for the parameters; call {@link PrivateTracker#start} next. */
    public static PrivateTracker open(final TrackerConfig.Private config, final Path directory, final int maxPeers,
        final CountersManager countersManager) throws IOException
    {
        // One small pool for the loader and the flusher (and the site-control reloads that use the loader).
        final HikariDataSource pool = MariaDbBackend.pool(config, 2);
        try
        {
            return new PrivateTracker(config, directory, maxPeers, countersManager,
                c -> new MariaDbBackend(c, pool), pool::close);
        }
        catch (final IOException | RuntimeException ex)
        {
            pool.close();
            throw ex;
        }
    }
}
