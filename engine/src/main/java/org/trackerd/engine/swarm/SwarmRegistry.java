package org.trackerd.engine.swarm;

import java.util.Arrays;

/**
 * All swarms by infohash, plus a dense array of them that the expiry sweep walks in slices.
 *
 * <p>The index is open addressing with linear probing over two parallel arrays, the swarms and their 32-bit
 * keyed hashes, so a probe compares an int in a dense array and touches a swarm's key only when the hashes match:
 * a generic map (Agrona's {@code Object2ObjectHashMap}) calls {@code equals} on every occupied slot of the probe
 * run, each a cache miss on a million-swarm heap (measured: the first hot spot of re-indexing a store at start).
 * Deletion shifts the rest of the run back, so no tombstones accumulate.
 *
 * <p>Thread: owned by the swarm processor (and the launcher thread before the processor starts).
 */
final class SwarmRegistry
{
    private static final int INITIAL_CAPACITY = 1024;

    private Swarm[] table = new Swarm[INITIAL_CAPACITY * 2];
    private int[] hashes = new int[INITIAL_CAPACITY * 2];
    private int mask = table.length - 1;
    private Swarm[] dense = new Swarm[INITIAL_CAPACITY];
    private int size;
    private long peers;

    Swarm get(final InfoHashKey probe)
    {
        final int hash = probe.hashCode();
        int i = hash & mask;
        Swarm s;
        while ((s = table[i]) != null)
        {
            if (hashes[i] == hash && Arrays.equals(s.key.bytes, probe.bytes))
            {
                return s;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    Swarm create(final InfoHashKey probe)
    {
        final Swarm swarm = new Swarm(probe.copy());
        if (size == dense.length)
        {
            dense = Arrays.copyOf(dense, size * 2);
            rehash(table.length * 2);
        }
        insert(swarm);
        swarm.registryIndex = size;
        dense[size++] = swarm;
        return swarm;
    }

    void remove(final Swarm swarm)
    {
        int i = swarm.key.hashCode() & mask;
        while (table[i] != swarm)
        {
            i = (i + 1) & mask;
        }
        // Backward-shift deletion: pull later members of the same probe run into the hole.
        int hole = i;
        int j = (hole + 1) & mask;
        while (table[j] != null)
        {
            final int home = hashes[j] & mask;
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                table[hole] = table[j];
                hashes[hole] = hashes[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        table[hole] = null;
        hashes[hole] = 0;

        final int index = swarm.registryIndex;
        final Swarm last = dense[--size];
        dense[index] = last;
        last.registryIndex = index;
        dense[size] = null;
    }

    private void insert(final Swarm swarm)
    {
        final int hash = swarm.key.hashCode();
        int i = hash & mask;
        while (table[i] != null)
        {
            i = (i + 1) & mask;
        }
        table[i] = swarm;
        hashes[i] = hash;
    }

    /** Keeps the table at most half full: dense capacity x 2 slots. */
    private void rehash(final int capacity)
    {
        final Swarm[] old = table;
        table = new Swarm[capacity];
        hashes = new int[capacity];
        mask = capacity - 1;
        for (final Swarm s : old)
        {
            if (s != null)
            {
                insert(s);
            }
        }
    }

    Swarm at(final int index)
    {
        return dense[index];
    }

    int size()
    {
        return size;
    }

    long peers()
    {
        return peers;
    }

    void peersChanged(final int delta)
    {
        peers += delta;
    }
}
