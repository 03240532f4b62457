package org.trackerd.jmh.loadgen;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * WebTorrent announce load over WebSocket ({@code --protocol ws}) for {@link LoadGenerator}: the load
 * {@code io/src/test/node/ws-load.mjs} makes, from one selector thread. Each of {@code --connections} connections is
 * one browser peer of torrent {@code n % --torrents}: it upgrades {@code /announce}, then announces (event
 * {@code started}, {@code --offers} offers of a ~1.5 KB session description each, {@code numwant} = offers; even
 * peers seeders), waits for the tracker's answer to that announce, and announces again. Offers the tracker forwards
 * to it are counted ({@code offers_received}) and not answered: the load is announce plus offer relay. An answer
 * that has not come within a second is a loss and the connection is opened again.
 *
 * <p>Frames are masked with a zero key (a valid mask that leaves the payload as it is, so the client's cost is the
 * copy); each announce gets new offer ids, written into the connection's template in place. Messages are told apart
 * by size: the tracker's answer to an announce is a few hundred bytes, a relayed offer carries its 1.5 KB session
 * description.
 *
 * <p>Bounded: {@link LoadGenerator#durationSeconds} (at most 600), at most 10000 connections, loopback targets only
 * (checked by {@link LoadGenerator#parse}); each connection has one announce in flight.
 *
 * <p>Thread: one thread, one selector.
 */
final class WebSocketLoad
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);
    /** Server messages at least this long are relayed offers; shorter ones answer an announce. */
    private static final int OFFER_MESSAGE_BYTES = 1024;
    private static final String SDP = "v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\n" +
        "a=candidate:0 1 UDP 2122252543 192.0.2.1 5000 typ host\\r\\n".repeat(24);

    private final LoadGenerator g;
    private final int connections;
    private final int offers;
    private final SocketChannel[] channels;
    /** Per connection: the announce frame (header + payload) and where each offer_id's 20 digits start. */
    private final byte[][] frames;
    private final int[][] offerIdAt;
    private final ByteBuffer[] inbox;
    private final ByteBuffer[] outbox;
    private final long[] sentAtNs;
    private final boolean[] upgraded;
    private long nextOfferId;
    /** The selector of the current run. */
    private Selector selector;
    /** Relayed offers received (measured part and warm-up alike; printed at the end of each run). */
    long offersReceived;

    WebSocketLoad(final LoadGenerator g)
    {
        this.g = g;
        this.connections = g.sockets;
        this.offers = g.offers;
        channels = new SocketChannel[connections];
        frames = new byte[connections][];
        offerIdAt = new int[connections][offers];
        inbox = new ByteBuffer[connections];
        outbox = new ByteBuffer[connections];
        sentAtNs = new long[connections];
        upgraded = new boolean[connections];
        for (int n = 0; n < connections; n++)
        {
            frames[n] = announceFrame(n);
            inbox[n] = ByteBuffer.allocate(256 * 1024);
        }
    }

    private static String id(final char prefix, final long n)
    {
        final String digits = Long.toString(n);
        return String.valueOf(prefix).repeat(20 - Math.min(19, digits.length())) +
            digits.substring(Math.max(0, digits.length() - 19));
    }

    /** The masked (zero key) text frame of connection {@code n}'s announce, with offer_id places recorded. */
    private byte[] announceFrame(final int n)
    {
        final StringBuilder sb = new StringBuilder(offers * 1600 + 256);
        sb.append("{\"action\":\"announce\",\"info_hash\":\"").append(id('T', n % g.torrents))
            .append("\",\"peer_id\":\"").append(id('P', n)).append("\",\"numwant\":").append(offers)
            .append(",\"uploaded\":0,\"downloaded\":0,\"left\":").append(n % 2 == 0 ? 0 : 1000)
            .append(",\"event\":\"started\",\"offers\":[");
        final int[] at = new int[offers];
        for (int i = 0; i < offers; i++)
        {
            sb.append(i == 0 ? "" : ",").append("{\"offer\":{\"type\":\"offer\",\"sdp\":\"").append(SDP)
                .append("\"},\"offer_id\":\"");
            at[i] = sb.length();
            sb.append(id('O', 0)).append("\"}");
        }
        sb.append("]}");
        final byte[] payload = sb.toString().getBytes(StandardCharsets.US_ASCII);
        final int header = payload.length < 126 ? 6 : payload.length <= 0xFFFF ? 8 : 14;
        final byte[] frame = new byte[header + payload.length];
        frame[0] = (byte)0x81;
        if (payload.length < 126)
        {
            frame[1] = (byte)(0x80 | payload.length);
        }
        else if (payload.length <= 0xFFFF)
        {
            frame[1] = (byte)(0x80 | 126);
            frame[2] = (byte)(payload.length >>> 8);
            frame[3] = (byte)payload.length;
        }
        else
        {
            frame[1] = (byte)(0x80 | 127);
            for (int i = 0; i < 8; i++)
            {
                frame[2 + i] = (byte)((long)payload.length >>> (8 * (7 - i)));
            }
        }
        // the mask key (4 zero bytes) ends the header
        System.arraycopy(payload, 0, frame, header, payload.length);
        for (int i = 0; i < offers; i++)
        {
            offerIdAt[n][i] = header + at[i];
        }
        return frame;
    }

    void run() throws IOException
    {
        offersReceived = 0;
        try (Selector selector = Selector.open())
        {
            this.selector = selector;
            final long startNs = System.nanoTime();
            final long endNs = startNs + TimeUnit.SECONDS.toNanos(g.durationSeconds);
            for (int n = 0; n < connections; n++)
            {
                open(selector, n);
            }
            long now;
            while ((now = System.nanoTime()) < endNs)
            {
                for (int n = 0; n < connections; n++)
                {
                    if (sentAtNs[n] != 0 && now - sentAtNs[n] > TIMEOUT_NS)
                    {
                        g.losses++;
                        reopen(selector, n);
                    }
                }
                if (selector.selectNow() == 0)
                {
                    selector.select(1);
                }
                final Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext())
                {
                    final SelectionKey k = it.next();
                    it.remove();
                    final int n = (Integer)k.attachment();
                    try
                    {
                        if (k.isValid() && k.isConnectable() && channels[n].finishConnect())
                        {
                            upgrade(n, System.nanoTime());
                            k.interestOps(SelectionKey.OP_READ);
                        }
                        if (k.isValid() && k.isWritable())
                        {
                            flush(k, n);
                        }
                        if (k.isValid() && k.isReadable())
                        {
                            read(k, n);
                        }
                    }
                    catch (final IOException ex)
                    {
                        g.errors++;
                        reopen(selector, n);
                    }
                }
            }
        }
        finally
        {
            for (final SocketChannel c : channels)
            {
                if (c != null)
                {
                    c.close();
                }
            }
        }
        System.out.printf(Locale.ROOT, "ws: connections=%d offers_per_announce=%d offer_bytes=%d offers_received=%d%n",
            connections, offers, SDP.length(), offersReceived);
    }

    private void open(final Selector selector, final int n) throws IOException
    {
        final SocketChannel c = SocketChannel.open();
        c.configureBlocking(false);
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channels[n] = c;
        upgraded[n] = false;
        inbox[n].clear();
        outbox[n] = null;
        sentAtNs[n] = System.nanoTime(); // the upgrade counts against the same timeout
        if (c.connect(g.target))
        {
            c.register(selector, SelectionKey.OP_READ, n);
            upgrade(n, sentAtNs[n]);
        }
        else
        {
            c.register(selector, SelectionKey.OP_CONNECT, n);
        }
    }

    private void reopen(final Selector selector, final int n) throws IOException
    {
        if (channels[n] != null)
        {
            channels[n].close();
        }
        open(selector, n);
    }

    private void upgrade(final int n, final long now) throws IOException
    {
        final byte[] key = new byte[16];
        key[0] = (byte)n;
        key[1] = (byte)(n >>> 8);
        final String request = "GET /announce HTTP/1.1\r\nHost: " + g.target.getAddress().getHostAddress() +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
            Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        send(n, ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
        sentAtNs[n] = now;
    }

    private void announce(final int n, final long now) throws IOException
    {
        final byte[] frame = frames[n];
        for (int i = 0; i < offers; i++)
        {
            long v = nextOfferId++;
            for (int d = offerIdAt[n][i] + 19; d >= offerIdAt[n][i]; d--)
            {
                frame[d] = (byte)('0' + v % 10);
                v /= 10;
            }
        }
        sentAtNs[n] = now;
        g.sent++;
        send(n, ByteBuffer.wrap(frame));
    }

    private void send(final int n, final ByteBuffer out) throws IOException
    {
        channels[n].write(out);
        if (out.hasRemaining())
        {
            outbox[n] = out;
            channels[n].keyFor(selector).interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    private void flush(final SelectionKey k, final int n) throws IOException
    {
        final ByteBuffer out = outbox[n];
        if (out != null)
        {
            channels[n].write(out);
            if (out.hasRemaining())
            {
                return;
            }
            outbox[n] = null;
        }
        k.interestOps(SelectionKey.OP_READ);
    }

    private void read(final SelectionKey k, final int n) throws IOException
    {
        final ByteBuffer in = inbox[n];
        final int r = channels[n].read(in);
        if (r < 0)
        {
            throw new IOException("closed by the server");
        }
        in.flip();
        final long now = System.nanoTime();
        if (!upgraded[n])
        {
            final int end = headEnd(in);
            if (end < 0)
            {
                in.compact();
                return;
            }
            if (!(in.get(9) == '1' && in.get(10) == '0' && in.get(11) == '1'))
            {
                throw new IOException("upgrade refused");
            }
            in.position(end);
            upgraded[n] = true;
            announce(n, now);
        }
        while (in.remaining() >= 2)
        {
            final int start = in.position();
            final int b1 = in.get(start + 1) & 0x7F;
            int header = 2;
            long length = b1;
            if (b1 == 126)
            {
                if (in.remaining() < 4)
                {
                    break;
                }
                length = in.getShort(start + 2) & 0xFFFF;
                header = 4;
            }
            else if (b1 == 127)
            {
                if (in.remaining() < 10)
                {
                    break;
                }
                length = in.getLong(start + 2);
                header = 10;
            }
            if (length > in.capacity() - header)
            {
                throw new IOException("message of " + length + " bytes");
            }
            if (in.remaining() < header + length)
            {
                break;
            }
            final int opcode = in.get(start) & 0x0F;
            in.position(start + header + (int)length);
            if (opcode == 0x1 || opcode == 0x2)
            {
                if (length >= OFFER_MESSAGE_BYTES)
                {
                    offersReceived++;
                }
                else
                {
                    if (contains(in, start + header, (int)length, FAILURE))
                    {
                        g.errors++;
                    }
                    else
                    {
                        g.responses++;
                    }
                    g.latency.recordValue(Math.min(now - sentAtNs[n], g.latency.getHighestTrackableValue()));
                    announce(n, now);
                }
            }
            else if (opcode == 0x8)
            {
                throw new IOException("closed by the server");
            }
        }
        in.compact();
    }

    private static final byte[] FAILURE = "failure reason".getBytes(StandardCharsets.US_ASCII);

    private static boolean contains(final ByteBuffer b, final int from, final int length, final byte[] what)
    {
        outer:
        for (int i = from; i <= from + length - what.length; i++)
        {
            for (int j = 0; j < what.length; j++)
            {
                if (b.get(i + j) != what[j])
                {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** Where the HTTP head ends (after CRLF CRLF), or -1. */
    private static int headEnd(final ByteBuffer b)
    {
        for (int i = b.position(); i + 3 < b.limit(); i++)
        {
            if (b.get(i) == '\r' && b.get(i + 1) == '\n' && b.get(i + 2) == '\r' && b.get(i + 3) == '\n')
            {
                return i + 4;
            }
        }
        return -1;
    }
}
