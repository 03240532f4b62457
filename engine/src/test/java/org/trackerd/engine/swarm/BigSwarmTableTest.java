package org.trackerd.engine.swarm;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The big swarms' table by infohash against a HashMap model: growth, backward-shift removal, look-ups at offsets. */
class BigSwarmTableTest
{
    @Test
    void findsWhatWasPutAndNothingElseThroughGrowthAndRemovals()
    {
        final BigSwarmTable table = new BigSwarmTable(0x1234_5678_9ABC_DEF0L);
        final Map<String, BigSwarm> model = new HashMap<>();
        final Random random = new Random(11);
        final List<byte[]> hashes = new ArrayList<>();
        for (int i = 0; i < 3000; i++)
        {
            final byte[] hash = new byte[20];
            random.nextBytes(hash);
            if (i % 5 == 0)
            {
                java.util.Arrays.fill(hash, 0, 8, (byte)7); // many share the bytes that pick the slot: one long run
                                                          // of probes, told apart by the whole infohash
            }
            hashes.add(hash);
        }
        for (int step = 0; step < 20_000; step++)
        {
            final byte[] hash = hashes.get(random.nextInt(hashes.size()));
            final String name = java.util.HexFormat.of().formatHex(hash);
            if (random.nextInt(3) == 0)
            {
                final BigSwarm big = model.remove(name);
                table.remove(new InfoHashKey().set(hash, 0, 0));
                if (big != null)
                {
                    assertNull(table.get(hash, 0));
                }
            }
            else if (!model.containsKey(name))
            {
                final BigSwarm big = new BigSwarm(new InfoHashKey().set(hash, 0, 0));
                model.put(name, big);
                table.put(big);
            }
            assertEquals(model.size(), table.size());
        }
        final byte[] shifted = new byte[25];
        for (final byte[] hash : hashes)
        {
            System.arraycopy(hash, 0, shifted, 5, 20);
            final BigSwarm expected = model.get(java.util.HexFormat.of().formatHex(hash));
            assertSame(expected, table.get(hash, 0));
            assertSame(expected, table.get(shifted, 5));
        }
        final List<BigSwarm> all = new ArrayList<>();
        table.addTo(all);
        assertEquals(new HashSet<>(model.values()), new HashSet<>(all));
    }
}
