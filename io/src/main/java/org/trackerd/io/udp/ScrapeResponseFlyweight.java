package org.trackerd.io.udp;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Reply to a scrape: one 12-byte entry per requested hash, in the order asked.
 * <pre>
 *   0        4                8
 *   +--------+----------------+
 *   | action | transaction_id |
 *   | (i32=2)| (i32)          |
 *   +--------+----------------+
 *   8 + 12 x i
 *   +---------+-----------+----------+
 *   | seeders | completed | leechers |
 *   | (i32)   | (i32)     | (i32)    |
 *   +---------+-----------+----------+
 * </pre>
 *
 * <p>Thread: a flyweight belongs to the thread that wrapped it.
 */
public final class ScrapeResponseFlyweight
{
    public static final int ACTION_OFFSET = 0;
    public static final int TRANSACTION_ID_OFFSET = 4;
    public static final int ENTRIES_OFFSET = 8;
    public static final int ENTRY_LENGTH = 12;
    public static final int SEEDERS_OFFSET = 0;
    public static final int COMPLETED_OFFSET = 4;
    public static final int LEECHERS_OFFSET = 8;

    private MutableDirectBuffer buffer;
    private int offset;

    public ScrapeResponseFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public static int length(final int entryCount)
    {
        return ENTRIES_OFFSET + entryCount * ENTRY_LENGTH;
    }

    public static int entryCount(final int length)
    {
        return (length - ENTRIES_OFFSET) / ENTRY_LENGTH;
    }

    public int action()
    {
        return buffer.getInt(offset + ACTION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ScrapeResponseFlyweight action(final int value)
    {
        buffer.putInt(offset + ACTION_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int transactionId()
    {
        return buffer.getInt(offset + TRANSACTION_ID_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ScrapeResponseFlyweight transactionId(final int value)
    {
        buffer.putInt(offset + TRANSACTION_ID_OFFSET, value, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public ScrapeResponseFlyweight putEntry(final int index, final int seeders, final int completed, final int leechers)
    {
        final int at = offset + ENTRIES_OFFSET + index * ENTRY_LENGTH;
        buffer.putInt(at + SEEDERS_OFFSET, seeders, ByteOrder.BIG_ENDIAN);
        buffer.putInt(at + COMPLETED_OFFSET, completed, ByteOrder.BIG_ENDIAN);
        buffer.putInt(at + LEECHERS_OFFSET, leechers, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int seeders(final int index)
    {
        return buffer.getInt(offset + ENTRIES_OFFSET + index * ENTRY_LENGTH + SEEDERS_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public int completed(final int index)
    {
        return buffer.getInt(offset + ENTRIES_OFFSET + index * ENTRY_LENGTH + COMPLETED_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public int leechers(final int index)
    {
        return buffer.getInt(offset + ENTRIES_OFFSET + index * ENTRY_LENGTH + LEECHERS_OFFSET, ByteOrder.BIG_ENDIAN);
    }
}
