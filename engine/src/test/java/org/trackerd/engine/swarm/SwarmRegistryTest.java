package org.trackerd.engine.swarm;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class SwarmRegistryTest
{
    private static final long SEED = 77;

    @Test
    void findsEveryLiveSwarmThroughGrowthAndRemovals()
    {
        final SwarmRegistry registry = new SwarmRegistry();
        final Random random = new Random(5);
        final List<byte[]> hashes = new ArrayList<>();
        final InfoHashKey probe = new InfoHashKey();
        for (int i = 0; i < 5000; i++)
        {
            final byte[] h = new byte[20];
            random.nextBytes(h);
            hashes.add(h);
            registry.create(probe.set(h, 0, SEED));
        }
        assertEquals(5000, registry.size());
        final List<byte[]> removed = new ArrayList<>();
        for (int i = 0; i < 5000; i += 2)
        {
            final Swarm s = registry.get(probe.set(hashes.get(i), 0, SEED));
            registry.remove(s);
            removed.add(hashes.get(i));
        }
        assertEquals(2500, registry.size());
        for (int i = 1; i < 5000; i += 2)
        {
            final Swarm s = registry.get(probe.set(hashes.get(i), 0, SEED));
            assertSame(s, registry.at(s.registryIndex), "dense index and hash index agree");
        }
        for (final byte[] h : removed)
        {
            assertNull(registry.get(probe.set(h, 0, SEED)));
        }
        // Reuse after removal: the same keys come back.
        for (final byte[] h : removed)
        {
            registry.create(probe.set(h, 0, SEED));
        }
        assertEquals(5000, registry.size());
        for (final byte[] h : hashes)
        {
            assertEquals(java.util.Arrays.toString(h),
                java.util.Arrays.toString(registry.get(probe.set(h, 0, SEED)).key.bytes));
        }
    }
}
