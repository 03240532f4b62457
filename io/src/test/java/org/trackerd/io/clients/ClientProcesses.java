package org.trackerd.io.clients;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What the real-client tests share: the .torrent they make, the aria2c command line (no DHT, LPD or PEX, so the
 * tracker is the only peer source), a port both TCP and UDP can bind, the tail of a client's log for a failure
 * message, and the wait until the seed has announced.
 */
final class ClientProcesses
{
    private static final String ARIA2 = "/usr/bin/aria2c";

    private ClientProcesses()
    {
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

    /** SHA-1 of the info dictionary {@link #torrent} writes (the announce URL is outside it). */
    static byte[] infoHash(final byte[] payload, final int pieceLength) throws Exception
    {
        final byte[] whole = torrent("x", "payload.bin", payload, pieceLength);
        final String text = new String(whole, StandardCharsets.ISO_8859_1);
        final int start = text.indexOf("4:info") + 6;
        return MessageDigest.getInstance("SHA-1").digest(Arrays.copyOfRange(whole, start, whole.length - 1));
    }

    static String percentEncode(final byte[] raw)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : raw)
        {
            sb.append('%').append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }

    /**
     * Starts aria2c on {@code torrent} in {@code workDir}, its output in {@code workDir/aria2.log}; {@code options}
     * come before the torrent (e.g. {@code --ca-certificate}, {@code --seed-time=0}).
     */
    static Process aria2(final Path workDir, final Path torrent, final String... options) throws IOException
    {
        final List<String> cmd = new ArrayList<>(List.of(ARIA2, "--dir=" + workDir,
            "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
            "--listen-port=" + freePort(),
            "--bt-tracker-interval=2", "--summary-interval=0", "--console-log-level=warn"));
        cmd.addAll(Arrays.asList(options));
        cmd.add(torrent.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(workDir.resolve("aria2.log").toFile()).start();
    }

    /**
     * A port free for both TCP and UDP right now (clients listen on both: peers, uTP). A fixed port, or one derived
     * from the pid, lands in the ephemeral range and collides with sockets of other runs: Transmission then
     * failed to bind ("Address already in use") and never downloaded.
     */
    static int freePort() throws IOException
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

    /** The last 1,500 characters of a client's log, without its progress lines. */
    static String tail(final Path log)
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

    /**
     * Waits (bounded, 60 s) until the tracker's plain HTTP scrape on {@code httpPort} counts the seed of the
     * torrent {@link #torrent} makes of {@code payload}, so the downloader's first announce already finds it:
     * otherwise its next chance is its client's own re-announce schedule, which made these tests slow or flaky.
     */
    static void awaitSeeder(final int httpPort, final byte[] payload, final int pieceLength, final Supplier<String> why)
        throws Exception
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
        throw new AssertionError("the seed never announced to the tracker: " + why.get());
    }
}
