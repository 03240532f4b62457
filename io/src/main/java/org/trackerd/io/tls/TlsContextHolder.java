package org.trackerd.io.tls;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.Counters;
import org.trackerd.engine.config.ConfigException;
import org.trackerd.engine.config.TlsConfig;
import org.trackerd.io.FileStamp;
import org.trackerd.io.PollLoop;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@link TlsContext} in force, and what keeps it current: a reload on SIGHUP ({@link #reload}) or when the
 * certificate or key file changes (modification time or size, compared every {@code tls.reload_check_seconds}, the
 * way {@code PolicyReloader} watches the access lists). The new pair is read and checked whole before it is swapped
 * in; handshakes already begun, and connections already open, keep the context they started with, so nothing is
 * dropped. A pair that does not load (unreadable, half-written, key and certificate that do not match, already
 * expired) leaves the old one in force and the log says why; the files are tried again once they change again.
 *
 * <p>Thread: its own daemon thread ({@code trackerd-tls}) polls; {@link #reload} from any thread (SIGHUP, tests),
 * serialised with the poller; {@link #current} from any thread (the frontends read it at each accept).
 */
public final class TlsContextHolder implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TlsContextHolder.class);
    private static final long TICK_MS = 200;

    private final TlsConfig config;
    private final AtomicCounter reloads;
    private final AtomicCounter reloadFailures;
    private final Thread thread;
    /** Runs handshake tasks for every frontend thread; null: they run on the frontend. */
    private final java.util.concurrent.ExecutorService handshakes;
    private volatile TlsContext current;
    private volatile boolean running = true;
    private List<FileStamp> stamps;
    private long nextCheckMs;

    private TlsContextHolder(final TlsConfig config, final TlsContext first, final CountersManager counters)
    {
        this.config = config;
        this.current = first;
        this.stamps = stamps(config);
        this.reloads = Counters.counter(counters, "tls_reloads", "");
        this.reloadFailures = Counters.counter(counters, "tls_reload_failures", "");
        this.nextCheckMs = System.currentTimeMillis() + config.reloadCheckSeconds * 1000L;
        this.thread = new Thread(this::run, "trackerd-tls");
        thread.setDaemon(true);
        final java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        this.handshakes = config.handshakeThreads == 0 ? null :
            java.util.concurrent.Executors.newFixedThreadPool(config.handshakeThreads, r ->
            {
                final Thread t = new Thread(r, "trackerd-tls-handshake-" + n.getAndIncrement());
                t.setDaemon(true);
                return t;
            });
    }

    /** Where handshake tasks run, or null for the frontend thread itself. */
    java.util.concurrent.Executor handshakeExecutor()
    {
        return handshakes;
    }

    /**
     * Loads the first pair (a pair that cannot be loaded stops start-up: {@link ConfigException}) and starts
     * watching the files. Counters are allocated here, so call it on the launcher thread.
     */
    public static TlsContextHolder start(final TlsConfig config, final CountersManager counters)
    {
        final TlsContext first;
        try
        {
            first = TlsContext.load(config);
        }
        catch (final IOException | GeneralSecurityException | RuntimeException ex)
        {
            throw new ConfigException("tls: cannot load " + config.certificateChainFile + " and " +
                config.privateKeyFile + ": " + ex.getMessage());
        }
        final TlsContextHolder holder = new TlsContextHolder(config, first, counters);
        LOG.info("tls certificate: {}", first);
        final String warning = holder.expiryWarning(System.currentTimeMillis());
        if (warning != null)
        {
            LOG.warn("{}", warning);
        }
        holder.thread.start();
        return holder;
    }

    /** The context new handshakes use. */
    public TlsContext current()
    {
        return current;
    }

    /**
     * Reads the pair again and swaps it in if it loads and is valid now; otherwise the old one stays.
     *
     * @return true when the files' pair is in force afterwards
     */
    public synchronized boolean reload()
    {
        return rebuild("reload");
    }

    private boolean rebuild(final String why)
    {
        stamps = stamps(config); // a broken pair is not retried every tick, only once the files change again
        final TlsContext next;
        try
        {
            next = TlsContext.load(config);
            final long nowMs = System.currentTimeMillis();
            if (next.notAfterMs() < nowMs || next.leaf().getNotBefore().getTime() > nowMs)
            {
                throw new GeneralSecurityException("the certificate is not valid now (" + next.leaf().getNotBefore()
                    .toInstant() + " to " + next.leaf().getNotAfter().toInstant() + ")");
            }
        }
        catch (final IOException | GeneralSecurityException | RuntimeException ex)
        {
            reloadFailures.incrementRelease();
            LOG.error("tls {} failed, keeping {}: {}", why, current, ex.getMessage());
            return false;
        }
        current = next;
        reloads.incrementRelease();
        LOG.info("tls {}: now serving {}", why, next);
        return true;
    }

    /** Seconds until the certificate in force expires (negative once it has). */
    public double expirySeconds()
    {
        return (current.notAfterMs() - System.currentTimeMillis()) / 1000.0;
    }

    /** What /check says when the certificate ends within {@code tls.expiry_warning_days}, or null. */
    public String expiryWarning(final long nowMs)
    {
        final TlsContext c = current;
        final long leftMs = c.notAfterMs() - nowMs;
        if (leftMs < 0)
        {
            return "tls certificate expired at " + c.leaf().getNotAfter().toInstant() + ": " + c;
        }
        if (leftMs < TimeUnit.DAYS.toMillis(config.expiryWarningDays))
        {
            return "tls certificate expires in " + String.format(java.util.Locale.ROOT, "%.1f",
                leftMs / (double)TimeUnit.DAYS.toMillis(1)) + " days, at " +
                c.leaf().getNotAfter().toInstant() + " (renewal due; tls.expiry_warning_days=" +
                config.expiryWarningDays + ")";
        }
        return null;
    }

    private void run()
    {
        PollLoop.run(() -> running, TICK_MS, this::tick, LOG, "tls certificate poller");
    }

    private synchronized void tick(final long nowMs)
    {
        if (config.reloadCheckSeconds > 0 && nowMs >= nextCheckMs)
        {
            nextCheckMs = nowMs + config.reloadCheckSeconds * 1000L;
            if (!stamps(config).equals(stamps))
            {
                rebuild("file change");
            }
        }
    }

    private static List<FileStamp> stamps(final TlsConfig c)
    {
        return List.of(FileStamp.of(c.certificateChainFile), FileStamp.of(c.privateKeyFile));
    }

    @Override
    public void close()
    {
        running = false;
        if (handshakes != null)
        {
            handshakes.shutdownNow();
        }
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
