package org.trackerd.io;

import com.lmax.disruptor.EventHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.agrona.concurrent.status.CountersReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.AgentErrors;
import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.config.HostPort;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.swarm.SwarmStore;
import org.trackerd.engine.ResponseQueue;
import org.trackerd.engine.policy.AccessChecker;
import org.trackerd.engine.SwarmProcessorAgent;
import org.trackerd.engine.RequestCounters;
import org.trackerd.io.policy.PolicyReloader;
import org.trackerd.io.admission.AccessGate;
import org.trackerd.io.admission.Admission;
import org.trackerd.io.admission.SiteGate;
import org.trackerd.io.agent.FrontendAgent;
import org.trackerd.io.agent.SelectorIdleStrategy;
import org.trackerd.io.agent.StopWhenDrained;
import org.trackerd.io.http.HttpFrontend;
import org.trackerd.metrics.MetricsServer;
import org.trackerd.engine.metrics.TrackerMetrics;
import org.trackerd.io.udp.ConnectionIds;
import org.trackerd.io.udp.UdpFrontend;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The whole tracker in one process: store, engine, frontends and their threads, assembled from a config.
 * Used by {@link TrackerMain} and by the end-to-end tests, which boot it on ephemeral ports.
 *
 * <p>Threads ({@code engine.threading}): {@code dedicated} runs each frontend agent on an {@link AgentRunner} of
 * its own next to the swarm processor agent's runner (which the engine starts); {@code shared} runs every frontend and the swarm
 * processor as one {@link CompositeAgent} on one thread, whose channels all register with one selector: it sleeps
 * in that selector's {@code select} when a cycle found nothing to do, never longer than the next clock tick.
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
        // Before any TLS class loads (a JWKS fetch may load them first): see TlsContext.
        System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
    }

    private static final Logger LOG = LoggerFactory.getLogger(Tracker.class);
    /** Longest an idle frontend thread sleeps in select() with nothing else bounding it. */
    private static final long SELECT_TIMEOUT_MS = 250;
    /** How long close() waits for a frontend thread to finish its drain (itself bounded to 5 s). */
    private static final int STOP_TIMEOUT_MS = 10_000;
    private final TrackerConfig config;
    private final UnaryOperator<EventHandler<RequestEvent>> processorDecorator;
    private final TrackerMetrics metrics = new TrackerMetrics();
    private MetricsServer metricsServer;
    private SwarmStore store;
    /** Held from the start of {@link #start} until the store is closed. */
    private StorageLock storageLock;
    private TrackerEngine engine;
    private PolicyReloader access;
    /** Null in public mode. */
    private org.trackerd.engine.site.PrivateTracker privateTracker;
    private final List<HttpFrontend> httpFrontends = new ArrayList<>();
    private final List<UdpFrontend> udpFrontends = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<StopWhenDrained> stoppers = new ArrayList<>();
    /** Shared mode: the one selector of the one thread; null in dedicated mode. */
    private Selector sharedSelector;
    private final List<InetSocketAddress> httpAddresses = new ArrayList<>();
    private final List<InetSocketAddress> udpAddresses = new ArrayList<>();
    /** Null without {@code tls.listen}. */
    private org.trackerd.io.tls.TlsContextHolder tls;
    private final List<InetSocketAddress> tlsAddresses = new ArrayList<>();
    private boolean closed;

    public Tracker(final TrackerConfig config)
    {
        this(config, UnaryOperator.identity());
    }

    /**
     * @param processorDecorator wraps the swarm processor before its agent drives it: identity in production; a
     *                           test installs a handler that throws on chosen requests (see {@link TrackerEngine})
     */
    public Tracker(final TrackerConfig config,
        final UnaryOperator<EventHandler<RequestEvent>> processorDecorator)
    {
        this.config = config;
        this.processorDecorator = processorDecorator;
    }

    /**
     * Opens the store, binds every listener and starts all threads; returns once the tracker serves. The store opens
     * on a thread of its own while this one builds the rings and the frontends and binds the listeners (neither needs
     * the other: about half a second each on the way to {@code ready:} with 10M peers); the processor starts once
     * both are done.
     */
    public Tracker start() throws IOException
    {
        // Before the store's files are touched: a second tracker on the same directory stops here.
        storageLock = StorageLock.acquire(config.storage.path);
        final StoreOpening opening = new StoreOpening(config);
        try
        {
            engine = new TrackerEngine(config, null, metrics.countersManager(), processorDecorator);
            if (config.engine.isShared())
            {
                sharedSelector = Selector.open();
            }
            if (config.tls.enabled())
            {
                tls = org.trackerd.io.tls.TlsContextHolder.start(config.tls, metrics.countersManager());
            }
            final List<List<ServerSocketChannel>> perThread = bindHttp();
            final List<List<DatagramChannel>> udpPerThread;
            final List<List<ServerSocketChannel>> tlsPerThread;
            try
            {
                tlsPerThread = Listeners.bind("tls.listen", config.tls.listen, perThread.size(), tlsAddresses,
                    "another process on this port, or the same port as http.listen?");
            }
            catch (final IOException ex)
            {
                Listeners.closeAll(perThread);
                throw ex;
            }
            try
            {
                udpPerThread = bindUdp();
            }
            catch (final IOException ex)
            {
                Listeners.closeAll(tlsPerThread);
                for (final List<ServerSocketChannel> list : perThread)
                {
                    for (final ServerSocketChannel s : list)
                    {
                        s.close();
                    }
                }
                throw ex;
            }
            installAccessControl();
            if (config.tracker.isPrivate())
            {
                // Private mode's start-up load connects to the site's database with a short timeout that a cold JVM
                // on a busy host can miss (it tries three times): it does not compete with the store's opening.
                store = opening.await();
            }
            installPrivateMode();
            final org.trackerd.io.webtorrent.WebTorrentRelays relays = config.webtorrent.enabled ?
                new org.trackerd.io.webtorrent.WebTorrentRelays(HttpFrontend.webTorrentRelayBytes(config)) : null;
            for (int i = 0; i < perThread.size(); i++)
            {
                final HttpFrontend frontend = new HttpFrontend(i, perThread.get(i), engine, config, metrics,
                    admission("http", i), sharedSelector);
                if (privateTracker != null)
                {
                    frontend.privateMode(privateTracker.control(), config.privateTracker.siteSecret);
                }
                httpFrontends.add(frontend);
                if (relays != null)
                {
                    frontend.webTorrent(config, metrics, relays, admission("ws", i));
                }
                if (tls != null)
                {
                    frontend.tlsListeners(tlsPerThread.get(i), new org.trackerd.io.tls.TlsFrontend(tls,
                        config.tls, config.http.deferAcceptSeconds, metrics.countersManager(), i),
                        config.http.deferAcceptSeconds);
                }
            }
            if (!httpFrontends.isEmpty())
            {
                LOG.info("http io: {}", HttpFrontend.describeIo(httpFrontends.get(0).nativeIo()));
            }
            if (!udpPerThread.isEmpty())
            {
                final byte[] key = connectionIdKey();
                for (int i = 0; i < udpPerThread.size(); i++)
                {
                    udpFrontends.add(new UdpFrontend(i, udpPerThread.get(i), engine, config,
                        metrics, key, admission("udp", i), sharedSelector));
                }
                LOG.info("udp io: {}", UdpFrontend.describeIo(udpFrontends.get(0).nativeIo(),
                    udpFrontends.get(0).batchIo()));
            }
            if (store == null)
            {
                store = opening.await();
            }
            engine.store(store);
            registerGauges();
            engine.start();
            if (sharedSelector != null)
            {
                startShared();
            }
            else
            {
                for (int i = 0; i < httpFrontends.size(); i++)
                {
                    startDedicated(httpFrontends.get(i), "trackerd-http-" + i);
                }
                for (int i = 0; i < udpFrontends.size(); i++)
                {
                    startDedicated(udpFrontends.get(i), "trackerd-udp-" + i);
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            if (store == null)
            {
                store = opening.awaitQuietly(); // opened meanwhile: closed below as any store
            }
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
        if (!udpFrontends.isEmpty())
        {
            // JNA for the UDP batches takes ~0.2 s to load: after the tracker answers, not before.
            UdpFrontend.prepareBatchIo();
        }
        // The store's posix calls (a new tier bulk's), bound now rather than in the processor's first growth step.
        org.trackerd.engine.swarm.TierBulkSync.loadInBackground();
        LOG.info("ready: http={} https={} udp={} metrics={} storage={} torrents={} peers={}",
            httpAddresses.stream().map(HostPort::format).collect(Collectors.toList()),
            tlsAddresses.stream().map(HostPort::format).collect(Collectors.toList()),
            udpAddresses.stream().map(HostPort::format).collect(Collectors.toList()),
            metricsServer == null ? "off" : HostPort.format(metricsAddress()),
            config.storage.path, store.torrentCount(), store.peerCount());
        return this;
    }

    /**
     * Dedicated mode: one frontend on a thread of its own, idling in its own selector. A cycle that did work and left
     * the frontend {@linkplain FrontendAgent#settled() settled} goes straight to select (which returns at once for a
     * ready socket, and is woken for a response), instead of running one more cycle, a selectNow and an empty drain,
     * to find nothing.
     */
    private void startDedicated(final FrontendAgent frontend, final String threadName)
    {
        final IdleStrategy idle = idleStrategy(frontend.selector(), frontend.selectedKeyHandler(),
            new org.trackerd.engine.ResponseQueue[] { frontend.responseQueue() }, null, frontend::afterIdleSelect,
            frontend::settled);
        final StopWhenDrained stopper = new StopWhenDrained(List.of(frontend));
        startRunner(idle, new CompositeAgent(frontend, stopper), stopper, threadName, frontend.roleName());
    }

    /**
     * Shared mode: UDP frontend, HTTP frontend and swarm processor as one duty cycle on one thread. In each cycle the
     * frontends publish what they received, the processor answers it all, and the frontends' responders write the
     * answers: no other thread is woken on the way, and no second cycle is needed to send. No response queue needs
     * parking: its producer is this very thread.
     */
    private void startShared()
    {
        final List<FrontendAgent> frontends = new ArrayList<>(udpFrontends);
        frontends.addAll(httpFrontends);
        final SwarmProcessorAgent processor = engine.processorAgent();
        final StopWhenDrained stopper = new StopWhenDrained(frontends);
        final List<Agent> agents = new ArrayList<>(frontends);
        agents.add(processor);
        // The answers leave in the cycle their requests came in: no second cycle (and wake-up) just to send.
        for (final FrontendAgent frontend : frontends)
        {
            agents.add(frontend.responder());
        }
        agents.add(stopper);
        // Only HTTP acts on ready keys; UDP readiness is a wake-up call (its channels are polled every cycle).
        final Consumer<SelectionKey> onSelected = httpFrontends.isEmpty() ? key -> { } :
            httpFrontends.get(0).selectedKeyHandler();
        final FrontendAgent[] woken = frontends.toArray(new FrontendAgent[0]); // no iterator per wake-up
        final IdleStrategy idle = idleStrategy(sharedSelector, onSelected, null, processor::deadlineNs, () ->
        {
            for (int i = 0; i < woken.length; i++)
            {
                woken[i].afterIdleSelect();
            }
        }, () ->
        {
            // The processor answered all that was published, and each frontend sent all it was given: only the
            // sockets can bring more, and the select sees them.
            if (engine.processedSequence() != engine.publishedSequence())
            {
                return false;
            }
            for (int i = 0; i < woken.length; i++)
            {
                if (!woken[i].settled())
                {
                    return false;
                }
            }
            return true;
        });
        startRunner(idle, new CompositeAgent(agents), stopper, "trackerd-shared", "shared");
    }

    private IdleStrategy idleStrategy(final Selector selector, final Consumer<SelectionKey> onSelected,
        final org.trackerd.engine.ResponseQueue[] parkOn, final java.util.function.LongSupplier deadlineNs,
        final Runnable afterSelect, final java.util.function.BooleanSupplier settled)
    {
        return switch (config.engine.frontendIdle)
        {
            case "busy_spin" -> new BusySpinIdleStrategy();
            case "yield" -> new YieldingIdleStrategy();
            default -> new SelectorIdleStrategy(selector, onSelected, parkOn, deadlineNs, SELECT_TIMEOUT_MS,
                afterSelect, settled);
        };
    }

    /**
     * Runs {@code agent} on a thread of its own; what its duty cycle throws is counted in
     * {@code agent_errors{agent="<errorLabel>"}}, logged, and the cycle goes on.
     */
    private void startRunner(final IdleStrategy idle, final Agent agent, final StopWhenDrained stopper,
        final String threadName, final String errorLabel)
    {
        final AgentErrors errors = new AgentErrors(metrics.countersManager(), errorLabel);
        final AgentRunner runner = new AgentRunner(idle, errors, errors.counter(), agent);
        runners.add(runner);
        stoppers.add(stopper);
        // Not AgentRunner.startOnThread: it renames the thread after the agent's role.
        final Thread thread = new Thread(runner, threadName);
        threads.add(thread);
        thread.start();
    }

    /** Binds {@code http.threads} listening sockets per {@code http.listen} address (none without HTTP or TLS). */
    private List<List<ServerSocketChannel>> bindHttp() throws IOException
    {
        final int threads = config.http.listen.isEmpty() && !config.tls.enabled() ? 0 : config.http.threads;
        return Listeners.bind("http.listen", config.http.listen, threads, httpAddresses,
            "another process on this port? on a dual-stack host [::]:P already covers 0.0.0.0:P");
    }

    /** Loads the access policy (lists, JWT keys); each frontend thread gets its own checker and cache. */
    private void installAccessControl()
    {
        access = PolicyReloader.start(config.access);
    }

    /**
     * Private mode: loads the site from its database (the tracker does not serve until it has) and hands the swarm
     * processor its delta recorder; the frontends' admissions check passkeys against the site.
     */
    private void installPrivateMode() throws IOException
    {
        if (!config.tracker.isPrivate())
        {
            return;
        }
        privateTracker = org.trackerd.io.site.MariaDbSite.open(config.privateTracker,
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
    }

    /**
     * The one admission path of frontend thread {@code thread} of {@code protocol}: its request counters, its own
     * access checker and token cache, and private mode's checker, or no-op gates where those are off.
     */
    private Admission admission(final String protocol, final int thread)
    {
        final AccessGate accessGate = AccessGate.of(new AccessChecker(access.holder(), config.access.jwt.cacheEntries,
            metrics.countersManager(), protocol, thread));
        final SiteGate siteGate = privateTracker == null ? SiteGate.PUBLIC : SiteGate.of(
            new org.trackerd.engine.site.SiteChecker(privateTracker.state(), metrics.countersManager(), protocol,
                thread));
        return new Admission(engine, new RequestCounters(metrics.countersManager(), protocol, thread), accessGate,
            siteGate);
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

    /**
     * Reads the TLS certificate chain and key again (SIGHUP, or a test): new handshakes use the new pair, open
     * connections keep theirs. A pair that does not load keeps the old one in force and logs why.
     *
     * @return true when the files' pair is in force (false too without TLS listeners)
     */
    public boolean reloadTls()
    {
        return tls != null && tls.reload();
    }

    /** The bound {@code tls.listen} addresses (ephemeral ports resolved). */
    public List<InetSocketAddress> tlsAddresses()
    {
        return List.copyOf(tlsAddresses);
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
        for (int i = 0; i < udpFrontends.size(); i++)
        {
            final boolean nativeIo = udpFrontends.get(i).nativeIo();
            metrics.gauge("trackerd_udp_native_io", i == 0 ? "1 when the UDP thread receives and sends through the " +
                "JDK's natives without allocating, 0 on the DatagramChannel API" : "", "thread=\"" + i + "\"",
                () -> nativeIo ? 1 : 0);
        }
        for (int i = 0; i < udpFrontends.size(); i++)
        {
            final UdpFrontend frontend = udpFrontends.get(i);
            metrics.gauge("trackerd_udp_batch_io", i == 0 ? "1 when the UDP thread receives and sends many " +
                "datagrams per system call (recvmmsg/sendmmsg), 0 when one" : "", "thread=\"" + i + "\"",
                () -> frontend.batchIo() ? 1 : 0);
        }
        for (int i = 0; i < httpFrontends.size(); i++)
        {
            final boolean nativeIo = httpFrontends.get(i).nativeIo();
            metrics.gauge("trackerd_http_native_io", i == 0 ? "1 when the HTTP thread accepts, reads and writes " +
                "one-request connections on bare descriptors through the JDK's natives, 0 on the channel API" : "",
                "thread=\"" + i + "\"", () -> nativeIo ? 1 : 0);
        }
        if (tls != null)
        {
            final org.trackerd.io.tls.TlsContextHolder holder = tls;
            metrics.gauge("trackerd_tls_certificate_expiry_seconds", "Seconds until the TLS certificate in force " +
                "expires (negative once it has)", "", holder::expirySeconds);
            metrics.checkWarning(() -> holder.expiryWarning(System.currentTimeMillis()));
        }
        final SwarmStore s = store;
        metrics.gauge("trackerd_store_open_seconds", "Time the last start took to open (or recover) the store", "",
            () -> s.openMs() / 1000.0);
        metrics.gauge("trackerd_store_recovered", "1 if the last start ran recovery after an unclean stop", "",
            () -> s.recovered() ? 1 : 0);
        metrics.gauge("trackerd_store_file_bytes", "Bytes the store's map files take now (they grow as the " +
            "store does)", "", s::fileBytes);
        final org.trackerd.engine.EngineCounters ec = engine.counters();
        metrics.checkWarning(() -> SwarmStore.budgetWarning(ec.storeUsedBytes.get(), ec.storeBudgetBytes.get()));
        metrics.checkWarning(() -> SwarmStore.tierDepthWarning(ec.storeTierDepth.get()));
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
                // An IPv4 listen address gets an IPv4 socket: the kernel's IPv4 path, not IPv6 with mapped addresses.
                final DatagramChannel channel = address.getAddress() instanceof java.net.Inet4Address ?
                    DatagramChannel.open(java.net.StandardProtocolFamily.INET) : DatagramChannel.open();
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

    /** True when there are UDP threads and every one uses the allocation-free native I/O path. */
    public boolean udpNativeIo()
    {
        return !udpFrontends.isEmpty() && udpFrontends.stream().allMatch(UdpFrontend::nativeIo);
    }

    /** True when every UDP frontend receives and sends many datagrams per system call. */
    public boolean udpBatchIo()
    {
        return !udpFrontends.isEmpty() && udpFrontends.stream().allMatch(UdpFrontend::batchIo);
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
        for (final StopWhenDrained stopper : stoppers)
        {
            stopper.requestStop();
        }
        for (final AgentRunner runner : runners)
        {
            // The duty cycle ends itself once drained; close() only waits for that (and closes the agents if the
            // thread never ran).
            runner.close(STOP_TIMEOUT_MS, t -> LOG.warn("{} has not stopped yet", t.getName()));
        }
        // A runner counts as closed once its agent is, a moment before its thread ends: wait for that too, so a
        // stopped tracker leaves no thread behind.
        for (final Thread thread : threads)
        {
            try
            {
                thread.join(STOP_TIMEOUT_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (runners.isEmpty())
        {
            // Start failed before any thread ran: the frontends close their own channels here.
            for (final HttpFrontend f : httpFrontends)
            {
                f.onClose();
            }
            for (final UdpFrontend f : udpFrontends)
            {
                f.onClose();
            }
        }
        if (access != null)
        {
            access.close();
        }
        if (tls != null)
        {
            tls.close();
        }
        if (engine != null)
        {
            engine.close();
        }
        if (sharedSelector != null)
        {
            try
            {
                sharedSelector.close();
            }
            catch (final IOException ex)
            {
                LOG.warn("closing the shared selector: {}", ex.toString());
            }
        }
        if (privateTracker != null)
        {
            privateTracker.close(); // after the engine: every delta the swarm processor recorded is in its ring
        }
        if (store != null)
        {
            store.close();
        }
        if (storageLock != null)
        {
            try
            {
                storageLock.close();
            }
            catch (final IOException ex)
            {
                LOG.warn("could not release {}: {}", StorageLock.FILE, ex.toString());
            }
        }
        LOG.info("stopped");
    }
}
