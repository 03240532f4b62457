package org.trackerd.jmh.loadgen;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Load generator for BitTorrent trackers on loopback: UDP (BEP 15 connect + announce + scrape, many sockets, a
 * window of requests in flight per socket) and HTTP (keep-alive, or one connection per request like most real
 * clients), also over TLS ({@code --tls}: the JDK's client engine, TLS 1.3, with or without session resumption on
 * reconnect). Deterministic torrents and peers from a seed, an optional target rate, bounded in time; reports
 * responses/s, errors, losses and latency percentiles from HdrHistogram.
 *
 * <p>UDP announces come in three shapes ({@code --shape}), each of which makes swarms cross the tracker's one-page
 * limit (255 peers) when there are fewer torrents than peers / 255:
 * <ul>
 *   <li>{@code reannounce} (the default): a fixed population of {@code --peers} peers, peer {@code i} of torrent
 *       {@code i % torrents}, re-announcing in turn (event none);</li>
 *   <li>{@code new-peers}: every announce a new peer (event {@code started}, a random peer id) of a random
 *       torrent: swarms only grow;</li>
 *   <li>{@code churn}: {@code --peers} places, each empty or held by one peer; an announce picks a random place:
 *       an empty one gets a new peer (event {@code started}), a held one's peer leaves (event {@code stopped})
 *       with probability {@code --churn-stop} (default 0.25) or re-announces. In the steady state
 *       1 / (1 + stop) of the places are held: at 0.25, 20 % arrivals, 20 % stops, 60 % re-announces.</li>
 * </ul>
 *
 * <p>{@code --protocol ws} is WebTorrent's WebSocket announce with {@code --offers} offers ({@link WebSocketLoad}).
 *
 * <p>{@code --shape new-peers --once true} fills a tracker to a known size: announce {@code k} is peer {@code k}
 * of {@code 0 .. --peers - 1} (the same peer id, torrent {@code k % torrents}, port and left as {@code reannounce}
 * gives peer {@code k}), event {@code started}, each peer answered once: an announce lost to a time-out is sent
 * again, and the run ends when every peer has an answer (or at {@code --duration}). No scrapes. The report adds
 * {@code peers_answered}; {@code duration_s} is then the fill time. A {@code reannounce} load of the same
 * {@code --torrents}, {@code --peers} and {@code --seed} afterwards re-announces exactly these peers (counts
 * unchanged: updates in place). {@code --first-peer N} starts at peer {@code N} (peers {@code N .. --peers - 1}):
 * a fill longer than one run's 600 s goes in passes.
 *
 * <p>Refuses any target that is not a loopback address, and any duration over 600 s.
 *
 * <pre>
 * java -cp trackerd-benchmarks.jar org.trackerd.jmh.loadgen.LoadGenerator --protocol udp --target 127.0.0.1:6969 \
 *      --torrents 1000 --peers 100000 --seeders 0.2 --numwant 50 --duration 10 --sockets 16 --window 8
 * </pre>
 *
 * <p>Thread: one thread, one selector.
 */
public final class LoadGenerator
{
    private static final long PROTOCOL_ID = 0x41727101980L;
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);

    // Settings.
    String protocol = "udp";
    InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), 6969);
    int torrents = 1000;
    int peers = 100_000;
    double seederRatio = 0.2;
    int numWant = 50;
    double scrapeRatio = 0.05;
    int durationSeconds = 10;
    int sockets = 16;
    int window = 8;
    long rate;
    String httpMode = "keepalive";
    /** UDP announce shape: {@code reannounce}, {@code new-peers} or {@code churn} (see the class comment). */
    String shape = "reannounce";
    /** {@code churn}: the chance that an announce of a held place is its peer's {@code stopped}. */
    double churnStop = 0.25;
    /** {@code new-peers}: peers {@code 0 .. peers - 1} in order, each answered once, then stop (class comment). */
    boolean once;
    /** {@link #once}: the first peer of this run. */
    int firstPeer;
    /** HTTP over TLS. Benchmark only: every certificate is accepted (the target is loopback, checked below). */
    boolean tls;
    /** With {@link #tls}: a reconnect resumes the session (the JDK client's cache, keyed by host and port). */
    boolean tlsResume = true;
    long seed = 42;
    /** {@code ws}: offers per announce (see {@link WebSocketLoad}). */
    int offers = 5;
    Path hashesFile;
    /** Seconds of the same load before the measured run, in this JVM: the client's own code warms up too. */
    int warmupSeconds;
    /** A server process on this machine whose CPU time over the measured run is reported ({@code server_cpu_s}). */
    long serverPid;
    double serverCpuSeconds = Double.NaN;

    // Results.
    final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    long sent;
    long responses;
    long errors;
    long losses;
    /** {@link #once}: distinct peers answered (a refusal counts: it is answered, and an error). */
    long peersAnswered;

    private byte[][] hashes;

    public static void main(final String[] args) throws Exception
    {
        final LoadGenerator g = new LoadGenerator();
        g.parse(args);
        g.prepare();
        if (g.hashesFile != null)
        {
            g.writeHashes();
        }
        if (g.durationSeconds > 0)
        {
            if (g.warmupSeconds > 0)
            {
                final int measured = g.durationSeconds;
                g.durationSeconds = g.warmupSeconds;
                g.run();
                g.durationSeconds = measured;
                g.latency.reset();
                g.sent = 0;
                g.responses = 0;
                g.errors = 0;
                g.losses = 0;
            }
            final double cpuBefore = g.serverCpuSeconds();
            final long startNs = System.nanoTime();
            g.run();
            final long elapsedNs = System.nanoTime() - startNs;
            g.serverCpuSeconds = g.serverCpuSeconds() - cpuBefore;
            g.report(elapsedNs);
        }
    }

    void parse(final String[] args) throws IOException
    {
        for (int i = 0; i < args.length; i++)
        {
            final String a = args[i];
            final String v = i + 1 < args.length ? args[i + 1] : "";
            switch (a)
            {
                case "--protocol" -> protocol = v;
                case "--target" -> target = parseTarget(v);
                case "--torrents" -> torrents = Integer.parseInt(v);
                case "--peers" -> peers = Integer.parseInt(v);
                case "--seeders" -> seederRatio = Double.parseDouble(v);
                case "--numwant" -> numWant = Integer.parseInt(v);
                case "--scrape-ratio" -> scrapeRatio = Double.parseDouble(v);
                case "--duration" -> durationSeconds = Integer.parseInt(v);
                case "--sockets", "--connections" -> sockets = Integer.parseInt(v);
                case "--window" -> window = Integer.parseInt(v);
                case "--rate" -> rate = Long.parseLong(v);
                case "--http-mode" -> httpMode = v;
                case "--shape" -> shape = v;
                case "--churn-stop" -> churnStop = Double.parseDouble(v);
                case "--once" -> once = Boolean.parseBoolean(v);
                case "--first-peer" -> firstPeer = Integer.parseInt(v);
                case "--tls" -> tls = Boolean.parseBoolean(v);
                case "--tls-resume" -> tlsResume = Boolean.parseBoolean(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--hashes-file" -> hashesFile = Path.of(v);
                case "--warmup" -> warmupSeconds = Integer.parseInt(v);
                case "--server-pid" -> serverPid = Long.parseLong(v);
                case "--offers" -> offers = Math.max(0, Math.min(Integer.parseInt(v), 16));
                default -> throw new IllegalArgumentException("unknown option " + a + " (see the class comment)");
            }
            i++;
        }
        if (!target.getAddress().isLoopbackAddress())
        {
            throw new IllegalArgumentException("target " + target + " is not a loopback address: refusing to send load");
        }
        if (durationSeconds < 0 || durationSeconds > 600 || warmupSeconds < 0 || warmupSeconds > 600)
        {
            throw new IllegalArgumentException("--duration must be 0..600 seconds");
        }
        if (!protocol.equals("udp") && !protocol.equals("http") && !protocol.equals("ws"))
        {
            throw new IllegalArgumentException("--protocol udp|http|ws");
        }
        if (!shape.equals("reannounce") && !shape.equals("new-peers") && !shape.equals("churn"))
        {
            throw new IllegalArgumentException("--shape reannounce|new-peers|churn");
        }
        if (once && !shape.equals("new-peers"))
        {
            throw new IllegalArgumentException("--once true needs --shape new-peers");
        }
        if (firstPeer < 0 || firstPeer > peers || firstPeer > 0 && !once)
        {
            throw new IllegalArgumentException("--first-peer must be 0..--peers, with --once true");
        }
        if (!(churnStop >= 0 && churnStop <= 1))
        {
            throw new IllegalArgumentException("--churn-stop must be 0..1");
        }
        window = Math.max(1, Math.min(window, 4096));
        sockets = Math.max(1, Math.min(sockets, 10_000));
    }

    private static InetSocketAddress parseTarget(final String v) throws IOException
    {
        final int colon = v.lastIndexOf(':');
        String host = v.substring(0, colon);
        if (host.startsWith("["))
        {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(v.substring(colon + 1)));
    }

    void prepare()
    {
        hashes = new byte[torrents][20];
        for (int t = 0; t < torrents; t++)
        {
            final SplittableRandom r = new SplittableRandom(seed * 1_000_003L + t);
            for (int i = 0; i < 20; i++)
            {
                hashes[t][i] = (byte)r.nextInt(256);
            }
        }
    }

    private void writeHashes() throws IOException
    {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(hashesFile)))
        {
            for (final byte[] h : hashes)
            {
                final StringBuilder sb = new StringBuilder(40);
                for (final byte b : h)
                {
                    sb.append(String.format("%02x", b & 0xFF));
                }
                w.println(sb);
            }
        }
    }

    void run() throws IOException
    {
        if (protocol.equals("udp"))
        {
            new UdpLoad().run();
        }
        else if (protocol.equals("ws"))
        {
            new WebSocketLoad(this).run();
        }
        else
        {
            new HttpLoad().run();
        }
    }

    /** User and system CPU seconds of {@link #serverPid} so far (Linux {@code /proc}); NaN without one. */
    private double serverCpuSeconds()
    {
        if (serverPid <= 0)
        {
            return Double.NaN;
        }
        try
        {
            final String stat = Files.readString(Path.of("/proc/" + serverPid + "/stat"));
            final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in USER_HZ (100)
        }
        catch (final IOException | RuntimeException ex)
        {
            return Double.NaN;
        }
    }

    void report(final long elapsedNs)
    {
        final double seconds = elapsedNs / 1e9;
        System.out.printf(Locale.ROOT,
            "protocol=%s%s shape=%s target=%s duration_s=%.1f sent=%d responses=%d responses_per_s=%.0f errors=%d " +
            "losses=%d " +
            "p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f",
            protocol, protocol.equals("http") ? (tls ? "s" : "") + "/" + httpMode +
                (tls ? (tlsResume ? "/resume" : "/full") : "") : "", protocol.equals("udp") ? shape : "-", target,
            seconds, sent, responses,
            responses / seconds, errors, losses,
            latency.getValueAtPercentile(50) / 1e3, latency.getValueAtPercentile(90) / 1e3,
            latency.getValueAtPercentile(99) / 1e3, latency.getValueAtPercentile(99.9) / 1e3, latency.getMaxValue() / 1e3);
        if (!Double.isNaN(serverCpuSeconds))
        {
            System.out.printf(Locale.ROOT, " server_cpu_s=%.2f server_cpu_us_per_response=%.1f", serverCpuSeconds,
                responses == 0 ? 0.0 : serverCpuSeconds * 1e6 / responses);
        }
        if (once)
        {
            System.out.printf(Locale.ROOT, " peers_answered=%d", peersAnswered);
        }
        System.out.println();
    }

    /** Which torrent, peer id, port and left a request uses; deterministic in the peer index. */
    private int peerTorrent(final int peer)
    {
        return peer % torrents;
    }

    private boolean peerIsSeeder(final int peer)
    {
        return ((peer * 0x9E3779B1L) & 0xFFFF) < seederRatio * 0x10000;
    }

    private static void peerId(final long peer, final byte[] dst)
    {
        final byte[] prefix = "-LG0001-".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(prefix, 0, dst, 0, 8);
        long v = peer;
        for (int i = 19; i >= 8; i--)
        {
            dst[i] = (byte)('0' + v % 10);
            v /= 10;
        }
    }

    /** Token bucket for {@code --rate}; unlimited when 0. */
    private boolean mayStartRequest(final long nowNs, final long startNs)
    {
        return rate <= 0 || sent < (nowNs - startNs) / 1e9 * rate;
    }

    private final class UdpLoad
    {
        private final DatagramChannel[] channels = new DatagramChannel[sockets];
        private final long[] connectionIds = new long[sockets];
        private final long[] connectSentNs = new long[sockets];
        private final long[] connectedAtNs = new long[sockets];
        private final int[] inFlight = new int[sockets];
        private final int[] txnOf = new int[sockets * window];
        private final long[] sentNs = new long[sockets * window];
        private final ByteBuffer out = ByteBuffer.allocateDirect(2048);
        private final ByteBuffer in = ByteBuffer.allocateDirect(65536);
        private final byte[] peerId = new byte[20];
        private final SplittableRandom random = new SplittableRandom(seed);
        /** {@code churn}: the generation of each place's peer, odd while the place is held. */
        private final int[] generation = "churn".equals(shape) ? new int[peers] : null;
        /** {@link #once}: the peer each slot's announce carries, -1 for none. */
        private final int[] peerOf = new int[sockets * window];
        /** {@link #once}: peers whose announce timed out, sent again before new ones (a ring; bounded by the slots). */
        private final int[] retry = new int[Math.max(16, sockets * window * 64)];
        private int retryHead;
        private int retryCount;
        private int peerOfNext = -1;
        private int nextTxn = 1;
        private int nextPeer = firstPeer;

        /** More to send: always, except in {@link #once} mode once every peer has been sent and none waits again. */
        private boolean moreToSend()
        {
            return !once || retryCount > 0 || nextPeer < peers;
        }

        private boolean done()
        {
            return once && peersAnswered >= peers - firstPeer;
        }

        void run() throws IOException
        {
            try (Selector selector = Selector.open())
            {
                for (int s = 0; s < sockets; s++)
                {
                    channels[s] = DatagramChannel.open(target.getAddress() instanceof java.net.Inet6Address ?
                        java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
                    channels[s].setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                    channels[s].connect(target);
                    channels[s].configureBlocking(false);
                    channels[s].register(selector, SelectionKey.OP_READ, s);
                }
                final long startNs = System.nanoTime();
                final long endNs = startNs + TimeUnit.SECONDS.toNanos(durationSeconds);
                long now;
                java.util.Arrays.fill(peerOf, -1);
                while ((now = System.nanoTime()) < endNs && !done())
                {
                    for (int s = 0; s < sockets; s++)
                    {
                        if (connectionIds[s] == 0 || now - connectedAtNs[s] > TimeUnit.SECONDS.toNanos(60))
                        {
                            if (now - connectSentNs[s] > TIMEOUT_NS)
                            {
                                sendConnect(s, now);
                            }
                            if (connectionIds[s] == 0)
                            {
                                continue;
                            }
                        }
                        while (inFlight[s] < window && moreToSend() && mayStartRequest(now, startNs))
                        {
                            sendRequest(s, now);
                        }
                        expire(s, now);
                    }
                    if (selector.selectNow() == 0)
                    {
                        selector.select(1);
                    }
                    final Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                    while (it.hasNext())
                    {
                        final SelectionKey k = it.next();
                        it.remove();
                        final int s = (Integer)k.attachment();
                        while (true)
                        {
                            in.clear();
                            final int n;
                            try
                            {
                                n = channels[s].read(in);
                            }
                            catch (final java.net.PortUnreachableException ex)
                            {
                                errors++; // nothing listens (yet): ICMP port unreachable
                                break;
                            }
                            if (n <= 0)
                            {
                                break;
                            }
                            onPacket(s, n, System.nanoTime());
                        }
                    }
                }
            }
            finally
            {
                for (final DatagramChannel c : channels)
                {
                    if (c != null)
                    {
                        c.close();
                    }
                }
            }
        }

        private void write(final int s) throws IOException
        {
            try
            {
                channels[s].write(out);
            }
            catch (final java.net.PortUnreachableException ex)
            {
                errors++; // an earlier datagram bounced: nothing listens (yet)
            }
        }

        private void sendConnect(final int s, final long now) throws IOException
        {
            out.clear();
            out.putLong(PROTOCOL_ID).putInt(0).putInt(-s - 1).flip();
            write(s);
            connectSentNs[s] = now;
        }

        private void sendRequest(final int s, final long now) throws IOException
        {
            int slot = -1;
            for (int i = 0; i < window; i++)
            {
                if (txnOf[s * window + i] == 0)
                {
                    slot = s * window + i;
                    break;
                }
            }
            final int txn = nextTxn++ & 0x7FFF_FFFF;
            if (nextTxn <= 0)
            {
                nextTxn = 1;
            }
            out.clear();
            peerOfNext = -1;
            if (!once && random.nextDouble() < scrapeRatio)
            {
                out.putLong(connectionIds[s]).putInt(2).putInt(txn);
                for (int i = 0; i < 10; i++)
                {
                    out.put(hashes[random.nextInt(torrents)]);
                }
            }
            else
            {
                putAnnounce(connectionIds[s], txn);
            }
            out.flip();
            write(s);
            txnOf[slot] = txn;
            peerOf[slot] = peerOfNext;
            sentNs[slot] = now;
            inFlight[s]++;
            sent++;
        }

        /** One announce of the {@link #shape}: BEP 15 offsets, event 0 none, 2 started, 3 stopped. */
        private void putAnnounce(final long connectionId, final int txn)
        {
            final int torrent;
            final long id;
            final int event;
            final boolean seeder;
            switch (once ? "once" : shape)
            {
                case "once" ->
                {
                    final int peer;
                    if (retryCount > 0)
                    {
                        peer = retry[retryHead];
                        retryHead = (retryHead + 1) % retry.length;
                        retryCount--;
                    }
                    else
                    {
                        peer = nextPeer++;
                    }
                    peerOfNext = peer;
                    torrent = peerTorrent(peer);
                    id = peer;
                    event = 2;
                    seeder = peerIsSeeder(peer);
                }
                case "new-peers" ->
                {
                    torrent = random.nextInt(torrents);
                    id = random.nextLong(1_000_000_000_000L);
                    event = 2;
                    seeder = random.nextDouble() < seederRatio;
                }
                case "churn" ->
                {
                    final int place = random.nextInt(peers);
                    torrent = peerTorrent(place);
                    seeder = peerIsSeeder(place);
                    final int g = generation[place];
                    // The same id from started to stopped: generation 2k (empty) and 2k + 1 (held) name peer k.
                    id = (long)(g >>> 1) * peers + place;
                    if ((g & 1) == 0)
                    {
                        event = 2;
                        generation[place] = g + 1;
                    }
                    else if (random.nextDouble() < churnStop)
                    {
                        event = 3;
                        generation[place] = g + 1;
                    }
                    else
                    {
                        event = 0;
                    }
                }
                default ->
                {
                    final int peer = nextPeer;
                    nextPeer = (nextPeer + 1) % peers;
                    torrent = peerTorrent(peer);
                    id = peer;
                    event = 0;
                    seeder = peerIsSeeder(peer);
                }
            }
            peerId(id, peerId);
            out.putLong(connectionId).putInt(1).putInt(txn)
                .put(hashes[torrent]).put(peerId)
                .putLong(0).putLong(seeder ? 0 : 1_000_000).putLong(0)
                .putInt(event).putInt(0).putInt((int)id).putInt(numWant).putShort((short)(10_000 + id % 50_000));
        }

        private void expire(final int s, final long now)
        {
            for (int i = s * window; i < (s + 1) * window; i++)
            {
                if (txnOf[i] != 0 && now - sentNs[i] > TIMEOUT_NS)
                {
                    txnOf[i] = 0;
                    if (peerOf[i] >= 0 && retryCount < retry.length)
                    {
                        retry[(retryHead + retryCount) % retry.length] = peerOf[i];
                        retryCount++;
                    }
                    peerOf[i] = -1;
                    inFlight[s]--;
                    losses++;
                }
            }
        }

        private void onPacket(final int s, final int length, final long now)
        {
            if (length < 8)
            {
                errors++;
                return;
            }
            final int action = in.getInt(0);
            final int txn = in.getInt(4);
            if (action == 0 && length >= 16 && txn == -s - 1)
            {
                connectionIds[s] = in.getLong(8);
                connectedAtNs[s] = now;
                return;
            }
            for (int i = s * window; i < (s + 1) * window; i++)
            {
                if (txnOf[i] == txn)
                {
                    txnOf[i] = 0;
                    if (peerOf[i] >= 0)
                    {
                        peersAnswered++;
                        peerOf[i] = -1;
                    }
                    inFlight[s]--;
                    latency.recordValue(Math.min(now - sentNs[i], latency.getHighestTrackableValue()));
                    responses++;
                    if (action == 3)
                    {
                        errors++;
                        connectionIds[s] = 0; // most errors here are an expired connection id: reconnect
                    }
                    return;
                }
            }
        }
    }

    private final class HttpLoad
    {
        private final boolean keepAlive = !"close".equals(httpMode);
        private final SocketChannel[] channels = new SocketChannel[sockets];
        private final long[] sentAtNs = new long[sockets];
        private final boolean[] reused = new boolean[sockets];
        private final ByteBuffer[] inbox = new ByteBuffer[sockets];
        private final ByteBuffer out = ByteBuffer.allocateDirect(4096);
        private final byte[] peerId = new byte[20];
        private final SplittableRandom random = new SplittableRandom(seed);
        private final String host = target.getAddress().getHostAddress();
        private int nextPeer;
        private Selector selector;
        private long startNs;
        private final javax.net.ssl.SSLContext tlsContext = tls ? trustingContext() : null;
        private final javax.net.ssl.SSLEngine[] engines = new javax.net.ssl.SSLEngine[sockets];
        private final ByteBuffer[] netIn = new ByteBuffer[sockets];
        private final ByteBuffer netOut = ByteBuffer.allocateDirect(32 * 1024);
        /** The request waits for the handshake to finish. */
        private final boolean[] requestPending = new boolean[sockets];
        private final ByteBuffer empty = ByteBuffer.allocate(0);

        void run() throws IOException
        {
            selector = Selector.open();
            try
            {
                startNs = System.nanoTime();
                final long endNs = startNs + TimeUnit.SECONDS.toNanos(durationSeconds);
                for (int s = 0; s < sockets; s++)
                {
                    inbox[s] = ByteBuffer.allocate(64 * 1024);
                }
                long now;
                while ((now = System.nanoTime()) < endNs)
                {
                    for (int s = 0; s < sockets; s++)
                    {
                        if (sentAtNs[s] == 0 && mayStartRequest(now, startNs))
                        {
                            start(s, now);
                        }
                        else if (sentAtNs[s] != 0 && now - sentAtNs[s] > TIMEOUT_NS)
                        {
                            losses++;
                            reset(s);
                        }
                    }
                    if (selector.selectNow() == 0)
                    {
                        selector.select(1);
                    }
                    final Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                    while (it.hasNext())
                    {
                        final SelectionKey k = it.next();
                        it.remove();
                        final int s = (Integer)k.attachment();
                        try
                        {
                            if (k.isValid() && k.isConnectable() && channels[s].finishConnect())
                            {
                                k.interestOps(SelectionKey.OP_READ);
                                connected(s);
                            }
                            else if (k.isValid() && k.isReadable())
                            {
                                read(s);
                            }
                        }
                        catch (final IOException ex)
                        {
                            errors++;
                            reset(s);
                        }
                    }
                }
            }
            finally
            {
                for (int s = 0; s < sockets; s++)
                {
                    reset(s);
                }
                selector.close();
            }
        }

        private void start(final int s, final long now) throws IOException
        {
            sentAtNs[s] = now;
            sent++;
            if (channels[s] != null && channels[s].isConnected())
            {
                reused[s] = true;
                try
                {
                    send(s);
                    return;
                }
                catch (final IOException ex)
                {
                    reset(s); // closed by the server since its last answer: reconnect below
                    sentAtNs[s] = now;
                }
            }
            reused[s] = false;
            final SocketChannel c = SocketChannel.open();
            c.configureBlocking(false);
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channels[s] = c;
            if (c.connect(target))
            {
                c.register(selector, SelectionKey.OP_READ, s);
                connected(s);
            }
            else
            {
                c.register(selector, SelectionKey.OP_CONNECT, s);
            }
        }

        private void send(final int s) throws IOException
        {
            final StringBuilder q = new StringBuilder(256);
            if (random.nextDouble() < scrapeRatio)
            {
                q.append("GET /scrape?");
                for (int i = 0; i < 10; i++)
                {
                    q.append(i == 0 ? "" : "&").append("info_hash=");
                    escape(q, hashes[random.nextInt(torrents)]);
                }
            }
            else
            {
                final int peer = nextPeer;
                nextPeer = (nextPeer + 1) % peers;
                peerId(peer, peerId);
                q.append("GET /announce?info_hash=");
                escape(q, hashes[peerTorrent(peer)]);
                q.append("&peer_id=");
                escape(q, peerId);
                q.append("&port=").append(10_000 + peer % 50_000).append("&uploaded=0&downloaded=0&left=")
                    .append(peerIsSeeder(peer) ? 0 : 1_000_000).append("&numwant=").append(numWant)
                    .append("&compact=1&key=").append(Integer.toHexString(peer));
            }
            q.append(" HTTP/1.1\r\nHost: ").append(host).append("\r\nUser-Agent: trackerd-loadgen\r\n")
                .append(keepAlive ? "" : "Connection: close\r\n").append("\r\n");
            out.clear();
            out.put(q.toString().getBytes(StandardCharsets.US_ASCII)).flip();
            if (tls)
            {
                while (out.hasRemaining())
                {
                    netOut.clear();
                    engines[s].wrap(out, netOut);
                    writeAll(s, netOut.flip());
                }
                return;
            }
            while (out.hasRemaining())
            {
                channels[s].write(out);
            }
        }

        /** A new connection is up: plain HTTP sends its request; TLS starts the handshake and sends after it. */
        private void connected(final int s) throws IOException
        {
            if (!tls)
            {
                send(s);
                return;
            }
            final javax.net.ssl.SSLEngine engine = tlsResume ?
                tlsContext.createSSLEngine(host, target.getPort()) : tlsContext.createSSLEngine();
            engine.setUseClientMode(true);
            engine.beginHandshake();
            engines[s] = engine;
            if (netIn[s] == null)
            {
                netIn[s] = ByteBuffer.allocate(64 * 1024);
            }
            netIn[s].clear();
            requestPending[s] = true;
            pump(s);
        }

        /** Moves the TLS engine on with what has arrived: handshake steps, then plain bytes into the inbox. */
        private void pump(final int s) throws IOException
        {
            final javax.net.ssl.SSLEngine engine = engines[s];
            for (int step = 0; step < 100; step++)
            {
                switch (engine.getHandshakeStatus())
                {
                    case NEED_TASK ->
                    {
                        for (Runnable t = engine.getDelegatedTask(); t != null; t = engine.getDelegatedTask())
                        {
                            t.run();
                        }
                        continue;
                    }
                    case NEED_WRAP ->
                    {
                        netOut.clear();
                        engine.wrap(empty, netOut);
                        writeAll(s, netOut.flip());
                        continue;
                    }
                    default ->
                    {
                    }
                }
                netIn[s].flip();
                final javax.net.ssl.SSLEngineResult r = engine.unwrap(netIn[s], inbox[s]);
                netIn[s].compact();
                if (r.getStatus() == javax.net.ssl.SSLEngineResult.Status.CLOSED)
                {
                    return;
                }
                if (r.getStatus() == javax.net.ssl.SSLEngineResult.Status.BUFFER_UNDERFLOW ||
                    r.bytesConsumed() == 0 && r.getHandshakeStatus() != javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_WRAP &&
                    r.getHandshakeStatus() != javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_TASK)
                {
                    break;
                }
            }
            final javax.net.ssl.SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
            if (requestPending[s] && (hs == javax.net.ssl.SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING ||
                hs == javax.net.ssl.SSLEngineResult.HandshakeStatus.FINISHED))
            {
                requestPending[s] = false;
                send(s);
            }
        }

        private void writeAll(final int s, final ByteBuffer b) throws IOException
        {
            for (int spin = 0; b.hasRemaining() && spin < 1_000_000; spin++)
            {
                channels[s].write(b);
            }
        }

        /** Accepts any certificate: a benchmark against loopback only, never a client of anything real. */
        private javax.net.ssl.SSLContext trustingContext()
        {
            try
            {
                final javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
                context.init(null, new javax.net.ssl.TrustManager[] { new javax.net.ssl.X509TrustManager()
                {
                    @Override
                    public void checkClientTrusted(final java.security.cert.X509Certificate[] chain, final String a)
                    {
                    }

                    @Override
                    public void checkServerTrusted(final java.security.cert.X509Certificate[] chain, final String a)
                    {
                    }

                    @Override
                    public java.security.cert.X509Certificate[] getAcceptedIssuers()
                    {
                        return new java.security.cert.X509Certificate[0];
                    }
                } }, null);
                return context;
            }
            catch (final java.security.GeneralSecurityException ex)
            {
                throw new IllegalStateException(ex);
            }
        }

        private void read(final int s) throws IOException
        {
            final ByteBuffer b = inbox[s];
            final int n;
            if (tls)
            {
                n = channels[s].read(netIn[s]);
                pump(s);
                if (requestPending[s] && n >= 0)
                {
                    return; // still handshaking
                }
            }
            else
            {
                n = channels[s].read(b);
            }
            final boolean eof = n < 0;
            if (eof && b.position() == 0 && reused[s])
            {
                // The server closed a kept-alive connection without answering (opentracker closes after every
                // answer without saying so): retry on a new connection, as HTTP clients do.
                sent--;
                reset(s);
                start(s, System.nanoTime());
                return;
            }
            final int bodyEnd = complete(b);
            if (bodyEnd < 0 && !eof)
            {
                return;
            }
            if (bodyEnd < 0)
            {
                errors++;
                reset(s);
                return;
            }
            final String text = new String(b.array(), 0, Math.min(bodyEnd, b.position()), StandardCharsets.ISO_8859_1);
            latency.recordValue(Math.min(System.nanoTime() - sentAtNs[s], latency.getHighestTrackableValue()));
            responses++;
            if (!text.startsWith("HTTP/1.1 200") || text.contains("failure reason"))
            {
                errors++;
            }
            b.clear();
            sentAtNs[s] = 0;
            final String head = text.substring(0, Math.max(0, text.indexOf("\r\n\r\n"))).toLowerCase(Locale.ROOT);
            if (!keepAlive || eof || head.startsWith("http/1.0") || head.contains("connection: close"))
            {
                reset(s); // the server closes after this answer: the next request opens a new connection
            }
        }

        /** End of a complete response (head + Content-Length body) in the buffer, or -1. */
        private int complete(final ByteBuffer b)
        {
            final byte[] a = b.array();
            final int len = b.position();
            for (int i = 3; i < len; i++)
            {
                if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r')
                {
                    final String head = new String(a, 0, i, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
                    final int cl = head.indexOf("content-length:");
                    if (cl < 0)
                    {
                        return -1;
                    }
                    int e = head.indexOf('\r', cl);
                    final int bodyLength = Integer.parseInt(head.substring(cl + 15, e < 0 ? head.length() : e).trim());
                    return i + 1 + bodyLength <= len ? i + 1 + bodyLength : -1;
                }
            }
            return -1;
        }

        private void reset(final int s)
        {
            sentAtNs[s] = 0;
            if (inbox[s] != null)
            {
                inbox[s].clear();
            }
            if (channels[s] != null)
            {
                try
                {
                    channels[s].close();
                }
                catch (final IOException ignored)
                {
                    // closing a broken socket
                }
                channels[s] = null;
            }
        }

        private void escape(final StringBuilder sb, final byte[] bytes)
        {
            for (final byte b : bytes)
            {
                sb.append('%').append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
            }
        }
    }
}
