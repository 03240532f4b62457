package org.trackerd.engine.site;

import org.agrona.concurrent.status.CountersManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.config.TrackerConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Private mode assembled: the site state (loaded from the database before the tracker serves), the delta recorder
 * the swarm processor writes to, the flusher thread that writes deltas back, the periodic full reload and the
 * site-control entry point.
 *
 * <p>Thread: {@link #start} and {@link #close} from the controlling thread; {@link #control()} from frontends.
 */
public final class PrivateTracker implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(PrivateTracker.class);
    private static final int START_ATTEMPTS = 3;

    private final TrackerConfig.Private config;
    private final SiteState state = new SiteState();
    private final SiteCounters counters;
    private final DeltaRing ring;
    private final PeerBaselines baselines;
    private final DeltaRecorder recorder;
    private final SiteBackend loader;
    private final DeltaFlusher flusher;
    private final SiteControl control;
    private final ScheduledExecutorService reloader;

    /**
     * @param directory where the queue, log, journal and baseline files live ({@code <storage.path>/private})
     * @param maxPeers  peers the baseline map is sized for ({@code storage.max_peers})
     * @param backends  makes one backend per using thread (loader, flusher)
     */
    public PrivateTracker(final TrackerConfig.Private config, final Path directory, final int maxPeers,
        final CountersManager countersManager, final Function<TrackerConfig.Private, SiteBackend> backends)
        throws IOException
    {
        this(config, directory, maxPeers, countersManager, backends, () ->
        {
        });
    }

    /**
     * @param onClose runs last in {@link #close()}: what the adapter opened for its backends (a shared pool)
     */
    public PrivateTracker(final TrackerConfig.Private config, final Path directory, final int maxPeers,
        final CountersManager countersManager, final Function<TrackerConfig.Private, SiteBackend> backends,
        final Runnable onClose) throws IOException
    {
        this.config = config;
        this.onClose = onClose;
        this.counters = new SiteCounters(countersManager);
        Files.createDirectories(directory);
        this.ring = new DeltaRing(directory.resolve("deltas.ring"), config.queueCapacity);
        this.baselines = PeerBaselines.open(directory, maxPeers);
        this.recorder = new DeltaRecorder(ring, baselines, state, counters);
        this.loader = backends.apply(config);
        final int logRecords = Math.max(1024, 2 * DeltaRing.capacityBytes(config.queueCapacity) / DeltaRing.RECORD_BYTES);
        this.flusher = new DeltaFlusher(recorder.ring(), backends.apply(config),
            new DeltaJournal(config.journalPath == null ? directory.resolve("journal.bin") : config.journalPath),
            new DeltaLog(directory.resolve("deltas.log"), logRecords), counters,
            config.flushIntervalMs, config.maxPendingRows, new DeadLetters(directory));
        this.reloader = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread t = new Thread(r, "trackerd-private-reload");
            t.setDaemon(true);
            return t;
        });
        this.control = new SiteControl(state, () -> reloader.execute(this::reloadQuietly));
    }

    /** Loads the site (failing when the database cannot be read), recovers the journal, starts the threads. */
    public PrivateTracker start() throws Exception
    {
        try
        {
            // A cold JVM on a busy host can miss the first connect timeout: three attempts before giving up.
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    reload();
                    break;
                }
                catch (final SchemaException ex)
                {
                    throw ex;
                }
                catch (final Exception ex)
                {
                    if (attempt == START_ATTEMPTS || loader.failures().isPermanent(ex))
                    {
                        throw ex;
                    }
                    LOG.warn("private mode: loading the site failed (attempt {} of {}), trying again: {}", attempt,
                        START_ATTEMPTS, ex.toString());
                    Thread.sleep(200L * attempt);
                }
            }
        }
        catch (final SchemaException ex)
        {
            throw new IllegalStateException("private mode: " + ex.getMessage(), ex);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("private mode: cannot load users and torrents from " +
                config.databaseUrl + ": " + ex.getMessage(), ex);
        }
        recorder.startSequence(flusher.recover(ring, (type, buffer, offset, length) -> baselines.replay(buffer, offset)));
        flusher.start();
        if (config.reloadIntervalSeconds > 0)
        {
            reloader.scheduleWithFixedDelay(this::reloadQuietly, config.reloadIntervalSeconds,
                config.reloadIntervalSeconds, TimeUnit.SECONDS);
        }
        return this;
    }

    /**
     * A full reload from the database, swapped in at once, after checking the schema: a table or column the tracker
     * needs that is missing fails it with every problem and the statement that fixes each; a problem that only costs
     * some rows is logged (when it first shows).
     */
    public synchronized void reload() throws Exception
    {
        final SchemaReport schema = loader.checkSchema();
        if (!schema.warnings().equals(lastSchemaWarnings))
        {
            for (final String warning : schema.warnings())
            {
                LOG.warn("private mode: schema: {}", warning);
            }
            lastSchemaWarnings = schema.warnings();
        }
        if (!schema.ok())
        {
            throw new SchemaException("the site database lacks what the tracker needs:\n  " +
                String.join("\n  ", schema.errors()));
        }
        state.beginLoad();
        final SiteData data;
        try
        {
            data = loader.load();
        }
        catch (final Exception ex)
        {
            state.abortLoad();
            throw ex;
        }
        state.replace(data);
        counters.reloads.incrementRelease();
        LOG.info("private mode: loaded {} users, {} torrents, {} whitelisted clients, {} freeleech tokens",
            data.users().size(), data.torrents().size(), data.whitelist().size(), data.tokens().size());
    }

    private java.util.List<String> lastSchemaWarnings = java.util.List.of();

    /** The site database's schema lacks a table or column the tracker needs. */
    public static final class SchemaException extends Exception
    {
        public SchemaException(final String message)
        {
            super(message);
        }
    }

    private void reloadQuietly()
    {
        try
        {
            reload();
        }
        catch (final Exception ex)
        {
            counters.reloadErrors.incrementRelease();
            LOG.warn("private mode: reload failed, keeping what was loaded before: {}", ex.toString());
        }
    }

    public SiteState state()
    {
        return state;
    }

    public DeltaRecorder recorder()
    {
        return recorder;
    }

    public SiteControl control()
    {
        return control;
    }

    public SiteCounters counters()
    {
        return counters;
    }

    /** True when every recorded delta is in the database. */
    public boolean flushed()
    {
        return flusher.isIdle() && recorder.ring().size() == 0;
    }

    /** Call after the swarm processor has stopped: flushes what it can and journals the rest. */
    @Override
    public void close()
    {
        reloader.shutdownNow();
        flusher.close();
        baselines.close();
        synchronized (this)
        {
            loader.close();
        }
        onClose.run();
    }

    /** Runs last in {@link #close()}: what the adapter opened for the backends (the shared pool). */
    private final Runnable onClose;
}
