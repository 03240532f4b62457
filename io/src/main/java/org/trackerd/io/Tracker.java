package org.trackerd.io;

import org.agrona.concurrent.status.CountersReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.config.HostPort;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.swarm.SwarmStore;
import org.trackerd.engine.ResponseQueue;
import org.trackerd.engine.policy.AccessChecker;
import org.trackerd.engine.policy.PolicyHolder;
import org.trackerd.engine.policy.PolicyReloader;
import org.trackerd.io.http.HttpFrontend;
import org.trackerd.metrics.MetricsServer;
import org.trackerd.metrics.TrackerMetrics;
import org.trackerd.io.udp.ConnectionIds;
import org.trackerd.io.udp.UdpFrontend;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The whole tracker in one process: store, engine, frontends and their threads, assembled from a config.
 * Used by {@link TrackerMain} and by the end-to-end tests, which boot it on ephemeral ports.
 *
 * <p>Thread: {@link #start} and {@link #close} from one controlling thread.
 */
public final class Tracker implements AutoCloseable
{
    static
    {
        // Before any Chronicle class loads: no analytics, no banner (see DEPENDENCIES.md).
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
    }

    private static final Logger LOG = LoggerFactory.getLogger(Tracker.class);
    private final TrackerConfig config;
    private final TrackerMetrics metrics = new TrackerMetrics();
    private MetricsServer metricsServer;
    private SwarmStore store;
    private TrackerEngine engine;
    private PolicyReloader access;
    /** Null in public mode. */
    private org.trackerd.engine.site.PrivateTracker privateTracker;
    private final List<HttpFrontend> httpFrontends = new ArrayList<>();
    private final List<UdpFrontend> udpFrontends = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<InetSocketAddress> httpAddresses = new ArrayList<>();
    private final List<InetSocketAddress> udpAddresses = new ArrayList<>();
    private boolean closed;

    public Tracker(final TrackerConfig config)
    {
        this.config = config;
    }

    /** Opens the store, binds every listener and starts all threads; returns once the tracker serves. */
    public Tracker start() throws IOException
    {
        store = SwarmStore.open(config.storage.path, config.storage.maxTorrents, config.storage.maxPeers);
        try
        {
            engine = new TrackerEngine(config, store, metrics.countersManager());
            final List<List<ServerSocketChannel>> perThread = bindHttp();
            final List<List<DatagramChannel>> udpPerThread;
            try
            {
                udpPerThread = bindUdp();
            }
            catch (final IOException ex)
            {
                for (final List<ServerSocketChannel> list : perThread)
                {
                    for (final ServerSocketChannel s : list)
                    {
                        s.close();
                    }
                }
                throw ex;
            }
            for (int i = 0; i < perThread.size(); i++)
            {
                httpFrontends.add(new HttpFrontend(i, perThread.get(i), engine, config, metrics));
            }
            if (!udpPerThread.isEmpty())
            {
                final byte[] key = connectionIdKey();
                for (int i = 0; i < udpPerThread.size(); i++)
                {
                    udpFrontends.add(new UdpFrontend(i, udpPerThread.get(i), engine, config,
                        metrics, key));
                }
            }
            installAccessControl();
            installPrivateMode();
            registerGauges();
            engine.start();
            for (int i = 0; i < httpFrontends.size(); i++)
            {
                final Thread t = new Thread(httpFrontends.get(i), "trackerd-http-" + i);
                threads.add(t);
                t.start();
            }
            for (int i = 0; i < udpFrontends.size(); i++)
            {
                final Thread t = new Thread(udpFrontends.get(i), "trackerd-udp-" + i);
                threads.add(t);
                t.start();
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            close();
            throw ex;
        }
        if (config.metrics.listen != null)
        {
            try
            {
                metricsServer = new MetricsServer(config.metrics.listen, metrics, engine::processedSequence,
                    engine::publishedSequence);
            }
            catch (final IOException ex)
            {
                close();
                throw new BindException("metrics.listen " + HostPort.format(config.metrics.listen) + ": " + ex.getMessage());
            }
        }
        LOG.info("ready: http={} udp={} metrics={} storage={} torrents={} peers={}",
            httpAddresses.stream().map(HostPort::format).collect(Collectors.toList()),
            udpAddresses.stream().map(HostPort::format).collect(Collectors.toList()),
            metricsServer == null ? "off" : HostPort.format(metricsAddress()),
            config.storage.path, store.torrentCount(), store.peerCount());
        return this;
    }

    /**
     * Binds {@code http.threads} listening sockets per address. With several threads they share the port through
     * {@code SO_REUSEPORT}, so the kernel spreads connections and no thread hands sockets to another.
     */
    private List<List<ServerSocketChannel>> bindHttp() throws IOException
    {
        final int threads = config.http.listen.isEmpty() ? 0 : config.http.threads;
        final List<List<ServerSocketChannel>> perThread = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            perThread.add(new ArrayList<>());
        }
        for (int a = 0; a < config.http.listen.size(); a++)
        {
            InetSocketAddress address = config.http.listen.get(a);
            for (int t = 0; t < threads; t++)
            {
                final ServerSocketChannel server = ServerSocketChannel.open();
                perThread.get(t).add(server);
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                if (threads > 1)
                {
                    server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                }
                try
                {
                    server.bind(address, 4096);
                }
                catch (final BindException ex)
                {
                    for (final List<ServerSocketChannel> list : perThread)
                    {
                        for (final ServerSocketChannel s : list)
                        {
                            s.close();
                        }
                    }
                    throw new BindException("http.listen[" + a + "] " + HostPort.format(address) + ": " +
                        ex.getMessage() + " (another process on this port? on a dual-stack host [::]:P already " +
                        "covers 0.0.0.0:P)");
                }
                if (t == 0)
                {
                    // Port 0 asks for an ephemeral port: the other threads must join the one we got.
                    address = (InetSocketAddress)server.getLocalAddress();
                    httpAddresses.add(address);
                }
            }
        }
        return perThread;
    }

    /** Loads the access policy (lists, JWT keys) and gives every frontend thread its own checker and cache. */
    private void installAccessControl()
    {
        access = PolicyReloader.start(config.access);
        final PolicyHolder holder = access.holder();
        final int cacheEntries = config.access.jwt.cacheEntries;
        for (int i = 0; i < httpFrontends.size(); i++)
        {
            httpFrontends.get(i).accessChecker(
                new AccessChecker(holder, cacheEntries, metrics.countersManager(), "http", i));
        }
        for (int i = 0; i < udpFrontends.size(); i++)
        {
            udpFrontends.get(i).accessChecker(
                new AccessChecker(holder, cacheEntries, metrics.countersManager(), "udp", i));
        }
    }

    /**
     * Private mode: loads the site from its database (the tracker does not serve until it has), hands the swarm
     * processor its delta recorder and gives every HTTP frontend thread its passkey checker and site control.
     */
    private void installPrivateMode() throws IOException
    {
        if (!config.tracker.isPrivate())
        {
            return;
        }
        privateTracker = org.trackerd.engine.site.PrivateTracker.mariaDb(config.privateTracker,
            config.storage.path.resolve("private"), config.storage.maxPeers, metrics.countersManager());
        try
        {
            privateTracker.start();
        }
        catch (final Exception ex)
        {
            throw new IOException(ex.getMessage(), ex);
        }
        engine.deltaRecorder(privateTracker.recorder());
        for (int i = 0; i < httpFrontends.size(); i++)
        {
            httpFrontends.get(i).privateMode(new org.trackerd.engine.site.SiteChecker(privateTracker.state(),
                metrics.countersManager(), "http", i), privateTracker.control(), config.privateTracker.siteSecret);
        }
        for (int i = 0; i < udpFrontends.size(); i++)
        {
            udpFrontends.get(i).privateMode(new org.trackerd.engine.site.SiteChecker(privateTracker.state(),
                metrics.countersManager(), "udp", i));
        }
    }

    /** Private mode's site, deltas and control, or null in public mode. */
    public org.trackerd.engine.site.PrivateTracker privateTracker()
    {
        return privateTracker;
    }

    /**
     * Re-reads the access lists and JWT keys (SIGHUP, or a test) and swaps the new policy in atomically; swarm state
     * is untouched. A failing reload keeps the old policy and logs why.
     *
     * @return true when the new policy is in force
     */
    public boolean reloadPolicy()
    {
        return access != null && access.reload();
    }

    /** As {@link #reloadPolicy()}, with a new {@code access} section (the config file was edited). */
    public boolean reloadPolicy(final TrackerConfig.Access next)
    {
        return access != null && access.reload(next);
    }

    private void registerGauges()
    {
        metrics.topSwarms(engine::topSwarms);
        metrics.gauge("trackerd_ring_free_slots", "Free slots of each ring (request ring and per-frontend response rings)",
            "ring=\"request\"", () -> engine.requestRing().remainingCapacity());
        for (final ResponseQueue q : engine.responseQueues())
        {
            metrics.gauge("trackerd_ring_free_slots", "", "ring=\"response-" + q.id() + "\"", q::remainingCapacity);
        }
        metrics.gauge("trackerd_ring_size_slots", "Size of each ring", "ring=\"request\"",
            () -> engine.requestRing().getBufferSize());
        final SwarmStore s = store;
        metrics.gauge("trackerd_store_open_seconds", "Time the last start took to open (or recover) the store", "",
            () -> s.openMs() / 1000.0);
        metrics.gauge("trackerd_store_recovered", "1 if the last start ran recovery after an unclean stop", "",
            () -> s.recovered() ? 1 : 0);
    }

    /** The bound metrics address, or null when metrics are off. */
    public InetSocketAddress metricsAddress()
    {
        return metricsServer == null ? null :
            new InetSocketAddress(config.metrics.listen.getAddress(), metricsServer.port());
    }

    private byte[] connectionIdKey()
    {
        if (config.udp.connectionIdSecret.isEmpty())
        {
            LOG.info("udp.connection_id_secret is empty: using a random secret, so UDP connection ids will not " +
                "survive a restart (clients simply connect again)");
            return ConnectionIds.randomKey();
        }
        return ConnectionIds.keyFromSecret(config.udp.connectionIdSecret);
    }

    /**
     * Binds {@code udp.threads} channels per address, sharing the port through {@code SO_REUSEPORT} when there are
     * several, so the kernel spreads datagrams (by source address and port) over the threads.
     */
    private List<List<DatagramChannel>> bindUdp() throws IOException
    {
        final int threads = config.udp.listen.isEmpty() ? 0 : config.udp.threads;
        final List<List<DatagramChannel>> perThread = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            perThread.add(new ArrayList<>());
        }
        for (int a = 0; a < config.udp.listen.size(); a++)
        {
            InetSocketAddress address = config.udp.listen.get(a);
            for (int t = 0; t < threads; t++)
            {
                final DatagramChannel channel = DatagramChannel.open();
                perThread.get(t).add(channel);
                if (threads > 1)
                {
                    channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                }
                try
                {
                    channel.bind(address);
                }
                catch (final BindException ex)
                {
                    for (final List<DatagramChannel> list : perThread)
                    {
                        for (final DatagramChannel c : list)
                        {
                            c.close();
                        }
                    }
                    throw new BindException("udp.listen[" + a + "] " + HostPort.format(address) + ": " +
                        ex.getMessage() + " (another process on this port? on a dual-stack host [::]:P already " +
                        "covers 0.0.0.0:P)");
                }
                if (t == 0)
                {
                    address = (InetSocketAddress)channel.getLocalAddress();
                    udpAddresses.add(address);
                }
            }
        }
        return perThread;
    }

    public List<InetSocketAddress> udpAddresses()
    {
        return List.copyOf(udpAddresses);
    }

    public List<InetSocketAddress> httpAddresses()
    {
        return List.copyOf(httpAddresses);
    }

    public CountersReader counters()
    {
        return metrics.countersManager();
    }

    public TrackerEngine engine()
    {
        return engine;
    }

    /** Stops accepting, drains what is in flight, stops the engine and closes the store cleanly. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (metricsServer != null)
        {
            metricsServer.close();
        }
        for (final HttpFrontend f : httpFrontends)
        {
            f.requestStop();
        }
        for (final UdpFrontend f : udpFrontends)
        {
            f.requestStop();
        }
        for (final Thread t : threads)
        {
            try
            {
                t.join(TimeUnit.SECONDS.toMillis(10));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        if (access != null)
        {
            access.close();
        }
        if (engine != null)
        {
            engine.close();
        }
        if (privateTracker != null)
        {
            privateTracker.close(); // after the engine: every delta the swarm processor recorded is in its ring
        }
        if (store != null)
        {
            store.close();
        }
        LOG.info("stopped");
    }
}
