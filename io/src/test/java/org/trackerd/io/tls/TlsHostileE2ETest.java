package org.trackerd.io.tls;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input on the TLS port: each is closed promptly and counted, and the tracker goes on serving (no
 * connection is left open behind it).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsHostileE2ETest
{
    @TempDir
    Path dir;
    private TestCa ca;
    private TrackerHarness harness;
    private SSLContext client;
    private int port;

    @BeforeEach
    void start() throws Exception
    {
        Assumptions.assumeTrue(TestCa.available(), "openssl not installed");
        ca = TestCa.create(dir.resolve("ca"));
        harness = TlsSupport.harness(dir.resolve("t"), ca.server("server", TestCa.KeyKind.EC_TRADITIONAL, 30))
            .set("tls", "handshake_timeout_ms", "1500")
            .set("tls", "max_handshakes_per_ip", "3")
            .start();
        client = ca.clientContext();
        port = TlsSupport.tlsPort(harness.tracker(), 0);
    }

    @AfterEach
    void stop()
    {
        if (harness != null)
        {
            harness.close();
        }
    }

    private long counter(final String name)
    {
        return TlsSupport.counter(harness.tracker(), name);
    }

    /** The tracker still serves HTTPS, and once the hostile connections are gone none is left open. */
    private void stillServesAndNothingStuck() throws Exception
    {
        try (RawHttpClient c = TlsSupport.connect(client, "127.0.0.1", port))
        {
            assertEquals(200, c.exchange(Announce.scrapeTarget(TlsE2ETest.hash(9))).status);
        }
        assertTrue(TlsSupport.await(10_000, () -> counter("http_connections_open") == 0),
            "connections left open: " + counter("http_connections_open"));
    }

    private static Socket raw(final String from, final int port) throws IOException
    {
        final Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Reads until the server closes (EOF or reset), bounded; true if it closed. */
    private static boolean closedByServer(final Socket s) throws IOException
    {
        try
        {
            final byte[] buf = new byte[4096];
            for (int i = 0; i < 100; i++)
            {
                if (s.getInputStream().read(buf) < 0)
                {
                    return true;
                }
            }
            return false;
        }
        catch (final java.net.SocketTimeoutException ex)
        {
            return false;
        }
        catch (final java.net.SocketException ex)
        {
            return true; // reset
        }
    }

    @Test
    void plainHttpOnTheTlsPortIsGarbage() throws Exception
    {
        try (Socket s = raw("127.0.0.1", port))
        {
            s.getOutputStream().write(RawHttpClient.get("/scrape").getBytes(StandardCharsets.US_ASCII));
            assertTrue(closedByServer(s));
        }
        assertEquals(1, counter("tls_garbage_records"));
        stillServesAndNothingStuck();
    }

    @Test
    void anOversizedRecordIsClosedBeforeItIsBuffered() throws Exception
    {
        try (Socket s = raw("127.0.0.1", port))
        {
            // a handshake record announcing 65535 bytes, far beyond 2^14 + 2048
            s.getOutputStream().write(new byte[] { 22, 3, 1, (byte)0xff, (byte)0xff, 1, 0, 0 });
            assertTrue(closedByServer(s));
        }
        assertEquals(1, counter("tls_oversized_records"));
        stillServesAndNothingStuck();
    }

    @Test
    void aStalledHandshakeTimesOutAndSoDoesASilentConnection() throws Exception
    {
        try (Socket partial = raw("127.0.0.1", port); Socket silent = raw("127.0.0.1", port))
        {
            // the start of a ClientHello record, and then nothing
            partial.getOutputStream().write(new byte[] { 22, 3, 1, 0, (byte)200, 1, 0 });
            final long t0 = System.nanoTime();
            assertTrue(closedByServer(partial), "a stalled handshake was not closed");
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            // the budget after accept is 1500 ms less the 1 s the kernel may hold a connection (defer accept)
            assertTrue(ms >= 400 && ms < 3000, "closed after " + ms + " ms");
            // a connection that never sends a byte is held by the kernel first, then times out the same way
            assertTrue(closedByServer(silent), "a silent connection was not closed");
        }
        assertTrue(counter("tls_handshake_timeouts") >= 1, "timeouts " + counter("tls_handshake_timeouts"));
        stillServesAndNothingStuck();
    }

    @Test
    void aHandshakeFloodFromOneAddressIsCappedAndOthersStillConnect() throws Exception
    {
        final List<Socket> flood = new ArrayList<>();
        try
        {
            for (int i = 0; i < 6; i++)
            {
                final Socket s = raw("127.0.0.2", port);
                s.getOutputStream().write(new byte[] { 22, 3, 1, 0, (byte)200 }); // so the kernel hands it over
                flood.add(s);
            }
            assertTrue(TlsSupport.await(10_000, () -> counter("tls_handshakes_rejected_per_ip") == 3),
                "rejected " + counter("tls_handshakes_rejected_per_ip"));
            // another address handshakes meanwhile
            try (RawHttpClient c = TlsSupport.connect(client, "127.0.0.1", port))
            {
                assertEquals(200, c.exchange(Announce.scrapeTarget(TlsE2ETest.hash(9))).status);
            }
        }
        finally
        {
            for (final Socket s : flood)
            {
                s.close();
            }
        }
        stillServesAndNothingStuck();
    }

    @Test
    void aTls12RenegotiationIsRefusedAndClosed() throws Exception
    {
        try (SSLSocket s = (SSLSocket)client.getSocketFactory().createSocket())
        {
            s.setEnabledProtocols(new String[] { "TLSv1.2" });
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(10_000);
            s.startHandshake();
            assertEquals("TLSv1.2", s.getSession().getProtocol());
            final RawHttpClient http = new RawHttpClient(s);
            assertEquals(200, http.exchange(Announce.scrapeTarget(TlsE2ETest.hash(9))).status);
            assertThrows(IOException.class, () ->
            {
                s.startHandshake(); // the client asks for a new handshake on the same connection
                http.exchange(Announce.scrapeTarget(TlsE2ETest.hash(9)));
            });
        }
        assertTrue(TlsSupport.await(10_000, () -> counter("tls_renegotiations_refused") == 1),
            "renegotiations refused: " + counter("tls_renegotiations_refused"));
        stillServesAndNothingStuck();
    }

    @Test
    void aClientWithoutAModernSuiteOrProtocolFailsTheHandshake() throws Exception
    {
        try (SSLSocket s = (SSLSocket)client.getSocketFactory().createSocket())
        {
            s.setEnabledProtocols(new String[] { "TLSv1.2" });
            s.setEnabledCipherSuites(new String[] { "TLS_RSA_WITH_AES_128_GCM_SHA256" }); // no forward secrecy
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(10_000);
            assertThrows(SSLException.class, s::startHandshake);
        }
        if (new java.io.File("/usr/bin/openssl").canExecute())
        {
            final TlsSupport.Result r = TlsSupport.run(new byte[0], 20_000, "/usr/bin/openssl", "s_client",
                "-connect", "127.0.0.1:" + port, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");
            assertTrue(r.exit() != 0, r.output());
        }
        assertTrue(TlsSupport.await(10_000, () -> counter("tls_handshake_failures") >= 1));
        stillServesAndNothingStuck();
    }
}
