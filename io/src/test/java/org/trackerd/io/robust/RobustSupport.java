package org.trackerd.io.robust;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.trackerd.io.Tracker;
import org.trackerd.io.udp.AnnounceRequestFlyweight;
import org.trackerd.io.udp.AnnounceResponseFlyweight;
import org.trackerd.io.udp.ConnectResponseFlyweight;
import org.trackerd.io.udp.RequestHeaderFlyweight;
import org.trackerd.io.udp.ScrapeRequestFlyweight;
import org.trackerd.io.udp.ScrapeResponseFlyweight;
import org.trackerd.io.udp.UdpProtocol;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Shared bits of the robustness tests: counters by name, bounded polling, fd counting and a tiny UDP client. */
final class RobustSupport
{
    private RobustSupport()
    {
    }

    /** The sum of every counter named {@code name} (any labels, e.g. all threads). */
    static long counter(final Tracker tracker, final String name)
    {
        final CountersReader reader = tracker.counters();
        final long[] sum = {0};
        reader.forEach((id, type, key, label) ->
        {
            if (label.equals(name) || label.startsWith(name + "{"))
            {
                sum[0] += reader.getCounterValue(id);
            }
        });
        return sum[0];
    }

    /** Polls {@code condition} every 20 ms for at most {@code timeoutMs}; true if it held in time. */
    static boolean await(final long timeoutMs, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            if (condition.getAsBoolean())
            {
                return true;
            }
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Open file descriptors of this JVM. */
    static int openFds()
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return (int)fds.count();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** A blocking BEP 15 client with a receive timeout. */
    static final class UdpClient implements AutoCloseable
    {
        final DatagramSocket socket;
        final InetSocketAddress server;
        final byte[] in = new byte[UdpProtocol.MAX_DATAGRAM_LENGTH];
        int replyLength;
        int nextTransaction = 0x2000;

        UdpClient(final InetSocketAddress server, final int timeoutMs) throws IOException
        {
            this.server = server;
            this.socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
            socket.setSoTimeout(timeoutMs);
        }

        void send(final byte[] packet, final int length) throws IOException
        {
            socket.send(new DatagramPacket(packet, length, server));
        }

        /** The next reply, or null after the timeout. */
        UnsafeBuffer receive() throws IOException
        {
            final DatagramPacket p = new DatagramPacket(in, in.length);
            try
            {
                socket.receive(p);
            }
            catch (final SocketTimeoutException ex)
            {
                return null;
            }
            replyLength = p.getLength();
            return new UnsafeBuffer(in, 0, replyLength);
        }

        /** Discards replies already queued. */
        void drain() throws IOException
        {
            final int timeout = socket.getSoTimeout();
            socket.setSoTimeout(50);
            try
            {
                while (receive() != null)
                {
                    // discard
                }
            }
            finally
            {
                socket.setSoTimeout(timeout);
            }
        }

        long connect() throws IOException
        {
            final byte[] p = new byte[16];
            final int tid = nextTransaction++;
            new RequestHeaderFlyweight().wrap(new UnsafeBuffer(p), 0)
                .connectionId(UdpProtocol.PROTOCOL_ID).action(UdpProtocol.ACTION_CONNECT).transactionId(tid);
            send(p, p.length);
            while (true)
            {
                final UnsafeBuffer r = receive();
                if (r == null)
                {
                    throw new AssertionError("no connect reply");
                }
                final ConnectResponseFlyweight c = new ConnectResponseFlyweight().wrap(r, 0);
                if (replyLength == 16 && c.action() == UdpProtocol.ACTION_CONNECT && c.transactionId() == tid)
                {
                    return c.connectionId();
                }
            }
        }

        static byte[] announcePacket(final long connectionId, final int tid, final byte[] hash, final byte[] peerId,
            final int port, final long left, final int event)
        {
            final byte[] p = new byte[98];
            new AnnounceRequestFlyweight().wrap(new UnsafeBuffer(p), 0)
                .connectionId(connectionId).action(UdpProtocol.ACTION_ANNOUNCE).transactionId(tid)
                .putInfoHash(hash, 0).putPeerId(peerId, 0).downloaded(0).left(left).uploaded(0)
                .event(event).ip(0).key(0x5eed).numWant(50).port(port);
            return p;
        }

        /** Announces; returns the reply's action (1 announce, 3 error) or -1 on timeout. */
        int announce(final long connectionId, final byte[] hash, final byte[] peerId, final int port, final long left)
            throws IOException
        {
            final int tid = nextTransaction++;
            final byte[] p = announcePacket(connectionId, tid, hash, peerId, port, left, 2);
            send(p, p.length);
            while (true)
            {
                final UnsafeBuffer r = receive();
                if (r == null)
                {
                    return -1;
                }
                final AnnounceResponseFlyweight a = new AnnounceResponseFlyweight().wrap(r, 0);
                if (replyLength >= 8 && a.transactionId() == tid)
                {
                    return a.action();
                }
            }
        }

        /** {seeders, completed, leechers} of one hash. */
        int[] scrape(final long connectionId, final byte[] hash) throws IOException
        {
            final byte[] p = new byte[ScrapeRequestFlyweight.length(1)];
            final int tid = nextTransaction++;
            new ScrapeRequestFlyweight().wrap(new UnsafeBuffer(p), 0)
                .connectionId(connectionId).action(UdpProtocol.ACTION_SCRAPE).transactionId(tid).putInfoHash(0, hash, 0);
            send(p, p.length);
            while (true)
            {
                final UnsafeBuffer r = receive();
                if (r == null)
                {
                    throw new AssertionError("no scrape reply");
                }
                final ScrapeResponseFlyweight s = new ScrapeResponseFlyweight().wrap(r, 0);
                if (s.transactionId() == tid && s.action() == UdpProtocol.ACTION_SCRAPE)
                {
                    return new int[]{s.seeders(0), s.completed(0), s.leechers(0)};
                }
            }
        }

        @Override
        public void close()
        {
            socket.close();
        }
    }
}
