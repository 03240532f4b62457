package org.trackerd.engine.policy;

import java.util.Arrays;

/**
 * An immutable set of 20-byte infohashes in one {@code long[]}: open addressing, linear probing, each slot three
 * longs (bytes 0-7, 8-15, and 16-19 with a presence bit in bit 32). No {@code String} and no boxing, so a lookup
 * allocates nothing and touches one or two cache lines.
 *
 * <pre>
 *  slot i:  keys[3i]     = bytes 0..7  (big-endian)
 *           keys[3i + 1] = bytes 8..15
 *           keys[3i + 2] = 1 &lt;&lt; 32 | bytes 16..19   (0 = empty slot)
 * </pre>
 *
 * <p>Thread: built by one thread, then read by any (it is never mutated after {@link Builder#build}).
 */
public final class InfoHashSet
{
    public static final int HASH_LENGTH = 20;
    private static final long PRESENT = 1L << 32;
    private static final InfoHashSet EMPTY = new Builder().build();

    private final long[] keys;
    private final int mask;
    private final int size;

    private InfoHashSet(final long[] keys, final int size)
    {
        this.keys = keys;
        this.mask = keys.length / 3 - 1;
        this.size = size;
    }

    public static InfoHashSet empty()
    {
        return EMPTY;
    }

    public int size()
    {
        return size;
    }

    public boolean contains(final byte[] hash, final int offset)
    {
        final long a = word(hash, offset);
        final long b = word(hash, offset + 8);
        final long c = tail(hash, offset);
        int slot = index(a, b, c, mask);
        while (true)
        {
            final int i = slot * 3;
            final long k2 = keys[i + 2];
            if (k2 == 0)
            {
                return false;
            }
            if (k2 == c && keys[i] == a && keys[i + 1] == b)
            {
                return true;
            }
            slot = (slot + 1) & mask;
        }
    }

    static long word(final byte[] src, final int offset)
    {
        long v = 0;
        for (int i = 0; i < 8; i++)
        {
            v = (v << 8) | (src[offset + i] & 0xFFL);
        }
        return v;
    }

    static long tail(final byte[] src, final int offset)
    {
        long v = 0;
        for (int i = 16; i < 20; i++)
        {
            v = (v << 8) | (src[offset + i] & 0xFFL);
        }
        return PRESENT | v;
    }

    private static int index(final long a, final long b, final long c, final int mask)
    {
        long h = a * 0x9E3779B97F4A7C15L ^ b * 0xC2B2AE3D27D4EB4FL ^ c * 0x165667B19E3779F9L;
        h ^= h >>> 31;
        return (int)h & mask;
    }

    /** Collects hashes (duplicates allowed), then sizes the table at most half full. */
    public static final class Builder
    {
        private long[] pending = new long[3 * 16];
        private int count;

        public Builder add(final byte[] hash, final int offset)
        {
            if ((count + 1) * 3 > pending.length)
            {
                pending = Arrays.copyOf(pending, pending.length * 2);
            }
            pending[count * 3] = word(hash, offset);
            pending[count * 3 + 1] = word(hash, offset + 8);
            pending[count * 3 + 2] = tail(hash, offset);
            count++;
            return this;
        }

        public InfoHashSet build()
        {
            int slots = 16;
            while (slots < count * 2)
            {
                slots <<= 1;
            }
            final long[] keys = new long[slots * 3];
            final int mask = slots - 1;
            int size = 0;
            for (int n = 0; n < count; n++)
            {
                final long a = pending[n * 3];
                final long b = pending[n * 3 + 1];
                final long c = pending[n * 3 + 2];
                int slot = index(a, b, c, mask);
                while (true)
                {
                    final int i = slot * 3;
                    if (keys[i + 2] == 0)
                    {
                        keys[i] = a;
                        keys[i + 1] = b;
                        keys[i + 2] = c;
                        size++;
                        break;
                    }
                    if (keys[i + 2] == c && keys[i] == a && keys[i + 1] == b)
                    {
                        break;
                    }
                    slot = (slot + 1) & mask;
                }
            }
            return new InfoHashSet(keys, size);
        }
    }
}
