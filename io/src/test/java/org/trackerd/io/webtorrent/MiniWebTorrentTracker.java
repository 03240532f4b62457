package org.trackerd.io.webtorrent;

import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.io.ws.WebSocketFrameDecoder;
import org.trackerd.io.ws.WebSocketFrameEncoder;
import org.trackerd.io.ws.WebSocketHandshake;
import org.trackerd.io.ws.WebSocketSession;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A WebTorrent tracker for tests only, built from nothing but the codec: one selector thread, the handshake,
 * {@link WebSocketSession} per connection, {@link WebTorrentRequestDecoder} and {@link WebTorrentResponseEncoder},
 * and swarms in plain maps. It is the seam of {@link WebSocketSession}'s Javadoc made concrete, so the real npm
 * client can be run against the codec before the frontend integration exists. Not the engine's design: here one
 * thread owns every socket, so an offer is written straight to its target's output.
 */
final class MiniWebTorrentTracker implements AutoCloseable
{
    private static final int INTERVAL_SECONDS = 120;

    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread thread;
    private final WebSocketHandshake handshake = new WebSocketHandshake();
    private final WebTorrentRequestDecoder decoder = new WebTorrentRequestDecoder();
    private final WebTorrentRequest request = new WebTorrentRequest(10, 74);
    /** info_hash (hex) to peer_id (hex) to the peer's connection, in announce order. */
    private final Map<String, Map<String, Connection>> swarms = new HashMap<>();
    private final Map<String, Set<String>> seeders = new HashMap<>();
    private volatile boolean running = true;
    final AtomicInteger messages = new AtomicInteger();
    final AtomicInteger failures = new AtomicInteger();
    final AtomicInteger offersForwarded = new AtomicInteger();
    final AtomicInteger answersRelayed = new AtomicInteger();
    volatile Throwable error;

    private static final class Connection
    {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocateDirect(16 * 1024);
        final UnsafeBuffer inView = new UnsafeBuffer(in);
        final ByteBuffer out = ByteBuffer.allocateDirect(512 * 1024);
        final UnsafeBuffer outView = new UnsafeBuffer(out);
        WebSocketSession session;
        final List<String[]> announced = new ArrayList<>();

        Connection(final SocketChannel channel)
        {
            this.channel = channel;
        }
    }

    MiniWebTorrentTracker() throws IOException
    {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.configureBlocking(false);
        selector = Selector.open();
        server.register(selector, SelectionKey.OP_ACCEPT);
        thread = new Thread(this::run, "mini-webtorrent-tracker");
        thread.setDaemon(true);
        thread.start();
    }

    int port() throws IOException
    {
        return ((InetSocketAddress)server.getLocalAddress()).getPort();
    }

    private void run()
    {
        try
        {
            while (running)
            {
                selector.select(100);
                for (final SelectionKey key : selector.selectedKeys())
                {
                    if (key.isValid() && key.isAcceptable())
                    {
                        final SocketChannel channel = server.accept();
                        if (channel != null)
                        {
                            channel.configureBlocking(false);
                            channel.register(selector, SelectionKey.OP_READ, new Connection(channel));
                        }
                    }
                    else if (key.isValid() && key.isReadable())
                    {
                        onReadable(key, (Connection)key.attachment());
                    }
                }
                selector.selectedKeys().clear();
            }
        }
        catch (final Throwable t)
        {
            error = t;
        }
    }

    private void onReadable(final SelectionKey key, final Connection c) throws IOException
    {
        final int n;
        try
        {
            n = c.channel.read(c.in);
        }
        catch (final IOException ex)
        {
            close(key, c);
            return;
        }
        if (n < 0)
        {
            close(key, c);
            return;
        }
        int offset = 0;
        final int length = c.in.position();
        if (c.session == null)
        {
            final int headEnd = headEnd(c.inView, length);
            if (headEnd < 0)
            {
                return;
            }
            final int result = handshake.check(c.inView, 0, headEnd);
            if (result != WebSocketHandshake.ACCEPT)
            {
                send(c, WebSocketHandshake.writeRefusal(c.outView, c.out.position(), result));
                close(key, c);
                return;
            }
            send(c, handshake.writeAccept(c.outView, c.out.position()));
            c.session = new WebSocketSession(
                new WebSocketFrameDecoder(64 * 1024, 64 * 1024, 1024, false), 0, TimeUnit.MINUTES.toNanos(5))
                .open(System.nanoTime());
            offset = headEnd;
        }
        while (offset < length)
        {
            final int event = c.session.onBytes(c.inView, offset, length - offset, System.nanoTime());
            offset += c.session.consumed();
            switch (event)
            {
                case WebSocketFrameDecoder.TEXT:
                    messages.incrementAndGet();
                    onMessage(c);
                    break;
                case WebSocketFrameDecoder.PING:
                    send(c, c.session.writePong(c.outView, c.out.position()));
                    break;
                case WebSocketFrameDecoder.CLOSE:
                    send(c, c.session.writeCloseReply(c.outView, c.out.position()));
                    close(key, c);
                    return;
                case WebSocketFrameDecoder.FAIL:
                    failures.incrementAndGet();
                    send(c, c.session.writeFailClose(c.outView, c.out.position()));
                    close(key, c);
                    return;
                default:
                    break;
            }
        }
        c.in.clear(); // everything was taken: the decoder keeps what it needs
    }

    private void onMessage(final Connection c)
    {
        final int result = decoder.decode(c.session.message(), 0, c.session.messageLength(), request);
        if (result != WebTorrentRequestDecoder.OK)
        {
            failures.incrementAndGet();
            frame(c, WebTorrentResponseEncoder.failure(c.outView, payloadAt(c), WebTorrentRequestDecoder.reason(result)));
            return;
        }
        if (request.action() == WebTorrentRequest.ACTION_SCRAPE)
        {
            int p = WebTorrentResponseEncoder.scrapeStart(c.outView, payloadAt(c));
            for (int i = 0; i < request.infoHashCount(); i++)
            {
                final String hash = hex(request.infoHashes(), 20 * i);
                final int all = swarms.getOrDefault(hash, Map.of()).size();
                final int complete = seeders.getOrDefault(hash, Set.of()).size();
                p = WebTorrentResponseEncoder.scrapeFile(c.outView, p, i == 0, request.infoHashes(), 20 * i,
                    complete, all - complete, complete);
            }
            frame(c, WebTorrentResponseEncoder.scrapeEnd(c.outView, p));
            return;
        }
        final String hash = hex(request.infoHashes(), 0);
        final String peer = hex(request.peerId(), 0);
        final Map<String, Connection> swarm = swarms.computeIfAbsent(hash, h -> new LinkedHashMap<>());
        final Set<String> seeds = seeders.computeIfAbsent(hash, h -> new HashSet<>());
        if (request.hasAnswer())
        {
            final Connection to = swarm.get(hex(request.toPeerId(), 0));
            if (to != null)
            {
                final int at = payloadAt(to);
                frame(to, WebTorrentResponseEncoder.answer(to.outView, at, c.session.message(),
                    request.answerValueOffset(), request.answerValueLength(), request.offerId(), 0,
                    request.peerId(), 0, request.infoHashes(), 0));
                answersRelayed.incrementAndGet();
            }
            return;
        }
        if (request.event() == WebTorrentRequest.EVENT_STOPPED)
        {
            swarm.remove(peer);
            seeds.remove(peer);
        }
        else
        {
            if (swarm.put(peer, c) == null)
            {
                c.announced.add(new String[] {hash, peer});
            }
            if (request.left() == 0)
            {
                seeds.add(peer);
            }
            else
            {
                seeds.remove(peer);
            }
        }
        frame(c, WebTorrentResponseEncoder.announce(c.outView, payloadAt(c), request.infoHashes(), 0,
            INTERVAL_SECONDS, seeds.size(), swarm.size() - seeds.size()));
        int i = 0;
        for (final Map.Entry<String, Connection> other : swarm.entrySet())
        {
            if (i == request.offerCount())
            {
                break;
            }
            if (other.getKey().equals(peer))
            {
                continue;
            }
            final Connection to = other.getValue();
            frame(to, WebTorrentResponseEncoder.offer(to.outView, payloadAt(to), c.session.message(),
                request.offerValueOffset(i), request.offerValueLength(i), request.offerIds(), 20 * i,
                request.peerId(), 0, request.infoHashes(), 0));
            offersForwarded.incrementAndGet();
            i++;
        }
    }

    private static int payloadAt(final Connection c)
    {
        return WebSocketFrameEncoder.payloadOffset(c.out.position());
    }

    /** Frames the JSON written at {@link #payloadAt} up to {@code end} and sends it. */
    private void frame(final Connection c, final int end)
    {
        final int frameOffset = c.out.position();
        final int payload = end - WebSocketFrameEncoder.payloadOffset(frameOffset);
        send(c, WebSocketFrameEncoder.finishFrame(c.outView, frameOffset, WebSocketFrameDecoder.OPCODE_TEXT, payload));
    }

    /** Writes the {@code length} bytes just put at the output's position (loopback: the send buffer takes them). */
    private void send(final Connection c, final int length)
    {
        final ByteBuffer out = c.out;
        out.limit(out.position() + length);
        try
        {
            for (int attempts = 0; out.hasRemaining() && attempts < 1_000_000; attempts++)
            {
                c.channel.write(out);
            }
        }
        catch (final IOException ignored)
        {
            // the peer went away; its close is seen on the next read
        }
        out.clear();
    }

    private void close(final SelectionKey key, final Connection c) throws IOException
    {
        for (final String[] pair : c.announced)
        {
            final Map<String, Connection> swarm = swarms.get(pair[0]);
            if (swarm != null && swarm.get(pair[1]) == c)
            {
                swarm.remove(pair[1]);
                seeders.get(pair[0]).remove(pair[1]);
            }
        }
        key.cancel();
        c.channel.close();
    }

    private static int headEnd(final UnsafeBuffer b, final int length)
    {
        for (int i = 3; i < length; i++)
        {
            if (b.getByte(i) == '\n' && b.getByte(i - 1) == '\r' && b.getByte(i - 2) == '\n' && b.getByte(i - 3) == '\r')
            {
                return i + 1;
            }
        }
        return -1;
    }

    private static String hex(final UnsafeBuffer b, final int offset)
    {
        final StringBuilder sb = new StringBuilder(40);
        for (int i = 0; i < 20; i++)
        {
            sb.append(String.format("%02x", b.getByte(offset + i) & 0xFF));
        }
        return sb.toString();
    }

    @Override
    public void close() throws Exception
    {
        running = false;
        selector.wakeup();
        thread.join(10_000);
        selector.close();
        server.close();
    }
}
