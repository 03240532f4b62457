package org.trackerd.io.udp;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * A scrape request: the header, then one or more info hashes to the end of the datagram.
 * <pre>
 *   0                8        12               16
 *   +----------------+--------+----------------+
 *   | connection_id  | action | transaction_id |
 *   | (i64)          | (i32=2)| (i32)          |
 *   +----------------+--------+----------------+
 *   16
 *   +------------------------------------------+
 *   | info_hash 0 (20 bytes) | info_hash 1 ... |
 *   +------------------------------------------+
 * </pre>
 *
 * <p>Thread: a flyweight belongs to the thread that wrapped it.
 */
public final class ScrapeRequestFlyweight
{
    public static final int CONNECTION_ID_OFFSET = RequestHeaderFlyweight.CONNECTION_ID_OFFSET;
    public static final int ACTION_OFFSET = RequestHeaderFlyweight.ACTION_OFFSET;
    public static final int TRANSACTION_ID_OFFSET = RequestHeaderFlyweight.TRANSACTION_ID_OFFSET;
    public static final int INFO_HASHES_OFFSET = 16;

    private MutableDirectBuffer buffer;
    private int offset;

    public ScrapeRequestFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public static int length(final int hashCount)
    {
        return INFO_HASHES_OFFSET + hashCount * UdpProtocol.INFO_HASH_LENGTH;
    }

    /** Whole hashes in a datagram of {@code length} bytes; a partial trailing hash is not counted. */
    public static int hashCount(final int length)
    {
        return length < INFO_HASHES_OFFSET ? 0 : (length - INFO_HASHES_OFFSET) / UdpProtocol.INFO_HASH_LENGTH;
    }

    public long connectionId()
    {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ScrapeRequestFlyweight connectionId(final long value)
    {
        buffer.putLong(offset + CONNECTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int action()
    {
        return buffer.getInt(offset + ACTION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ScrapeRequestFlyweight action(final int value)
    {
        buffer.putInt(offset + ACTION_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int transactionId()
    {
        return buffer.getInt(offset + TRANSACTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ScrapeRequestFlyweight transactionId(final int value)
    {
        buffer.putInt(offset + TRANSACTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public void getInfoHash(final int index, final byte[] dst, final int dstOffset)
    {
        buffer.getBytes(offset + INFO_HASHES_OFFSET + index * UdpProtocol.INFO_HASH_LENGTH, dst, dstOffset,
            UdpProtocol.INFO_HASH_LENGTH);
    }

    public ScrapeRequestFlyweight putInfoHash(final int index, final byte[] src, final int srcOffset)
    {
        buffer.putBytes(offset + INFO_HASHES_OFFSET + index * UdpProtocol.INFO_HASH_LENGTH, src, srcOffset,
            UdpProtocol.INFO_HASH_LENGTH);
        return this;
    }
}
