package org.trackerd.io.robust;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.udp.UdpProtocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.robust.RobustSupport.await;
import static org.trackerd.io.robust.RobustSupport.counter;
import static org.trackerd.io.robust.RobustSupport.openFds;

/**
 * Seeded, reproducible fuzzing of a running tracker over HTTP and UDP ({@code -Dtrackerd.fuzz.seed=N} replays a
 * run; the seed is printed). Bounded volumes: a few thousand inputs per protocol. Afterwards a valid client is
 * served correctly, the swarms hold nothing but what valid clients announced plus fuzz announces the tracker
 * acknowledged, and file descriptors and heap return to their baseline.
 */
@Timeout(90)
class FuzzRobustTest
{
    private static final long SEED = Long.getLong("trackerd.fuzz.seed", 0x7eac4e5dL);
    /** Volumes; scripts/soak-robust.sh raises them. */
    private static final int HTTP_INPUTS = Integer.getInteger("trackerd.fuzz.http", 2000);
    private static final int UDP_DATAGRAMS = Integer.getInteger("trackerd.fuzz.udp", 2500);
    private static final byte[] VALID_HASH = Announce.hash("fuzz-valid");
    private static final byte[] FUZZ_HASH = Announce.hash("fuzz-base");

    @TempDir
    Path dir;

    private TrackerHarness harness;

    @AfterEach
    void stop()
    {
        if (harness != null)
        {
            harness.close();
        }
    }

    @Test
    void garbageLeavesNoTraceAndValidClientsAreServed() throws Exception
    {
        System.out.println("FuzzRobustTest seed " + SEED + " (replay with -Dtrackerd.fuzz.seed=" + SEED + ")");
        harness = new TrackerHarness(dir)
            .set("http", "max_request_bytes", "2048").set("http", "max_headers", "16")
            .set("http", "request_timeout_ms", "300").set("http", "idle_timeout_ms", "300")
            .set("udp", "listen", "[\"127.0.0.1:0\"]")
            .start();
        final InetSocketAddress udp = harness.tracker().udpAddresses().get(0);
        final Random random = new Random(SEED);
        System.gc();
        final int fdBaseline = openFds();
        final long heapBaseline = usedHeap();

        // A valid client before the storm: 2 peers on the valid swarm.
        acknowledged(harness.announce(Announce.seeder(VALID_HASH, Announce.peerId(1), 7001)));
        try (RobustSupport.UdpClient client = new RobustSupport.UdpClient(udp, 2000))
        {
            assertEquals(UdpProtocol.ACTION_ANNOUNCE,
                client.announce(client.connect(), VALID_HASH, Announce.peerId(2), 7002, 1000));
        }

        long acks = 0;
        for (int i = 0; i < HTTP_INPUTS; i++)
        {
            acks += httpAcks(exchangeRaw(httpInput(random, i)));
        }
        acks += fuzzUdp(udp, random);
        System.out.println("FuzzRobustTest: fuzz announces acknowledged " + acks);

        // A valid client after the storm is served correctly, over both protocols.
        final Map<String, Object> r = harness.announce(Announce.leecher(VALID_HASH, Announce.peerId(3), 7003));
        acknowledged(r);
        assertEquals(1L, r.get("complete"), () -> "valid swarm " + r);
        final Map<String, Object> scrape = harness.scrape(VALID_HASH);
        assertEquals(1L, scrape.get("complete"), () -> "valid swarm " + scrape);
        assertEquals(2L, scrape.get("incomplete"), () -> "valid swarm " + scrape);
        try (RobustSupport.UdpClient client = new RobustSupport.UdpClient(udp, 2000))
        {
            final int[] counts = client.scrape(client.connect(), VALID_HASH);
            assertEquals(1, counts[0]);
            assertEquals(2, counts[2]);
        }

        // Nothing in the swarms that the tracker did not acknowledge.
        final long peers = counter(harness.tracker(), "seeders") + counter(harness.tracker(), "leechers");
        final long finalAcks = acks;
        assertTrue(peers <= 3 + acks, () -> peers + " peers, but only 3 valid + " + finalAcks + " acknowledged");
        assertTrue(counter(harness.tracker(), "http_internal_errors") == 0, "no internal error over HTTP");
        assertTrue(counter(harness.tracker(), "udp_internal_errors") == 0, "no internal error over UDP");

        assertTrue(await(10_000, () -> openFds() <= fdBaseline + 2),
            () -> "fds " + openFds() + " > baseline " + fdBaseline);
        assertTrue(await(10_000, () -> counter(harness.tracker(), "http_connections_open") == 0));
        assertTrue(await(10_000, () ->
        {
            System.gc();
            return usedHeap() < heapBaseline + (64L << 20);
        }), () -> "heap " + (usedHeap() >> 20) + " MiB vs baseline " + (heapBaseline >> 20) + " MiB");
    }

    private static long usedHeap()
    {
        final Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static void acknowledged(final Map<String, Object> response)
    {
        assertFalse(response.containsKey("failure reason"), () -> "refused: " + response);
    }

    // ---------------------------------------------------------------- HTTP

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String validRequest(final Random random)
    {
        final String target = random.nextBoolean() ?
            Announce.leecher(FUZZ_HASH, Announce.peerId(100 + random.nextInt(50)), 8000 + random.nextInt(100)).target() :
            Announce.scrapeTarget(FUZZ_HASH, Announce.hash("other" + random.nextInt(10)));
        return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fuzz\r\n\r\n";
    }

    private static final String[] ABSURD = {
        "%", "%%", "%%%%%%", "%G0", "%0", "%zz", "%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00",
        "%25%25%25", "%FF".repeat(21), "%FF".repeat(19), "%u0041", "%%41", "+%20+", "%0D%0A%0D%0A", "a".repeat(40),
    };
    private static final String[] NUMBERS = {
        "-1", "-9223372036854775808", "9223372036854775807", "9223372036854775808", "99999999999999999999999999",
        "18446744073709551616", "1e400", "0x10", "+5", " 5", "5 ", "", "-0", "00000000000000000000000001", "65536",
        "4294967296", "NaN", "--1",
    };
    private static final String[] NUMERIC_KEYS = {"port", "uploaded", "downloaded", "left", "numwant", "compact"};

    private static byte[] httpInput(final Random random, final int i)
    {
        switch (i % 7)
        {
            case 0 ->
            {
                final byte[] b = new byte[random.nextInt(3000)];
                random.nextBytes(b);
                return b;
            }
            case 1 ->
            {
                final byte[] valid = bytes(validRequest(random));
                return java.util.Arrays.copyOf(valid, random.nextInt(valid.length));
            }
            case 2 ->
            {
                final byte[] b = bytes(validRequest(random));
                final int edits = 1 + random.nextInt(4);
                for (int e = 0; e < edits; e++)
                {
                    b[random.nextInt(b.length)] = (byte)random.nextInt(256);
                }
                return b;
            }
            case 3 ->
            {
                final String key = random.nextBoolean() ? "info_hash" : "peer_id";
                final String value = ABSURD[random.nextInt(ABSURD.length)];
                final String target = "/announce?" + key + "=" + value + "&" +
                    (key.equals("info_hash") ? "peer_id=" + Announce.encode(Announce.peerId(7)) :
                        "info_hash=" + Announce.encode(FUZZ_HASH)) + "&port=6881&left=0&uploaded=0&downloaded=0";
                return bytes("GET " + (random.nextBoolean() ? target : "/%" + target) + " HTTP/1.1\r\n\r\n");
            }
            case 4 ->
            {
                final String key = NUMERIC_KEYS[random.nextInt(NUMERIC_KEYS.length)];
                final String target = Announce.leecher(FUZZ_HASH, Announce.peerId(200), 6881).target() + "&" + key +
                    "=" + NUMBERS[random.nextInt(NUMBERS.length)];
                return bytes("GET " + target.replace(" ", "%20") + " HTTP/1.1\r\n\r\n");
            }
            case 5 ->
            {
                final StringBuilder sb = new StringBuilder("GET /scrape HTTP/1.1\r\n");
                final int headers = random.nextInt(60);
                final int width = random.nextInt(random.nextBoolean() ? 50 : 4000);
                for (int h = 0; h < headers; h++)
                {
                    sb.append("X-Flood-").append(h).append(": ").append("v".repeat(width)).append("\r\n");
                }
                return bytes(sb.append("\r\n").toString());
            }
            default ->
            {
                // Many pipelined requests, some broken in the middle.
                final StringBuilder sb = new StringBuilder();
                for (int k = random.nextInt(20); k >= 0; k--)
                {
                    sb.append(random.nextInt(5) == 0 ? "GARBAGE\r\n\r\n" : validRequest(random));
                }
                return bytes(sb.toString());
            }
        }
    }

    /** Sends, half-closes, reads whatever comes back (bounded in time and bytes). */
    private byte[] exchangeRaw(final byte[] input) throws IOException
    {
        try (Socket s = new Socket())
        {
            s.connect(new InetSocketAddress("127.0.0.1", harness.port()), 5000);
            s.setSoTimeout(3000);
            try
            {
                s.getOutputStream().write(input);
                s.shutdownOutput();
            }
            catch (final IOException closed)
            {
                // the tracker gave up on the input early (e.g. 431): fine, read what it said
            }
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final InputStream in = s.getInputStream();
            final byte[] buffer = new byte[8192];
            try
            {
                int n;
                while (out.size() < (1 << 20) && (n = in.read(buffer)) > 0)
                {
                    out.write(buffer, 0, n);
                }
            }
            catch (final SocketTimeoutException ex)
            {
                throw new AssertionError("tracker neither answered nor closed within 3 s");
            }
            catch (final SocketException reset)
            {
                // reset after the answer: what was read counts
            }
            return out.toByteArray();
        }
    }

    /** Announce answers that were not refusals: each may have added a peer. */
    private static int httpAcks(final byte[] responses)
    {
        final String text = new String(responses, StandardCharsets.ISO_8859_1);
        int acks = 0;
        int from = 0;
        while ((from = text.indexOf("8:interval", from)) >= 0)
        {
            acks++;
            from++;
        }
        return acks;
    }

    // ---------------------------------------------------------------- UDP

    private static int fuzzUdp(final InetSocketAddress udp, final Random random) throws IOException
    {
        int acks = 0;
        // Answers on loopback take well under a millisecond; 300 ms bounds the wait for the ones never sent
        // (connects with a real connection id instead of the protocol id are dropped: no amplification).
        try (RobustSupport.UdpClient client = new RobustSupport.UdpClient(udp, 300))
        {
            final long connectionId = client.connect();
            for (int i = 0; i < UDP_DATAGRAMS; i++)
            {
                final int length;
                if (i < 200)
                {
                    length = i; // every short length
                }
                else if (i == 200)
                {
                    length = 65_507; // the largest UDP payload over IPv4
                }
                else
                {
                    length = random.nextInt(4) == 0 ? random.nextInt(65_508) : random.nextInt(400);
                }
                final byte[] p = new byte[length];
                random.nextBytes(p);
                final boolean authentic = length >= 16 && random.nextBoolean();
                if (authentic)
                {
                    // A proven sender with a real connection id: the decoder goes deep.
                    final UnsafeBuffer b = new UnsafeBuffer(p);
                    b.putLong(0, connectionId, java.nio.ByteOrder.BIG_ENDIAN);
                    b.putInt(8, random.nextInt(5), java.nio.ByteOrder.BIG_ENDIAN);
                    if (random.nextBoolean() && length >= 98)
                    {
                        final byte[] valid = RobustSupport.UdpClient.announcePacket(connectionId, i, FUZZ_HASH,
                            Announce.peerId(300 + random.nextInt(20)), 9000, random.nextInt(2) * 1000L, 0);
                        System.arraycopy(valid, 0, p, 0, 98);
                        p[16 + random.nextInt(82)] = (byte)random.nextInt(256);
                    }
                }
                client.send(p, length);
                if (authentic)
                {
                    // Wait for its answer, so no acknowledgement goes uncounted.
                    final UnsafeBuffer reply = client.receive();
                    if (reply != null && client.replyLength >= 8 &&
                        reply.getInt(0, java.nio.ByteOrder.BIG_ENDIAN) == UdpProtocol.ACTION_ANNOUNCE)
                    {
                        acks++;
                    }
                }
                else if (i % 50 == 0)
                {
                    client.drain();
                }
            }
            client.drain();
        }
        return acks;
    }
}
