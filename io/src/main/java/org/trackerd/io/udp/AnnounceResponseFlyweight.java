package org.trackerd.io.udp;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Reply to an announce: counts, then peers of the sender's address family only.
 * <pre>
 *   0        4                8          12         16        20
 *   +--------+----------------+----------+----------+---------+
 *   | action | transaction_id | interval | leechers | seeders |
 *   | (i32=1)| (i32)          | (i32)    | (i32)    | (i32)   |
 *   +--------+----------------+----------+----------+---------+
 *   20
 *   +---------------------------------------------------------+
 *   | peers: IPv4 sender: n x (address 4 bytes, port u16)     |
 *   |        IPv6 sender: n x (address 16 bytes, port u16)    |
 *   +---------------------------------------------------------+
 * </pre>
 *
 * <p>Thread: a flyweight belongs to the thread that wrapped it.
 */
public final class AnnounceResponseFlyweight
{
    public static final int ACTION_OFFSET = 0;
    public static final int TRANSACTION_ID_OFFSET = 4;
    public static final int INTERVAL_OFFSET = 8;
    public static final int LEECHERS_OFFSET = 12;
    public static final int SEEDERS_OFFSET = 16;
    public static final int PEERS_OFFSET = 20;

    private MutableDirectBuffer buffer;
    private int offset;

    public AnnounceResponseFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public static int length(final int peerCount, final boolean ipv6)
    {
        return PEERS_OFFSET + peerCount * (ipv6 ? UdpProtocol.IPV6_PEER_LENGTH : UdpProtocol.IPV4_PEER_LENGTH);
    }

    /** How many peers a datagram of {@code length} bytes carries. */
    public static int peerCount(final int length, final boolean ipv6)
    {
        return (length - PEERS_OFFSET) / (ipv6 ? UdpProtocol.IPV6_PEER_LENGTH : UdpProtocol.IPV4_PEER_LENGTH);
    }

    public int action()
    {
        return buffer.getInt(offset + ACTION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceResponseFlyweight action(final int value)
    {
        buffer.putInt(offset + ACTION_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int transactionId()
    {
        return buffer.getInt(offset + TRANSACTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceResponseFlyweight transactionId(final int value)
    {
        buffer.putInt(offset + TRANSACTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int interval()
    {
        return buffer.getInt(offset + INTERVAL_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceResponseFlyweight interval(final int value)
    {
        buffer.putInt(offset + INTERVAL_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int leechers()
    {
        return buffer.getInt(offset + LEECHERS_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceResponseFlyweight leechers(final int value)
    {
        buffer.putInt(offset + LEECHERS_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int seeders()
    {
        return buffer.getInt(offset + SEEDERS_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceResponseFlyweight seeders(final int value)
    {
        buffer.putInt(offset + SEEDERS_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Copies peers already in wire form (6 or 18 bytes each, network order) in place of the whole peer list. */
    public AnnounceResponseFlyweight putCompactPeers(final byte[] src, final int length)
    {
        buffer.putBytes(offset + PEERS_OFFSET, src, 0, length);
        return this;
    }

    /** Copies the address of peer {@code index} (4 or 16 bytes) into {@code dst}; returns its port. */
    public int getPeer(final int index, final boolean ipv6, final byte[] dst, final int dstOffset)
    {
        final int size = ipv6 ? 16 : 4;
        final int at = offset + PEERS_OFFSET + index * (size + 2);
        buffer.getBytes(at, dst, dstOffset, size);
        return buffer.getShort(at + size, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }
}
