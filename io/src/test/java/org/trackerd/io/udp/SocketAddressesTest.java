package org.trackerd.io.udp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Linux {@code sockaddr_in}/{@code sockaddr_in6} layout, byte for byte, and its 16-byte address form. */
class SocketAddressesTest
{
    private final UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocateDirect(64));

    private static byte[] hex(final String s)
    {
        final String t = s.replaceAll("\\s", "");
        final byte[] out = new byte[t.length() / 2];
        for (int i = 0; i < out.length; i++)
        {
            out[i] = (byte)Integer.parseInt(t.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    private byte[] bytes(final int offset, final int length)
    {
        final byte[] out = new byte[length];
        b.getBytes(offset, out);
        return out;
    }

    @Test
    void ipv4IsASockaddrIn()
    {
        b.setMemory(0, 64, (byte)0x5A);
        final int length = SocketAddresses.encode(new InetSocketAddress("192.0.2.33", 6881), b, 8);
        assertEquals(16, length);
        // family 2 (little-endian host order), port 6881 = 0x1AE1 big-endian, 192.0.2.33, then zeros to 28 bytes
        final byte[] family = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? hex("0200") : hex("0002");
        assertArrayEquals(family, bytes(8, 2));
        assertArrayEquals(hex("1AE1 C0000221 0000000000000000 000000000000000000000000"), bytes(10, 26));
        assertEquals((byte)0x5A, b.getByte(7), "nothing written before the offset");
        assertEquals((byte)0x5A, b.getByte(8 + 28), "nothing written past 28 bytes");
        assertEquals(SocketAddresses.AF_INET, SocketAddresses.family(b, 8));
        assertEquals(6881, SocketAddresses.port(b, 8));
        assertEquals(16, SocketAddresses.length(b, 8));

        final byte[] a16 = new byte[16];
        assertTrue(SocketAddresses.toAddress16(b, 8, a16));
        assertArrayEquals(hex("00000000000000000000FFFF C0000221"), a16);
        assertEquals(new InetSocketAddress("192.0.2.33", 6881), SocketAddresses.decode(b, 8));
    }

    @Test
    void ipv6IsASockaddrIn6()
    {
        final int length = SocketAddresses.encode(new InetSocketAddress("2001:db8::1:2", 65535), b, 0);
        assertEquals(28, length);
        assertEquals(SocketAddresses.AF_INET6, b.getShort(0, ByteOrder.nativeOrder()));
        assertArrayEquals(hex("FFFF 00000000 20010DB8000000000000000000010002 00000000"), bytes(2, 26));
        assertEquals(65535, SocketAddresses.port(b, 0));
        assertEquals(28, SocketAddresses.length(b, 0));
        final byte[] a16 = new byte[16];
        assertTrue(SocketAddresses.toAddress16(b, 0, a16));
        assertArrayEquals(hex("20010DB8000000000000000000010002"), a16);
        assertEquals(new InetSocketAddress("2001:db8::1:2", 65535), SocketAddresses.decode(b, 0));
    }

    @Test
    void scopeIdIsKept() throws Exception
    {
        final byte[] ip = hex("FE800000000000000000000000000001");
        final InetSocketAddress a = new InetSocketAddress(Inet6Address.getByAddress(null, ip, 3), 1);
        SocketAddresses.encode(a, b, 0);
        assertEquals(3, b.getInt(24, ByteOrder.nativeOrder()));
        assertEquals(a, SocketAddresses.decode(b, 0));
    }

    /** How a dual-stack socket reports an IPv4 sender: AF_INET6 with ::ffff:a.b.c.d. */
    @Test
    void ipv4MappedSenderOfADualStackSocket() throws Exception
    {
        b.setMemory(0, 28, (byte)0);
        b.putShort(0, (short)10, ByteOrder.nativeOrder());
        b.putShort(2, (short)51413, ByteOrder.BIG_ENDIAN);
        b.putBytes(8, hex("00000000000000000000FFFF 7F000001"));
        assertEquals(28, SocketAddresses.length(b, 0));
        assertEquals(51413, SocketAddresses.port(b, 0));
        final byte[] a16 = new byte[16];
        assertTrue(SocketAddresses.toAddress16(b, 0, a16));
        assertArrayEquals(hex("00000000000000000000FFFF 7F000001"), a16);
        // As the JDK reports it: IPv4.
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 51413), SocketAddresses.decode(b, 0));
    }

    @Test
    void unknownFamilyIsNeitherDecodedNorSent()
    {
        b.setMemory(0, 28, (byte)0);
        b.putShort(0, (short)1, ByteOrder.nativeOrder()); // AF_UNIX
        final byte[] a16 = hex("0102030405060708090A0B0C0D0E0F10");
        assertFalse(SocketAddresses.toAddress16(b, 0, a16));
        assertArrayEquals(hex("0102030405060708090A0B0C0D0E0F10"), a16, "untouched");
        assertEquals(0, SocketAddresses.length(b, 0));
        assertNull(SocketAddresses.decode(b, 0));
    }

    @Test
    void encodeOverwritesALongerAddress()
    {
        SocketAddresses.encode(new InetSocketAddress("2001:db8::ffff", 1), b, 0);
        SocketAddresses.encode(new InetSocketAddress("10.1.2.3", 2), b, 0);
        assertArrayEquals(new byte[12], bytes(16, 12));
        assertEquals(new InetSocketAddress("10.1.2.3", 2), SocketAddresses.decode(b, 0));
    }
}
