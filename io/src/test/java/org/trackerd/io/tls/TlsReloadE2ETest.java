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
import org.trackerd.io.e2e.TrackerProcess;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Live certificate reload: a renewed pair written over the files (as an ACME client does) is served to new
 * handshakes while connections opened before keep working; a broken pair keeps the old one; SIGHUP reloads in the
 * real launcher; a certificate near its end shows in /check and in the expiry gauge.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsReloadE2ETest
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

    /** The files the tracker is configured with; pairs are copied over them. */
    private TestCa.Pair live(final TestCa.Pair first) throws Exception
    {
        final Path chain = dir.resolve("live-chain.pem");
        final Path key = dir.resolve("live-key.pem");
        Files.copy(first.chain(), chain);
        Files.copy(first.key(), key);
        return new TestCa.Pair(chain, key, first.serialHex());
    }

    private static void install(final TestCa.Pair from, final TestCa.Pair live) throws Exception
    {
        // Write aside, then rename over: what certbot's symlink switch and acme.sh's copy look like to a reader.
        final Path tmpChain = live.chain().resolveSibling("chain.tmp");
        final Path tmpKey = live.key().resolveSibling("key.tmp");
        Files.copy(from.chain(), tmpChain, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(from.key(), tmpKey, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmpKey, live.key(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmpChain, live.chain(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String servedSerial(final SSLContext client, final int port) throws Exception
    {
        try (SSLSocket socket = (SSLSocket)client.getSocketFactory().createSocket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return ((X509Certificate)socket.getSession().getPeerCertificates()[0]).getSerialNumber().toString(16);
        }
    }

    @Test
    void aRenewedPairIsServedToNewHandshakesAndOpenConnectionsStay() throws Exception
    {
        final TestCa.Pair first = ca.server("first", TestCa.KeyKind.EC_TRADITIONAL, 30);
        final TestCa.Pair second = ca.server("second", TestCa.KeyKind.RSA_TRADITIONAL, 30);
        final TestCa.Pair live = live(first);
        harness = TlsSupport.harness(dir.resolve("t"), live).set("tls", "reload_check_seconds", "1").start();
        final int port = TlsSupport.tlsPort(harness.tracker(), 0);
        final SSLContext client = ca.clientContext();
        assertEquals(first.serialHex(), servedSerial(client, port));
        try (RawHttpClient open = TlsSupport.connect(client, "127.0.0.1", port))
        {
            assertEquals(200, open.exchange(Announce.scrapeTarget(TlsE2ETest.hash(1))).status);
            install(second, live);
            assertTrue(TlsSupport.await(10_000, () -> TlsSupport.counter(harness.tracker(), "tls_reloads") == 1),
                "the file change was not picked up");
            assertEquals(second.serialHex(), servedSerial(client, port));
            // the connection from before the reload was not dropped and still answers
            assertEquals(200, open.exchange(Announce.scrapeTarget(TlsE2ETest.hash(1))).status);
        }
        assertEquals(0, TlsSupport.counter(harness.tracker(), "tls_reload_failures"));
    }

    @Test
    void aBrokenPairKeepsTheOldOneInForce() throws Exception
    {
        final TestCa.Pair first = ca.server("first", TestCa.KeyKind.EC_PKCS8, 30);
        final TestCa.Pair other = ca.server("other", TestCa.KeyKind.EC_PKCS8, 30);
        final TestCa.Pair live = live(first);
        harness = TlsSupport.harness(dir.resolve("t"), live).set("tls", "reload_check_seconds", "0").start();
        final int port = TlsSupport.tlsPort(harness.tracker(), 0);
        final SSLContext client = ca.clientContext();
        // a key that belongs to another certificate (a renewal caught half-way)
        Files.copy(other.key(), live.key(), StandardCopyOption.REPLACE_EXISTING);
        assertFalse(harness.tracker().reloadTls());
        assertEquals(first.serialHex(), servedSerial(client, port));
        // a truncated certificate file
        Files.copy(first.key(), live.key(), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(live.chain(), "-----BEGIN CERTIFICATE-----\nMIIB\n");
        assertFalse(harness.tracker().reloadTls());
        assertEquals(first.serialHex(), servedSerial(client, port));
        assertEquals(2, TlsSupport.counter(harness.tracker(), "tls_reload_failures"));
        assertEquals(0, TlsSupport.counter(harness.tracker(), "tls_reloads"));
        // the repaired pair goes in
        install(other, live);
        assertTrue(harness.tracker().reloadTls());
        assertEquals(other.serialHex(), servedSerial(client, port));
    }

    @Test
    void sighupReloadsInTheLauncher() throws Exception
    {
        // A build started under nohup ignores SIGHUP, the child inherits that, and the JVM then never hands it to
        // the launcher's handler: nothing of the tracker's to test there.
        Assumptions.assumeFalse(sighupIgnored(), "SIGHUP is ignored by this process (nohup?), so by the child too");
        final TestCa.Pair first = ca.server("first", TestCa.KeyKind.EC_TRADITIONAL, 30);
        final TestCa.Pair second = ca.server("second", TestCa.KeyKind.EC_TRADITIONAL, 30);
        final TestCa.Pair live = live(first);
        final TrackerHarness config = TlsSupport.harness(dir.resolve("p"), live)
            .set("tls", "listen", "[\"127.0.0.1:0\"]").set("tls", "reload_check_seconds", "0");
        try (TrackerProcess child = TrackerProcess.start(config.writeConfig(), dir))
        {
            child.awaitReady(60, TimeUnit.SECONDS);
            final Matcher m = Pattern.compile("https=\\[127\\.0\\.0\\.1:(\\d+)").matcher(child.log());
            assertTrue(m.find(), child.log());
            final int port = Integer.parseInt(m.group(1));
            final SSLContext client = ca.clientContext();
            assertEquals(first.serialHex(), servedSerial(client, port));
            install(second, live);
            final Process hup = new ProcessBuilder("kill", "-HUP", String.valueOf(child.pid())).start();
            assertEquals(0, hup.waitFor());
            assertTrue(TlsSupport.await(20_000, () -> child.log().contains("tls reload: now serving")), child.log());
            assertEquals(second.serialHex(), servedSerial(client, port));
            assertEquals(0, child.terminate(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aCertificateNearItsEndShowsInCheckAndTheGauge() throws Exception
    {
        final TestCa.Pair pair = ca.server("short", TestCa.KeyKind.EC_PKCS8, 3);
        harness = TlsSupport.harness(dir.resolve("t"), pair).set("tls", "expiry_warning_days", "14")
            .set("metrics", "listen", "\"127.0.0.1:0\"").start();
        final HttpClient http = HttpClient.newHttpClient();
        final String base = "http://127.0.0.1:" + harness.tracker().metricsAddress().getPort();
        final HttpResponse<String> check = http.send(HttpRequest.newBuilder(URI.create(base + "/check")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, check.statusCode());
        assertTrue(check.body().startsWith("ok\nwarning: tls certificate expires in 3.0 days"), check.body());
        final String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        final Matcher m = Pattern.compile("(?m)^trackerd_tls_certificate_expiry_seconds (\\S+)$").matcher(metrics);
        assertTrue(m.find(), metrics);
        final double seconds = Double.parseDouble(m.group(1));
        assertTrue(seconds > 2.9 * 86_400 && seconds <= 3 * 86_400, "expiry gauge " + seconds);
    }

    @Test
    void aCertificateFarFromItsEndLeavesCheckPlain() throws Exception
    {
        harness = TlsSupport.harness(dir.resolve("t"), ca.server("long", TestCa.KeyKind.EC_PKCS8, 30))
            .set("metrics", "listen", "\"127.0.0.1:0\"").start();
        final HttpResponse<String> check = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + harness.tracker().metricsAddress().getPort() + "/check")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals("ok\n", check.body());
    }

    /** True when this process ignores SIGHUP (bit 0 of SigIgn in /proc/self/status), as under nohup. */
    private static boolean sighupIgnored() throws java.io.IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("SigIgn:"))
            {
                return (Long.parseLong(line.substring(7).trim(), 16) & 1) != 0;
            }
        }
        return false;
    }
}
