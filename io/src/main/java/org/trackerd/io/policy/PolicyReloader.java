package org.trackerd.io.policy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.config.ConfigException;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.policy.AccessPolicy;
import org.trackerd.engine.policy.JwtKeys;
import org.trackerd.engine.policy.KeySource;
import org.trackerd.engine.policy.PolicyException;
import org.trackerd.engine.policy.PolicyHolder;
import org.trackerd.io.FileStamp;
import org.trackerd.io.PollLoop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds {@link AccessPolicy} snapshots from the {@code access} config and its files (JWKS through
 * {@link JwksKeySource}), and keeps the
 * {@link PolicyHolder} current: on {@link #reload()} (SIGHUP), when a list or JWKS file changes (its modification
 * time or size, polled every {@code access.reload_check_seconds}), and when the JWKS URL is due for a refresh
 * (every {@code access.jwt.jwks_refresh_seconds}, or soon after a token names an unknown key).
 *
 * <p>A reload builds the whole new snapshot before swapping it in; if anything fails (an unreadable file, a bad
 * line) the old snapshot stays and the reason is logged. Swarm state is never touched.
 *
 * <p>Thread: its own daemon thread ({@code trackerd-policy}) polls; {@link #reload} from any thread (SIGHUP handler,
 * tests), serialised with the poller.
 */
public final class PolicyReloader implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(PolicyReloader.class);
    private static final long TICK_MS = 200;
    private static final KeySource KEYS = JwksKeySource.INSTANCE;
    /** An unknown key id triggers a JWKS fetch at most this often, so bad tokens cannot hammer the issuer. */
    private static final long ON_DEMAND_FETCH_INTERVAL_MS = TimeUnit.SECONDS.toMillis(10);
    /** After a failed fetch, try again this soon rather than a whole refresh interval later. */
    private static final long FETCH_RETRY_MS = TimeUnit.SECONDS.toMillis(30);

    private final PolicyHolder holder;
    private final Thread thread;
    private volatile boolean running = true;

    private TrackerConfig.Access config;
    private JwtKeys urlKeys;
    private long nextFetchMs;
    private long lastFetchMs;
    private long nextFileCheckMs;
    private List<FileStamp> stamps = List.of();

    private PolicyReloader(final TrackerConfig.Access config, final AccessPolicy initial, final JwtKeys urlKeys,
        final List<FileStamp> stamps)
    {
        this.config = config;
        this.holder = new PolicyHolder(initial);
        this.urlKeys = urlKeys;
        this.stamps = stamps;
        final long now = System.currentTimeMillis();
        this.lastFetchMs = now;
        this.nextFetchMs = now + fetchInterval(config, urlKeys != null);
        this.nextFileCheckMs = now + config.reloadCheckSeconds * 1000L;
        this.thread = new Thread(this::run, "trackerd-policy");
        thread.setDaemon(true);
    }

    /**
     * Loads the first policy and starts polling. A list or JWKS file that cannot be read stops start-up
     * ({@link ConfigException}); a JWKS URL that cannot be fetched is logged and retried, tokens signed with
     * its keys being refused meanwhile.
     */
    public static PolicyReloader start(final TrackerConfig.Access config)
    {
        final JwtKeys urlKeys = fetchQuietly(config);
        final List<FileStamp> stamps = stamps(config);
        final AccessPolicy policy;
        try
        {
            policy = AccessPolicy.build(config, KEYS, urlKeys);
        }
        catch (final PolicyException ex)
        {
            throw new ConfigException("access: " + ex.getMessage());
        }
        final PolicyReloader reloader = new PolicyReloader(config, policy, urlKeys, stamps);
        if (policy.enabled())
        {
            LOG.info("access control: {}", policy);
        }
        reloader.thread.start();
        return reloader;
    }

    public PolicyHolder holder()
    {
        return holder;
    }

    /** Rebuilds the policy from the same config, re-reading every file and re-fetching the JWKS URL. */
    public boolean reload()
    {
        synchronized (this)
        {
            return reload(config);
        }
    }

    /**
     * Rebuilds the policy from a new {@code access} section (SIGHUP after the config file changed). On failure the
     * old policy and old config stay in force.
     *
     * @return true when the new policy is in force
     */
    public synchronized boolean reload(final TrackerConfig.Access next)
    {
        final JwtKeys keys;
        if (next.jwt.enabled && !next.jwt.jwksUrl.isEmpty())
        {
            final JwtKeys fetched = fetchQuietly(next);
            lastFetchMs = System.currentTimeMillis();
            keys = fetched != null ? fetched : next.jwt.jwksUrl.equals(config.jwt.jwksUrl) ? urlKeys : null;
            nextFetchMs = lastFetchMs + fetchInterval(next, fetched != null);
        }
        else
        {
            keys = null;
        }
        return rebuild(next, keys, "reload");
    }

    private boolean rebuild(final TrackerConfig.Access next, final JwtKeys keys, final String why)
    {
        final List<FileStamp> seen = stamps(next);
        try
        {
            final AccessPolicy policy = AccessPolicy.build(next, KEYS, keys);
            holder.swap(policy);
            config = next;
            urlKeys = keys;
            stamps = seen;
            LOG.info("access policy {}: {}", why, policy);
            return true;
        }
        catch (final PolicyException | RuntimeException ex)
        {
            // Do not retry the same broken files every tick: wait until they change again (or the next SIGHUP).
            if (next == config)
            {
                stamps = seen;
            }
            LOG.error("access policy {} failed, keeping {}: {}", why, holder.current(), ex.getMessage());
            return false;
        }
    }

    private static JwtKeys fetchQuietly(final TrackerConfig.Access c)
    {
        if (!c.jwt.enabled || c.jwt.jwksUrl.isEmpty())
        {
            return null;
        }
        try
        {
            final JwtKeys keys = KEYS.fetch(c.jwt.jwksUrl);
            LOG.info("fetched {} JWKS keys from {}", keys.size(), c.jwt.jwksUrl);
            return keys;
        }
        catch (final PolicyException ex)
        {
            LOG.error("{} (keeping the keys we had)", ex.getMessage());
            return null;
        }
    }

    private static long fetchInterval(final TrackerConfig.Access c, final boolean fetched)
    {
        return fetched ? c.jwt.jwksRefreshSeconds * 1000L : Math.min(FETCH_RETRY_MS, c.jwt.jwksRefreshSeconds * 1000L);
    }

    private void run()
    {
        PollLoop.run(() -> running, TICK_MS, this::tick, LOG, "access policy poller");
    }

    private synchronized void tick(final long nowMs)
    {
        final TrackerConfig.Access c = config;
        if (c.jwt.enabled && !c.jwt.jwksUrl.isEmpty())
        {
            final boolean wanted = holder.takeKeyRefreshRequest() && nowMs - lastFetchMs >= ON_DEMAND_FETCH_INTERVAL_MS;
            if (wanted || nowMs >= nextFetchMs)
            {
                lastFetchMs = nowMs;
                final JwtKeys fetched = fetchQuietly(c);
                nextFetchMs = nowMs + fetchInterval(c, fetched != null);
                if (fetched != null)
                {
                    rebuild(c, fetched, "JWKS refresh");
                }
            }
        }
        if (c.reloadCheckSeconds > 0 && nowMs >= nextFileCheckMs)
        {
            nextFileCheckMs = nowMs + c.reloadCheckSeconds * 1000L;
            if (!stamps(c).equals(stamps))
            {
                rebuild(c, urlKeys, "file change");
            }
        }
    }

    /** The modification time and size of every file the config reads, in a fixed order. */
    private static List<FileStamp> stamps(final TrackerConfig.Access c)
    {
        final List<FileStamp> result = new ArrayList<>(3);
        if (!"off".equals(c.torrentListMode))
        {
            result.add(FileStamp.of(c.torrentListFile));
        }
        if (!"off".equals(c.clientListMode))
        {
            result.add(FileStamp.of(c.clientListFile));
        }
        if (c.jwt.enabled && c.jwt.jwksFile != null)
        {
            result.add(FileStamp.of(c.jwt.jwksFile));
        }
        return result;
    }

    @Override
    public void close()
    {
        running = false;
        thread.interrupt();
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
