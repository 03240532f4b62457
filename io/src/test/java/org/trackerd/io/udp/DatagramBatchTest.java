package org.trackerd.io.udp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code recvmmsg}/{@code sendmmsg} through {@link DatagramBatch} on real loopback sockets: many datagrams per call
 * each with its own sender, a datagram longer than its area flagged as truncated, and a batch whose middle message
 * the kernel refuses still delivering the others. The build runs tests with the flags the batch path needs, so it
 * must be available.
 */
class DatagramBatchTest
{
    @Test
    void availableUnderTheBuildsFlags()
    {
        assertTrue(BatchNatives.available(), () -> "recvmmsg/sendmmsg unavailable: " + BatchNatives.unavailableReason());
        assertNull(BatchNatives.unavailableReason());
    }

    @Test
    void dataAreasAreWholeCacheLinesAndNeverAPageMultipleApart() throws IOException
    {
        for (final int bytes : new int[] { 1, 64, 100, 256, 4096, 8192, 8193, 16384 })
        {
            final int stride = DatagramBatch.stride(bytes);
            assertTrue(stride >= bytes, "room for " + bytes);
            assertEquals(0, stride % 64, "whole lines for " + bytes);
            assertTrue(stride % 4096 != 0, "not a multiple of 4 KiB for " + bytes + ": " + stride);
        }
        // The frontend's receive batch (8 KiB areas): a datagram of the full 8 KiB still arrives whole.
        try (DatagramChannel server = server("127.0.0.1", StandardProtocolFamily.INET);
            DatagramChannel a = client("127.0.0.1"))
        {
            final byte[] payload = new byte[8192];
            java.util.Arrays.fill(payload, (byte)'x');
            a.send(ByteBuffer.wrap(payload), server.getLocalAddress());
            final DatagramBatch batch = new DatagramBatch(4, 8192);
            final int fd = BatchNatives.fdVal(DatagramNatives.fd(server));
            assertEquals(1, batch.receive(fd));
            assertEquals(8192, batch.length(0));
            assertFalse(batch.truncated(0));
            assertEquals(0, batch.dataOffset(0) % 64);
            assertEquals(DatagramBatch.stride(8192), batch.dataOffset(1) - batch.dataOffset(0));
        }
    }

    @Test
    void receivesDatagramsOfManySendersInOneCall() throws IOException
    {
        try (DatagramChannel server = server("127.0.0.1", StandardProtocolFamily.INET);
            DatagramChannel a = client("127.0.0.1");
            DatagramChannel b = client("127.0.0.1"))
        {
            final InetSocketAddress to = (InetSocketAddress)server.getLocalAddress();
            final Map<Integer, DatagramChannel> byPort = new HashMap<>();
            byPort.put(port(a), a);
            byPort.put(port(b), b);
            for (int i = 0; i < 20; i++)
            {
                (i % 2 == 0 ? a : b).send(ByteBuffer.wrap(("datagram-" + i).getBytes(StandardCharsets.US_ASCII)), to);
            }
            final DatagramBatch batch = new DatagramBatch(16, 256);
            final int fd = BatchNatives.fdVal(DatagramNatives.fd(server));
            assertEquals(16, batch.receive(fd), "a full batch in one call");
            assertEquals(4, batch.receive(fd), "the rest in the next");
            assertEquals(0, batch.receive(fd), "then nothing queued");
            // The second call's four are datagrams 16..19, in order, each with its own sender.
            for (int i = 0; i < 4; i++)
            {
                final String expected = "datagram-" + (16 + i);
                assertEquals(expected.length(), batch.length(i));
                assertFalse(batch.truncated(i));
                assertEquals(expected, batch.memory().getStringWithoutLengthAscii(batch.dataOffset(i), batch.length(i)));
                final int senderPort = SocketAddresses.port(batch.memory(), batch.nameOffset(i));
                assertEquals((16 + i) % 2 == 0 ? port(a) : port(b), senderPort);
                assertNotNull(byPort.get(senderPort));
            }
        }
    }

    @Test
    void aDatagramLongerThanItsAreaIsFlaggedTruncated() throws IOException
    {
        try (DatagramChannel server = server("::1", StandardProtocolFamily.INET6);
            DatagramChannel a = client("::1"))
        {
            a.send(ByteBuffer.allocate(300), server.getLocalAddress());
            a.send(ByteBuffer.allocate(64), server.getLocalAddress());
            final DatagramBatch batch = new DatagramBatch(4, 64);
            assertEquals(2, batch.receive(BatchNatives.fdVal(DatagramNatives.fd(server))));
            assertTrue(batch.truncated(0));
            assertEquals(64, batch.length(0), "only what fitted");
            assertFalse(batch.truncated(1));
            assertEquals(SocketAddresses.AF_INET6, batch.memory().getShort(batch.nameOffset(0)));
        }
    }

    @Test
    void sendsEveryMessageAndSkipsOneTheKernelRefuses() throws IOException
    {
        try (DatagramChannel server = server("127.0.0.1", StandardProtocolFamily.INET);
            DatagramChannel a = client("127.0.0.1");
            DatagramChannel b = client("127.0.0.1"))
        {
            final DatagramBatch batch = new DatagramBatch(8, 128);
            add(batch, new InetSocketAddress("127.0.0.1", port(a)), "to a");
            add(batch, new InetSocketAddress("127.0.0.1", 0), "to port 0: EINVAL");
            add(batch, new InetSocketAddress("127.0.0.1", port(b)), "to b");
            add(batch, new InetSocketAddress("127.0.0.1", port(a)), "to a again");
            assertEquals(3, batch.send(BatchNatives.fdVal(DatagramNatives.fd(server))));
            assertEquals(1, batch.failed());
            assertEquals("to a".length() + "to b".length() + "to a again".length(), batch.bytesSent());
            assertEquals(0, batch.size(), "emptied");
            assertEquals("to a", receive(a));
            assertEquals("to a again", receive(a));
            assertEquals("to b", receive(b));
            assertEquals(0, batch.send(BatchNatives.fdVal(DatagramNatives.fd(server))), "nothing left to send");
        }
    }

    private static void add(final DatagramBatch batch, final InetSocketAddress target, final String text)
    {
        final UnsafeBuffer m = batch.memory();
        final int length = m.putStringWithoutLengthAscii(batch.nextDataOffset(), text);
        final int nameLength = SocketAddresses.encode(target, m, batch.nextNameOffset());
        batch.add(length, nameLength);
    }

    /** One datagram within 3 s (the socket adaptor's timeout: a lost one fails the test, it does not hang it). */
    private static String receive(final DatagramChannel channel) throws IOException
    {
        final DatagramPacket in = new DatagramPacket(new byte[256], 256);
        channel.socket().setSoTimeout(3000);
        channel.socket().receive(in);
        return new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII);
    }

    private static DatagramChannel server(final String address, final StandardProtocolFamily family)
        throws IOException
    {
        final DatagramChannel server = DatagramChannel.open(family);
        server.bind(new InetSocketAddress(address, 0));
        server.configureBlocking(false);
        return server;
    }

    /** A blocking client (the sends to it have arrived by the time {@code sendmmsg} returns on loopback). */
    private static DatagramChannel client(final String address) throws IOException
    {
        final DatagramChannel client = DatagramChannel.open();
        client.bind(new InetSocketAddress(address, 0));
        return client;
    }

    private static int port(final DatagramChannel channel) throws IOException
    {
        return ((InetSocketAddress)channel.getLocalAddress()).getPort();
    }
}
