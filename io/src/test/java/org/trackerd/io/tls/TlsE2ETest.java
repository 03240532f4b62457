package org.trackerd.io.tls;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;

import javax.net.ssl.SSLContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTPS on the tracker: the same routes, keep-alive and pipelining as plain HTTP, over TLS listeners on 127.0.0.1
 * and ::1 beside a plain listener, with a certificate made at test time (RSA and ECDSA keys in PKCS#8 and the
 * traditional forms) and trusted by the test's clients only.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsE2ETest
{
    @TempDir
    Path dir;
    private TestCa ca;
    private TrackerHarness harness;

    @BeforeEach
    void makeCa() throws Exception
    {
        Assumptions.assumeTrue(TestCa.available(), "openssl not installed");
        ca = TestCa.create(dir.resolve("ca"));
    }

    @AfterEach
    void stop()
    {
        if (harness != null)
        {
            harness.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestCa.KeyKind.class)
    void everyKeyKindAndFormServesAnnounceOverTls(final TestCa.KeyKind kind) throws Exception
    {
        final TestCa.Pair pair = ca.server("server", kind, 30);
        harness = TlsSupport.harness(dir.resolve("t"), pair).start();
        final SSLContext client = ca.clientContext();
        try (RawHttpClient c = TlsSupport.connect(client, "127.0.0.1", TlsSupport.tlsPort(harness.tracker(), 0)))
        {
            final RawHttpClient.Response r = c.exchange(Announce.seeder(hash(1), peer(1), 6881).target());
            assertEquals(200, r.status, r.toString());
            assertTrue(r.bencoded().containsKey("interval"), r.toString());
        }
        assertEquals(1, TlsSupport.counter(harness.tracker(), "tls_handshakes"));
    }

    @Test
    void keepAlivePipeliningAndPlainHttpSideBySide() throws Exception
    {
        harness = TlsSupport.harness(dir.resolve("t"), ca.server("server", TestCa.KeyKind.EC_TRADITIONAL, 30)).start();
        final SSLContext client = ca.clientContext();
        final byte[] h = hash(2);
        try (RawHttpClient c = TlsSupport.connect(client, "127.0.0.1", TlsSupport.tlsPort(harness.tracker(), 0)))
        {
            // keep-alive: several exchanges on one connection
            for (int i = 0; i < 5; i++)
            {
                final RawHttpClient.Response r = c.exchange(Announce.leecher(h, peer(10 + i), 7000 + i).target());
                assertEquals(200, r.status, r.toString());
            }
            // pipelining: three requests in one write (one TLS record), three answers in order
            final String pipelined = RawHttpClient.get(Announce.seeder(h, peer(20), 7020).target()) +
                RawHttpClient.get(Announce.scrapeTarget(h)) +
                RawHttpClient.get("/nope");
            c.send(pipelined);
            assertTrue(c.readResponse().bencoded().containsKey("interval"));
            final Map<String, Object> scrape = c.readResponse().bencoded();
            assertTrue(scrape.containsKey("files"), scrape.toString());
            assertEquals(404, c.readResponse().status);
        }
        // the handshake's cryptography ran on the handshake worker, not on the frontend thread
        assertTrue(Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.getName().startsWith("trackerd-tls-handshake-")), "no handshake worker ran");
        // the swarm is one: plain HTTP sees what HTTPS announced
        final Map<String, Object> entry = harness.scrape(h);
        assertEquals(1L, entry.get("complete"));
        assertEquals(5L, entry.get("incomplete"));
        // and ::1 serves too
        try (RawHttpClient c = TlsSupport.connect(client, "::1", TlsSupport.tlsPort(harness.tracker(), 1)))
        {
            assertEquals(200, c.exchange(Announce.scrapeTarget(h)).status);
        }
    }

    @Test
    void curlAnnouncesOverIpv4AndIpv6WithTheTestCa() throws Exception
    {
        Assumptions.assumeTrue(new java.io.File("/usr/bin/curl").canExecute(), "curl not installed");
        // handshakes on the frontend thread here (no worker); every other test runs them on the worker
        harness = TlsSupport.harness(dir.resolve("t"), ca.server("server", TestCa.KeyKind.RSA_PKCS8, 30))
            .set("tls", "handshake_threads", "0").start();
        final byte[] h = hash(3);
        final String v4 = "https://127.0.0.1:" + TlsSupport.tlsPort(harness.tracker(), 0);
        final String v6 = "https://[::1]:" + TlsSupport.tlsPort(harness.tracker(), 1);
        for (final String base : List.of(v4, v6))
        {
            final TlsSupport.Result r = TlsSupport.run(new byte[0], 30_000, "/usr/bin/curl", "-sS", "--fail",
                "--cacert", ca.caCertificate.toString(), base + Announce.seeder(h, peer(base.length()), 6881).target(),
                base + Announce.scrapeTarget(h));
            assertEquals(0, r.exit(), r.output());
            assertTrue(r.output().contains("8:intervali"), r.output());
            assertTrue(r.output().contains("5:filesd20:"), r.output());
        }
        assertEquals(2L, harness.scrape(h).get("complete"));
        // TLS 1.2 (ECDHE with an RSA key) is served; TLS 1.1 is not
        final TlsSupport.Result tls12 = TlsSupport.run(new byte[0], 30_000, "/usr/bin/curl", "-sS", "--fail",
            "--tlsv1.2", "--tls-max", "1.2", "-w", " %{ssl_verify_result}", "--cacert", ca.caCertificate.toString(),
            v4 + Announce.scrapeTarget(h));
        assertEquals(0, tls12.exit(), tls12.output());
        assertTrue(tls12.output().contains("5:filesd20:"), tls12.output());
        final TlsSupport.Result tls11 = TlsSupport.run(new byte[0], 30_000, "/usr/bin/curl", "-sS", "--fail",
            "--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT:@SECLEVEL=0", "--cacert",
            ca.caCertificate.toString(), v4 + Announce.scrapeTarget(h));
        assertTrue(tls11.exit() != 0, tls11.output());
        // curl refuses the same tracker without the test CA: the certificate really is checked
        final TlsSupport.Result untrusted = TlsSupport.run(new byte[0], 30_000, "/usr/bin/curl", "-sS", "--fail",
            v4 + Announce.scrapeTarget(h));
        assertTrue(untrusted.exit() != 0, untrusted.output());
    }

    @Test
    void twoHttpThreadsShareTheTlsPort() throws Exception
    {
        harness = TlsSupport.harness(dir.resolve("t"), ca.server("server", TestCa.KeyKind.EC_TRADITIONAL, 30))
            .set("http", "threads", "2").start();
        final SSLContext client = ca.clientContext();
        for (int i = 0; i < 12; i++)
        {
            try (RawHttpClient c = TlsSupport.connect(client, "127.0.0.1", TlsSupport.tlsPort(harness.tracker(), 0)))
            {
                assertEquals(200, c.exchange(Announce.seeder(hash(6), peer(i), 7000 + i).target()).status);
            }
        }
        assertEquals(12L, harness.scrape(hash(6)).get("complete"));
        assertEquals(12, TlsSupport.counter(harness.tracker(), "tls_handshakes") +
            TlsSupport.counter(harness.tracker(), "tls_handshakes_resumed"));
    }

    @Test
    void theProxyHeaderIsReadOverTlsAsOverPlainHttp() throws Exception
    {
        harness = TlsSupport.harness(dir.resolve("t"), ca.server("server", TestCa.KeyKind.EC_PKCS8, 30))
            .set("http", "proxy", "{\"header\": \"X-Forwarded-For\", \"trusted\": [\"127.0.0.0/8\"]}").start();
        final byte[] h = hash(4);
        try (RawHttpClient c = TlsSupport.connect(ca.clientContext(), "127.0.0.1", TlsSupport.tlsPort(harness.tracker(), 0)))
        {
            c.send("GET " + Announce.seeder(h, peer(1), 6881).target() + " HTTP/1.1\r\nHost: x\r\n" +
                "X-Forwarded-For: 203.0.113.7\r\n\r\n");
            assertEquals(200, c.readResponse().status);
            final Map<String, Object> answer = c.exchange(Announce.leecher(h, peer(2), 6882).target()).bencoded();
            final byte[] peers = (byte[])answer.get("peers");
            assertEquals(6, peers.length, answer.toString());
            assertEquals("203.0.113.7:6881", (peers[0] & 0xff) + "." + (peers[1] & 0xff) + "." + (peers[2] & 0xff) +
                "." + (peers[3] & 0xff) + ":" + (((peers[4] & 0xff) << 8) | (peers[5] & 0xff)));
        }
    }

    @Test
    void aPairThatDoesNotMatchStopsStartUpWithTheReason() throws Exception
    {
        final TestCa.Pair one = ca.server("one", TestCa.KeyKind.EC_PKCS8, 30);
        final TestCa.Pair two = ca.server("two", TestCa.KeyKind.EC_PKCS8, 30);
        final TrackerHarness bad = TlsSupport.harness(dir.resolve("t"), new TestCa.Pair(one.chain(), two.key(), ""));
        final org.trackerd.engine.config.ConfigException e =
            org.junit.jupiter.api.Assertions.assertThrows(org.trackerd.engine.config.ConfigException.class, bad::start);
        assertTrue(e.getMessage().contains("does not belong to the first certificate"), e.getMessage());
        bad.close();
    }

    static byte[] hash(final int n)
    {
        final byte[] b = new byte[20];
        b[0] = (byte)n;
        b[19] = 0x5a;
        return b;
    }

    static byte[] peer(final int n)
    {
        final byte[] b = "-TL0001-000000000000".getBytes(StandardCharsets.US_ASCII);
        b[19] = (byte)('a' + n % 26);
        b[18] = (byte)('a' + n / 26 % 26);
        return b;
    }
}
