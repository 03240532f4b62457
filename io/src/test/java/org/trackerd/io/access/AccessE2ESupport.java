package org.trackerd.io.access;

import org.agrona.concurrent.status.CountersReader;
import org.trackerd.io.Tracker;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.TrackerHarness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Helpers of the access-control end-to-end tests: HTTP and UDP announces with tokens, counters, bounded waits. */
final class AccessE2ESupport
{
    private AccessE2ESupport()
    {
    }

    static String hex(final byte[] bytes)
    {
        final StringBuilder s = new StringBuilder();
        for (final byte b : bytes)
        {
            s.append(String.format("%02x", b & 0xFF));
        }
        return s.toString();
    }

    /** An Azureus style peer id {@code -XX1234-} followed by a number. */
    static byte[] peerId(final String client, final int n)
    {
        final byte[] id = String.format("%-8s%012d", client, n).getBytes(StandardCharsets.US_ASCII);
        assertEquals(20, id.length);
        return id;
    }

    static Map<String, Object> httpAnnounce(final Tracker tracker, final byte[] hash, final byte[] peerId,
        final int port, final String token) throws IOException
    {
        String target = Announce.leecher(hash, peerId, port).target();
        if (token != null)
        {
            target += "&jwt=" + token;
        }
        return TrackerHarness.get(tracker.httpAddresses().get(0).getPort(), target);
    }

    static Map<String, Object> httpScrape(final Tracker tracker, final byte[] hash, final String token)
        throws IOException
    {
        String target = Announce.scrapeTarget(hash);
        if (token != null)
        {
            target += "&jwt=" + token;
        }
        return TrackerHarness.get(tracker.httpAddresses().get(0).getPort(), target);
    }

    static String failure(final Map<String, Object> m)
    {
        final Object reason = m.get("failure reason");
        return reason == null ? null : new String((byte[])reason, StandardCharsets.UTF_8);
    }

    static void assertOk(final Map<String, Object> m)
    {
        assertNull(m.get("failure reason"), () -> "unexpected failure: " + failure(m));
        assertNotNull(m.get("interval"), () -> "not an announce answer: " + m.keySet());
    }

    static void assertRefused(final Map<String, Object> m, final String text)
    {
        assertEquals(text, failure(m), () -> "answer " + m.keySet());
    }

    /** Seeders plus leechers that a scrape reports for one hash (the scrape carries {@code token} if not null). */
    @SuppressWarnings("unchecked")
    static long peersInSwarm(final Tracker tracker, final byte[] hash, final String token) throws IOException
    {
        final Map<String, Object> m = httpScrape(tracker, hash, token);
        assertNull(m.get("failure reason"), () -> "scrape failed: " + failure(m));
        final Map<String, Object> files = (Map<String, Object>)m.get("files");
        final Map<String, Object> entry =
            (Map<String, Object>)files.get(new String(hash, StandardCharsets.ISO_8859_1));
        return entry == null ? 0 : (Long)entry.get("complete") + (Long)entry.get("incomplete");
    }

    /** Sum of every counter whose label starts with {@code name{} and contains {@code contains}. */
    static long counter(final Tracker tracker, final String name, final String contains)
    {
        final CountersReader reader = tracker.counters();
        final long[] total = { 0 };
        reader.forEach((id, type, key, label) ->
        {
            if (label.startsWith(name + "{") && (contains == null || label.contains(contains)))
            {
                total[0] += reader.getCounterValue(id);
            }
        });
        return total[0];
    }

    /** Polls until the condition holds, at most {@code timeoutMs}; a readiness wait, not a blind sleep. */
    static void await(final String what, final long timeoutMs, final BooleanSupplier condition)
        throws InterruptedException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.currentTimeMillis() < deadline, () -> "timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    /** A minimal blocking BEP 15 client with BEP 41 URLData. */
    static final class UdpClient implements AutoCloseable
    {
        private final DatagramSocket socket;
        private final InetSocketAddress server;
        private int transaction = 0x7000;
        private long connectionId;
        /** Action of the last reply (1 announce, 3 error) and, for an error, its text. */
        int action;
        String error;
        int seeders;
        int leechers;

        UdpClient(final InetSocketAddress server) throws IOException
        {
            this.server = server;
            socket = new DatagramSocket(new InetSocketAddress(server.getAddress(), 0));
            socket.setSoTimeout(3000);
            final ByteBuffer p = ByteBuffer.allocate(16);
            p.putLong(0x41727101980L).putInt(0).putInt(++transaction);
            final ByteBuffer r = exchange(p.array());
            assertEquals(0, r.getInt(0));
            connectionId = r.getLong(8);
        }

        private ByteBuffer exchange(final byte[] packet) throws IOException
        {
            socket.send(new DatagramPacket(packet, packet.length, server));
            final byte[] in = new byte[2048];
            final DatagramPacket reply = new DatagramPacket(in, in.length);
            socket.receive(reply);
            assertEquals(transaction, ByteBuffer.wrap(in).getInt(4), "transaction id");
            return ByteBuffer.wrap(in, 0, reply.getLength()).slice();
        }

        /** Announces; {@code urlData} (path and query, e.g. {@code /announce?jwt=...}) goes in BEP 41 options. */
        UdpClient announce(final byte[] hash, final byte[] peerId, final int port, final String urlData)
            throws IOException
        {
            final ByteArrayOutputStream options = new ByteArrayOutputStream();
            if (urlData != null)
            {
                final byte[] data = urlData.getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < data.length; i += 255)
                {
                    final int n = Math.min(255, data.length - i);
                    options.write(2);
                    options.write(n);
                    options.write(data, i, n);
                }
                options.write(0);
            }
            final ByteBuffer p = ByteBuffer.allocate(98 + options.size());
            p.putLong(connectionId).putInt(1).putInt(++transaction).put(hash).put(peerId)
                .putLong(0).putLong(1000).putLong(0).putInt(2).putInt(0).putInt(0x1234).putInt(-1)
                .putShort((short)port).put(options.toByteArray());
            final ByteBuffer r = exchange(p.array());
            action = r.getInt(0);
            error = null;
            if (action == 3)
            {
                final byte[] text = new byte[r.limit() - 8];
                r.position(8);
                r.get(text);
                error = new String(text, StandardCharsets.US_ASCII);
            }
            else if (action == 1)
            {
                leechers = r.getInt(12);
                seeders = r.getInt(16);
            }
            return this;
        }

        @Override
        public void close()
        {
            socket.close();
        }
    }
}
