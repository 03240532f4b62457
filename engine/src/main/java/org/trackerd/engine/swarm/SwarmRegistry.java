package org.trackerd.engine.swarm;

import org.agrona.collections.Object2ObjectHashMap;

import java.util.Arrays;

/**
 * All swarms by infohash, plus a dense array of them that the expiry sweep walks in slices.
 *
 * <p>Thread: owned by the swarm processor.
 */
final class SwarmRegistry
{
    private final Object2ObjectHashMap<InfoHashKey, Swarm> byHash = new Object2ObjectHashMap<>();
    private Swarm[] dense = new Swarm[1024];
    private int size;
    private long peers;

    Swarm get(final InfoHashKey probe)
    {
        return byHash.get(probe);
    }

    Swarm create(final InfoHashKey probe)
    {
        final Swarm swarm = new Swarm(probe.copy());
        byHash.put(swarm.key, swarm);
        if (size == dense.length)
        {
            dense = Arrays.copyOf(dense, size * 2);
        }
        swarm.registryIndex = size;
        dense[size++] = swarm;
        return swarm;
    }

    void remove(final Swarm swarm)
    {
        byHash.remove(swarm.key);
        final int index = swarm.registryIndex;
        final Swarm last = dense[--size];
        dense[index] = last;
        last.registryIndex = index;
        dense[size] = null;
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
