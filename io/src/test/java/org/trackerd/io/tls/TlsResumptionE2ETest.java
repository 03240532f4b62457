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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Session resumption: a client that reconnects for every announce resumes its session (a TLS 1.3 ticket, or a
 * TLS 1.2 session id) instead of paying a full handshake; openssl's {@code -sess_out}/{@code -sess_in} and the
 * JDK's client both resume, and the tracker counts full and resumed handshakes apart.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsResumptionE2ETest
{
    @TempDir
    Path dir;
    private TestCa ca;
    private TrackerHarness harness;
    private int port;

    @BeforeEach
    void start() throws Exception
    {
        Assumptions.assumeTrue(TestCa.available(), "openssl not installed");
        ca = TestCa.create(dir.resolve("ca"));
        harness = TlsSupport.harness(dir.resolve("t"), ca.server("server", TestCa.KeyKind.EC_PKCS8, 30)).start();
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

    @Test
    void opensslResumesWithATls13Ticket() throws Exception
    {
        final Path session = dir.resolve("session.pem");
        final byte[] request = ("GET " + Announce.scrapeTarget(TlsE2ETest.hash(5)) +
            " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        final TlsSupport.Result first = TlsSupport.run(request, 20_000, "/usr/bin/openssl", "s_client", "-connect",
            "127.0.0.1:" + port, "-CAfile", ca.caCertificate.toString(), "-tls1_3", "-ign_eof",
            "-sess_out", session.toString());
        assertTrue(first.output().contains("New, TLSv1.3"), first.output());
        assertTrue(first.output().contains("d5:filesd20:"), first.output());
        final TlsSupport.Result second = TlsSupport.run(request, 20_000, "/usr/bin/openssl", "s_client", "-connect",
            "127.0.0.1:" + port, "-CAfile", ca.caCertificate.toString(), "-tls1_3", "-ign_eof",
            "-sess_in", session.toString());
        assertTrue(second.output().contains("Reused, TLSv1.3"), second.output());
        assertTrue(second.output().contains("d5:filesd20:"), second.output());
        assertEquals(1, TlsSupport.counter(harness.tracker(), "tls_handshakes"));
        assertEquals(1, TlsSupport.counter(harness.tracker(), "tls_handshakes_resumed"));
    }

    @Test
    void theJdkClientResumesOnEveryReconnect() throws Exception
    {
        final SSLContext client = ca.clientContext();
        for (int i = 0; i < 5; i++)
        {
            try (RawHttpClient c = TlsSupport.connect(client, "127.0.0.1", port))
            {
                assertEquals(200, c.exchange(Announce.scrapeTarget(TlsE2ETest.hash(5))).status);
            }
        }
        assertEquals(1, TlsSupport.counter(harness.tracker(), "tls_handshakes"));
        assertEquals(4, TlsSupport.counter(harness.tracker(), "tls_handshakes_resumed"));
    }
}
