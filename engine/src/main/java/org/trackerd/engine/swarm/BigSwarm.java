package org.trackerd.engine.swarm;

import org.agrona.BitUtil;

/**
 * The in-memory index of a swarm that outgrew one page: where each of its peers is ({@code page << 8 | position}),
 * by a seeded 64-bit fingerprint of the peer id, plus its totals. Derived from the pages at start-up, kept in step
 * with every change to them; swarms of one page (nearly all of them) have none and are searched in their page.
 *
 * <p>Open addressing with linear probing and backward-shift deletion over two parallel arrays.
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

    private long[] fingerprints = new long[256];
    private int[] locations = new int[256];
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
        int i = slot(fingerprint);
        long f;
        while ((f = fingerprints[i]) != 0)
        {
            if (f == fingerprint)
            {
                return locations[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Inserts or moves a peer. */
    void put(final long fingerprint, final int location)
    {
        int i = slot(fingerprint);
        long f;
        while ((f = fingerprints[i]) != 0)
        {
            if (f == fingerprint)
            {
                locations[i] = location;
                return;
            }
            i = (i + 1) & mask;
        }
        fingerprints[i] = fingerprint;
        locations[i] = location;
        if (++size * 2 > fingerprints.length)
        {
            rehash(fingerprints.length * 2);
        }
    }

    void remove(final long fingerprint)
    {
        int i = slot(fingerprint);
        while (fingerprints[i] != fingerprint)
        {
            if (fingerprints[i] == 0)
            {
                return;
            }
            i = (i + 1) & mask;
        }
        int hole = i;
        int j = (hole + 1) & mask;
        while (fingerprints[j] != 0)
        {
            final int home = slot(fingerprints[j]);
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                fingerprints[hole] = fingerprints[j];
                locations[hole] = locations[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        fingerprints[hole] = 0;
        size--;
    }

    private int slot(final long fingerprint)
    {
        return (int)(fingerprint ^ (fingerprint >>> 32)) & mask;
    }

    private void rehash(final int capacity)
    {
        final long[] oldF = fingerprints;
        final int[] oldL = locations;
        fingerprints = new long[BitUtil.findNextPositivePowerOfTwo(capacity)];
        locations = new int[fingerprints.length];
        mask = fingerprints.length - 1;
        size = 0;
        for (int i = 0; i < oldF.length; i++)
        {
            if (oldF[i] != 0)
            {
                put(oldF[i], oldL[i]);
            }
        }
    }
}
