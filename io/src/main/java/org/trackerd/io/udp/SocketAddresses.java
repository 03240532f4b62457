package org.trackerd.io.udp;

import org.agrona.MutableDirectBuffer;
import org.trackerd.engine.event.RequestEvent;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * Linux's {@code SOCKETADDRESS} (the JDK's union of {@code sockaddr_in} and {@code sockaddr_in6}, 28 bytes) in a
 * buffer: family (u16, host order) at 0, port (u16, network order) at 2; IPv4 address at 4; IPv6 flow info at 4,
 * address at 8 (16 bytes), scope id (host order) at 24. A dual-stack IPv6 socket reports an IPv4 sender as
 * {@code AF_INET6} with the IPv4-mapped address {@code ::ffff:a.b.c.d}.
 *
 * <p>Thread: stateless.
 */
final class SocketAddresses
{
    /** {@code sizeof(SOCKETADDRESS)}. */
    static final int LENGTH = 28;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    /** {@code sizeof(struct sockaddr_in)}. */
    static final int INET_LENGTH = 16;
    /** {@code sizeof(struct sockaddr_in6)}. */
    static final int INET6_LENGTH = 28;

    private static final int FAMILY_OFFSET = 0;
    private static final int PORT_OFFSET = 2;
    private static final int INET_ADDRESS_OFFSET = 4;
    private static final int INET6_ADDRESS_OFFSET = 8;
    private static final int INET6_SCOPE_OFFSET = 24;

    private SocketAddresses()
    {
    }

    static int family(final MutableDirectBuffer b, final int offset)
    {
        return b.getShort(offset + FAMILY_OFFSET, ByteOrder.nativeOrder()) & 0xFFFF;
    }

    static int port(final MutableDirectBuffer b, final int offset)
    {
        return b.getShort(offset + PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** The length to pass to {@code sendto}: 16 for IPv4, 28 for IPv6, 0 for anything else. */
    static int length(final MutableDirectBuffer b, final int offset)
    {
        return switch (family(b, offset))
        {
            case AF_INET -> INET_LENGTH;
            case AF_INET6 -> INET6_LENGTH;
            default -> 0;
        };
    }

    /**
     * The address in its 16-byte form ({@link RequestEvent#ADDRESS_LENGTH}): IPv4 becomes {@code ::ffff:a.b.c.d},
     * IPv6 (IPv4-mapped included) is copied as it is.
     *
     * @return false when the family is neither IPv4 nor IPv6 ({@code address16} is then untouched)
     */
    static boolean toAddress16(final MutableDirectBuffer b, final int offset, final byte[] address16)
    {
        switch (family(b, offset))
        {
            case AF_INET ->
            {
                java.util.Arrays.fill(address16, 0, 10, (byte)0);
                address16[10] = (byte)0xFF;
                address16[11] = (byte)0xFF;
                b.getBytes(offset + INET_ADDRESS_OFFSET, address16, 12, 4);
                return true;
            }
            case AF_INET6 ->
            {
                b.getBytes(offset + INET6_ADDRESS_OFFSET, address16, 0, RequestEvent.ADDRESS_LENGTH);
                return true;
            }
            default ->
            {
                return false;
            }
        }
    }

    /**
     * Writes {@code address} as an IPv4 {@code sockaddr_in} when its address is IPv4, else as a {@code sockaddr_in6}
     * (with its scope id); unused bytes of the {@link #LENGTH} are zeroed.
     *
     * @return the length written (16 or 28)
     */
    static int encode(final InetSocketAddress address, final MutableDirectBuffer b, final int offset)
    {
        b.setMemory(offset, LENGTH, (byte)0);
        final InetAddress ip = address.getAddress();
        b.putShort(offset + PORT_OFFSET, (short)address.getPort(), ByteOrder.BIG_ENDIAN);
        if (ip instanceof Inet4Address)
        {
            b.putShort(offset + FAMILY_OFFSET, (short)AF_INET, ByteOrder.nativeOrder());
            // Inet4Address's hash code is its address: read without the copy getAddress() makes.
            b.putInt(offset + INET_ADDRESS_OFFSET, ip.hashCode(), ByteOrder.BIG_ENDIAN);
            return INET_LENGTH;
        }
        b.putShort(offset + FAMILY_OFFSET, (short)AF_INET6, ByteOrder.nativeOrder());
        b.putBytes(offset + INET6_ADDRESS_OFFSET, ip.getAddress());
        b.putInt(offset + INET6_SCOPE_OFFSET, ((Inet6Address)ip).getScopeId(), ByteOrder.nativeOrder());
        return INET6_LENGTH;
    }

    /**
     * The {@code sockaddr} as an {@link InetSocketAddress} (allocates: tests and diagnostics only). An IPv4-mapped
     * IPv6 address comes back as IPv4, as the JDK reports it.
     *
     * @return null when the family is neither IPv4 nor IPv6
     */
    static InetSocketAddress decode(final MutableDirectBuffer b, final int offset)
    {
        try
        {
            return switch (family(b, offset))
            {
                case AF_INET ->
                {
                    final byte[] ip = new byte[4];
                    b.getBytes(offset + INET_ADDRESS_OFFSET, ip);
                    yield new InetSocketAddress(InetAddress.getByAddress(ip), port(b, offset));
                }
                case AF_INET6 ->
                {
                    final byte[] ip = new byte[16];
                    b.getBytes(offset + INET6_ADDRESS_OFFSET, ip);
                    final int scope = b.getInt(offset + INET6_SCOPE_OFFSET, ByteOrder.nativeOrder());
                    final InetAddress a = InetAddress.getByAddress(ip);
                    yield new InetSocketAddress(a instanceof Inet6Address && scope != 0 ?
                        Inet6Address.getByAddress(null, ip, scope) : a, port(b, offset));
                }
                default -> null;
            };
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
