package org.trackerd.io.robust;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.robust.RobustSupport.await;
import static org.trackerd.io.robust.RobustSupport.counter;
import static org.trackerd.io.robust.RobustSupport.openFds;

/**
 * Hostile TCP clients with the limits set low: trickling requests (slow-loris), idle connections, a connection
 * storm past {@code http.max_connections} and {@code http.max_connections_per_ip}, a client that never reads its
 * answers, and an error answer that must reach a client still sending. After each, the tracker serves a valid
 * client and its file descriptors return to where they were.
 */
@Timeout(60)
class HttpLimitsRobustTest
{
    @TempDir
    Path dir;

    private TrackerHarness harness;
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop()
    {
        closeAll();
        if (harness != null)
        {
            harness.close();
        }
    }

    private void closeAll()
    {
        for (final Socket s : sockets)
        {
            try
            {
                s.close();
            }
            catch (final IOException ignored)
            {
                // closing anyway
            }
        }
        sockets.clear();
    }

    private Socket open(final String localAddress) throws IOException
    {
        final Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(localAddress, 0));
        s.connect(new InetSocketAddress("127.0.0.1", harness.port()), 5000);
        s.setSoTimeout(5000);
        return s;
    }

    private void assertServes() throws IOException
    {
        final Map<String, Object> r = harness.announce(Announce.leecher(Announce.hash("probe"), Announce.peerId(1), 6881));
        assertFalse(r.containsKey("failure reason"), () -> "valid client refused: " + r);
    }

    private void assertFdsBackTo(final int baseline)
    {
        assertTrue(await(5000, () -> openFds() <= baseline + 2), () -> "fds " + openFds() + " > baseline " + baseline);
        assertTrue(await(5000, () -> counter(harness.tracker(), "http_connections_open") == 0),
            "every connection closed on the tracker's side");
    }

    /** True if the server closed the socket (EOF or reset) within the socket's read timeout. */
    private static boolean closedByServer(final Socket s) throws IOException
    {
        try
        {
            final InputStream in = s.getInputStream();
            final byte[] sink = new byte[8192];
            while (true)
            {
                if (in.read(sink) < 0)
                {
                    return true;
                }
            }
        }
        catch (final SocketTimeoutException ex)
        {
            return false;
        }
        catch (final SocketException ex)
        {
            return true;
        }
    }

    @Test
    void slowLorisConnectionsAreClosedAfterRequestTimeoutWhileOthersAreServed() throws Exception
    {
        harness = new TrackerHarness(dir).set("http", "request_timeout_ms", "400").start();
        final int baseline = openFds();
        final byte[] head = RawHttpClient.get("/announce?info_hash=aaaaaaaaaaaaaaaaaaaa").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 40; i++)
        {
            open("127.0.0.1").getOutputStream().write(head, 0, 3);
        }
        // Trickle one byte per connection every 100 ms: each stays active, none completes its request.
        for (int step = 0; step < 8; step++)
        {
            for (final Socket s : sockets)
            {
                try
                {
                    s.getOutputStream().write(head[3 + step]);
                }
                catch (final IOException closed)
                {
                    // the tracker already gave up on it: what we want
                }
            }
            if (step == 2)
            {
                assertServes();
            }
            Thread.sleep(100);
        }
        for (final Socket s : sockets)
        {
            assertTrue(closedByServer(s), "a trickling connection was closed");
        }
        assertTrue(counter(harness.tracker(), "http_connections_timed_out") >= 40);
        assertServes();
        closeAll();
        assertFdsBackTo(baseline);
    }

    @Test
    void idleConnectionsPastTheLimitAreRefusedAndTheRestTimeOut() throws Exception
    {
        harness = new TrackerHarness(dir).set("http", "max_connections", "100").set("http", "idle_timeout_ms", "500")
            .start();
        final int baseline = openFds();
        for (int i = 0; i < 150; i++)
        {
            open("127.0.0.1");
        }
        assertTrue(await(5000, () -> counter(harness.tracker(), "http_connections_rejected") >= 50),
            () -> "rejected " + counter(harness.tracker(), "http_connections_rejected"));
        assertTrue(counter(harness.tracker(), "http_connections_open") <= 100);
        assertTrue(await(5000, () -> counter(harness.tracker(), "http_connections_timed_out") >= 100),
            "idle connections closed after idle_timeout_ms");
        assertServes();
        closeAll();
        assertFdsBackTo(baseline);
    }

    @Test
    void connectionStormAndPerAddressLimit() throws Exception
    {
        harness = new TrackerHarness(dir).set("http", "max_connections_per_ip", "20").start();
        final int baseline = openFds();
        // A storm of short connections: open, send half a request or nothing, close; bounded at 1500.
        for (int i = 0; i < 1500; i++)
        {
            try (Socket s = new Socket("127.0.0.1", harness.port()))
            {
                if (i % 3 == 0)
                {
                    s.getOutputStream().write("GET /annou".getBytes(StandardCharsets.US_ASCII));
                }
            }
        }
        // Until the tracker has taken every storm socket off the listen queue (deferred accept hands a socket over
        // only with its first bytes or FIN) and seen its FIN, the storm still counts against 127.0.0.1.
        assertTrue(await(5000, () -> counter(harness.tracker(), "http_connections_accepted")
            + counter(harness.tracker(), "http_connections_rejected")
            + counter(harness.tracker(), "http_connections_rejected_per_ip") >= 1500
            && counter(harness.tracker(), "http_connections_open") == 0));
        assertServes();
        // One address holds 20; its 21st..30th are closed at once; another address is unaffected.
        assertTrue(await(5000, () -> counter(harness.tracker(), "http_connections_open") == 0));
        final long rejectedBefore = counter(harness.tracker(), "http_connections_rejected_per_ip");
        for (int i = 0; i < 30; i++)
        {
            open("127.0.0.1");
        }
        assertTrue(await(5000, () -> counter(harness.tracker(), "http_connections_rejected_per_ip") - rejectedBefore == 10),
            () -> "rejected per ip " + (counter(harness.tracker(), "http_connections_rejected_per_ip") - rejectedBefore));
        try (RawHttpClient other = new RawHttpClient(harness.port(), "127.0.0.2"))
        {
            assertEquals(200, other.exchange(Announce.scrapeTarget(Announce.hash("x"))).status);
        }
        closeAll();
        assertTrue(await(5000, () -> counter(harness.tracker(), "http_connections_open") == 0));
        assertServes(); // the address's budget came back
        assertFdsBackTo(baseline);
    }

    @Test
    void clientThatNeverReadsIsClosedAfterRequestTimeout() throws Exception
    {
        harness = new TrackerHarness(dir).set("http", "request_timeout_ms", "500").start();
        final byte[] hash = Announce.hash("big");
        try (RawHttpClient populate = harness.connect())
        {
            for (int i = 0; i < 200; i++)
            {
                assertEquals(200, populate.exchange(Announce.leecher(hash, Announce.peerId(i), 10_000 + i).target()).status);
            }
        }
        final int baseline = openFds();
        final String target = Announce.leecher(hash, Announce.peerId(999), 9999).compact(false).numWant(200).target();
        final Socket s = new Socket();
        sockets.add(s);
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", harness.port()), 5000);
        final OutputStream out = s.getOutputStream();
        final byte[] request = RawHttpClient.get(target).getBytes(StandardCharsets.ISO_8859_1);
        // 1000 pipelined answers of ~12 KB each: far more than the socket buffers hold (4 MiB at most for the
        // tracker's send buffer here). Never read them. Written from a daemon thread: once the tracker stops
        // reading, the write blocks until the socket is closed.
        final byte[] burst = new byte[request.length * 1000];
        for (int i = 0; i < 1000; i++)
        {
            System.arraycopy(request, 0, burst, i * request.length, request.length);
        }
        final Thread writer = new Thread(() ->
        {
            try
            {
                out.write(burst);
            }
            catch (final IOException expected)
            {
                // closed by the tracker or by the test
            }
        }, "never-reading-client");
        writer.setDaemon(true);
        writer.start();
        assertTrue(await(15_000, () -> counter(harness.tracker(), "http_connections_timed_out") >= 1),
            "the stalled writer is closed after request_timeout_ms");
        assertServes();
        closeAll();
        assertFdsBackTo(baseline);
    }

    /**
     * A pipelining client whose earlier answers are still queued in the tracker's socket when a bad request ends
     * the connection: with unread input left, a plain close sends RST and the kernel drops the queued answers.
     */
    @Test
    void queuedAnswersSurviveTheErrorThatEndsAPipelinedConnection() throws Exception
    {
        harness = new TrackerHarness(dir).set("http", "request_timeout_ms", "5000").start();
        final byte[] hash = Announce.hash("pipelined-big");
        try (RawHttpClient populate = harness.connect())
        {
            for (int i = 0; i < 200; i++)
            {
                assertEquals(200, populate.exchange(Announce.leecher(hash, Announce.peerId(i), 10_000 + i).target()).status);
            }
        }
        final String good = RawHttpClient.get(
            Announce.leecher(hash, Announce.peerId(999), 9999).compact(false).numWant(200).target());
        final StringBuilder burst = new StringBuilder();
        for (int i = 0; i < 20; i++)
        {
            burst.append(good);
        }
        burst.append("BROKEN / HTTP/1.1\r\n\r\n").append("x".repeat(32 * 1024));
        for (int round = 0; round < 3; round++)
        {
            final Socket s = new Socket();
            sockets.add(s);
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", harness.port()), 5000);
            s.setSoTimeout(10_000);
            final byte[] bytes = burst.toString().getBytes(StandardCharsets.ISO_8859_1);
            final Thread writer = new Thread(() ->
            {
                try
                {
                    s.getOutputStream().write(bytes);
                }
                catch (final IOException ignored)
                {
                    // the tracker closed: the reader below judges
                }
            });
            writer.setDaemon(true);
            writer.start();
            Thread.sleep(300);
            final InputStream in = s.getInputStream();
            final ByteArrayOutputStream got = new ByteArrayOutputStream();
            final byte[] buffer = new byte[4096];
            try
            {
                int n;
                while ((n = in.read(buffer)) > 0)
                {
                    got.write(buffer, 0, n);
                }
            }
            catch (final SocketException reset)
            {
                // judged below by what arrived
            }
            final String text = got.toString(StandardCharsets.ISO_8859_1);
            int ok = 0;
            for (int from = 0; (from = text.indexOf("HTTP/1.1 200", from)) >= 0; from++)
            {
                ok++;
            }
            assertEquals(20, ok, "every pipelined answer arrived (got " + got.size() + " bytes)");
            assertTrue(text.matches("(?s).*HTTP/1.1 4[0-9][0-9] .*"), "and the error answer after them");
            s.close();
        }
        assertServes();
    }

    /** An oversized request with much more behind it gets its 431 intact, then the close; many times over. */
    @Test
    void errorAnswerSurvivesUnreadInput() throws Exception
    {
        harness = new TrackerHarness(dir).set("http", "max_request_bytes", "1024").start();
        final int baseline = openFds();
        final byte[] junk = new byte[48 * 1024];
        Arrays.fill(junk, (byte)'a');
        System.arraycopy("GET /announce?".getBytes(StandardCharsets.US_ASCII), 0, junk, 0, 14);
        for (int i = 0; i < 20; i++)
        {
            try (RawHttpClient client = new RawHttpClient(harness.port()))
            {
                client.send(junk);
                final RawHttpClient.Response r = client.readResponse();
                assertEquals(431, r.status, r::toString);
                assertTrue(client.awaitCloseAfterAnyResponse(5000));
            }
        }
        assertServes();
        assertFdsBackTo(baseline);
    }
}
