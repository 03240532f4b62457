package org.trackerd.io.http;

import org.agrona.BitUtil;

/**
 * Open connections per client address, keyed by the 16-byte form trackerd keeps addresses in (IPv4 as
 * {@code ::ffff:a.b.c.d}): an open-addressing table of two {@code long}s per key with linear probing and
 * backward-shift deletion, so that counting a connection in and out allocates nothing (a map keyed by
 * {@code InetAddress} needs the address object, a boxed count and a node per connection). It grows (doubling, kept
 * at most half full) as distinct addresses are added and never shrinks.
 *
 * <p>Thread: one frontend thread.
 */
final class AddressCounts
{
    private long[] high;
    private long[] low;
    /** 0: a free bucket (a key whose count falls to 0 is removed). */
    private int[] counts;
    private int mask;
    private int size;

    AddressCounts(final int initialCapacity)
    {
        allocate(BitUtil.findNextPositivePowerOfTwo(Math.max(16, initialCapacity)));
    }

    private void allocate(final int capacity)
    {
        high = new long[capacity];
        low = new long[capacity];
        counts = new int[capacity];
        mask = capacity - 1;
    }

    /** Distinct addresses with at least one connection. */
    int size()
    {
        return size;
    }

    /** The count of {@code address16} (16 bytes from offset 0); 0 when absent. */
    int count(final byte[] address16)
    {
        final long h = word(address16, 0);
        final long l = word(address16, 8);
        for (int i = index(h, l); ; i = (i + 1) & mask)
        {
            if (counts[i] == 0)
            {
                return 0;
            }
            if (high[i] == h && low[i] == l)
            {
                return counts[i];
            }
        }
    }

    /**
     * Counts one more connection of {@code address16}, unless it has {@code max} already.
     *
     * @return false (and nothing counted) when the address is at {@code max}
     */
    boolean tryIncrement(final byte[] address16, final int max)
    {
        final long h = word(address16, 0);
        final long l = word(address16, 8);
        int i = index(h, l);
        for (; counts[i] != 0; i = (i + 1) & mask)
        {
            if (high[i] == h && low[i] == l)
            {
                if (counts[i] >= max)
                {
                    return false;
                }
                counts[i]++;
                return true;
            }
        }
        if (max <= 0)
        {
            return false;
        }
        high[i] = h;
        low[i] = l;
        counts[i] = 1;
        if (++size > (mask + 1) >> 1)
        {
            rehash();
        }
        return true;
    }

    /** Counts one connection of {@code address16} out; an address not counted is ignored. */
    void decrement(final byte[] address16)
    {
        final long h = word(address16, 0);
        final long l = word(address16, 8);
        for (int i = index(h, l); counts[i] != 0; i = (i + 1) & mask)
        {
            if (high[i] == h && low[i] == l)
            {
                if (--counts[i] == 0)
                {
                    size--;
                    shiftBack(i);
                }
                return;
            }
        }
    }

    /** Closes the gap at {@code free}: moves back every later key of the run whose home is not between. */
    private void shiftBack(int free)
    {
        for (int i = (free + 1) & mask; counts[i] != 0; i = (i + 1) & mask)
        {
            final int home = index(high[i], low[i]);
            // The key at i may move to free when its home is not in (free, i] (cyclically).
            final boolean stays = free <= i ? free < home && home <= i : free < home || home <= i;
            if (!stays)
            {
                high[free] = high[i];
                low[free] = low[i];
                counts[free] = counts[i];
                counts[i] = 0;
                free = i;
            }
        }
    }

    private void rehash()
    {
        final long[] oldHigh = high;
        final long[] oldLow = low;
        final int[] oldCounts = counts;
        allocate(oldCounts.length * 2);
        for (int j = 0; j < oldCounts.length; j++)
        {
            if (oldCounts[j] != 0)
            {
                int i = index(oldHigh[j], oldLow[j]);
                while (counts[i] != 0)
                {
                    i = (i + 1) & mask;
                }
                high[i] = oldHigh[j];
                low[i] = oldLow[j];
                counts[i] = oldCounts[j];
            }
        }
    }

    private int index(final long h, final long l)
    {
        long x = h * 0x9E3779B97F4A7C15L ^ l;
        x *= 0xC2B2AE3D27D4EB4FL;
        return (int)(x ^ (x >>> 32)) & mask;
    }

    private static long word(final byte[] b, final int at)
    {
        long w = 0;
        for (int i = at; i < at + 8; i++)
        {
            w = (w << 8) | (b[i] & 0xFFL);
        }
        return w;
    }
}
