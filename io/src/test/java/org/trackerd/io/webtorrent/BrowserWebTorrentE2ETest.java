package org.trackerd.io.webtorrent;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.Tracker;
import org.trackerd.io.e2e.TrackerHarness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.trackerd.io.webtorrent.WebTorrentE2ETest.counter;

/**
 * A real browser on the real tracker: headless Chromium (Debian's) opens two pages built on the {@code webtorrent}
 * browser bundle ({@code src/test/node/browser-e2e.mjs}); page A seeds a generated file, page B downloads it with
 * trackerd's ws:// endpoint as its only peer source (no DHT, no other tracker, no web seed, no STUN), over a real
 * WebRTC data channel, and the SHA-256 of what B holds must be the file's. Both orders: A announced first (B's
 * offers go to A), and B announced first (A's offers go to B); and over {@code wss://} through the TLS listener.
 *
 * <p>Chromium offers no loopback ICE candidates and none without a default route, so the browser runs in a network
 * namespace of its own ({@code unshare -n}; the script brings up loopback and a veth pair whose both ends stay
 * inside). trackerd stays in this JVM on loopback; the script listens inside the namespace and pipes each
 * connection to a unix socket, which this test relays to the tracker's port. Nothing leaves the namespace.
 *
 * <p>Needs chromium, {@code npm ci} in src/test/node and the right to make a network namespace with a veth pair
 * (root); skipped with the reason when any is missing, failed instead when {@code CI} is set.
 */
class BrowserWebTorrentE2ETest
{
    private static final Path FIXTURE = Path.of("src/test/node");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final long TIMEOUT_S = 120;

    @TempDir
    Path dir;
    private TrackerHarness harness;
    private ServerSocketChannel relay;
    private Process browser;

    @AfterEach
    void stop() throws IOException, InterruptedException
    {
        if (browser != null && browser.isAlive())
        {
            browser.destroy(); // SIGTERM: puppeteer closes Chromium on it; SIGKILL would leave Chromium behind
            if (!browser.waitFor(10, TimeUnit.SECONDS))
            {
                browser.destroyForcibly();
            }
        }
        if (relay != null)
        {
            relay.close();
        }
        if (harness != null)
        {
            harness.close();
        }
    }

    @Test
    void browserPageDownloadsFromBrowserPageFoundThroughTrackerd() throws Exception
    {
        runBrowsers(false);
    }

    /** The leecher is in the swarm before the seeder arrives: the seeder's offers must reach it. */
    @Test
    void leecherAnnouncedFirstIsFoundByTheSeeder() throws Exception
    {
        runBrowsers(true);
    }

    /**
     * Over {@code wss://}: the relay leads to the TLS listener, and this browser trusts the test certificate by its
     * key's SHA-256 ({@code --ignore-certificate-errors-spki-list}), nothing installed on the host.
     */
    @Test
    void browserPagesOverWss() throws Exception
    {
        Assumptions.assumeTrue(org.trackerd.io.tls.TestCa.available(), "openssl not installed");
        runBrowsers(false, true);
    }

    private void runBrowsers(final boolean leecherFirst) throws Exception
    {
        runBrowsers(leecherFirst, false);
    }

    private void runBrowsers(final boolean leecherFirst, final boolean wss) throws Exception
    {
        requireBrowserFixture();
        harness = new TrackerHarness(dir.resolve("tracker")).set("webtorrent", "enabled", "true");
        String spki = null;
        if (wss)
        {
            final org.trackerd.io.tls.TestCa ca = org.trackerd.io.tls.TestCa.create(dir.resolve("ca"));
            final org.trackerd.io.tls.TestCa.Pair pair = ca.server("server",
                org.trackerd.io.tls.TestCa.KeyKind.EC_PKCS8, 30);
            harness.set("tls", "listen", "[\"127.0.0.1:0\"]")
                .set("tls", "certificate_chain_file", "\"" + pair.chain() + "\"")
                .set("tls", "private_key_file", "\"" + pair.key() + "\"");
            spki = spkiSha256(pair.chain());
        }
        harness.start();
        final Path socket = dir.resolve("tracker.sock");
        relay = relayUnixToTracker(socket, wss ? harness.tracker().tlsAddresses().get(0).getPort() : harness.port());
        final Tracker tracker = harness.tracker();
        // Two Chromium pages in one namespace sometimes fail their ICE check: the pages say "Connection failed"
        // although trackerd relayed the offer and the answer (2 runs in 40 here, 2026-12-07, load average 6-13). One
        // suspect, the veth ends' IPv6 link-local addresses turning valid a second into the run (an address change
        // mid-negotiation), is gone: the script turns IPv6 off in the namespace; 1 run in 60 still failed after,
        // under a load average of 7-13, so the cause is not established (ICE checks starved of CPU is the other
        // suspect). That failure is WebRTC's, not the tracker's, so it gets one more attempt with a new torrent;
        // any other failure, or a second one, fails the test.
        for (int attempt = 0; ; attempt++)
        {
            final long offersBefore = counter(tracker, "webtorrent_offers_relayed");
            final long answersBefore = counter(tracker, "webtorrent_answers_relayed");
            final byte[] content = new byte[700_000]; // many 16 KiB blocks, a few pieces
            new Random(0x2121 + attempt).nextBytes(content);
            final Path file = Files.write(dir.resolve("data-" + attempt + ".bin"), content);
            final List<JsonNode> seen = new ArrayList<>();
            final JsonNode done = runScript(socket, file, leecherFirst, spki, seen);
            final boolean ok = done != null && done.get("done").asBoolean();
            final boolean trackerDidItsPart = counter(tracker, "webtorrent_offers_relayed") > offersBefore &&
                counter(tracker, "webtorrent_answers_relayed") > answersBefore;
            if (!ok && attempt == 0 && trackerDidItsPart && seen.toString().contains("Connection failed"))
            {
                System.err.println("browser attempt 1: WebRTC connection failed after trackerd relayed offer and " +
                    "answer; trying once more with a new torrent: " + seen);
                continue;
            }
            assertTrue(ok, "browser download incomplete: " + seen
                + "\noffers relayed " + counter(tracker, "webtorrent_offers_relayed") + ", answers relayed "
                + counter(tracker, "webtorrent_answers_relayed") + ", webtorrent peers "
                + counter(tracker, "webtorrent_peers"));
            assertEquals(0, browser.exitValue());
            final String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
            assertEquals(expected, done.get("sha256").asText(), "downloaded content differs");
            assertEquals(content.length, done.get("length").asInt());
            assertEquals(1, done.get("announce").size(), "only trackerd is a peer source: " + done);
            if (wss)
            {
                assertTrue(done.get("announce").get(0).asText().startsWith("wss://"), done.toString());
                assertTrue(counter(tracker, "tls_handshakes") + counter(tracker, "tls_handshakes_resumed") >= 2,
                    "both pages' sockets through TLS (full or resumed handshakes)");
            }
            assertEquals(0, done.get("webSeeds").asInt());
            assertTrue(done.get("peers").toString().contains("webrtc"), "peer came over WebRTC: " + done);

            // B found A only through trackerd: B's offer went to A, A's answer came back to B
            assertTrue(counter(tracker, "webtorrent_offers_relayed") > offersBefore, "offers relayed");
            assertTrue(counter(tracker, "webtorrent_answers_relayed") > answersBefore, "answers relayed");
            assertEquals(0, counter(tracker, "webtorrent_answers_unsolicited"));
            return;
        }
    }

    /** Runs the browser script once; returns its "done" line (null if it ended without one), every line in seen. */
    private JsonNode runScript(final Path socket, final Path file, final boolean leecherFirst, final String spki,
        final List<JsonNode> seen) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("unshare", "-n", "node", "browser-e2e.mjs", "--netns",
            "--tracker-unix", socket.toString(), "--file", file.toString(), "--timeout-ms", "90000"));
        if (leecherFirst)
        {
            command.add("--leecher-first");
        }
        if (spki != null)
        {
            command.add("--spki");
            command.add(spki);
        }
        browser = new ProcessBuilder(command)
            .directory(FIXTURE.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // the script bounds itself (--timeout-ms); this bounds the read below should the script hang anyway
        final Process started = browser;
        final CompletableFuture<Void> watchdog = CompletableFuture.runAsync(started::destroy,
            CompletableFuture.delayedExecutor(TIMEOUT_S, TimeUnit.SECONDS));
        JsonNode done = null;
        try (BufferedReader out = new BufferedReader(
            new InputStreamReader(browser.getInputStream(), StandardCharsets.UTF_8)))
        {
            // the script always ends with a "done" line; EOF ends the loop too
            for (String line; (line = out.readLine()) != null; )
            {
                final JsonNode node = WebTorrentCodecTest.MAPPER.readTree(line);
                seen.add(node);
                if (node.has("done"))
                {
                    done = node;
                }
            }
        }
        finally
        {
            watchdog.cancel(false);
            if (!browser.waitFor(TIMEOUT_S, TimeUnit.SECONDS))
            {
                fail("browser script did not exit: " + seen); // stop() ends it
            }
        }
        return done;
    }

    /** Base64 of the SHA-256 of the first certificate's SubjectPublicKeyInfo: what Chromium's SPKI list takes. */
    private static String spkiSha256(final Path chain) throws Exception
    {
        try (java.io.InputStream in = Files.newInputStream(chain))
        {
            final java.security.cert.Certificate leaf =
                java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
            return java.util.Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(leaf.getPublicKey().getEncoded()));
        }
    }

    /**
     * Accepts on a unix socket (reachable from the browser's network namespace through the file system) and pipes
     * each connection to the tracker's loopback port, one thread per direction; closing the server ends it.
     */
    private static ServerSocketChannel relayUnixToTracker(final Path socket, final int trackerPort) throws IOException
    {
        final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        final Thread acceptor = new Thread(() ->
        {
            while (server.isOpen())
            {
                try
                {
                    final SocketChannel inbound = server.accept();
                    final SocketChannel outbound =
                        SocketChannel.open(new InetSocketAddress("127.0.0.1", trackerPort));
                    pipe(inbound, outbound);
                    pipe(outbound, inbound);
                }
                catch (final IOException e)
                {
                    return; // server closed
                }
            }
        }, "relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return server;
    }

    private static void pipe(final SocketChannel from, final SocketChannel to)
    {
        final Thread thread = new Thread(() ->
        {
            final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            try (from; to)
            {
                while (from.read(buffer) >= 0)
                {
                    buffer.flip();
                    while (buffer.hasRemaining())
                    {
                        to.write(buffer);
                    }
                    buffer.clear();
                }
            }
            catch (final IOException ignored)
            {
                // the other direction closed both ends
            }
        }, "relay-pipe");
        thread.setDaemon(true);
        thread.start();
    }

    private static void requireBrowserFixture() throws InterruptedException
    {
        final String why;
        if (!Files.isExecutable(CHROMIUM))
        {
            why = "chromium not installed (" + CHROMIUM + ")";
        }
        else if (!Files.isDirectory(FIXTURE.resolve("node_modules/puppeteer-core"))
            || !Files.isRegularFile(FIXTURE.resolve("node_modules/webtorrent/dist/webtorrent.min.js")))
        {
            why = "npm ci has not run in " + FIXTURE.toAbsolutePath();
        }
        else if (!canMakeNetworkNamespace())
        {
            // A capability of the host, not something .ci/run can install: skipped with the reason even under CI.
            Assumptions.abort("cannot make a network namespace with veth (unshare -n, ip link add; needs root and " +
                "CAP_SYS_ADMIN)");
            return;
        }
        else
        {
            return;
        }
        if (System.getenv("CI") != null)
        {
            fail(why); // .ci/run installs chromium and runs npm ci as root
        }
        Assumptions.abort(why);
    }

    private static boolean canMakeNetworkNamespace() throws InterruptedException
    {
        try
        {
            final Process probe = new ProcessBuilder("unshare", "-n", "ip", "link", "add", "p0", "type", "veth",
                "peer", "name", "p1").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
            if (!probe.waitFor(10, TimeUnit.SECONDS))
            {
                probe.destroyForcibly();
                return false;
            }
            return probe.exitValue() == 0;
        }
        catch (final IOException e)
        {
            return false;
        }
    }
}
