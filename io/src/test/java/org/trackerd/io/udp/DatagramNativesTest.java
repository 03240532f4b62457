package org.trackerd.io.udp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JDK's datagram natives through {@link DatagramNatives} on real loopback sockets: the kernel's {@code sockaddr}
 * of the sender is what {@link SocketAddresses} reads, and sending back to it reaches the sender. The build runs the
 * tests with {@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED}, so the natives must be there.
 */
class DatagramNativesTest
{
    private final UnsafeBuffer data = new UnsafeBuffer(ByteBuffer.allocateDirect(UdpProtocol.MAX_DATAGRAM_LENGTH));
    private final UnsafeBuffer sockaddr = new UnsafeBuffer(ByteBuffer.allocateDirect(32));

    @Test
    void availableUnderTheBuildsFlags()
    {
        assertTrue(DatagramNatives.available(), () -> "natives unavailable: " + DatagramNatives.unavailableReason());
        assertNull(DatagramNatives.unavailableReason());
    }

    @Test
    void ipv4Socket() throws IOException
    {
        try (DatagramChannel server = DatagramChannel.open(StandardProtocolFamily.INET))
        {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            exchange(server, "127.0.0.1", SocketAddresses.AF_INET);
        }
    }

    @Test
    void ipv6Socket() throws IOException
    {
        try (DatagramChannel server = DatagramChannel.open(StandardProtocolFamily.INET6))
        {
            server.bind(new InetSocketAddress("::1", 0));
            exchange(server, "::1", SocketAddresses.AF_INET6);
        }
    }

    /** An IPv4 sender on a dual-stack socket arrives as AF_INET6 ::ffff:127.0.0.1, and the answer goes back to it. */
    @Test
    void dualStackSocketWithAnIpv4Sender() throws IOException
    {
        try (DatagramChannel server = DatagramChannel.open())
        {
            server.bind(new InetSocketAddress("::", 0));
            exchange(server, "127.0.0.1", SocketAddresses.AF_INET6);
        }
    }

    @Test
    void nothingToReceiveIsUnavailable() throws IOException
    {
        try (DatagramChannel server = DatagramChannel.open(StandardProtocolFamily.INET))
        {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            server.configureBlocking(false);
            final FileDescriptor fd = DatagramNatives.fd(server);
            assertEquals(DatagramNatives.UNAVAILABLE,
                DatagramNatives.receive(fd, data.addressOffset(), data.capacity(), sockaddr.addressOffset()));
        }
    }

    private void exchange(final DatagramChannel server, final String clientHost, final int expectedFamily)
        throws IOException
    {
        server.configureBlocking(false);
        final FileDescriptor fd = DatagramNatives.fd(server);
        assertNotNull(fd);
        final InetSocketAddress serverAddress = new InetSocketAddress(InetAddress.getByName(clientHost),
            ((InetSocketAddress)server.getLocalAddress()).getPort());
        try (DatagramChannel client = DatagramChannel.open())
        {
            client.bind(new InetSocketAddress(InetAddress.getByName(clientHost), 0));
            final InetSocketAddress clientAddress = (InetSocketAddress)client.getLocalAddress();
            final byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
            client.send(ByteBuffer.wrap(ping), serverAddress);

            int n = DatagramNatives.UNAVAILABLE;
            final long deadline = System.currentTimeMillis() + 3000;
            while (n == DatagramNatives.UNAVAILABLE && System.currentTimeMillis() < deadline)
            {
                n = DatagramNatives.receive(fd, data.addressOffset(), data.capacity(), sockaddr.addressOffset());
            }
            assertEquals(ping.length, n);
            final byte[] got = new byte[n];
            data.getBytes(0, got);
            assertArrayEquals(ping, got);
            assertEquals(expectedFamily, SocketAddresses.family(sockaddr, 0));
            assertEquals(clientAddress.getPort(), SocketAddresses.port(sockaddr, 0));
            assertEquals(clientAddress, SocketAddresses.decode(sockaddr, 0));
            final byte[] a16 = new byte[16];
            assertTrue(SocketAddresses.toAddress16(sockaddr, 0, a16));
            final UnsafeBuffer expected = new UnsafeBuffer(new byte[32]);
            final byte[] e16 = new byte[16];
            SocketAddresses.encode(clientAddress, expected, 0);
            SocketAddresses.toAddress16(expected, 0, e16);
            assertArrayEquals(e16, a16);

            final byte[] pong = "pong!".getBytes(StandardCharsets.US_ASCII);
            data.putBytes(0, pong);
            assertEquals(pong.length, DatagramNatives.send(fd, data.addressOffset(), pong.length,
                sockaddr.addressOffset(), SocketAddresses.length(sockaddr, 0)));
            final ByteBuffer reply = ByteBuffer.allocate(64);
            client.configureBlocking(false);
            InetSocketAddress from = null;
            final long replyDeadline = System.currentTimeMillis() + 3000;
            while (from == null && System.currentTimeMillis() < replyDeadline)
            {
                from = (InetSocketAddress)client.receive(reply);
            }
            assertNotNull(from, "no answer");
            assertEquals(serverAddress.getPort(), from.getPort());
            assertArrayEquals(pong, java.util.Arrays.copyOf(reply.array(), reply.position()));
        }
    }
}
