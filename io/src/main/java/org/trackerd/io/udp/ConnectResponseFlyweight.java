package org.trackerd.io.udp;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Reply to a connect request: as long as the request, so it never amplifies.
 * <pre>
 *   0        4                8                        16
 *   +--------+----------------+------------------------+
 *   | action | transaction_id | connection_id          |
 *   | (i32=0)| (i32)          | (i64)                  |
 *   +--------+----------------+------------------------+
 * </pre>
 *
 * <p>Thread: a flyweight belongs to the thread that wrapped it.
 */
public final class ConnectResponseFlyweight
{
    public static final int ACTION_OFFSET = 0;
    public static final int TRANSACTION_ID_OFFSET = 4;
    public static final int CONNECTION_ID_OFFSET = 8;
    public static final int LENGTH = 16;

    private MutableDirectBuffer buffer;
    private int offset;

    public ConnectResponseFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int action()
    {
        return buffer.getInt(offset + ACTION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ConnectResponseFlyweight action(final int value)
    {
        buffer.putInt(offset + ACTION_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int transactionId()
    {
        return buffer.getInt(offset + TRANSACTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ConnectResponseFlyweight transactionId(final int value)
    {
        buffer.putInt(offset + TRANSACTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public long connectionId()
    {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ConnectResponseFlyweight connectionId(final long value)
    {
        buffer.putLong(offset + CONNECTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }
}
