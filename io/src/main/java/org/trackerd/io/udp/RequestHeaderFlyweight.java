package org.trackerd.io.udp;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The 16 bytes every UDP tracker request starts with. A connect request is exactly this header with
 * {@link UdpProtocol#PROTOCOL_ID} in place of the connection id.
 * <pre>
 *   0       8          12              16
 *   +-------+----------+---------------+
 *   | connection_id    | action | transaction_id |
 *   | (i64; connect:   | (i32)  | (i32)          |
 *   |  protocol id)    |        |                |
 *   +------------------+--------+----------------+
 * </pre>
 *
 * <p>Thread: a flyweight belongs to the thread that wrapped it.
 */
public final class RequestHeaderFlyweight
{
    public static final int CONNECTION_ID_OFFSET = 0;
    public static final int ACTION_OFFSET = 8;
    public static final int TRANSACTION_ID_OFFSET = 12;
    public static final int LENGTH = 16;

    private MutableDirectBuffer buffer;
    private int offset;

    public RequestHeaderFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public long connectionId()
    {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public RequestHeaderFlyweight connectionId(final long value)
    {
        buffer.putLong(offset + CONNECTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int action()
    {
        return buffer.getInt(offset + ACTION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public RequestHeaderFlyweight action(final int value)
    {
        buffer.putInt(offset + ACTION_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int transactionId()
    {
        return buffer.getInt(offset + TRANSACTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public RequestHeaderFlyweight transactionId(final int value)
    {
        buffer.putInt(offset + TRANSACTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }
}
