package org.trackerd.io.udp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.Tracker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Boots the whole tracker on loopback (UDP on 127.0.0.1, ::1 and dual-stack [::], HTTP on 127.0.0.1, ephemeral
 * ports, a temp data directory) and talks to it with real {@link DatagramChannel}s and a raw HTTP socket. UDP runs on
 * the batched path ({@link BatchNatives}: many datagrams per system call); {@link UdpTrackerSingleIoE2ETest} runs the
 * same tests one datagram per call ({@link DatagramNatives}), {@link UdpTrackerJdkIoE2ETest} on the public
 * {@link DatagramChannel} API.
 */
class UdpTrackerE2ETest
{
    private static final String SECRET = "e2e-secret";
    private static final int LIFETIME_SECONDS = 120;
    private static final long REPLY_TIMEOUT_MS = 3000;
    private static final long SILENCE_MS = 300;
    private static final AtomicInteger HASHES = new AtomicInteger();

    @TempDir
    static Path dataDir;

    private static Tracker tracker;
    private static InetSocketAddress udp4;
    private static InetSocketAddress udp6;
    /** Dual-stack [::]: IPv4 senders arrive IPv4-mapped. */
    private static InetSocketAddress udpDual;
    private static boolean expectNativeIo;
    private static boolean expectBatchIo;
    private static InetSocketAddress http;

    @BeforeAll
    static void boot() throws IOException
    {
        start(true, true);
    }

    /**
     * Starts the class's tracker on the given I/O path. A subclass's {@code boot} may run after this class's (JUnit
     * runs a superclass's {@code @BeforeAll} too), so a tracker already started is closed first: none is left running.
     */
    static void start(final boolean nativeIo, final boolean batchIo) throws IOException
    {
        shutdown();
        expectNativeIo = nativeIo;
        expectBatchIo = batchIo;
        final String json = """
            {
              "http": { "listen": ["127.0.0.1:0"] },
              "udp": {
                "listen": ["127.0.0.1:0", "[::1]:0", "[::]:0"],
                "connection_id_secret": "%s",
                "connection_id_lifetime_seconds": %d
              },
              "storage": { "path": "%s", "max_torrents": 1000, "max_peers": 10000 }
            }
            """.formatted(SECRET, LIFETIME_SECONDS,
                dataDir.resolve(batchIo ? "batch-io" : nativeIo ? "native-io" : "jdk-io").toString().replace("\\", "\\\\"));
        tracker = new Tracker(TrackerConfig.parse(json)).start();
        assertEquals(3, tracker.udpAddresses().size());
        udp4 = tracker.udpAddresses().get(0);
        udp6 = tracker.udpAddresses().get(1);
        udpDual = tracker.udpAddresses().get(2);
        http = tracker.httpAddresses().get(0);
        assertTrue(udp4.getAddress() instanceof Inet4Address);
        assertTrue(udp6.getAddress() instanceof Inet6Address);
        assertTrue(udp4.getPort() > 0 && udp6.getPort() > 0);
    }

    @AfterAll
    static void shutdown()
    {
        if (tracker != null)
        {
            tracker.close();
            tracker = null;
        }
    }

    /** A fresh infohash per test, so tests sharing the tracker never share a swarm. */
    private static byte[] newHash()
    {
        final byte[] h = new byte[20];
        final int n = HASHES.incrementAndGet();
        h[0] = (byte)0xE2;
        h[1] = (byte)0xE0;
        h[16] = (byte)(n >>> 24);
        h[17] = (byte)(n >>> 16);
        h[18] = (byte)(n >>> 8);
        h[19] = (byte)n;
        return h;
    }

    private static byte[] peerId(final String prefix, final int n)
    {
        final byte[] id = String.format("%-12s%08d", prefix, n).getBytes(StandardCharsets.US_ASCII);
        assertEquals(20, id.length);
        return id;
    }

    /** A blocking-with-timeout BEP 15 client on one loopback address. */
    static final class Client implements AutoCloseable
    {
        final DatagramChannel channel;
        final Selector selector;
        final InetSocketAddress server;
        final ByteBuffer in = ByteBuffer.allocate(UdpProtocol.MAX_DATAGRAM_LENGTH);
        final UnsafeBuffer reply = new UnsafeBuffer(in.array());
        final byte[] address16 = new byte[16];
        int replyLength;
        int nextTransaction = 0x1000;

        Client(final InetSocketAddress server) throws IOException
        {
            this.server = server;
            channel = DatagramChannel.open();
            channel.bind(new InetSocketAddress(server.getAddress(), 0));
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            final UnsafeBuffer sockaddr = new UnsafeBuffer(new byte[SocketAddresses.LENGTH]);
            SocketAddresses.encode(new InetSocketAddress(server.getAddress(), 0), sockaddr, 0);
            SocketAddresses.toAddress16(sockaddr, 0, address16);
        }

        int localPort() throws IOException
        {
            return ((InetSocketAddress)channel.getLocalAddress()).getPort();
        }

        boolean ipv6()
        {
            return server.getAddress() instanceof Inet6Address;
        }

        /** Sends and waits for one reply ({@code length} -1: only waits); null when nothing came in time. */
        UnsafeBuffer exchange(final byte[] packet, final int length, final long timeoutMs) throws IOException
        {
            if (length >= 0)
            {
                channel.send(ByteBuffer.wrap(packet, 0, length), server);
            }
            final long deadline = System.currentTimeMillis() + timeoutMs;
            while (true)
            {
                final long left = deadline - System.currentTimeMillis();
                if (left <= 0)
                {
                    return null;
                }
                selector.select(left);
                selector.selectedKeys().clear();
                in.clear();
                if (channel.receive(in) != null)
                {
                    replyLength = in.position();
                    return reply;
                }
            }
        }

        UnsafeBuffer exchange(final byte[] packet) throws IOException
        {
            final UnsafeBuffer r = exchange(packet, packet.length, REPLY_TIMEOUT_MS);
            assertNotNull(r, "no reply from the tracker");
            return r;
        }

        long connect() throws IOException
        {
            final byte[] p = new byte[16];
            final int tid = nextTransaction++;
            new RequestHeaderFlyweight().wrap(new UnsafeBuffer(p), 0)
                .connectionId(UdpProtocol.PROTOCOL_ID).action(UdpProtocol.ACTION_CONNECT).transactionId(tid);
            final UnsafeBuffer r = exchange(p);
            assertEquals(16, replyLength);
            final ConnectResponseFlyweight c = new ConnectResponseFlyweight().wrap(r, 0);
            assertEquals(UdpProtocol.ACTION_CONNECT, c.action());
            assertEquals(tid, c.transactionId());
            return c.connectionId();
        }

        byte[] announcePacket(final long connectionId, final int tid, final byte[] hash, final byte[] peerId,
            final int port, final long left, final int event, final int numWant, final String options)
        {
            final byte[] opts = options == null ? new byte[0] : UdpCodecTest.hex(options).byteArray();
            final int optsLength = options == null ? 0 : options.replaceAll("\\s", "").length() / 2;
            final byte[] p = new byte[98 + optsLength];
            new AnnounceRequestFlyweight().wrap(new UnsafeBuffer(p), 0)
                .connectionId(connectionId).action(UdpProtocol.ACTION_ANNOUNCE).transactionId(tid)
                .putInfoHash(hash, 0).putPeerId(peerId, 0).downloaded(0).left(left).uploaded(0)
                .event(event).ip(0).key(0x5eed).numWant(numWant).port(port);
            System.arraycopy(opts, 0, p, 98, optsLength);
            return p;
        }

        /** Announces and checks the header of the reply; the reply stays readable until the next exchange. */
        AnnounceResponseFlyweight announce(final long connectionId, final byte[] hash, final byte[] peerId,
            final int port, final long left, final int event, final String options) throws IOException
        {
            final int tid = nextTransaction++;
            final UnsafeBuffer r = exchange(announcePacket(connectionId, tid, hash, peerId, port, left, event, -1,
                options));
            final AnnounceResponseFlyweight a = new AnnounceResponseFlyweight().wrap(r, 0);
            assertEquals(UdpProtocol.ACTION_ANNOUNCE, a.action(), () -> "got " + errorText());
            assertEquals(tid, a.transactionId());
            return a;
        }

        ScrapeResponseFlyweight scrape(final long connectionId, final byte[]... hashes) throws IOException
        {
            final byte[] p = new byte[ScrapeRequestFlyweight.length(hashes.length)];
            final int tid = nextTransaction++;
            final ScrapeRequestFlyweight s = new ScrapeRequestFlyweight().wrap(new UnsafeBuffer(p), 0)
                .connectionId(connectionId).action(UdpProtocol.ACTION_SCRAPE).transactionId(tid);
            for (int i = 0; i < hashes.length; i++)
            {
                s.putInfoHash(i, hashes[i], 0);
            }
            final UnsafeBuffer r = exchange(p);
            final ScrapeResponseFlyweight sr = new ScrapeResponseFlyweight().wrap(r, 0);
            assertEquals(UdpProtocol.ACTION_SCRAPE, sr.action(), () -> "got " + errorText());
            assertEquals(tid, sr.transactionId());
            assertEquals(ScrapeResponseFlyweight.length(hashes.length), replyLength);
            return sr;
        }

        /** Discards replies still on their way (a late answer must not be mistaken for the next one). */
        void drain() throws IOException
        {
            final long deadline = System.currentTimeMillis() + SILENCE_MS;
            long left;
            while ((left = deadline - System.currentTimeMillis()) > 0)
            {
                selector.select(left);
                selector.selectedKeys().clear();
                in.clear();
                while (channel.receive(in) != null)
                {
                    in.clear();
                }
            }
        }

        String errorText()
        {
            final ErrorResponseFlyweight e = new ErrorResponseFlyweight().wrap(reply, 0);
            return e.action() == UdpProtocol.ACTION_ERROR ? "error '" + e.message(replyLength) + "'" :
                "action " + e.action();
        }

        /** Asserts the last reply is an error for {@code tid} with {@code text}. */
        void assertError(final int tid, final String text)
        {
            final ErrorResponseFlyweight e = new ErrorResponseFlyweight().wrap(reply, 0);
            assertEquals(UdpProtocol.ACTION_ERROR, e.action());
            assertEquals(tid, e.transactionId());
            assertEquals(text, e.message(replyLength));
            assertTrue(reply.getByte(replyLength - 1) != 0, "no trailing NUL");
        }

        /** The peers of the last announce reply as "address:port" strings. */
        java.util.List<String> peers() throws IOException
        {
            final boolean v6 = ipv6();
            final int n = AnnounceResponseFlyweight.peerCount(replyLength, v6);
            assertEquals(AnnounceResponseFlyweight.length(n, v6), replyLength, "whole peers only");
            final java.util.List<String> list = new java.util.ArrayList<>();
            final AnnounceResponseFlyweight a = new AnnounceResponseFlyweight().wrap(reply, 0);
            for (int i = 0; i < n; i++)
            {
                final byte[] addr = new byte[v6 ? 16 : 4];
                final int port = a.getPeer(i, v6, addr, 0);
                list.add(InetAddress.getByAddress(addr).getHostAddress() + ":" + port);
            }
            return list;
        }

        @Override
        public void close() throws IOException
        {
            selector.close();
            channel.close();
        }
    }

    private static final int LEECHER = 1000;
    private static final int EVENT_NONE = 0;
    private static final int EVENT_COMPLETED = 1;
    private static final int EVENT_STARTED = 2;

    private static void roundTrip(final InetSocketAddress server, final String loopbackText) throws IOException
    {
        final byte[] hash = newHash();
        try (Client leecher = new Client(server); Client seeder = new Client(server))
        {
            final long id1 = leecher.connect();
            AnnounceResponseFlyweight a = leecher.announce(id1, hash, peerId("-LE0001-", 1), 7001, LEECHER,
                EVENT_STARTED, null);
            assertEquals(1800, a.interval());
            assertEquals(1, a.leechers());
            assertEquals(0, a.seeders());
            assertEquals(java.util.List.of(), leecher.peers());

            final long id2 = seeder.connect();
            a = seeder.announce(id2, hash, peerId("-SE0001-", 2), 7002, 0, EVENT_STARTED, null);
            assertEquals(1, a.leechers());
            assertEquals(1, a.seeders());
            assertEquals(java.util.List.of(loopbackText + ":7001"), seeder.peers());

            a = leecher.announce(id1, hash, peerId("-LE0001-", 1), 7001, 0, EVENT_COMPLETED, null);
            assertEquals(0, a.leechers());
            assertEquals(2, a.seeders());

            final ScrapeResponseFlyweight s = leecher.scrape(id1, hash, newHash());
            assertEquals(2, s.seeders(0));
            assertEquals(1, s.completed(0));
            assertEquals(0, s.leechers(0));
            assertEquals(0, s.seeders(1));
            assertEquals(0, s.completed(1));
            assertEquals(0, s.leechers(1));
        }
    }

    @Test
    void connectAnnounceScrapeOverIpv4()
    {
        assertDoesNotThrowIo(() -> roundTrip(udp4, "127.0.0.1"));
    }

    @Test
    void connectAnnounceScrapeOverIpv6With18BytePeers()
    {
        assertDoesNotThrowIo(() -> roundTrip(udp6, "0:0:0:0:0:0:0:1"));
    }

    @Test
    void udpIoPath() throws InterruptedException
    {
        assertEquals(expectNativeIo, tracker.udpNativeIo());
        // Batches follow shortly after start (JNA loads after the tracker answers).
        final long deadline = System.currentTimeMillis() + 10_000;
        while (expectBatchIo && !tracker.udpBatchIo() && System.currentTimeMillis() < deadline)
        {
            Thread.sleep(10);
        }
        assertEquals(expectBatchIo, tracker.udpBatchIo());
    }

    @Test
    void dualStackSocketServesIpv4MappedAndIpv6Senders()
    {
        assertDoesNotThrowIo(() -> roundTrip(new InetSocketAddress("127.0.0.1", udpDual.getPort()), "127.0.0.1"));
        assertDoesNotThrowIo(() -> roundTrip(new InetSocketAddress("::1", udpDual.getPort()), "0:0:0:0:0:0:0:1"));
    }

    @Test
    void ipv6SenderGetsOnlyIpv6PeersAndIpv4SenderOnlyIpv4() throws IOException
    {
        final byte[] hash = newHash();
        try (Client v4 = new Client(udp4); Client v6 = new Client(udp6))
        {
            v4.announce(v4.connect(), hash, peerId("-V40001-", 1), 7101, LEECHER, EVENT_STARTED, null);
            final AnnounceResponseFlyweight a = v6.announce(v6.connect(), hash, peerId("-V60001-", 2), 7102, LEECHER,
                EVENT_STARTED, null);
            assertEquals(2, a.leechers(), "counts cover both families");
            assertEquals(java.util.List.of(), v6.peers(), "no IPv4 peer in an IPv6 answer");
            v4.announce(v4.connect(), hash, peerId("-V40001-", 1), 7101, LEECHER, EVENT_NONE, null);
            assertEquals(java.util.List.of(), v4.peers(), "no IPv6 peer in an IPv4 answer");
            try (Client v6b = new Client(udp6))
            {
                v6b.announce(v6b.connect(), hash, peerId("-V60002-", 3), 7103, LEECHER, EVENT_STARTED, null);
                assertEquals(java.util.List.of("0:0:0:0:0:0:0:1:7102"), v6b.peers());
                assertEquals(20 + 18, v6b.replyLength);
            }
        }
    }

    @Test
    void httpAndUdpPeersShareOneSwarm() throws IOException
    {
        final byte[] hash = newHash();
        // HTTP peer first: the UDP client must see it.
        final byte[] httpReply = httpAnnounce(hash, peerId("-HT0001-", 1), 7201);
        assertTrue(new String(httpReply, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"));
        try (Client udp = new Client(udp4))
        {
            final long id = udp.connect();
            final AnnounceResponseFlyweight a = udp.announce(id, hash, peerId("-UD0001-", 2), 7202, LEECHER,
                EVENT_STARTED, null);
            assertEquals(2, a.leechers());
            assertEquals(java.util.List.of("127.0.0.1:7201"), udp.peers());
        }
        // And the HTTP peer sees the UDP one in its compact peers.
        final byte[] again = httpAnnounce(hash, peerId("-HT0001-", 1), 7201);
        final byte[] udpPeer = { 127, 0, 0, 1, (byte)(7202 >>> 8), (byte)7202 };
        assertTrue(indexOf(again, udpPeer) >= 0, () -> "UDP peer missing from HTTP answer: " +
            new String(again, StandardCharsets.ISO_8859_1));
    }

    private static byte[] httpAnnounce(final byte[] hash, final byte[] peerId, final int port) throws IOException
    {
        final String request = "GET /announce?info_hash=" + percent(hash) + "&peer_id=" + percent(peerId) +
            "&port=" + port + "&uploaded=0&downloaded=0&left=" + LEECHER + "&compact=1 HTTP/1.1\r\n" +
            "Host: 127.0.0.1\r\nConnection: close\r\n\r\n";
        try (Socket socket = new Socket(http.getAddress(), http.getPort()))
        {
            socket.setSoTimeout((int)REPLY_TIMEOUT_MS);
            final OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            final ByteArrayOutputStream all = new ByteArrayOutputStream();
            final byte[] chunk = new byte[4096];
            int n;
            while ((n = in.read(chunk)) >= 0)
            {
                all.write(chunk, 0, n);
            }
            return all.toByteArray();
        }
    }

    private static String percent(final byte[] bytes)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : bytes)
        {
            sb.append('%').append(String.format("%02X", b & 0xFF));
        }
        return sb.toString();
    }

    private static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void forgedConnectionIdGetsError() throws IOException
    {
        try (Client c = new Client(udp4))
        {
            final long real = c.connect();
            final byte[] p = c.announcePacket(real ^ 0x1000, 0x7777, newHash(), peerId("-FG0001-", 1), 7301, LEECHER,
                EVENT_STARTED, -1, null);
            c.exchange(p);
            c.assertError(0x7777, "bad connection id");
            // A scrape with someone else's id too.
            try (Client other = new Client(udp4))
            {
                final long theirs = other.connect();
                final byte[] s = new byte[ScrapeRequestFlyweight.length(2)];
                new ScrapeRequestFlyweight().wrap(new UnsafeBuffer(s), 0).connectionId(theirs)
                    .action(UdpProtocol.ACTION_SCRAPE).transactionId(0x8888);
                c.exchange(s);
                c.assertError(0x8888, "bad connection id");
            }
        }
    }

    @Test
    void expiredConnectionIdGetsError() throws IOException
    {
        final ConnectionIds ids = new ConnectionIds(ConnectionIds.keyFromSecret(SECRET), LIFETIME_SECONDS);
        try (Client c = new Client(udp4); Client c6 = new Client(udp6))
        {
            for (final Client client : new Client[]{ c, c6 })
            {
                final long window = ids.window(System.currentTimeMillis() / 1000);
                final long expired = ids.forWindow(client.address16, client.localPort(), window - 2);
                client.exchange(client.announcePacket(expired, 0x0e0e, newHash(), peerId("-EX0001-", 1), 7401,
                    LEECHER, EVENT_STARTED, -1, null));
                client.assertError(0x0e0e, "bad connection id");
                // The previous window's id is still good: ids live between one and two windows.
                final long previous = ids.forWindow(client.address16, client.localPort(), window - 1);
                client.announce(previous, newHash(), peerId("-EX0001-", 1), 7401, LEECHER, EVENT_STARTED, null);
                // And an id crafted the same way for the current window is what connect hands out.
                final long current = ids.forWindow(client.address16, client.localPort(),
                    ids.window(System.currentTimeMillis() / 1000));
                assertEquals(current, client.connect());
            }
        }
    }

    @Test
    void bep41OptionsIncludingUnknownAreAccepted() throws IOException
    {
        final byte[] hash = newHash();
        try (Client c = new Client(udp4))
        {
            final long id = c.connect();
            // NOP, URLData "/announce", unknown type 0x42 (3 bytes), URLData "?jwt=abc", EndOfOptions, junk.
            final String options = "01 0209" + hex("/announce") + " 4203 000102 0208" + hex("?jwt=abc") +
                " 00 ffff";
            AnnounceResponseFlyweight a = c.announce(id, hash, peerId("-OP0001-", 1), 7501, LEECHER, EVENT_STARTED,
                options);
            assertEquals(1, a.leechers());
            // A truncated option list is advisory: the announce still counts.
            a = c.announce(id, hash, peerId("-OP0002-", 2), 7502, LEECHER, EVENT_STARTED, "0209 2f61");
            assertEquals(2, a.leechers());
            assertEquals(java.util.List.of("127.0.0.1:7501"), c.peers());
        }
    }

    private static String hex(final String ascii)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : ascii.getBytes(StandardCharsets.US_ASCII))
        {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }

    /**
     * Back-to-back exchanges, each waiting for its answer, are not held up by the thread's sleep: the shared thread
     * goes to sleep as soon as a cycle leaves nothing queued, so a missed wake-up would cost every exchange the
     * sleep's timeout (the swarm processor's next tick, or 250 ms): 50 exchanges took 5 s when the sleep was made
     * deaf to sockets on purpose, against about 10 ms.
     */
    @Test
    void sequentialExchangesAreAnsweredAtOnce() throws IOException
    {
        for (final InetSocketAddress server : new InetSocketAddress[]{ udp4, udp6 })
        {
            try (Client client = new Client(server))
            {
                client.connect(); // warm: the first answer may wait for the JIT
                final long start = System.nanoTime();
                for (int i = 0; i < 50; i++)
                {
                    client.connect();
                }
                final long ms = (System.nanoTime() - start) / 1_000_000;
                assertTrue(ms < 2000, () -> "50 connect exchanges took " + ms + " ms");
            }
        }
    }

    /**
     * More clients than a batch holds, on three sockets at once, each sending a connect with its own transaction id
     * before any reply is read: each gets exactly its own answer (its sender kept apart from the others' through the
     * receive and send batches, and answers leaving from the socket their request came in on).
     */
    @Test
    void aBurstAcrossSocketsGetsEveryAnswerToItsOwnSender() throws IOException
    {
        final InetSocketAddress[] servers = { udp4, udp6, udpDual };
        final Client[] clients = new Client[150];
        try
        {
            for (int i = 0; i < clients.length; i++)
            {
                final InetSocketAddress server = servers[i % servers.length];
                clients[i] = new Client(server == udpDual ? new InetSocketAddress("127.0.0.1", udpDual.getPort()) :
                    server);
            }
            for (int i = 0; i < clients.length; i++)
            {
                final byte[] p = new byte[16];
                new RequestHeaderFlyweight().wrap(new UnsafeBuffer(p), 0)
                    .connectionId(UdpProtocol.PROTOCOL_ID).action(UdpProtocol.ACTION_CONNECT).transactionId(0x5000 + i);
                clients[i].channel.send(ByteBuffer.wrap(p), clients[i].server);
            }
            for (int i = 0; i < clients.length; i++)
            {
                final UnsafeBuffer r = clients[i].exchange(new byte[0], -1, REPLY_TIMEOUT_MS);
                assertNotNull(r, "client " + i + " got no answer");
                assertEquals(16, clients[i].replyLength);
                final ConnectResponseFlyweight c = new ConnectResponseFlyweight().wrap(r, 0);
                assertEquals(UdpProtocol.ACTION_CONNECT, c.action());
                assertEquals(0x5000 + i, c.transactionId(), "client " + i + " got another's answer");
                assertNull(clients[i].exchange(new byte[0], -1, 1), "client " + i + " got two answers");
            }
        }
        finally
        {
            for (final Client c : clients)
            {
                if (c != null)
                {
                    c.close();
                }
            }
        }
    }

    @Test
    void malformedPacketsGetErrorOrSilenceAndTrackerKeepsServing() throws IOException
    {
        try (Client c = new Client(udp4); Client c6 = new Client(udp6))
        {
            for (final Client client : new Client[]{ c, c6 })
            {
                final byte[] junk = new byte[200];
                for (int i = 0; i < junk.length; i++)
                {
                    junk[i] = (byte)(i * 37 + 11);
                }
                // Every length from 0 to 40 bytes of junk, and all-zero packets: error or silence, never more
                // bytes than sent.
                for (int n = 0; n <= 40; n++)
                {
                    assertErrorOrSilence(client, junk, n);
                    assertErrorOrSilence(client, new byte[n], n);
                }
                client.drain();
                // Longer than any request (and than a batch's area for one): error or silence.
                assertErrorOrSilence(client, new byte[9000], 9000);
                client.drain();
                // Wrong magic on connect: silence (an error would be larger than the 16 bytes sent).
                final byte[] badMagic = new byte[16];
                new RequestHeaderFlyweight().wrap(new UnsafeBuffer(badMagic), 0)
                    .connectionId(UdpProtocol.PROTOCOL_ID + 1).action(0).transactionId(5);
                assertNull(client.exchange(badMagic, 16, SILENCE_MS));
                // Unknown action, big enough to answer.
                final byte[] unknown = new byte[40];
                new RequestHeaderFlyweight().wrap(new UnsafeBuffer(unknown), 0)
                    .connectionId(0).action(9).transactionId(6);
                client.exchange(unknown);
                client.assertError(6, "unknown action");
                // Truncated announce and scrape with a valid id: the sender is proven, so it gets told.
                final long id = client.connect();
                final byte[] announce = client.announcePacket(id, 7, newHash(), peerId("-TR0001-", 1), 7601, LEECHER,
                    EVENT_STARTED, -1, null);
                client.exchange(announce, 60, REPLY_TIMEOUT_MS);
                client.assertError(7, "truncated announce");
                final byte[] scrape = new byte[16 + 30];
                new ScrapeRequestFlyweight().wrap(new UnsafeBuffer(scrape), 0).connectionId(id)
                    .action(UdpProtocol.ACTION_SCRAPE).transactionId(8);
                client.exchange(scrape);
                client.assertError(8, "truncated scrape");
                // Bad event code.
                new AnnounceRequestFlyweight().wrap(new UnsafeBuffer(announce), 0).event(9).transactionId(10);
                client.exchange(announce);
                client.assertError(10, "bad event");
                // Still serving a valid client.
                final byte[] hash = newHash();
                final AnnounceResponseFlyweight a = client.announce(client.connect(), hash, peerId("-OK0001-", 1),
                    7602, LEECHER, EVENT_STARTED, null);
                assertEquals(1, a.leechers());
            }
        }
    }

    private static void assertErrorOrSilence(final Client client, final byte[] packet, final int length)
        throws IOException
    {
        final UnsafeBuffer r = client.exchange(packet, length, 20);
        if (r != null)
        {
            assertTrue(client.replyLength <= length, "amplified: " + client.replyLength + " > " + length);
            assertEquals(UdpProtocol.ACTION_ERROR, r.getInt(0, java.nio.ByteOrder.BIG_ENDIAN));
        }
    }

    @Test
    void scrapeOf74Hashes() throws IOException
    {
        final byte[][] hashes = new byte[74][];
        for (int i = 0; i < hashes.length; i++)
        {
            hashes[i] = newHash();
        }
        try (Client c = new Client(udp4))
        {
            final long id = c.connect();
            c.announce(id, hashes[0], peerId("-SC0001-", 1), 7701, 0, EVENT_STARTED, null);
            c.announce(id, hashes[73], peerId("-SC0001-", 1), 7701, LEECHER, EVENT_STARTED, null);
            c.announce(id, hashes[73], peerId("-SC0002-", 2), 7702, LEECHER, EVENT_STARTED, null);
            final ScrapeResponseFlyweight s = c.scrape(id, hashes);
            assertEquals(8 + 74 * 12, c.replyLength);
            assertEquals(1, s.seeders(0));
            assertEquals(0, s.leechers(0));
            for (int i = 1; i < 73; i++)
            {
                assertEquals(0, s.seeders(i) + s.leechers(i) + s.completed(i), "hash " + i);
            }
            assertEquals(0, s.seeders(73));
            assertEquals(2, s.leechers(73));

            final byte[][] tooMany = java.util.Arrays.copyOf(hashes, 75);
            tooMany[74] = newHash();
            final byte[] p = new byte[ScrapeRequestFlyweight.length(75)];
            final ScrapeRequestFlyweight sr = new ScrapeRequestFlyweight().wrap(new UnsafeBuffer(p), 0)
                .connectionId(id).action(UdpProtocol.ACTION_SCRAPE).transactionId(0x75);
            for (int i = 0; i < 75; i++)
            {
                sr.putInfoHash(i, tooMany[i], 0);
            }
            c.exchange(p);
            c.assertError(0x75, "too many info hashes");
        }
    }

    @Test
    void countersSeeTraffic() throws IOException
    {
        try (Client c = new Client(udp4))
        {
            c.connect();
        }
        final long[] connects = { 0 };
        tracker.counters().forEach((value, id, label) ->
        {
            if (label.equals("udp_connects{thread=\"0\"}"))
            {
                connects[0] = value;
            }
        });
        assertTrue(connects[0] >= 1);
    }

    interface IoAction
    {
        void run() throws IOException;
    }

    private static void assertDoesNotThrowIo(final IoAction action)
    {
        try
        {
            action.run();
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    @Test
    void sameConnectionIdNotValidFromAnotherAddressFamily() throws IOException
    {
        try (Client v4 = new Client(udp4); Client v6 = new Client(udp6))
        {
            final long id = v4.connect();
            v6.exchange(v6.announcePacket(id, 0x66, newHash(), peerId("-XF0001-", 1), 7801, LEECHER, EVENT_STARTED,
                -1, null));
            v6.assertError(0x66, "bad connection id");
            assertArrayEquals(new byte[]{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)0xFF, (byte)0xFF, 127, 0, 0, 1 },
                v4.address16);
        }
    }
}
