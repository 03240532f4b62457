package org.trackerd.engine.swarm;

import org.agrona.BitUtil;
import org.agrona.UnsafeApi;

import java.util.List;

/**
 * The {@link BigSwarm} indexes by infohash: open addressing with linear probing and backward-shift deletion, the
 * infohash kept in the table itself, so a look-up (every announce to a big swarm, and every scrape and announce
 * while there is one) reads one line of the table and then the index it finds, no key object, no copy of the
 * infohash and no node to chase as a {@code HashMap<InfoHashKey, BigSwarm>} needs.
 *
 * <pre>
 * keys, 4 longs per slot:  | infohash 0..7 | infohash 8..15 | infohash 16..19 (u32) | -- |
 * swarms, 1 per slot:      | BigSwarm, or null for an empty slot |
 * </pre>
 *
 * <p>The slot is a seeded mix of the infohash's first 8 bytes (the seed is random per process, so a client cannot
 * choose infohashes that pile into one run of slots).
 *
 * <p>Thread: the swarm processor (and the start-up scan, on the launcher thread before the processor starts).
 */
final class BigSwarmTable
{
    private static final long BYTE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(byte[].class);
    private static final int STRIDE = 4;

    private final long seed;
    private long[] keys = new long[16 * STRIDE];
    private BigSwarm[] swarms = new BigSwarm[16];
    private int mask = 15;
    private int size;

    BigSwarmTable(final long seed)
    {
        this.seed = seed;
    }

    boolean isEmpty()
    {
        return size == 0;
    }

    int size()
    {
        return size;
    }

    /** The index of the swarm whose infohash is the 20 bytes of {@code infoHash} at {@code offset}, or null. */
    BigSwarm get(final byte[] infoHash, final int offset)
    {
        final long at = BYTE_ARRAY_BASE + offset;
        final long h0 = UnsafeApi.getLong(infoHash, at);
        final long h1 = UnsafeApi.getLong(infoHash, at + 8);
        final long h2 = UnsafeApi.getInt(infoHash, at + 16) & 0xFFFF_FFFFL;
        final long[] keys = this.keys;
        final BigSwarm[] swarms = this.swarms;
        int i = slot(h0);
        BigSwarm big;
        while ((big = swarms[i]) != null)
        {
            final int k = i * STRIDE;
            if (keys[k] == h0 && keys[k + 1] == h1 && keys[k + 2] == h2)
            {
                return big;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /** Adds (or replaces) the index of the swarm {@code big.key} names. */
    void put(final BigSwarm big)
    {
        final byte[] key = big.key.bytes;
        final long h0 = UnsafeApi.getLong(key, BYTE_ARRAY_BASE);
        final long h1 = UnsafeApi.getLong(key, BYTE_ARRAY_BASE + 8);
        final long h2 = UnsafeApi.getInt(key, BYTE_ARRAY_BASE + 16) & 0xFFFF_FFFFL;
        int i = slot(h0);
        while (swarms[i] != null)
        {
            final int k = i * STRIDE;
            if (keys[k] == h0 && keys[k + 1] == h1 && keys[k + 2] == h2)
            {
                swarms[i] = big;
                return;
            }
            i = (i + 1) & mask;
        }
        final int k = i * STRIDE;
        keys[k] = h0;
        keys[k + 1] = h1;
        keys[k + 2] = h2;
        swarms[i] = big;
        if (++size * 2 > swarms.length)
        {
            rehash(swarms.length * 2);
        }
    }

    /** Removes the index of the swarm {@code key} names, if there is one. */
    void remove(final InfoHashKey key)
    {
        final byte[] bytes = key.bytes;
        final long h0 = UnsafeApi.getLong(bytes, BYTE_ARRAY_BASE);
        final long h1 = UnsafeApi.getLong(bytes, BYTE_ARRAY_BASE + 8);
        final long h2 = UnsafeApi.getInt(bytes, BYTE_ARRAY_BASE + 16) & 0xFFFF_FFFFL;
        int i = slot(h0);
        while (true)
        {
            if (swarms[i] == null)
            {
                return;
            }
            final int k = i * STRIDE;
            if (keys[k] == h0 && keys[k + 1] == h1 && keys[k + 2] == h2)
            {
                break;
            }
            i = (i + 1) & mask;
        }
        int hole = i;
        int j = (hole + 1) & mask;
        while (swarms[j] != null)
        {
            final int home = slot(keys[j * STRIDE]);
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                System.arraycopy(keys, j * STRIDE, keys, hole * STRIDE, STRIDE);
                swarms[hole] = swarms[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        swarms[hole] = null;
        size--;
    }

    /** Adds every index to {@code to}. */
    void addTo(final List<BigSwarm> to)
    {
        for (final BigSwarm big : swarms)
        {
            if (big != null)
            {
                to.add(big);
            }
        }
    }

    private int slot(final long h0)
    {
        long x = (h0 ^ seed) * 0x9E37_79B9_7F4A_7C15L;
        x ^= x >>> 29;
        return (int)(x ^ (x >>> 32)) & mask;
    }

    private void rehash(final int capacity)
    {
        final long[] oldKeys = keys;
        final BigSwarm[] oldSwarms = swarms;
        final int n = BitUtil.findNextPositivePowerOfTwo(capacity);
        keys = new long[n * STRIDE];
        swarms = new BigSwarm[n];
        mask = n - 1;
        size = 0;
        for (int i = 0; i < oldSwarms.length; i++)
        {
            if (oldSwarms[i] != null)
            {
                put(oldSwarms[i]);
            }
        }
    }
}
