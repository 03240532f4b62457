package org.trackerd.io.udp;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * An error reply: the message text runs to the end of the datagram, with no trailing NUL.
 * <pre>
 *   0        4                8
 *   +--------+----------------+---------------------------------+
 *   | action | transaction_id | message (ASCII, to end of packet)|
 *   | (i32=3)| (i32)          |                                 |
 *   +--------+----------------+---------------------------------+
 * </pre>
 *
 * <p>Thread: a flyweight belongs to the thread that wrapped it.
 */
public final class ErrorResponseFlyweight
{
    public static final int ACTION_OFFSET = 0;
    public static final int TRANSACTION_ID_OFFSET = 4;
    public static final int MESSAGE_OFFSET = 8;

    private MutableDirectBuffer buffer;
    private int offset;

    public ErrorResponseFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public static int length(final int messageLength)
    {
        return MESSAGE_OFFSET + messageLength;
    }

    public int action()
    {
        return buffer.getInt(offset + ACTION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ErrorResponseFlyweight action(final int value)
    {
        buffer.putInt(offset + ACTION_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int transactionId()
    {
        return buffer.getInt(offset + TRANSACTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ErrorResponseFlyweight transactionId(final int value)
    {
        buffer.putInt(offset + TRANSACTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Writes the message and returns the datagram's total length. */
    public int message(final byte[] text)
    {
        buffer.putBytes(offset + MESSAGE_OFFSET, text);
        return MESSAGE_OFFSET + text.length;
    }

    /** The message of a datagram of {@code length} bytes (decoding, for clients and tests). */
    public String message(final int length)
    {
        return buffer.getStringWithoutLengthAscii(offset + MESSAGE_OFFSET, length - MESSAGE_OFFSET);
    }
}
