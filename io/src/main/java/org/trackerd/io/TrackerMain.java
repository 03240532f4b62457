package org.trackerd.io;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.config.ConfigException;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.swarm.SwarmStore;
import sun.misc.Signal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Command line entry: {@code trackerd [--config FILE] [--replay-dead-letters]}. Runs in the foreground until
 * SIGTERM or SIGINT, then shuts down cleanly and exits 0. Exit 2 for a bad command line or config, 1 if the tracker
 * cannot start. With {@code --replay-dead-letters} it only replays private mode's dead-letter file
 * ({@link DeadLetterReplay}) and exits.
 */
public final class TrackerMain
{
    private TrackerMain()
    {
    }

    public static void main(final String[] args)
    {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        final Logger log = LoggerFactory.getLogger(TrackerMain.class);
        Path configFile = Path.of("example_config.json");
        boolean replayDeadLetters = false;
        for (int i = 0; i < args.length; i++)
        {
            if ("--config".equals(args[i]) && i + 1 < args.length)
            {
                configFile = Path.of(args[++i]);
            }
            else if ("--replay-dead-letters".equals(args[i]))
            {
                replayDeadLetters = true;
            }
            else if ("--help".equals(args[i]) || "-h".equals(args[i]))
            {
                System.out.println("usage: trackerd [--config FILE] [--replay-dead-letters]   " +
                    "(default: example_config.json)");
                return;
            }
            else
            {
                System.err.println("unknown argument '" + args[i] +
                    "'; usage: trackerd [--config FILE] [--replay-dead-letters]");
                System.exit(2);
            }
        }
        final TrackerConfig config;
        try
        {
            config = TrackerConfig.load(configFile);
        }
        catch (final ConfigException ex)
        {
            System.err.println("trackerd: " + ex.getMessage());
            System.exit(2);
            return;
        }
        if (replayDeadLetters)
        {
            System.exit(DeadLetterReplay.run(config, System.out));
            return;
        }
        final Tracker tracker = new Tracker(config);
        // The handlers go in before the start prints its ready line: a SIGHUP sent as soon as that line is seen
        // (as a supervisor or a test may) would otherwise meet the JVM's default action and end the process. One
        // that comes during the start is kept and carried out once the tracker is started.
        final CountDownLatch stop = new CountDownLatch(1);
        final AtomicInteger hup = new AtomicInteger(); // 0 starting, 1 a reload waits for the start, 2 started
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        final Path reloadFrom = configFile;
        Signal.handle(new Signal("HUP"), s ->
        {
            if (!hup.compareAndSet(0, 1) && hup.get() == 2)
            {
                reload(tracker, reloadFrom, log);
            }
        });
        try
        {
            tracker.start();
        }
        catch (final SwarmStore.StoreException | ConfigException ex)
        {
            System.err.println("trackerd: " + ex.getMessage());
            System.exit(1);
            return;
        }
        catch (final IOException ex)
        {
            System.err.println("trackerd: cannot start: " + ex.getMessage());
            System.exit(1);
            return;
        }
        catch (final RuntimeException ex)
        {
            log.error("cannot start", ex);
            System.err.println("trackerd: cannot start: " + ex);
            System.exit(1);
            return;
        }
        if (hup.getAndSet(2) == 1)
        {
            reload(tracker, reloadFrom, log);
        }
        try
        {
            stop.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        log.info("shutting down");
        tracker.close();
        System.exit(0);
    }

    /**
     * SIGHUP: re-read the TLS certificate chain and key, and the config file's {@code access} section and every list
     * and key file, and swap the policy. Other sections (the TLS file paths too) need a restart. A config that no longer parses keeps the old policy.
     */
    private static void reload(final Tracker tracker, final Path configFile, final Logger log)
    {
        if (!tracker.tlsAddresses().isEmpty())
        {
            log.info("SIGHUP: reloading the TLS certificate and key");
            tracker.reloadTls(); // the same files (an ACME renewal replaces them in place); logs its own outcome
        }
        log.info("SIGHUP: reloading access policy from {}", configFile);
        final TrackerConfig next;
        try
        {
            next = TrackerConfig.load(configFile);
        }
        catch (final ConfigException ex)
        {
            log.error("SIGHUP: config not reloaded, keeping the access policy in force: {}", ex.getMessage());
            return;
        }
        tracker.reloadPolicy(next.access);
    }
}
