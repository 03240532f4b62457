package org.trackerd.io.clients;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.Tracker;
import org.trackerd.io.tls.TestCa;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real BitTorrent clients with an {@code https://} tracker URL: the tracker's certificate comes from a CA made at
 * test time, which each client is told to trust (aria2c {@code --ca-certificate}; Transmission only through
 * {@code CURL_CA_BUNDLE}) and which both verify. A file moves from a seed to a downloader that finds it only
 * through the tracker (DHT, LPD and PEX off): aria2c to aria2c over IPv4, aria2c to Transmission over IPv6.
 */
class HttpsRealClientsE2ETest
{
    @TempDir
    Path dir;

    private Tracker start(final TestCa.Pair pair) throws IOException
    {
        final String json = "{\"http\":{\"listen\":[\"127.0.0.1:0\"]},\"tls\":{\"listen\":[\"127.0.0.1:0\",\"[::1]:0\"]," +
            "\"certificate_chain_file\":\"" + pair.chain() + "\",\"private_key_file\":\"" + pair.key() + "\"}," +
            "\"storage\":{\"path\":\"" + dir.resolve("data") + "\",\"max_torrents\":100,\"max_peers\":1000}," +
            "\"tracker\":{\"announce_interval_seconds\":5,\"min_announce_interval_seconds\":1," +
            "\"peer_lifetime_seconds\":60}}";
        return new Tracker(TrackerConfig.parse(json)).start();
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aria2DownloadsFromAnAria2SeedThroughAnHttpsTrackerOverIpv4() throws Exception
    {
        Assumptions.assumeTrue(new File("/usr/bin/aria2c").canExecute(), "aria2c not installed");
        Assumptions.assumeTrue(TestCa.available(), "openssl not installed");
        final TestCa ca = TestCa.create(dir.resolve("ca"));
        try (Tracker tracker = start(ca.server("server", TestCa.KeyKind.EC_TRADITIONAL, 30)))
        {
            final byte[] payload = payload(1_500_000, 42);
            final Path torrent = dir.resolve("payload.torrent");
            Files.write(torrent, RealClientsE2ETest.torrent("https://127.0.0.1:" +
                tracker.tlsAddresses().get(0).getPort() + "/announce", "payload.bin", payload, 262_144));
            final Path seedDir = seedFiles(payload);
            final Path leechDir = Files.createDirectories(dir.resolve("leech"));
            final Process seeder = aria2(ca, seedDir, torrent, "--check-integrity=true", "--seed-ratio=0.0",
                "--seed-time=5");
            try
            {
                awaitSeeder(tracker, payload, seedDir);
                final Process leecher = aria2(ca, leechDir, torrent, "--seed-time=0");
                final boolean finished = leecher.waitFor(90, TimeUnit.SECONDS);
                if (!finished)
                {
                    leecher.destroyForcibly();
                }
                assertTrue(finished, () -> "aria2c did not finish downloading through the HTTPS tracker: " +
                    tail(leechDir.resolve("aria2.log")));
                assertTrue(Arrays.equals(payload, Files.readAllBytes(leechDir.resolve("payload.bin"))));
            }
            finally
            {
                seeder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            assertTrue(countersSum(tracker, "tls_handshakes") + countersSum(tracker, "tls_handshakes_resumed") >= 2);
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void transmissionDownloadsFromAnAria2SeedThroughAnHttpsTrackerOverIpv6() throws Exception
    {
        Assumptions.assumeTrue(new File("/usr/bin/aria2c").canExecute(), "aria2c not installed");
        Assumptions.assumeTrue(new File("/usr/bin/transmission-cli").canExecute(), "transmission-cli not installed");
        Assumptions.assumeTrue(TestCa.available(), "openssl not installed");
        final TestCa ca = TestCa.create(dir.resolve("ca"));
        try (Tracker tracker = start(ca.server("server", TestCa.KeyKind.RSA_TRADITIONAL, 30)))
        {
            final byte[] payload = payload(1_200_000, 7);
            final Path torrent = dir.resolve("payload.torrent");
            Files.write(torrent, RealClientsE2ETest.torrent("https://[::1]:" +
                tracker.tlsAddresses().get(1).getPort() + "/announce", "payload.bin", payload, 262_144));
            final Path seedDir = seedFiles(payload);
            final Path leechDir = Files.createDirectories(dir.resolve("leech"));
            final Process seeder = aria2(ca, seedDir, torrent, "--check-integrity=true", "--seed-ratio=0.0",
                "--seed-time=5");
            Process leecher = null;
            try
            {
                awaitSeeder(tracker, payload, seedDir);
                final ProcessBuilder builder = new ProcessBuilder("/usr/bin/transmission-cli", "-M", "-g",
                    dir.resolve("tr-config").toString(), "-w", leechDir.toString(), "-p", String.valueOf(freePort()),
                    torrent.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("transmission.log").toFile());
                builder.environment().put("CURL_CA_BUNDLE", ca.caCertificate.toString());
                leecher = builder.start();
                final Path file = leechDir.resolve("payload.bin");
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
                boolean done = false;
                while (!done && System.nanoTime() < deadline)
                {
                    done = Files.exists(file) && Files.size(file) == payload.length &&
                        Arrays.equals(payload, Files.readAllBytes(file));
                    if (!done)
                    {
                        Thread.sleep(200);
                    }
                }
                assertTrue(done, () -> "transmission did not download through the HTTPS tracker over IPv6; its log " +
                    "ends: " + tail(dir.resolve("transmission.log")) + "; the seed's: " + tail(seedDir.resolve("aria2.log")));
            }
            finally
            {
                if (leecher != null)
                {
                    leecher.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                seeder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private Path seedFiles(final byte[] payload) throws IOException
    {
        final Path seedDir = Files.createDirectories(dir.resolve("seed"));
        Files.write(seedDir.resolve("payload.bin"), payload);
        return seedDir;
    }

    private static byte[] payload(final int size, final long seed)
    {
        final byte[] payload = new byte[size];
        new Random(seed).nextBytes(payload);
        return payload;
    }

    private static long countersSum(final Tracker tracker, final String name)
    {
        final long[] sum = {0};
        tracker.counters().forEach((id, type, key, label) ->
        {
            if (label.startsWith(name + "{"))
            {
                sum[0] += tracker.counters().getCounterValue(id);
            }
        });
        return sum[0];
    }

    /** Waits (bounded) until the seed announced over HTTPS, read back through the plain listener's scrape. */
    private static void awaitSeeder(final Tracker tracker, final byte[] payload, final Path seedDir) throws Exception
    {
        final byte[] whole = RealClientsE2ETest.torrent("x", "payload.bin", payload, 262_144);
        final String text = new String(whole, StandardCharsets.ISO_8859_1);
        final int start = text.indexOf("4:info") + 6;
        final byte[] hash = MessageDigest.getInstance("SHA-1").digest(Arrays.copyOfRange(whole, start, whole.length - 1));
        final StringBuilder encoded = new StringBuilder();
        for (final byte b : hash)
        {
            encoded.append('%').append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        final java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            final String body = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" +
                    tracker.httpAddresses().get(0).getPort() + "/scrape?info_hash=" + encoded)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString(StandardCharsets.ISO_8859_1)).body();
            if (body.contains("8:completei1e"))
            {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the aria2 seed never announced over HTTPS: " + tail(seedDir.resolve("aria2.log")));
    }

    private static String tail(final Path log)
    {
        try
        {
            final String text = String.join("\n", new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1)
                .replace('\r', '\n').lines().filter(line -> !line.startsWith("Progress")).toList());
            return text.substring(Math.max(0, text.length() - 1500));
        }
        catch (final IOException ex)
        {
            return "(unreadable: " + ex + ")";
        }
    }

    private static Process aria2(final TestCa ca, final Path workDir, final Path torrent, final String... extra)
        throws IOException
    {
        final List<String> cmd = new ArrayList<>(List.of("/usr/bin/aria2c", "--dir=" + workDir,
            "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
            "--listen-port=" + freePort(), "--ca-certificate=" + ca.caCertificate,
            "--bt-tracker-interval=2", "--summary-interval=0", "--console-log-level=warn"));
        cmd.addAll(Arrays.asList(extra));
        cmd.add(torrent.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(workDir.resolve("aria2.log").toFile()).start();
    }

    /** A port free for both TCP and UDP right now (clients listen on both). */
    private static int freePort() throws IOException
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try (java.net.ServerSocket tcp = new java.net.ServerSocket(0))
            {
                final int port = tcp.getLocalPort();
                try (java.net.DatagramSocket udp = new java.net.DatagramSocket(port))
                {
                    return port;
                }
                catch (final java.net.SocketException taken)
                {
                    // taken for UDP: try another
                }
            }
        }
        throw new IOException("no port free for both TCP and UDP");
    }
}
