package org.trackerd.engine.swarm;

import org.agrona.BitUtil;

/**
 * The in-memory index of a swarm that outgrew one page: where each of its peers is ({@code page << 8 | position}),
 * by a seeded 64-bit fingerprint of the peer id, plus its totals. Derived from the pages at start-up, kept in step
 * with every change to them; swarms of one page (nearly all of them) have none and are searched in their page.
 *
 * <p>Open addressing with linear probing and backward-shift deletion over one array of (fingerprint, location)
 * pairs: a probe reads one cache line, not one line of fingerprints and another of locations (the index of a big
 * swarm is larger than the caches hold for a busy tracker, so each announce's look-up is a miss).
 *
 * <p>Thread: the swarm processor only.
 */
final class BigSwarm
{
    final InfoHashKey key;
    int pages;
    int seeders;
    int leechers;
    long downloaded;

    /** Slot {@code i}: fingerprint at {@code 2i} (0: empty), location at {@code 2i + 1}. */
    private long[] slots = new long[2 * 256];
    private int mask = 255;
    private int size;

    BigSwarm(final InfoHashKey key)
    {
        this.key = key;
    }

    int size()
    {
        return seeders + leechers;
    }

    static int location(final int page, final int position)
    {
        return page << 8 | position;
    }

    static int page(final int location)
    {
        return location >>> 8;
    }

    static int position(final int location)
    {
        return location & 0xFF;
    }

    /** Location of the peer with this fingerprint, or -1. */
    int find(final long fingerprint)
    {
        final long[] slots = this.slots;
        final int mask = this.mask;
        int i = slot(fingerprint, mask);
        long f;
        while ((f = slots[2 * i]) != 0)
        {
            if (f == fingerprint)
            {
                return (int)slots[2 * i + 1];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Inserts or moves a peer. */
    void put(final long fingerprint, final int location)
    {
        final long[] slots = this.slots;
        int i = slot(fingerprint, mask);
        long f;
        while ((f = slots[2 * i]) != 0)
        {
            if (f == fingerprint)
            {
                slots[2 * i + 1] = location;
                return;
            }
            i = (i + 1) & mask;
        }
        slots[2 * i] = fingerprint;
        slots[2 * i + 1] = location;
        if (++size * 2 > mask + 1)
        {
            rehash(2 * (mask + 1));
        }
    }

    void remove(final long fingerprint)
    {
        final long[] slots = this.slots;
        int i = slot(fingerprint, mask);
        while (slots[2 * i] != fingerprint)
        {
            if (slots[2 * i] == 0)
            {
                return;
            }
            i = (i + 1) & mask;
        }
        int hole = i;
        int j = (hole + 1) & mask;
        long f;
        while ((f = slots[2 * j]) != 0)
        {
            final int home = slot(f, mask);
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                slots[2 * hole] = f;
                slots[2 * hole + 1] = slots[2 * j + 1];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        slots[2 * hole] = 0;
        size--;
    }

    private static int slot(final long fingerprint, final int mask)
    {
        return (int)(fingerprint ^ (fingerprint >>> 32)) & mask;
    }

    private void rehash(final int capacity)
    {
        final long[] old = slots;
        final int n = BitUtil.findNextPositivePowerOfTwo(capacity);
        slots = new long[2 * n];
        mask = n - 1;
        size = 0;
        for (int i = 0; i < old.length; i += 2)
        {
            if (old[i] != 0)
            {
                put(old[i], (int)old[i + 1]);
            }
        }
    }
}
