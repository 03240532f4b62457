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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.clients.ClientProcesses.awaitSeeder;
import static org.trackerd.io.clients.ClientProcesses.freePort;
import static org.trackerd.io.clients.ClientProcesses.tail;
import static org.trackerd.io.clients.ClientProcesses.torrent;

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
            Files.write(torrent, torrent("https://127.0.0.1:" +
                tracker.tlsAddresses().get(0).getPort() + "/announce", "payload.bin", payload, 262_144));
            final Path seedDir = seedFiles(payload);
            final Path leechDir = Files.createDirectories(dir.resolve("leech"));
            final Process seeder = aria2(ca, seedDir, torrent, "--check-integrity=true", "--seed-ratio=0.0",
                "--seed-time=5");
            try
            {
                awaitSeeder(tracker.httpAddresses().get(0).getPort(), payload, 262_144,
                    () -> "over HTTPS: " + tail(seedDir.resolve("aria2.log")));
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
            Files.write(torrent, torrent("https://[::1]:" +
                tracker.tlsAddresses().get(1).getPort() + "/announce", "payload.bin", payload, 262_144));
            final Path seedDir = seedFiles(payload);
            final Path leechDir = Files.createDirectories(dir.resolve("leech"));
            final Process seeder = aria2(ca, seedDir, torrent, "--check-integrity=true", "--seed-ratio=0.0",
                "--seed-time=5");
            Process leecher = null;
            try
            {
                awaitSeeder(tracker.httpAddresses().get(0).getPort(), payload, 262_144,
                    () -> "over HTTPS: " + tail(seedDir.resolve("aria2.log")));
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

    private static Process aria2(final TestCa ca, final Path workDir, final Path torrent, final String... options)
        throws IOException
    {
        final String[] all = Arrays.copyOf(options, options.length + 1);
        all[options.length] = "--ca-certificate=" + ca.caCertificate;
        return ClientProcesses.aria2(workDir, torrent, all);
    }
}
