package org.trackerd.io.http;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.RequestCounters;
import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;
import org.trackerd.engine.metrics.LatencyRecorder;
import org.trackerd.engine.metrics.TrackerMetrics;
import org.trackerd.io.admission.Admission;
import org.trackerd.io.agent.FrontendAgent;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP frontend thread: accepts on its own listening sockets (several threads share a port through
 * {@code SO_REUSEPORT}), reads and parses requests, publishes them into the request ring, drains its own
 * response queue and writes the answers. It is the only thread that touches its sockets.
 *
 * <p>Each connection has at most one request in the engine at a time; pipelined requests wait in the
 * connection's buffer and are parsed in order once the previous answer is written, so answers keep their order.
 *
 * <p>Duty cycle ({@link FrontendAgent}): {@code selectNow} over the ready keys, drain responses, every
 * {@value #SWEEP_INTERVAL_MS} ms close connections that timed out. On a selector shared with other frontends it
 * handles only its own keys: listeners carry this frontend as attachment, connections their
 * {@link HttpConnection}. A new connection is read at once and joins the selector only if it has to wait (for
 * its request, a writable socket, or its next request), so a one-request client that sent its request with the
 * handshake costs accept, read, write and close and nothing more: four system calls (accept4 makes the socket
 * non-blocking, see {@link TcpNatives#accept4}) and no object, its address counted per client in an
 * {@link AddressCounts} keyed by its 16 bytes.
 *
 * <p>Thread: the agent's thread (its own, or the shared one); {@link #requestStop} from any thread.
 */
public final class HttpFrontend extends FrontendAgent
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpFrontend.class);
    static final long SWEEP_INTERVAL_MS = 250;
    private static final long SWEEP_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(SWEEP_INTERVAL_MS);
    /** Longest a closing connection's unread input is discarded before the socket is closed anyway. */
    private static final long LINGER_MAX_NS = TimeUnit.SECONDS.toNanos(2);
    /** Most bytes a closing connection may still send us; past it the socket is closed (and may be reset). */
    private static final int LINGER_MAX_BYTES = 64 * 1024;
    /**
     * The largest first answer written to a socket still in blocking mode (a compact announce answer of 50 peers is
     * about 450 bytes). It goes into an empty send queue as one buffer, which Linux always finds room for (the
     * first buffer of a queue is charged even under memory pressure), so the write never waits.
     */
    private static final int BLOCKING_WRITE_MAX = 2048;
    private static final byte[][] PARSE_REASONS = new byte[QueryParser.Error.values().length][];

    static
    {
        for (final QueryParser.Error e : QueryParser.Error.values())
        {
            PARSE_REASONS[e.ordinal()] = e.reason.getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final int index;
    private final List<ServerSocketChannel> servers;
    private final HttpCounters counters;
    private final RequestCounters requests;
    private final LatencyRecorder announceLatency;
    private final LatencyRecorder scrapeLatency;
    private final int maxConnections;
    private final int maxConnectionsPerIp;
    /** Open connections per client address on this thread; touched only on accept and close. */
    private final AddressCounts perIp = new AddressCounts(64);
    /** The peer address of the connection being accepted, 16 bytes (IPv4 mapped). */
    private final byte[] acceptedAddress = new byte[16];
    /** Where {@code accept4} writes the peer's {@code sockaddr}. */
    private final UnsafeBuffer acceptScratch = new UnsafeBuffer(
        ByteBuffer.allocateDirect(TcpNatives.ACCEPT4_SCRATCH_BYTES));
    private static final long ACCEPT_WARNING_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);
    private long lastAcceptWarningNs;
    private final long lingerNs;
    private final int maxRequestBytes;
    private final long idleTimeoutNs;
    private final long requestTimeoutNs;

    private final HttpRequestParser head;
    private final QueryParser query;
    /** Null unless a reverse proxy's header is configured. */
    private final ClientAddressResolver clientAddress;
    private final HttpResponseEncoder encoder = new HttpResponseEncoder();
    private final RequestEvent scratch;
    private final ByteBuffer outBytes;
    private final UnsafeBuffer out;
    private final java.util.function.Consumer<SelectionKey> onSelectedKey = this::onSelectedKey;
    /**
     * The same for keys the idle strategy meets while the thread slept in {@code select}: the cycle's clock is from
     * before the sleep, so it is read again first (a new connection's request is read, and its timers start, here).
     */
    private final java.util.function.Consumer<SelectionKey> onSelectedKeyAfterSleep = key ->
    {
        nowNs = System.nanoTime();
        onSelectedKey(key);
    };

    /** The idle strategy's select has just handed over the ready keys: the cycle after it needs no selectNow. */
    private boolean selectedWhileIdle;

    private HttpConnection[] connections = new HttpConnection[64];
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int highWater;
    private int open;
    private long nextSweepNs;
    /**
     * @param sharedSelector the selector of the thread this frontend shares ({@code engine.threading = shared}),
     *                       or null for a selector of its own
     */
    public HttpFrontend(final int index, final List<ServerSocketChannel> servers, final TrackerEngine engine,
        final TrackerConfig config, final TrackerMetrics metrics, final Admission admission,
        final Selector sharedSelector) throws IOException
    {
        super("http-" + index, sharedSelector, engine, admission);
        this.index = index;
        this.servers = servers;
        this.counters = new HttpCounters(metrics.countersManager(), index);
        this.requests = admission.requests();
        this.announceLatency = metrics.latency("http", "announce", index);
        this.scrapeLatency = metrics.latency("http", "scrape", index);
        this.maxConnections = Math.max(1, config.http.maxConnections / config.http.threads);
        this.maxConnectionsPerIp = config.http.maxConnectionsPerIp;
        this.maxRequestBytes = config.http.maxRequestBytes;
        this.idleTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.http.idleTimeoutMs);
        this.requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.http.requestTimeoutMs);
        this.lingerNs = Math.min(LINGER_MAX_NS, requestTimeoutNs);
        this.head = new HttpRequestParser(config.http.maxHeaders, config.http.proxy.header);
        this.query = new QueryParser(config.tracker.allowIpSpoofing, config.tracker.allowCrossFamilyIp);
        this.clientAddress = config.http.proxy.enabled() ? new ClientAddressResolver(config.http.proxy.trusted) : null;
        this.scratch = new RequestEvent(config.tracker.maxScrapeHashes);
        this.outBytes = ByteBuffer.allocateDirect(
            HttpResponseEncoder.maxMessageBytes(config.tracker.maxNumWant, config.tracker.maxScrapeHashes));
        this.out = new UnsafeBuffer(outBytes);
        for (final ServerSocketChannel server : servers)
        {
            server.configureBlocking(false);
            final Listener listener = new Listener(server);
            nativeIo &= listener.fd != null;
            if (listener.fd != null)
            {
                bareListeners.add(listener);
            }
            if (listener.fd != null)
            {
                // One-request connections (most clients): answer and FIN in one segment. A connection that turns
                // out to carry several answers is uncorked before its first (write below).
                try
                {
                    TcpNatives.cork(listener.fd, true);
                }
                catch (final IOException ex)
                {
                    LOG.info("http frontend {}: TCP_CORK not set ({}): an answer and its FIN leave in two segments",
                        index, ex.toString());
                }
            }
            server.register(selector, SelectionKey.OP_ACCEPT, listener);
            if (config.http.deferAcceptSeconds > 0)
            {
                final String notSet = TcpNatives.deferAccept(server, config.http.deferAcceptSeconds);
                if (notSet != null)
                {
                    LOG.info("http frontend {}: TCP_DEFER_ACCEPT not set ({}): new connections wait in the selector "
                        + "for their request", index, notSet);
                }
            }
        }
    }

    /**
     * A listening socket of this frontend, the attachment of its key. With {@link TcpNatives} its connections are
     * accepted as bare descriptors ({@link #fd} non-null), else through the channel API.
     */
    private final class Listener
    {
        final HttpFrontend owner = HttpFrontend.this;
        final ServerSocketChannel server;
        final FileDescriptor fd;
        final ProtocolFamily family;
        /** A TLS listener: its connections take the channel path and read and write through a TlsSession. */
        final boolean tls;

        /**
         * The listener's descriptor number once connections are taken with {@code accept4} (bound after start, see
         * {@link TcpNatives#prepareAccept4}); -1 until then, or for good on the channel path.
         */
        int fdNum = -1;

        Listener(final ServerSocketChannel server)
        {
            this.server = server;
            final ProtocolFamily family = TcpNatives.available() ? TcpNatives.listenerFamily(server) : null;
            this.fd = family != null ? TcpNatives.listenerFd(server) : null;
            this.family = family;
            this.tls = false;
        }

        Listener(final ServerSocketChannel server, final boolean tls)
        {
            this.server = server;
            this.fd = null;
            this.family = null;
            this.tls = tls;
        }
    }

    /** Null unless webtorrent.enabled: WebSocket upgrades of the announce path (see {@link WebTorrentRoute}). */
    private WebTorrentRoute webTorrent;

    /**
     * Serves WebTorrent (WebSocket upgrades of the announce path) on this frontend's listeners, plain and TLS;
     * call before the thread starts. {@code wsAdmission}: the admission path of its WebSocket requests, counted
     * under {@code protocol="ws"} (ws:// and wss:// alike, as http counts HTTPS).
     */
    public void webTorrent(final TrackerConfig config, final TrackerMetrics metrics,
        final org.trackerd.io.webtorrent.WebTorrentRelays relays, final Admission wsAdmission)
    {
        relays.register(queue.id(), selector::wakeup);
        this.webTorrent = new WebTorrentRoute(this, index, config, metrics, relays, queue.id(), wsAdmission);
    }

    /** The size of each relay ring for {@code config}, for the launcher that builds the relays. */
    public static int webTorrentRelayBytes(final TrackerConfig config)
    {
        return WebTorrentRoute.relayRingBytes(config);
    }

    /** Null without TLS listeners. */
    private org.trackerd.io.tls.TlsFrontend tls;
    private List<ServerSocketChannel> tlsServers = List.of();

    /**
     * Adds TLS listeners to this frontend (HTTPS next to the plain listeners, same routes and limits); call before
     * the thread starts.
     */
    public void tlsListeners(final List<ServerSocketChannel> servers, final org.trackerd.io.tls.TlsFrontend tlsFrontend,
        final int deferAcceptSeconds) throws IOException
    {
        this.tls = tlsFrontend;
        this.tlsServers = servers;
        tlsFrontend.wakeUpWith(selector::wakeup);
        for (final ServerSocketChannel server : servers)
        {
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT, new Listener(server, true));
            if (deferAcceptSeconds > 0)
            {
                // A client sends its ClientHello at once: the first read finds it, as a plain request is found.
                final String notSet = TcpNatives.deferAccept(server, deferAcceptSeconds);
                if (notSet != null)
                {
                    LOG.info("http frontend {}: TCP_DEFER_ACCEPT not set on a TLS listener ({})", index, notSet);
                }
            }
        }
    }

    /** The listeners that accept bare descriptors: they move to {@code accept4} once it is bound. */
    private final java.util.ArrayList<Listener> bareListeners = new java.util.ArrayList<>();
    /** True until {@code accept4} is bound or known unavailable (a volatile read per cycle until then). */
    private boolean accept4Pending = true;

    @Override
    public void onStart()
    {
        if (!bareListeners.isEmpty())
        {
            TcpNatives.prepareAccept4();
        }
    }

    /** Moves the bare listeners to {@code accept4} once it is bound. */
    private void checkAccept4()
    {
        final int state = TcpNatives.accept4State();
        if (state == TcpNatives.ACCEPT4_READY)
        {
            for (final Listener listener : bareListeners)
            {
                listener.fdNum = TcpNatives.fdVal(listener.fd);
            }
            accept4Pending = false;
            if (index == 0)
            {
                LOG.info("http io: {}", describeIo(nativeIo));
            }
        }
        else if (state == TcpNatives.ACCEPT4_UNAVAILABLE)
        {
            accept4Pending = false;
            if (index == 0)
            {
                LOG.info("http io: {}", describeIo(nativeIo));
            }
        }
    }

    /** Every listener of this frontend accepts bare descriptors ({@link TcpNatives}). */
    private boolean nativeIo = true;

    /** True when connections are accepted, read and written on bare descriptors through the JDK's natives. */
    public boolean nativeIo()
    {
        return nativeIo;
    }

    /** The one-line description of the HTTP I/O path {@link #nativeIo()} reports: what the launcher logs at start. */
    public static String describeIo(final boolean nativeIo)
    {
        if (nativeIo && TcpNatives.accept4State() == TcpNatives.ACCEPT4_READY)
        {
            return "bare descriptors (accept4 through JNA, then read, write and close through the JDK's natives: four "
                + "system calls and no object allocated for a one-request connection)";
        }
        if (nativeIo && TcpNatives.accept4State() == TcpNatives.ACCEPT4_UNAVAILABLE)
        {
            return "bare descriptors (accept, FIONREAD, read, write and close through the JDK's natives: five system "
                + "calls and no channel object for a one-request connection; accept4 unavailable: "
                + TcpNatives.accept4UnavailableReason() + ")";
        }
        if (nativeIo)
        {
            return "bare descriptors (accept, FIONREAD, read, write and close through the JDK's natives: five system "
                + "calls and no channel object for a one-request connection; accept4 through JNA, four and no object, "
                + "once JNA is loaded, after start)";
        }
        return "connections accepted through the channel API (" + (TcpNatives.available() ?
            "a listener that is not the JDK's own)" : "natives unavailable: " + TcpNatives.unavailableReason() +
            "; the bare path needs --add-opens=java.base/sun.nio.ch=ALL-UNNAMED on OpenJDK 17+ on Linux)");
    }

    /** The descriptor object the next bare accept writes to; a new one once it is taken by a connection. */
    private FileDescriptor acceptedFd = new FileDescriptor();
    private final InetSocketAddress[] acceptedRemote = new InetSocketAddress[1];

    /** Null in public mode, where its route does not exist. */
    private org.trackerd.engine.site.SiteControl siteControl;

    /**
     * Private mode: passkey routes (checked by the {@link Admission}), and site control on {@code /<secret>/update}
     * when a secret is set; call before the thread starts.
     */
    public void privateMode(final org.trackerd.engine.site.SiteControl control, final String siteSecret)
    {
        this.siteControl = control;
        head.privateRoutes(siteSecret);
    }

    @Override
    public java.util.function.Consumer<SelectionKey> selectedKeyHandler()
    {
        return onSelectedKeyAfterSleep;
    }

    @Override
    public void afterIdleSelect()
    {
        selectedWhileIdle = true;
    }

    @Override
    protected void onStopRequested()
    {
        closeServers();
    }

    @Override
    protected int pollInbound(final boolean stopping)
    {
        // Even while stopping: answers still waiting for a writable socket go out through the selector.
        int work = 0;
        if (accept4Pending)
        {
            checkAccept4();
        }
        if (selectedWhileIdle)
        {
            // A key turning ready since is met by the next cycle's selectNow, or the next sleep's select (level-
            // triggered), so nothing waits longer than a cycle.
            selectedWhileIdle = false;
        }
        else
        {
            try
            {
                work += selector.selectNow(onSelectedKey);
            }
            catch (final IOException ex)
            {
                LOG.warn("http frontend {}: select failed: {}", index, ex.toString());
            }
        }
        if (tls != null)
        {
            work += handshakeTasksDone();
        }
        if (webTorrent != null)
        {
            work += webTorrent.drainRelays();
        }
        if (nowNs - nextSweepNs >= 0)
        {
            nextSweepNs = nowNs + SWEEP_INTERVAL_NS;
            work += sweepTimeouts();
        }
        return work;
    }

    /** Moves on the TLS handshakes whose cryptography a handshake worker has finished (bounded per cycle). */
    private int handshakeTasksDone()
    {
        int work = 0;
        for (long token; work < 64 && (token = tls.pollTaskDone()) != Long.MIN_VALUE; work++)
        {
            final int slot = (int)token;
            if (slot < 0 || slot >= highWater)
            {
                continue;
            }
            final HttpConnection c = connections[slot];
            if (!c.isOpen() || c.generation != (int)(token >>> 32) || c.tls == null)
            {
                continue; // closed meanwhile (a timeout, the client gone)
            }
            try
            {
                if (c.state == HttpConnection.READING)
                {
                    read(c);
                }
            }
            catch (final IOException ex)
            {
                close(c);
            }
            catch (final RuntimeException ex)
            {
                internalError(c, ex);
            }
        }
        return work;
    }

    /**
     * Handles one ready key; the action form of select() hands keys over without an iterator per call. Keys of
     * other frontends sharing the selector are ignored.
     */
    private void onSelectedKey(final SelectionKey key)
    {
        if (!key.isValid())
        {
            return;
        }
        final Object attachment = key.attachment();
        if (attachment instanceof Listener listener)
        {
            if (listener.owner != this)
            {
                return; // another frontend's listener on a shared selector
            }
            try
            {
                accept(listener);
            }
            catch (final RuntimeException ex)
            {
                counters.internalErrors.incrementRelease();
                LOG.warn("http frontend {}: accept failed", index, ex);
            }
            return;
        }
        if (!(attachment instanceof HttpConnection c))
        {
            return;
        }
        try
        {
            if (key.isWritable())
            {
                flushPending(c);
            }
            if (c.isOpen() && key.isValid() && key.isReadable())
            {
                read(c);
            }
        }
        catch (final IOException ex)
        {
            close(c);
        }
        catch (final RuntimeException ex)
        {
            internalError(c, ex);
        }
    }

    /** A bug met while serving one connection costs that connection, never the thread. */
    private void internalError(final HttpConnection c, final RuntimeException ex)
    {
        counters.internalErrors.incrementRelease();
        LOG.warn("http frontend {}: connection closed after an internal error", index, ex);
        close(c);
    }

    private void accept(final Listener listener)
    {
        for (int i = 0; i < 64; i++)
        {
            SocketChannel channel = null;
            FileDescriptor fd = null;
            InetSocketAddress remote = null;
            final int remotePort;
            if (listener.fdNum >= 0)
            {
                final int accepted = TcpNatives.accept4(listener.fdNum, acceptScratch);
                if (accepted < 0)
                {
                    if (accepted == -TcpNatives.ECONNABORTED || accepted == -TcpNatives.EINTR)
                    {
                        continue; // that client gave up before we took it; others may wait behind it
                    }
                    if (accepted != -TcpNatives.EAGAIN)
                    {
                        acceptFailed(accepted);
                    }
                    return;
                }
                remotePort = TcpNatives.sockaddr(acceptScratch, acceptedAddress);
                TcpNatives.fdVal(acceptedFd, accepted);
                fd = acceptedFd;
                if (remotePort < 0)
                {
                    TcpNatives.close(fd); // neither IPv4 nor IPv6: nothing trackerd can answer
                    continue;
                }
            }
            else
            {
                try
                {
                    if (listener.fd != null)
                    {
                        if (!TcpNatives.accept(listener.fd, acceptedFd, acceptedRemote))
                        {
                            return;
                        }
                        fd = acceptedFd;
                        acceptedFd = new FileDescriptor(); // this one is the connection's now
                        remote = acceptedRemote[0];
                        acceptedRemote[0] = null;
                    }
                    else
                    {
                        channel = listener.server.accept();
                        if (channel == null)
                        {
                            return;
                        }
                        channel.configureBlocking(false);
                        remote = (InetSocketAddress)channel.getRemoteAddress();
                    }
                }
                catch (final IOException ex)
                {
                    if (channel != null)
                    {
                        closeQuietly(channel);
                        continue;
                    }
                    LOG.warn("accept failed: {}", ex.toString());
                    return;
                }
                toAddress16(remote.getAddress().getAddress(), acceptedAddress);
                remotePort = remote.getPort();
            }
            if (open >= maxConnections || isStopRequested())
            {
                counters.connectionsRejected.incrementRelease();
                closeAccepted(channel, fd);
                continue;
            }
            if (!perIp.tryIncrement(acceptedAddress, maxConnectionsPerIp))
            {
                counters.connectionsRejectedPerIp.incrementRelease();
                closeAccepted(channel, fd);
                continue;
            }
            final HttpConnection c = takeConnection();
            if (listener.tls && !startTls(c, channel, remote))
            {
                freeSlots[freeCount++] = c.slot;
                perIp.decrement(acceptedAddress);
                closeAccepted(channel, fd);
                continue;
            }
            if (fd != null && listener.fdNum >= 0)
            {
                // The slot's own descriptor object takes the socket (one per slot, reused until a channel adopts
                // it); the scratch one serves the next accept.
                if (c.spareFd == null)
                {
                    c.spareFd = new FileDescriptor();
                }
                TcpNatives.fdVal(c.spareFd, TcpNatives.fdVal(fd));
                fd = c.spareFd;
            }
            c.channel = channel;
            c.fd = fd;
            c.protocolFamily = listener.family;
            c.corked = listener.fd != null;
            c.remoteSocket = remote;
            c.remotePort = remotePort;
            c.blocking = fd != null && listener.fdNum < 0;
            c.firstRead = true;
            c.firstWrite = true;
            System.arraycopy(acceptedAddress, 0, c.address, 0, 16);
            c.ipCounted = true;
            c.family = RequestEvent.isIpv4Mapped(c.address, 0) ? RequestCounters.FAMILY_IPV4 :
                RequestCounters.FAMILY_IPV6;
            c.state = HttpConnection.READING;
            c.in.clear();
            c.keepAlive = false;
            c.closeAfterWrite = false;
            c.partialSinceNs = 0;
            c.lastActivityNs = nowNs;
            if (c.pending != null)
            {
                c.pending.clear().limit(0);
            }
            c.noDelay = c.tls != null;
            c.lastRequestOfClient = false;
            open++;
            counters.connectionsAccepted.incrementRelease();
            counters.connectionsOpen.setRelease(open);
            firstRead(c);
        }
    }

    /**
     * An accept that failed for a reason other than an empty queue (out of descriptors, say): logged at most every
     * ten seconds, as the channel path logs its IOException (not a bug, so not an internal error).
     */
    private void acceptFailed(final int minusErrno)
    {
        if (nowNs - lastAcceptWarningNs > ACCEPT_WARNING_INTERVAL_NS || lastAcceptWarningNs == 0)
        {
            lastAcceptWarningNs = nowNs;
            LOG.warn("http frontend {}: accept4 failed, errno {}{}", index, -minusErrno,
                -minusErrno == TcpNatives.EMFILE || -minusErrno == TcpNatives.ENFILE ?
                " (out of file descriptors: raise the limit, or lower http.max_connections)" : "");
        }
    }

    /**
     * Opens the TLS layer of a TLS listener's new connection, or says no (its address has too many handshakes in
     * progress). Nagle goes off at once: a handshake flight, an answer and close_notify each leave as one write, and
     * the next must not wait for an acknowledgement.
     */
    private boolean startTls(final HttpConnection c, final SocketChannel channel, final InetSocketAddress remote)
    {
        c.tls = null;
        final org.trackerd.io.tls.TlsSession session = tls.open(c.tlsSpare, remote.getAddress(), nowNs,
            c.correlationId());
        if (session == null)
        {
            return false;
        }
        try
        {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        catch (final IOException ex)
        {
            tls.close(session, null);
            return false;
        }
        c.tls = session;
        c.tlsSpare = session;
        return true;
    }

    /**
     * Reads a new connection's request before registering it: most clients send it with the handshake's last
     * packet, so the answer can go out and the socket close without ever passing through the selector (no
     * {@code epoll_ctl} add and delete, no deferred close). Only a connection that has to wait for input or
     * for a writable socket is registered.
     */
    private void firstRead(final HttpConnection c)
    {
        try
        {
            read(c);
            if (c.isOpen() && c.state == HttpConnection.READING)
            {
                interest(c, SelectionKey.OP_READ);
            }
        }
        catch (final IOException ex)
        {
            close(c);
        }
        catch (final RuntimeException ex)
        {
            internalError(c, ex);
        }
    }

    /** Sets what the selector watches for on a connection, registering it on first need. */
    private void interest(final HttpConnection c, final int ops) throws IOException
    {
        if (c.key != null)
        {
            if (c.ops != ops)
            {
                // Only a change goes to the key: every keep-alive answer asks for OP_READ again, which it has.
                c.key.interestOps(ops);
                c.ops = ops;
            }
        }
        else if (ops != 0)
        {
            c.key = channel(c).register(selector, ops, c);
            c.ops = ops;
        }
    }

    static void toAddress16(final byte[] raw, final byte[] address16)
    {
        if (raw.length == 4)
        {
            RequestEvent.putIpv4Mapped(address16, 0, raw, 0);
        }
        else
        {
            System.arraycopy(raw, 0, address16, 0, 16);
        }
    }

    private HttpConnection takeConnection()
    {
        if (freeCount > 0)
        {
            return connections[freeSlots[--freeCount]];
        }
        if (highWater == connections.length)
        {
            connections = java.util.Arrays.copyOf(connections, highWater * 2);
            freeSlots = java.util.Arrays.copyOf(freeSlots, highWater * 2);
        }
        final HttpConnection c = new HttpConnection(highWater, maxRequestBytes);
        connections[highWater++] = c;
        return c;
    }

    private void read(final HttpConnection c) throws IOException
    {
        if (c.ws != null && c.state != HttpConnection.CLOSING)
        {
            webTorrent.read(c);
            return;
        }
        if (c.state == HttpConnection.CLOSING)
        {
            discardInput(c);
            return;
        }
        if (c.state != HttpConnection.READING)
        {
            // Input while a request is in the engine (a pipelining client): stop watching until the answer is out.
            // Interest is left on while awaiting, so the usual request costs no epoll_ctl at all.
            interest(c, 0);
            return;
        }
        final int n = receive(c, c.in);
        if (n < 0)
        {
            close(c);
            return;
        }
        if (c.tls != null && c.tls.hasUnsent())
        {
            interest(c, SelectionKey.OP_READ | SelectionKey.OP_WRITE); // a handshake flight the socket did not take
        }
        if (n > 0)
        {
            counters.bytesIn.getAndAddRelease(n);
            c.lastActivityNs = nowNs;
            if (c.partialSinceNs == 0)
            {
                c.partialSinceNs = nowNs;
            }
        }
        processInput(c);
    }

    /** Parses and dispatches complete requests from the connection's buffer while it is free to read. */
    private void processInput(final HttpConnection c) throws IOException
    {
        if (c.ws != null)
        {
            webTorrent.decodeInput(c);
            return;
        }
        while (c.isOpen() && c.state == HttpConnection.READING && c.in.position() > 0 && !isStopRequested())
        {
            final int filled = c.in.position();
            final int length = head.parse(c.inView, 0, filled);
            if (length == HttpRequestParser.INCOMPLETE)
            {
                if (filled == c.in.capacity())
                {
                    requests.increment(RequestCounters.ACTION_OTHER, c.family, RequestCounters.OUTCOME_MALFORMED);
                    httpError(c, 431);
                }
                return;
            }
            counters.requests.incrementRelease();
            if (head.errorStatus != 0)
            {
                consume(c, length);
                requests.increment(RequestCounters.ACTION_OTHER, c.family, RequestCounters.OUTCOME_MALFORMED);
                httpError(c, head.errorStatus);
                return;
            }
            if (head.route == HttpRequestParser.ROUTE_NOT_FOUND)
            {
                consume(c, length);
                requests.increment(RequestCounters.ACTION_OTHER, c.family, RequestCounters.OUTCOME_CLIENT_ERROR);
                httpError(c, 404);
                return;
            }
            if (webTorrent != null && head.route == HttpRequestParser.ROUTE_ANNOUNCE &&
                webTorrent.upgrade(c, length, head.passkeyOffset))
            {
                return; // a WebSocket now (or its refusal is on its way out)
            }
            c.keepAlive = head.keepAlive;
            if (head.route == HttpRequestParser.ROUTE_SITE_UPDATE)
            {
                final String answer = siteControl.apply(
                    SiteControlQuery.parse(c.inView, head.queryOffset, head.queryLength));
                consume(c, length);
                requests.increment(RequestCounters.ACTION_OTHER, c.family, RequestCounters.OUTCOME_OK);
                encoder.body(out, answer.getBytes(StandardCharsets.US_ASCII), c.keepAlive);
                write(c);
                continue;
            }
            final RequestEvent e = scratch;
            if (clientAddress == null)
            {
                System.arraycopy(c.address, 0, e.address, 0, 16);
            }
            else
            {
                clientAddress.resolve(c.address, c.inView, head.addressHeaderOffset, head.addressHeaderLength, e.address);
            }
            final QueryParser.Error error = head.route == HttpRequestParser.ROUTE_ANNOUNCE ?
                query.parseAnnounce(c.inView, head.queryOffset, head.queryLength, e) :
                query.parseScrape(c.inView, head.queryOffset, head.queryLength, e);
            final int action = head.route == HttpRequestParser.ROUTE_ANNOUNCE ? RequestCounters.ACTION_ANNOUNCE :
                RequestCounters.ACTION_SCRAPE;
            // Before consume(): the passkey and the token are read in place from the receive buffer.
            final byte[] refusal = error != QueryParser.Error.NONE ? null : admission.refusal(e, action, c.family,
                c.inView, head.passkeyOffset, c.inView, query.jwtOffset(), query.jwtLength());
            consume(c, length);
            if (error != QueryParser.Error.NONE)
            {
                counters.clientErrors.incrementRelease();
                requests.increment(action, c.family, RequestCounters.OUTCOME_CLIENT_ERROR);
                encoder.failure(out, PARSE_REASONS[error.ordinal()], 0, c.keepAlive);
                write(c);
                continue;
            }
            if (refusal != null)
            {
                encoder.failure(out, refusal, 0, c.keepAlive);
                write(c);
                continue;
            }
            e.frontendId = queue.id();
            e.correlationId = c.correlationId();
            e.receivedNs = nowNs;
            e.replyPort = 0;
            if (!publish(e, action, c.family, outstanding < queue.capacity()))
            {
                counters.rejectedBusy.incrementRelease();
                encoder.failure(out, Admission.BUSY, 1, c.keepAlive);
                write(c);
                continue;
            }
            if (e.kind == RequestEvent.KIND_ANNOUNCE)
            {
                counters.announces.incrementRelease();
            }
            else
            {
                counters.scrapes.incrementRelease();
            }
            c.state = HttpConnection.AWAITING;
            c.lastRequestOfClient = !head.keepAlive && c.in.position() == 0 &&
                (c.tls == null || !c.tls.hasBufferedInput());
        }
        if (c.tls != null && c.isOpen() && c.state == HttpConnection.READING && c.in.hasRemaining() &&
            c.tls.hasBufferedInput())
        {
            // Decrypted (or whole encrypted) requests wait in the TLS layer, and the socket will not signal them.
            read(c);
        }
    }

    // The bridge WebTorrentRoute works through: the socket stays this class's (one owner of reads, writes, close).

    long nowNs()
    {
        return nowNs;
    }

    /**
     * The raw {@code jwt} value of the request head just parsed (an upgrade's URL query), read by the scrape
     * parser, which stops at nothing the upgrade needs: its length ({@code -1} when none), its offset in
     * {@link #upgradeJwtOffset()}.
     */
    int upgradeJwtLength(final HttpConnection c)
    {
        query.parseScrape(c.inView, head.queryOffset, head.queryLength, scratch);
        return query.jwtLength();
    }

    int upgradeJwtOffset()
    {
        return query.jwtOffset();
    }

    Admission admission()
    {
        return admission;
    }

    /** Publishes a WebSocket connection's request; false (counted) when the ring or this frontend is full. */
    boolean publishRequest(final RequestEvent e, final int action, final int family)
    {
        return publish(e, action, family, outstanding < queue.capacity());
    }

    /** As {@link #publishRequest(RequestEvent, int, int)}, counted through {@code via} (the WebSocket route's). */
    boolean publishRequest(final Admission via, final RequestEvent e, final int action, final int family)
    {
        return publish(via, e, action, family, outstanding < queue.capacity());
    }

    /** The open connection a correlation id (slot and generation) names, or null. */
    HttpConnection connection(final long correlationId)
    {
        final int slot = (int)correlationId;
        if (slot < 0 || slot >= highWater)
        {
            return null;
        }
        final HttpConnection c = connections[slot];
        return c.isOpen() && c.generation == (int)(correlationId >>> 32) ? c : null;
    }

    void closeConnection(final HttpConnection c)
    {
        close(c);
    }

    void interestOps(final HttpConnection c, final int ops) throws IOException
    {
        interest(c, ops);
    }

    /** Nagle off for good: a WebSocket carries many small messages each way. */
    void noDelay(final HttpConnection c) throws IOException
    {
        if (!c.noDelay)
        {
            if (c.corked)
            {
                TcpNatives.sendPromptly(c.fd);
            }
            else
            {
                channel(c).setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            c.noDelay = true;
        }
    }

    /** Reads into the connection's buffer: bytes read (counted), 0, or -1 at the client's FIN. */
    int receiveBytes(final HttpConnection c) throws IOException
    {
        if (!c.in.hasRemaining())
        {
            return 0;
        }
        final int n = receive(c, c.in);
        if (n > 0)
        {
            counters.bytesIn.getAndAddRelease(n);
            c.lastActivityNs = nowNs;
        }
        return n;
    }

    /**
     * Writes {@code from} to a connection with nothing queued; what the socket does not take waits in the
     * connection (state WRITING) and goes out when it is writable. With {@code closeAfter} the connection closes
     * once all is written.
     */
    void sendQueued(final HttpConnection c, final ByteBuffer from, final boolean closeAfter) throws IOException
    {
        final int length = from.remaining();
        final int written = send(c, from);
        counters.bytesOut.getAndAddRelease(written);
        c.lastActivityNs = nowNs;
        if (written < length || c.tls != null && c.tls.hasUnsent())
        {
            final int rest = length - written;
            if (c.pending == null || c.pending.capacity() < rest)
            {
                c.pending = ByteBuffer.allocate(Math.max(rest, 4096));
            }
            c.pending.clear();
            c.pending.put(from);
            c.pending.flip();
            c.closeAfterWrite = closeAfter;
            c.state = HttpConnection.WRITING;
            interest(c, SelectionKey.OP_WRITE);
            return;
        }
        if (closeAfter)
        {
            closeGracefully(c);
        }
        // else the interest stays as it is: reading (set when the connection first waited for input, and again by
        // flushPending after a partial write), so a written message costs no interest update
    }

    /** Drops the first {@code length} bytes of the receive buffer, keeping any pipelined rest. */
    static void consume(final HttpConnection c, final int length)
    {
        final int filled = c.in.position();
        if (length >= filled)
        {
            c.in.clear();
            c.partialSinceNs = 0;
            return;
        }
        c.in.flip().position(length);
        c.in.compact();
    }

    private boolean answer(final ResponseEvent r)
    {
        outstanding--;
        final int slot = (int)r.correlationId;
        final int generation = (int)(r.correlationId >>> 32);
        if (slot < 0 || slot >= highWater)
        {
            return true;
        }
        final HttpConnection c = connections[slot];
        if (c.ws != null && c.isOpen() && c.generation == generation)
        {
            if (c.state == HttpConnection.CLOSING)
            {
                return true; // its close went out: nothing more is written to it
            }
            try
            {
                webTorrent.answer(c, r);
            }
            catch (final IOException ex)
            {
                close(c);
            }
            return true;
        }
        if (!c.isOpen() || c.generation != generation || c.state != HttpConnection.AWAITING)
        {
            return true; // the client went away meanwhile
        }
        final boolean announce = r.kind == RequestEvent.KIND_ANNOUNCE;
        admission.answered(announce ? RequestCounters.ACTION_ANNOUNCE : RequestCounters.ACTION_SCRAPE, c.family,
            r.status);
        if (r.status != Status.OK)
        {
            encoder.failure(out, Admission.reason(r.status), r.status == Status.TRACKER_FULL ? 5 : 0,
                c.keepAlive);
        }
        else if (r.kind == RequestEvent.KIND_ANNOUNCE)
        {
            encoder.announce(out, r, c.keepAlive);
        }
        else
        {
            encoder.scrape(out, r, c.keepAlive);
        }
        c.state = HttpConnection.READING;
        c.partialSinceNs = c.in.position() > 0 ? nowNs : 0;
        try
        {
            write(c);
            (announce ? announceLatency : scrapeLatency).recordNs(System.nanoTime() - r.receivedNs);
            if (c.isOpen() && c.state == HttpConnection.READING)
            {
                interest(c, SelectionKey.OP_READ);
                processInput(c);
            }
        }
        catch (final IOException ex)
        {
            close(c);
        }
        return true;
    }

    /** Answers one response event; a bug in it costs the connection, and the poller still moves past the event. */
    @Override
    protected boolean onResponse(final ResponseEvent r, final long sequence, final boolean endOfBatch)
    {
        try
        {
            return answer(r);
        }
        catch (final RuntimeException ex)
        {
            counters.internalErrors.incrementRelease();
            LOG.warn("http frontend {}: response failed", index, ex);
            final int slot = (int)r.correlationId;
            if (slot >= 0 && slot < highWater && connections[slot].generation == (int)(r.correlationId >>> 32))
            {
                close(connections[slot]);
            }
            return true;
        }
    }

    private void httpError(final HttpConnection c, final int status) throws IOException
    {
        counters.httpErrors.incrementRelease();
        encoder.httpError(out, status);
        c.keepAlive = false;
        write(c);
    }

    /** Writes the encoder's message; what the socket does not take now waits in the connection. */
    private void write(final HttpConnection c) throws IOException
    {
        if (c.keepAlive && !c.noDelay)
        {
            // Only a connection that carries several answers needs Nagle (and the listener's cork) off: a lone
            // answer leaves with its FIN when the socket closes right after.
            if (c.corked)
            {
                TcpNatives.sendPromptly(c.fd);
            }
            else
            {
                channel(c).setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            c.noDelay = true;
        }
        outBytes.limit(encoder.end()).position(encoder.start());
        final int length = outBytes.remaining();
        final int written = send(c, outBytes);
        counters.responses.incrementRelease();
        counters.bytesOut.getAndAddRelease(written);
        c.lastActivityNs = nowNs;
        c.closeAfterWrite = !c.keepAlive;
        if (written < length || c.tls != null && c.tls.hasUnsent())
        {
            final int rest = length - written;
            if (c.pending == null || c.pending.capacity() < rest)
            {
                c.pending = ByteBuffer.allocate(Math.max(rest, 4096));
            }
            c.pending.clear();
            c.pending.put(outBytes);
            c.pending.flip();
            c.state = HttpConnection.WRITING;
            interest(c, SelectionKey.OP_WRITE);
            return;
        }
        if (c.closeAfterWrite)
        {
            closeGracefully(c);
        }
    }

    private void flushPending(final HttpConnection c) throws IOException
    {
        if (c.tls != null && c.state != HttpConnection.WRITING)
        {
            // A TLS handshake flight the socket did not take at once: send it, then let the handshake go on.
            if (c.tls.flush(c.channel))
            {
                interest(c, SelectionKey.OP_READ);
                if (c.state == HttpConnection.READING)
                {
                    read(c);
                }
            }
            return;
        }
        final int written = send(c, c.pending);
        counters.bytesOut.getAndAddRelease(written);
        if (written > 0)
        {
            c.lastActivityNs = nowNs;
        }
        if (c.pending.hasRemaining() || c.tls != null && c.tls.hasUnsent())
        {
            return;
        }
        if (c.closeAfterWrite)
        {
            closeGracefully(c);
            return;
        }
        c.state = HttpConnection.READING;
        interest(c, SelectionKey.OP_READ);
        processInput(c);
    }

    /** Closes connections that idle, trickle a request too slowly, or do not read their answer. */
    private int sweepTimeouts()
    {
        int closed = 0;
        for (int i = 0; i < highWater; i++)
        {
            final HttpConnection c = connections[i];
            if (!c.isOpen())
            {
                continue;
            }
            if (c.tls != null && tls.handshakeExpired(c.tls, nowNs))
            {
                close(c);
                closed++;
                continue;
            }
            if (c.ws != null && c.state != HttpConnection.CLOSING)
            {
                try
                {
                    webTorrent.timer(c);
                }
                catch (final IOException ex)
                {
                    close(c);
                }
                continue;
            }
            final boolean expired;
            switch (c.state)
            {
                case HttpConnection.READING -> expired = c.partialSinceNs != 0 ?
                    nowNs - c.partialSinceNs > requestTimeoutNs : nowNs - c.lastActivityNs > idleTimeoutNs;
                case HttpConnection.WRITING -> expired = nowNs - c.lastActivityNs > requestTimeoutNs;
                case HttpConnection.CLOSING -> expired = nowNs - c.partialSinceNs > lingerNs;
                default -> expired = false;
            }
            if (expired)
            {
                if (c.state != HttpConnection.CLOSING)
                {
                    counters.connectionsTimedOut.incrementRelease();
                }
                close(c);
                closed++;
            }
        }
        return closed;
    }

    /**
     * Ends a connection after its last answer without destroying that answer: closing a socket with unread input
     * makes the kernel send RST, which can overtake the answer still in flight. So: send FIN, then read and
     * discard what the client still sends (bounded in bytes and by {@link #lingerNs}) until its own FIN, then close.
     */
    private void closeGracefully(final HttpConnection c) throws IOException
    {
        if (c.lastRequestOfClient)
        {
            // The client asked to close after this request and sent nothing past it: nothing can be unread.
            close(c);
            return;
        }
        // Most clients (one request per connection) have sent nothing more: with nothing unread, a plain close
        // sends FIN after the queued answer and no RST, without a lingering round through the selector.
        c.in.clear();
        final int unread = receive(c, c.in);
        if (unread <= 0)
        {
            c.in.clear();
            close(c);
            return;
        }
        counters.bytesIn.getAndAddRelease(unread);
        if (c.tls != null)
        {
            c.tls.closeOutbound(c.channel);
        }
        try
        {
            channel(c).shutdownOutput();
        }
        catch (final IOException ex)
        {
            close(c);
            return;
        }
        c.state = HttpConnection.CLOSING;
        c.partialSinceNs = nowNs;
        c.lingerBytes = unread;
        interest(c, SelectionKey.OP_READ);
        discardInput(c);
    }

    private void discardInput(final HttpConnection c) throws IOException
    {
        while (true)
        {
            c.in.clear();
            final int n = receive(c, c.in);
            if (n < 0)
            {
                close(c);
                return;
            }
            if (n == 0)
            {
                c.in.clear();
                return;
            }
            counters.bytesIn.getAndAddRelease(n);
            c.lingerBytes += n;
            if (c.lingerBytes > LINGER_MAX_BYTES)
            {
                close(c);
                return;
            }
        }
    }

    private void close(final HttpConnection c)
    {
        if (!c.isOpen())
        {
            return;
        }
        if (c.ws != null)
        {
            webTorrent.onClose(c);
        }
        if (c.ipCounted)
        {
            perIp.decrement(c.address);
            c.ipCounted = false;
        }
        c.remote = null;
        if (c.key != null)
        {
            c.key.cancel();
        }
        if (c.tls != null)
        {
            if (!tls.close(c.tls, c.channel))
            {
                c.tlsSpare = null; // a handshake worker still holds it: the slot's next connection gets a new one
            }
            c.tls = null;
        }
        closeAccepted(c.channel, c.fd);
        c.channel = null;
        c.fd = null;
        c.remoteSocket = null;
        c.key = null;
        c.generation++;
        c.in.clear();
        freeSlots[freeCount++] = c.slot;
        open--;
        counters.connectionsClosed.incrementRelease();
        counters.connectionsOpen.setRelease(open);
    }

    private void closeServers()
    {
        for (final ServerSocketChannel server : tlsServers)
        {
            try
            {
                server.close();
            }
            catch (final IOException ex)
            {
                LOG.warn("closing TLS listener: {}", ex.toString());
            }
        }
        for (final ServerSocketChannel server : servers)
        {
            try
            {
                server.close();
            }
            catch (final IOException ex)
            {
                LOG.warn("closing listener: {}", ex.toString());
            }
        }
    }

    /**
     * Not settled while its relay ring holds offers or answers for its connections: a relay written by this thread
     * (from its own responses) wakes nobody, so the next cycle must run before the thread sleeps in select. Nor
     * while finished TLS handshake tasks wait past the cycle's bound: their wake-ups were spent on this cycle.
     */
    @Override
    public boolean settled()
    {
        return super.settled() && (webTorrent == null || webTorrent.relaysDrained()) &&
            (tls == null || !tls.hasTaskDone());
    }

    /**
     * The relays this cycle's answers wrote for this thread's own connections go out in the same cycle, and each
     * WebSocket connection's frames of the cycle in one write.
     */
    @Override
    protected void endOfCycle()
    {
        if (webTorrent != null)
        {
            webTorrent.drainRelays();
            webTorrent.flushBatches();
        }
    }

    @Override
    protected void closeChannels()
    {
        closeServers();
        if (webTorrent != null)
        {
            webTorrent.shuttingDown();
        }
        for (int i = 0; i < highWater; i++)
        {
            close(connections[i]);
        }
    }

    /**
     * The connection's channel, made from its bare descriptor the first time the selector or a socket option is
     * needed (see {@link TcpNatives#adopt}).
     */
    private static SocketChannel channel(final HttpConnection c) throws IOException
    {
        if (c.channel == null)
        {
            final SocketChannel channel = TcpNatives.adopt(c.fd, c.protocolFamily, remoteSocket(c));
            if (c.fd == c.spareFd)
            {
                c.spareFd = null; // the channel owns that object now (and may close it later, from the selector)
            }
            c.channel = channel; // it owns the descriptor now; c.fd stays for the TCP options the JDK has no name for
            c.blocking = false;
            channel.configureBlocking(false); // the new channel object believes it blocks, whatever the socket does
        }
        return c.channel;
    }

    /** The client's socket address, built from its 16 bytes when first needed (a bare accept builds none). */
    private static InetSocketAddress remoteSocket(final HttpConnection c) throws IOException
    {
        if (c.remoteSocket == null)
        {
            c.remoteSocket = new InetSocketAddress(remoteAddress(c), c.remotePort);
        }
        return c.remoteSocket;
    }

    /**
     * The client's address as an object (IPv4 as {@code Inet4Address}, as the JDK reports a mapped address), built
     * when first needed: the WebSocket route counts upgraded connections per address with it.
     */
    static java.net.InetAddress remoteAddress(final HttpConnection c) throws java.net.UnknownHostException
    {
        if (c.remote == null)
        {
            c.remote = RequestEvent.isIpv4Mapped(c.address, 0) ?
                java.net.InetAddress.getByAddress(java.util.Arrays.copyOfRange(c.address, 12, 16)) :
                java.net.InetAddress.getByAddress(c.address.clone());
        }
        return c.remote;
    }

    /**
     * Reads what the socket has into the buffer: bytes read, 0 when nothing is there yet, -1 at the client's FIN.
     * A connection with a descriptor is read through the natives even once adopted into a channel (kept for the
     * selector and for closing): the socket is non-blocking then, and the channel's locks and state checks buy
     * nothing on the one thread that owns it.
     */
    private static int receive(final HttpConnection c, final ByteBuffer into) throws IOException
    {
        if (c.tls != null)
        {
            return c.tls.read(c.channel, into);
        }
        if (c.fd == null)
        {
            return c.channel.read(into);
        }
        if (c.blocking && !(c.firstRead && TcpNatives.available(c.fd) > 0))
        {
            nonBlocking(c);
        }
        c.firstRead = false;
        final int position = into.position();
        final int n = TcpNatives.read(c.fd, BufferUtil.address(into) + position, into.remaining());
        if (n > 0)
        {
            into.position(position + n);
            return n;
        }
        return n == TcpNatives.EOF ? -1 : 0;
    }

    /** Writes what the socket takes now from the buffer: bytes written, 0 when its send buffer is full. */
    private static int send(final HttpConnection c, final ByteBuffer from) throws IOException
    {
        if (c.tls != null)
        {
            return c.tls.write(c.channel, from);
        }
        if (c.fd == null || !from.isDirect())
        {
            return channel(c).write(from);
        }
        if (c.blocking && !(c.firstWrite && from.remaining() <= BLOCKING_WRITE_MAX))
        {
            nonBlocking(c);
        }
        c.firstWrite = false;
        final int position = from.position();
        final int n = TcpNatives.write(c.fd, BufferUtil.address(from) + position, from.remaining());
        if (n > 0)
        {
            from.position(position + n);
            return n;
        }
        return 0;
    }

    private static void nonBlocking(final HttpConnection c) throws IOException
    {
        TcpNatives.nonBlocking(c.fd);
        c.blocking = false;
    }

    private static void closeAccepted(final SocketChannel channel, final FileDescriptor fd)
    {
        if (channel != null)
        {
            closeQuietly(channel);
        }
        else if (fd != null)
        {
            TcpNatives.close(fd);
        }
    }

    private static void closeQuietly(final SocketChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // nothing left to do for a socket that cannot even close
        }
    }
}
