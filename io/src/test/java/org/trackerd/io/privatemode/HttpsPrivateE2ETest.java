package org.trackerd.io.privatemode;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.tls.TestCa;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Private mode over HTTPS, where passkeys belong: a passkey announce and its refusal, and site control, on the TLS
 * listener against a real MariaDB, the announce's upload landing in users_main as over plain HTTP.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HttpsPrivateE2ETest
{
    static final String ALICE = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String SECRET = "site-secret-0123456789";
    static final byte[] NORMAL = Announce.hash("https-normal");

    @RegisterExtension
    static final PrivateModeFixture FIXTURE = new PrivateModeFixture();

    @TempDir
    Path directory;

    @Test
    void passkeyAnnounceAndSiteControlOverHttps() throws Exception
    {
        Assumptions.assumeTrue(TestCa.available(), "openssl not installed");
        try (Connection c = FIXTURE.db().connect())
        {
            MariaDbServer.insertUser(c, 1, "alice", "1", 1, ALICE);
            MariaDbServer.insertTorrent(c, 10, NORMAL, "0");
        }
        final TestCa ca = TestCa.create(directory.resolve("ca"));
        final TestCa.Pair pair = ca.server("server", TestCa.KeyKind.EC_TRADITIONAL, 30);
        try (TrackerHarness harness = FIXTURE.harness(directory)
            .set("tls", "listen", "[\"127.0.0.1:0\"]")
            .set("tls", "certificate_chain_file", "\"" + pair.chain() + "\"")
            .set("tls", "private_key_file", "\"" + pair.key() + "\"")
            .set("private", "connect_timeout_ms", "500")
            .set("private", "site_secret", "\"" + SECRET + "\"")
            .set("private", "journal_path", "\"" + directory.resolve("journal.bin") + "\"")
            .start())
        {
            final SSLContext client = ca.clientContext();
            final int port = harness.tracker().tlsAddresses().get(0).getPort();
            try (SSLSocket socket = (SSLSocket)client.getSocketFactory().createSocket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                socket.startHandshake();
                final RawHttpClient https = new RawHttpClient(socket);
                final String base = "/" + ALICE + "/announce?info_hash=" + Announce.encode(NORMAL) + "&peer_id=" +
                    Announce.encode(Announce.peerId(1)) + "&port=6001&downloaded=0&left=100";
                final Map<String, Object> started = https.exchange(base + "&uploaded=0&event=started").bencoded();
                assertTrue(started.containsKey("interval"), started.toString());
                final Map<String, Object> later = https.exchange(base + "&uploaded=12345").bencoded();
                assertTrue(later.containsKey("interval"), later.toString());
                final Map<String, Object> refused = https.exchange("/" + "x".repeat(32) + "/announce?info_hash=" +
                    Announce.encode(NORMAL) + "&peer_id=" + Announce.encode(Announce.peerId(2)) +
                    "&port=6002&uploaded=0&downloaded=0&left=100").bencoded();
                assertEquals("passkey not found", new String((byte[])refused.get("failure reason"),
                    StandardCharsets.ISO_8859_1));
                final RawHttpClient.Response control = https.exchange("/" + SECRET + "/update?action=add_whitelist&" +
                    "peer_id=-E2E");
                assertEquals("success", new String(control.body, StandardCharsets.US_ASCII));
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            long uploaded = -1;
            while (System.nanoTime() < deadline && uploaded != 12345)
            {
                try (Connection c = FIXTURE.db().connect(); Statement s = c.createStatement();
                     ResultSet r = s.executeQuery("SELECT Uploaded FROM users_main WHERE ID = 1"))
                {
                    uploaded = r.next() ? r.getLong(1) : -1;
                }
                Thread.sleep(50);
            }
            assertEquals(12345, uploaded, "the HTTPS announce's upload did not reach users_main");
        }
    }
}
