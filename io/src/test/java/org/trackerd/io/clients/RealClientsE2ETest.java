package org.trackerd.io.clients;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.Tracker;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.clients.ClientProcesses.awaitSeeder;
import static org.trackerd.io.clients.ClientProcesses.freePort;
import static org.trackerd.io.clients.ClientProcesses.tail;
import static org.trackerd.io.clients.ClientProcesses.torrent;
import static org.trackerd.io.clients.ClientProcesses.aria2;

/**
 * Real BitTorrent clients against the tracker: an aria2c seeds a file, and another client finds it only through
 * our tracker (DHT, LPD and PEX off) and downloads it: aria2c over HTTP, and Transmission over UDP (aria2 speaks
 * UDP trackers only with DHT on) while the seed announces over HTTP, so one swarm spans both protocols.
 * CI installs both clients ({@code .ci/run}); on a machine without them the tests are skipped, never faked.
 */
class RealClientsE2ETest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aria2DownloadsFromAnAria2SeedFoundThroughTheTracker() throws Exception
    {
        Assumptions.assumeTrue(new File("/usr/bin/aria2c").canExecute(), "aria2c not installed");
        final String json = "{\"http\":{\"listen\":[\"127.0.0.1:0\"]},\"storage\":{\"path\":\"" + dir.resolve("data") +
            "\",\"max_torrents\":100,\"max_peers\":1000},\"tracker\":{\"announce_interval_seconds\":5," +
            "\"min_announce_interval_seconds\":1,\"peer_lifetime_seconds\":60}}";
        try (Tracker tracker = new Tracker(TrackerConfig.parse(json)).start())
        {
            final int port = tracker.httpAddresses().get(0).getPort();
            final byte[] payload = new byte[1_500_000];
            new Random(42).nextBytes(payload);
            final Path seedDir = Files.createDirectories(dir.resolve("seed"));
            final Path leechDir = Files.createDirectories(dir.resolve("leech"));
            Files.write(seedDir.resolve("payload.bin"), payload);
            final Path torrent = dir.resolve("payload.torrent");
            Files.write(torrent, torrent("http://127.0.0.1:" + port + "/announce", "payload.bin", payload, 262_144));

            final Process seeder = aria2(seedDir, torrent, "--check-integrity=true", "--seed-ratio=0.0",
                "--seed-time=5");
            try
            {
                awaitSeeder(port, payload, 262_144, () -> tail(seedDir.resolve("aria2.log")));
                final Process leecher = aria2(leechDir, torrent, "--seed-time=0");
                final boolean finished = leecher.waitFor(90, TimeUnit.SECONDS);
                if (!finished)
                {
                    leecher.destroyForcibly();
                }
                assertTrue(finished, "aria2c did not finish downloading through the tracker");
                assertArrayEquals(payload, Files.readAllBytes(leechDir.resolve("payload.bin")));
            }
            finally
            {
                seeder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void transmissionOverUdpDownloadsFromAnAria2SeedAnnouncingOverHttp() throws Exception
    {
        Assumptions.assumeTrue(new File("/usr/bin/aria2c").canExecute(), "aria2c not installed");
        Assumptions.assumeTrue(new File("/usr/bin/transmission-cli").canExecute(), "transmission-cli not installed");
        final String json = "{\"http\":{\"listen\":[\"127.0.0.1:0\"]},\"udp\":{\"listen\":[\"127.0.0.1:0\"]}," +
            "\"storage\":{\"path\":\"" + dir.resolve("data") + "\",\"max_torrents\":100,\"max_peers\":1000}," +
            "\"tracker\":{\"announce_interval_seconds\":5,\"min_announce_interval_seconds\":1,\"peer_lifetime_seconds\":60}}";
        try (Tracker tracker = new Tracker(TrackerConfig.parse(json)).start())
        {
            final byte[] payload = new byte[1_200_000];
            new Random(7).nextBytes(payload);
            final Path seedDir = Files.createDirectories(dir.resolve("seed"));
            final Path leechDir = Files.createDirectories(dir.resolve("leech"));
            Files.write(seedDir.resolve("payload.bin"), payload);
            // Same info dictionary, so the same infohash, under two announce URLs.
            final Path httpTorrent = dir.resolve("http.torrent");
            final Path udpTorrent = dir.resolve("udp.torrent");
            Files.write(httpTorrent, torrent("http://127.0.0.1:" + tracker.httpAddresses().get(0).getPort() + "/announce",
                "payload.bin", payload, 262_144));
            Files.write(udpTorrent, torrent("udp://127.0.0.1:" + tracker.udpAddresses().get(0).getPort() + "/announce",
                "payload.bin", payload, 262_144));

            final Process seeder = aria2(seedDir, httpTorrent, "--check-integrity=true", "--seed-ratio=0.0",
                "--seed-time=5");
            awaitSeeder(tracker.httpAddresses().get(0).getPort(), payload, 262_144,
                () -> tail(seedDir.resolve("aria2.log")));
            final Process leecher = new ProcessBuilder("/usr/bin/transmission-cli", "-M", "-g", dir.resolve("tr-config").toString(),
                "-w", leechDir.toString(), "-p", String.valueOf(freePort()),
                udpTorrent.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("transmission.log").toFile())
                .start();
            try
            {
                final Path file = leechDir.resolve("payload.bin");
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
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
                assertTrue(done, () -> "transmission did not download through the UDP tracker; its log ends: " +
                    tail(dir.resolve("transmission.log")) + "; the seed's log ends: " + tail(seedDir.resolve("aria2.log")));
            }
            finally
            {
                leecher.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                seeder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
