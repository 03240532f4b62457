package org.trackerd.io.clients;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.Tracker;

import java.io.ByteArrayOutputStream;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
                awaitSeeder(port, payload, 262_144);
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
            awaitSeeder(tracker.httpAddresses().get(0).getPort(), payload, 262_144);
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

    /**
     * Waits (bounded) until the seed has announced, so the downloader's first announce already finds it:
     * otherwise the downloader's next chance is its client's own re-announce schedule, which is what made this
     * test slow or flaky.
     */
    private static void awaitSeeder(final int httpPort, final byte[] payload, final int pieceLength) throws Exception
    {
        final String hash = percentEncode(infoHash(payload, pieceLength));
        final java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            final String body = client.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + httpPort + "/scrape?info_hash=" + hash)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString(StandardCharsets.ISO_8859_1)).body();
            if (body.contains("8:completei1e"))
            {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the aria2 seed never announced to the tracker");
    }

    /** SHA-1 of the info dictionary {@link #torrent} writes. */
    private static byte[] infoHash(final byte[] payload, final int pieceLength) throws Exception
    {
        final byte[] whole = torrent("x", "payload.bin", payload, pieceLength);
        final String text = new String(whole, StandardCharsets.ISO_8859_1);
        final int start = text.indexOf("4:info") + 6;
        return MessageDigest.getInstance("SHA-1").digest(Arrays.copyOfRange(whole, start, whole.length - 1));
    }

    private static String tail(final Path log)
    {
        try
        {
            // Progress lines repeat every second and would push out what the client said about tracker and peers.
            final String text = String.join("\n", new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1)
                .replace('\r', '\n').lines().filter(line -> !line.startsWith("Progress")).toList());
            return text.substring(Math.max(0, text.length() - 1500));
        }
        catch (final IOException ex)
        {
            return "(unreadable: " + ex + ")";
        }
    }

    private static String percentEncode(final byte[] raw)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : raw)
        {
            sb.append('%').append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }

    private Process aria2(final Path workDir, final Path torrent, final String... extra)
        throws IOException
    {
        final List<String> cmd = new ArrayList<>(List.of("/usr/bin/aria2c", "--dir=" + workDir,
            "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
            "--listen-port=" + freePort(),
            "--bt-tracker-interval=2", "--summary-interval=0", "--console-log-level=warn"));
        cmd.addAll(Arrays.asList(extra));
        cmd.add(torrent.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(workDir.resolve("aria2.log").toFile()).start();
    }

    /**
     * A port free for both TCP and UDP right now (clients listen on both: peers, uTP). A fixed port, or one derived
     * from the pid, lands in the ephemeral range and collides with sockets of other runs: Transmission then
     * failed to bind ("Address already in use") and never downloaded.
     */
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

    /** A single-file v1 .torrent: d8:announce..4:infod6:lengthi..e4:name..12:piece lengthi..e6:pieces..ee */
    static byte[] torrent(final String announce, final String name, final byte[] payload, final int pieceLength)
        throws Exception
    {
        final MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        final ByteArrayOutputStream pieces = new ByteArrayOutputStream();
        for (int off = 0; off < payload.length; off += pieceLength)
        {
            sha1.update(payload, off, Math.min(pieceLength, payload.length - off));
            pieces.write(sha1.digest());
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(("d8:announce" + announce.length() + ":" + announce + "4:infod6:lengthi" + payload.length + "e4:name" +
            name.length() + ":" + name + "12:piece lengthi" + pieceLength + "e6:pieces" + pieces.size() + ":")
            .getBytes(StandardCharsets.US_ASCII));
        out.write(pieces.toByteArray());
        out.write("ee".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
