package org.trackerd.io.udp;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * An announce request (BEP 15), followed by optional BEP 41 options.
 * <pre>
 *   0                8        12               16
 *   +----------------+--------+----------------+
 *   | connection_id  | action | transaction_id |
 *   | (i64)          | (i32=1)| (i32)          |
 *   +----------------+--------+----------------+
 *   16                                         36
 *   +------------------------------------------+
 *   | info_hash (20 bytes)                     |
 *   +------------------------------------------+
 *   36                                         56
 *   +------------------------------------------+
 *   | peer_id (20 bytes)                       |
 *   +------------------------------------------+
 *   56            64            72            80
 *   +-------------+-------------+-------------+
 *   | downloaded  | left        | uploaded    |
 *   | (i64)       | (i64)       | (i64)       |
 *   +-------------+-------------+-------------+
 *   80      84      88      92         96     98
 *   +-------+-------+-------+----------+------+
 *   | event | ip    | key   | num_want | port |
 *   | (i32) | (u32) | (u32) | (i32)    | (u16)|
 *   +-------+-------+-------+----------+------+
 *   98
 *   +-----------------------------------------------------------------+
 *   | BEP 41 options, to the end of the datagram:                     |
 *   |   type 0 (EndOfOptions): 1 byte, ends the list                  |
 *   |   type 1 (NOP): 1 byte                                          |
 *   |   any other type: type (u8), length (u8), length bytes of data; |
 *   |   type 2 (URLData) pieces are concatenated in order             |
 *   +-----------------------------------------------------------------+
 * </pre>
 *
 * <p>Thread: a flyweight belongs to the thread that wrapped it.
 */
public final class AnnounceRequestFlyweight
{
    public static final int CONNECTION_ID_OFFSET = RequestHeaderFlyweight.CONNECTION_ID_OFFSET;
    public static final int ACTION_OFFSET = RequestHeaderFlyweight.ACTION_OFFSET;
    public static final int TRANSACTION_ID_OFFSET = RequestHeaderFlyweight.TRANSACTION_ID_OFFSET;
    public static final int INFO_HASH_OFFSET = 16;
    public static final int PEER_ID_OFFSET = 36;
    public static final int DOWNLOADED_OFFSET = 56;
    public static final int LEFT_OFFSET = 64;
    public static final int UPLOADED_OFFSET = 72;
    public static final int EVENT_OFFSET = 80;
    public static final int IP_OFFSET = 84;
    public static final int KEY_OFFSET = 88;
    public static final int NUM_WANT_OFFSET = 92;
    public static final int PORT_OFFSET = 96;
    public static final int OPTIONS_OFFSET = 98;
    /** Length without options. */
    public static final int LENGTH = OPTIONS_OFFSET;

    private MutableDirectBuffer buffer;
    private int offset;
    private int urlDataLength;
    private int unknownOptions;
    private boolean optionsTruncated;

    public AnnounceRequestFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public long connectionId()
    {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceRequestFlyweight connectionId(final long value)
    {
        buffer.putLong(offset + CONNECTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int action()
    {
        return buffer.getInt(offset + ACTION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceRequestFlyweight action(final int value)
    {
        buffer.putInt(offset + ACTION_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int transactionId()
    {
        return buffer.getInt(offset + TRANSACTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceRequestFlyweight transactionId(final int value)
    {
        buffer.putInt(offset + TRANSACTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public void getInfoHash(final byte[] dst, final int dstOffset)
    {
        buffer.getBytes(offset + INFO_HASH_OFFSET, dst, dstOffset, UdpProtocol.INFO_HASH_LENGTH);
    }

    public AnnounceRequestFlyweight putInfoHash(final byte[] src, final int srcOffset)
    {
        buffer.putBytes(offset + INFO_HASH_OFFSET, src, srcOffset, UdpProtocol.INFO_HASH_LENGTH);
        return this;
    }

    public void getPeerId(final byte[] dst, final int dstOffset)
    {
        buffer.getBytes(offset + PEER_ID_OFFSET, dst, dstOffset, UdpProtocol.PEER_ID_LENGTH);
    }

    public AnnounceRequestFlyweight putPeerId(final byte[] src, final int srcOffset)
    {
        buffer.putBytes(offset + PEER_ID_OFFSET, src, srcOffset, UdpProtocol.PEER_ID_LENGTH);
        return this;
    }

    public long downloaded()
    {
        return buffer.getLong(offset + DOWNLOADED_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceRequestFlyweight downloaded(final long value)
    {
        buffer.putLong(offset + DOWNLOADED_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public long left()
    {
        return buffer.getLong(offset + LEFT_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceRequestFlyweight left(final long value)
    {
        buffer.putLong(offset + LEFT_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public long uploaded()
    {
        return buffer.getLong(offset + UPLOADED_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceRequestFlyweight uploaded(final long value)
    {
        buffer.putLong(offset + UPLOADED_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int event()
    {
        return buffer.getInt(offset + EVENT_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceRequestFlyweight event(final int value)
    {
        buffer.putInt(offset + EVENT_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Copies the 4 bytes of the {@code ip} field in network order; 0.0.0.0 means "use the sender's". */
    public void getIp(final byte[] dst, final int dstOffset)
    {
        buffer.getBytes(offset + IP_OFFSET, dst, dstOffset, 4);
    }

    public int ip()
    {
        return buffer.getInt(offset + IP_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceRequestFlyweight ip(final int value)
    {
        buffer.putInt(offset + IP_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int key()
    {
        return buffer.getInt(offset + KEY_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceRequestFlyweight key(final int value)
    {
        buffer.putInt(offset + KEY_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int numWant()
    {
        return buffer.getInt(offset + NUM_WANT_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public AnnounceRequestFlyweight numWant(final int value)
    {
        buffer.putInt(offset + NUM_WANT_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int port()
    {
        return buffer.getShort(offset + PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public AnnounceRequestFlyweight port(final int value)
    {
        buffer.putShort(offset + PORT_OFFSET, (short)value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Walks the BEP 41 options of a datagram of {@code length} bytes, copying URLData pieces one after another
     * into {@code urlData} from index 0 (which must hold {@code length - 98} bytes). Unknown types are skipped by
     * their length. A list cut short (a type without its length byte, or a length past the end) ends the walk:
     * whatever came before it stands and {@link #optionsTruncated()} says so.
     *
     * @return the length of the concatenated URLData.
     */
    public int parseOptions(final int length, final MutableDirectBuffer urlData)
    {
        urlDataLength = 0;
        unknownOptions = 0;
        optionsTruncated = false;
        final int end = offset + length;
        int i = offset + OPTIONS_OFFSET;
        while (i < end)
        {
            final int type = buffer.getByte(i) & 0xFF;
            if (type == UdpProtocol.OPTION_END_OF_OPTIONS)
            {
                break;
            }
            if (type == UdpProtocol.OPTION_NOP)
            {
                i++;
                continue;
            }
            if (i + 1 >= end)
            {
                optionsTruncated = true;
                break;
            }
            final int optionLength = buffer.getByte(i + 1) & 0xFF;
            final int dataStart = i + 2;
            if (dataStart + optionLength > end)
            {
                optionsTruncated = true;
                break;
            }
            if (type == UdpProtocol.OPTION_URL_DATA)
            {
                urlData.putBytes(urlDataLength, buffer, dataStart, optionLength);
                urlDataLength += optionLength;
            }
            else
            {
                unknownOptions++;
            }
            i = dataStart + optionLength;
        }
        return urlDataLength;
    }

    /** After {@link #parseOptions}: the URLData length. */
    public int urlDataLength()
    {
        return urlDataLength;
    }

    /** After {@link #parseOptions}: how many options of unknown type were skipped. */
    public int unknownOptions()
    {
        return unknownOptions;
    }

    /** After {@link #parseOptions}: true when the option list ran past the end of the datagram. */
    public boolean optionsTruncated()
    {
        return optionsTruncated;
    }
}
