package org.trackerd.jmh.loadgen;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * The floor of the JDK's socket path in a side-by-side run: a server with no tracker in it that answers the load
 * generator's requests with canned replies of the same size as a tracker's (numwant peers, compact), through the
 * plain JDK API, one thread. Its CPU per response is what any Java tracker using that API pays before doing any
 * work of its own; {@code scripts/compare-trackers.sh} runs it beside the trackers when {@code FLOOR=1}.
 *
 * <ul>
 *   <li>UDP: one blocking {@link DatagramChannel}, {@code receive} and {@code send} per packet (connect, announce
 *       and scrape replies by action, the transaction id echoed).</li>
 *   <li>HTTP: a {@link Selector} over a non-blocking {@link ServerSocketChannel}; a new connection is read at once
 *       and registered only if nothing has arrived yet; one canned bencoded answer per request; the connection is
 *       closed when the request says {@code Connection: close}.</li>
 * </ul>
 *
 * <pre>
 *   java -cp trackerd-benchmarks.jar org.trackerd.jmh.loadgen.FloorServer 127.0.0.1:6969 [NUMWANT]
 * </pre>
 *
 * Loopback only: it refuses any other address. It runs until killed.
 */
public final class FloorServer
{
    private FloorServer()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length < 1)
        {
            System.err.println("usage: FloorServer HOST:PORT [NUMWANT]");
            System.exit(2);
        }
        final int colon = args[0].lastIndexOf(':');
        final InetSocketAddress listen = new InetSocketAddress(args[0].substring(0, colon),
            Integer.parseInt(args[0].substring(colon + 1)));
        if (!listen.getAddress().isLoopbackAddress())
        {
            throw new IllegalArgumentException("loopback addresses only: " + listen);
        }
        final int peers = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        final Thread udp = new Thread(() -> run(() -> udp(listen, peers)), "floor-udp");
        udp.start();
        System.out.println("ready: " + listen);
        http(listen, peers);
    }

    private interface IoTask
    {
        void run() throws IOException;
    }

    private static void run(final IoTask task)
    {
        try
        {
            task.run();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static void udp(final InetSocketAddress listen, final int peers) throws IOException
    {
        try (DatagramChannel channel = DatagramChannel.open())
        {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
            channel.bind(listen);
            final ByteBuffer in = ByteBuffer.allocateDirect(2048);
            final ByteBuffer out = ByteBuffer.allocateDirect(2048);
            while (true)
            {
                in.clear();
                final SocketAddress from = channel.receive(in);
                if (in.position() < 16)
                {
                    continue;
                }
                final int action = in.getInt(8);
                final int txn = in.getInt(12);
                out.clear();
                if (action == 0)
                {
                    out.putInt(0).putInt(txn).putLong(0x5EED_F100_0000_0001L);
                }
                else if (action == 1)
                {
                    out.putInt(1).putInt(txn).putInt(1800).putInt(peers).putInt(peers);
                    for (int i = 0; i < peers; i++)
                    {
                        out.putInt(0x7F00_0001 + i).putShort((short)6881);
                    }
                }
                else
                {
                    out.putInt(2).putInt(txn);
                    for (int at = 16; at + 20 <= in.position(); at += 20)
                    {
                        out.putInt(peers).putInt(0).putInt(peers);
                    }
                }
                out.flip();
                channel.send(out, from);
            }
        }
    }

    private static void http(final InetSocketAddress listen, final int peers) throws IOException
    {
        final StringBuilder body = new StringBuilder("d8:completei").append(peers).append("e10:incompletei")
            .append(peers).append("e8:intervali1800e5:peers").append(peers * 6).append(':');
        body.append("\u007f\u0000\u0000\u0001\u001a\u00e1".repeat(peers)).append('e');
        final byte[] bencoded = body.toString().getBytes(StandardCharsets.ISO_8859_1);
        final ByteBuffer close = answer(bencoded, "close");
        final ByteBuffer keepAlive = answer(bencoded, "keep-alive");
        final ByteBuffer in = ByteBuffer.allocateDirect(16 * 1024);
        try (ServerSocketChannel server = ServerSocketChannel.open(); Selector selector = Selector.open())
        {
            server.bind(listen, 4096);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            while (true)
            {
                selector.select();
                final Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext())
                {
                    final SelectionKey key = keys.next();
                    keys.remove();
                    if (key.isAcceptable())
                    {
                        SocketChannel c;
                        while ((c = server.accept()) != null)
                        {
                            c.configureBlocking(false);
                            if (!serve(c, in, close, keepAlive))
                            {
                                c.register(selector, SelectionKey.OP_READ);
                            }
                        }
                    }
                    else if (key.isReadable())
                    {
                        serve((SocketChannel)key.channel(), in, close, keepAlive);
                    }
                }
            }
        }
    }

    /** Answers what the connection sent; false when nothing had arrived yet (the caller registers it). */
    private static boolean serve(final SocketChannel c, final ByteBuffer in, final ByteBuffer close,
        final ByteBuffer keepAlive) throws IOException
    {
        in.clear();
        final int n;
        try
        {
            n = c.read(in);
        }
        catch (final IOException ex)
        {
            c.close();
            return true;
        }
        if (n == 0)
        {
            return false;
        }
        if (n < 0)
        {
            c.close();
            return true;
        }
        final boolean closing = contains(in, n, "Connection: close");
        final ByteBuffer answer = closing ? close : keepAlive;
        answer.rewind();
        try
        {
            c.write(answer);
        }
        catch (final IOException ex)
        {
            c.close();
            return true;
        }
        if (closing)
        {
            c.close();
        }
        return true;
    }

    private static ByteBuffer answer(final byte[] body, final String connection)
    {
        final byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length +
            "\r\nConnection: " + connection + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        final ByteBuffer b = ByteBuffer.allocateDirect(head.length + body.length);
        b.put(head).put(body).flip();
        return b;
    }

    private static boolean contains(final ByteBuffer in, final int length, final String text)
    {
        final int last = length - text.length();
        outer:
        for (int i = 0; i <= last; i++)
        {
            for (int j = 0; j < text.length(); j++)
            {
                if (in.get(i + j) != text.charAt(j))
                {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
