package org.trackerd.io.http;

import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.FileDescriptor;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bare-descriptor TCP path over loopback, and its hand-over to the JDK's channel. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpNativesTest
{
    @Test
    void availableWithTheProjectsJvmFlags()
    {
        // The build runs tests with --add-opens=java.base/sun.nio.ch, as scripts/run-tracker.sh runs the tracker:
        // the HTTP end-to-end tests then exercise the bare path, not the fallback.
        assertTrue(TcpNatives.available(), TcpNatives.unavailableReason());
    }

    @Test
    void acceptReadWriteCloseOnABareDescriptor() throws Exception
    {
        try (ServerSocketChannel server = listener())
        {
            final FileDescriptor listenerFd = TcpNatives.listenerFd(server);
            assertNotNull(listenerFd);
            assertNotNull(TcpNatives.listenerFamily(server));
            final InetSocketAddress[] remote = new InetSocketAddress[1];
            assertFalse(TcpNatives.accept(listenerFd, new FileDescriptor(), remote), "nothing waiting");
            assertNull(TcpNatives.deferAccept(server, 1), "TCP_DEFER_ACCEPT set");
            TcpNatives.cork(listenerFd, true);

            try (Socket client = new Socket("127.0.0.1", server.socket().getLocalPort()))
            {
                final FileDescriptor fd = new FileDescriptor();
                assertTrue(awaitAccept(listenerFd, fd, remote));
                assertEquals(client.getLocalPort(), remote[0].getPort());

                final ByteBuffer buffer = ByteBuffer.allocateDirect(64);
                final long address = BufferUtil.address(buffer);
                assertEquals(0, TcpNatives.available(fd), "nothing sent yet");
                client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (TcpNatives.available(fd) < 4 && System.nanoTime() < deadline)
                {
                    Thread.onSpinWait();
                }
                assertEquals(4, TcpNatives.available(fd));
                assertEquals(4, TcpNatives.read(fd, address, 64), "blocking mode, bytes waiting: returns at once");
                final byte[] got = new byte[4];
                buffer.get(0, got);
                assertArrayEquals("ping".getBytes(StandardCharsets.US_ASCII), got);

                TcpNatives.nonBlocking(fd);
                assertEquals(TcpNatives.UNAVAILABLE, TcpNatives.read(fd, address, 64), "non-blocking: nothing more");
                buffer.clear().put("pong".getBytes(StandardCharsets.US_ASCII));
                assertEquals(4, TcpNatives.write(fd, address, 4));
                TcpNatives.close(fd);

                final InputStream in = client.getInputStream();
                assertArrayEquals("pong".getBytes(StandardCharsets.US_ASCII), in.readNBytes(4));
                assertEquals(-1, in.read(), "FIN after the answer");
            }
        }
    }

    @Test
    void accept4TakesANonBlockingSocketAndItsAddressWithoutObjects() throws Exception
    {
        assertTrue(TcpNatives.bindAccept4(), TcpNatives.accept4UnavailableReason());
        for (final String host : new String[] {"127.0.0.1", "::1"})
        {
            try (ServerSocketChannel server = ServerSocketChannel.open())
            {
                server.bind(new InetSocketAddress(host, 0));
                server.configureBlocking(false);
                final int listener = TcpNatives.fdVal(TcpNatives.listenerFd(server));
                final org.agrona.concurrent.UnsafeBuffer scratch = new org.agrona.concurrent.UnsafeBuffer(
                    ByteBuffer.allocateDirect(TcpNatives.ACCEPT4_SCRATCH_BYTES));
                assertEquals(-TcpNatives.EAGAIN, TcpNatives.accept4(listener, scratch), "nothing waiting");
                try (Socket client = new Socket(host, server.socket().getLocalPort()))
                {
                    int fd = -TcpNatives.EAGAIN;
                    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (fd == -TcpNatives.EAGAIN && System.nanoTime() < deadline)
                    {
                        fd = TcpNatives.accept4(listener, scratch);
                    }
                    assertTrue(fd >= 0, "accepted: " + fd);
                    final byte[] address = new byte[16];
                    assertEquals(client.getLocalPort(), TcpNatives.sockaddr(scratch, address));
                    final byte[] expected = new byte[16];
                    HttpFrontend.toAddress16(client.getLocalAddress().getAddress(), expected);
                    assertArrayEquals(expected, address, host);

                    final FileDescriptor descriptor = new FileDescriptor();
                    TcpNatives.fdVal(descriptor, fd);
                    assertEquals(fd, TcpNatives.fdVal(descriptor));
                    final ByteBuffer buffer = ByteBuffer.allocateDirect(64);
                    assertEquals(TcpNatives.UNAVAILABLE, TcpNatives.read(descriptor, BufferUtil.address(buffer), 64),
                        "non-blocking from the start: a read with nothing there returns at once");
                    buffer.put("pong".getBytes(StandardCharsets.US_ASCII));
                    assertEquals(4, TcpNatives.write(descriptor, BufferUtil.address(buffer), 4));
                    TcpNatives.close(descriptor);
                    final InputStream in = client.getInputStream();
                    assertArrayEquals("pong".getBytes(StandardCharsets.US_ASCII), in.readNBytes(4));
                    assertEquals(-1, in.read());
                }
            }
        }
    }

    @Test
    void anAdoptedSocketIsAnOrdinaryChannel() throws Exception
    {
        try (ServerSocketChannel server = listener(); Selector selector = Selector.open())
        {
            final FileDescriptor listenerFd = TcpNatives.listenerFd(server);
            try (Socket client = new Socket("127.0.0.1", server.socket().getLocalPort()))
            {
                final FileDescriptor fd = new FileDescriptor();
                final InetSocketAddress[] remote = new InetSocketAddress[1];
                assertTrue(awaitAccept(listenerFd, fd, remote));
                try (SocketChannel channel = TcpNatives.adopt(fd, TcpNatives.listenerFamily(server), remote[0]))
                {
                    channel.configureBlocking(false);
                    assertEquals(remote[0], channel.getRemoteAddress());
                    assertEquals(server.getLocalAddress(), channel.getLocalAddress());
                    channel.register(selector, SelectionKey.OP_READ);
                    client.getOutputStream().write(7);
                    assertEquals(1, selector.select(5000));
                    final ByteBuffer one = ByteBuffer.allocate(1);
                    assertEquals(1, channel.read(one));
                    assertEquals(7, one.get(0));
                }
                assertEquals(-1, client.getInputStream().read(), "closed through the channel");
            }
        }
    }

    private static ServerSocketChannel listener() throws Exception
    {
        final ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        server.configureBlocking(false);
        return server;
    }

    private static boolean awaitAccept(final FileDescriptor listenerFd, final FileDescriptor fd,
        final InetSocketAddress[] remote) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline)
        {
            if (TcpNatives.accept(listenerFd, fd, remote))
            {
                return true;
            }
            Thread.sleep(1);
        }
        return false;
    }
}
