package org.trackerd.engine.swarm;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SwarmTest
{
    private static final long SEED = 0x1234_5678_9ABCL;

    private final Random random = new Random(42);
    private final Swarm swarm = new Swarm(new InfoHashKey().set(new byte[20], 0, SEED));

    @Test
    void addedPeersAreFoundInTheirOwnSlots()
    {
        final Map<Integer, byte[]> bySlot = new HashMap<>();
        for (int i = 0; i < 500; i++)
        {
            final byte[] id = randomId();
            final int slot = swarm.add(id, PeerHash.hash(id, 0, SEED));
            assertTrue(bySlot.put(slot, id) == null, "slot " + slot + " handed out twice");
        }
        assertEquals(500, swarm.size());
        assertEquals(0, swarm.seeders());
        assertEquals(500, swarm.leechers());
        for (final Map.Entry<Integer, byte[]> entry : bySlot.entrySet())
        {
            final byte[] id = entry.getValue();
            assertEquals(entry.getKey(), swarm.find(id, PeerHash.hash(id, 0, SEED)));
        }
        for (int i = 0; i < 100; i++)
        {
            final byte[] stranger = randomId();
            assertEquals(-1, swarm.find(stranger, PeerHash.hash(stranger, 0, SEED)));
        }
        assertMembersConsistent();
    }

    @Test
    void tableStaysConsistentThroughInterleavedAddsAndRemoves()
    {
        runChurn(id -> PeerHash.hash(id, 0, SEED));
    }

    @Test
    void tableStaysConsistentWhenHashesCollide()
    {
        // Few distinct hashes make long probe runs that wrap around the table: the hard case for backward shift.
        runChurn(id -> (id[0] & 0xFF) % 5);
    }

    @Test
    void emptiedSwarmCanBeRefilled()
    {
        final List<byte[]> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++)
        {
            final byte[] id = randomId();
            ids.add(id);
            swarm.add(id, PeerHash.hash(id, 0, SEED));
        }
        for (final byte[] id : ids)
        {
            swarm.remove(swarm.find(id, PeerHash.hash(id, 0, SEED)));
        }
        assertEquals(0, swarm.size());
        for (final byte[] id : ids)
        {
            assertEquals(-1, swarm.find(id, PeerHash.hash(id, 0, SEED)));
        }
        final Set<Integer> slots = new HashSet<>();
        for (final byte[] id : ids)
        {
            slots.add(swarm.add(id, PeerHash.hash(id, 0, SEED)));
        }
        assertEquals(40, slots.size());
        for (final byte[] id : ids)
        {
            assertTrue(swarm.find(id, PeerHash.hash(id, 0, SEED)) >= 0);
        }
        assertMembersConsistent();
    }

    @Test
    void seederMovesKeepCountsAndPartition()
    {
        final List<Integer> slots = addPeers(200);
        final Set<Integer> seeders = new HashSet<>();
        for (int round = 0; round < 2000; round++)
        {
            final int slot = slots.get(random.nextInt(slots.size()));
            final boolean seeder = random.nextBoolean();
            swarm.seeder(slot, seeder);
            if (seeder)
            {
                seeders.add(slot);
            }
            else
            {
                seeders.remove(slot);
            }
            assertEquals(seeders.size(), swarm.seeders());
            assertEquals(200 - seeders.size(), swarm.leechers());
            assertEquals(seeder, swarm.isSeeder(slot));
        }
        assertMembersConsistent();
        for (int p = 0; p < swarm.size(); p++)
        {
            assertEquals(seeders.contains(swarm.memberAt(p)), p < swarm.seeders(), "partition at " + p);
        }
    }

    @Test
    void seederFlagDoesNotDisturbOtherFlags()
    {
        final int slot = addPeers(3).get(1);
        swarm.flags(slot, (byte)(Swarm.FLAG_COMPLETED | Swarm.FLAG_HAS_KEY));
        swarm.seeder(slot, true);
        assertEquals(Swarm.FLAG_COMPLETED | Swarm.FLAG_HAS_KEY | Swarm.FLAG_SEEDER, swarm.flags(slot));
        swarm.seeder(slot, true);
        assertEquals(1, swarm.seeders());
        swarm.seeder(slot, false);
        assertEquals(Swarm.FLAG_COMPLETED | Swarm.FLAG_HAS_KEY, swarm.flags(slot));
        assertEquals(0, swarm.seeders());
    }

    @Test
    void removingSeedersAndLeechersKeepsCounts()
    {
        final List<Integer> slots = addPeers(100);
        for (int i = 0; i < 100; i += 2)
        {
            swarm.seeder(slots.get(i), true);
        }
        assertEquals(50, swarm.seeders());
        int seeders = 50;
        int leechers = 50;
        for (int i = 0; i < 60; i++)
        {
            final int slot = slots.get(i * 7 % 100);
            if (swarm.isSeeder(slot))
            {
                seeders--;
            }
            else
            {
                leechers--;
            }
            swarm.remove(slot);
            assertEquals(seeders, swarm.seeders());
            assertEquals(leechers, swarm.leechers());
            assertMembersConsistent();
        }
    }

    @Test
    void sampleReturnsDistinctSlotsAndNeverTheExcludedOne()
    {
        final List<Integer> slots = addPeers(100);
        for (int i = 0; i < 30; i++)
        {
            swarm.seeder(slots.get(i), true);
        }
        final SplittableRandom rnd = new SplittableRandom(7);
        for (int round = 0; round < 500; round++)
        {
            final int exclude = slots.get(30 + rnd.nextInt(70));
            final int want = rnd.nextInt(120);
            final List<Integer> picked = sample(0, swarm.size(), exclude, want, rnd);
            assertEquals(Math.min(want, 99), picked.size());
            assertEquals(picked.size(), new HashSet<>(picked).size(), "duplicates in " + picked);
            assertFalse(picked.contains(exclude));
            assertTrue(slots.containsAll(picked));
            assertEquals(30, swarm.seeders());
            assertMembersConsistent();
        }
    }

    @Test
    void windowSampleIsDistinctWithinItsRangesNeverTheRequesterAndWritesNothing()
    {
        final List<Integer> slots = addPeers(100);
        for (int i = 0; i < 30; i++)
        {
            swarm.seeder(slots.get(i), true);
        }
        final SplittableRandom rnd = new SplittableRandom(11);
        final int[] before = members();
        final java.util.Set<Integer> seen = new HashSet<>();
        for (int round = 0; round < 500; round++)
        {
            final int exclude = slots.get(30 + rnd.nextInt(70));
            final int want = rnd.nextInt(120);
            final List<Integer> picked = new java.util.ArrayList<>();
            // Seeders and leechers given as two ranges, as a leecher's selection does.
            swarm.sampleWindow(0, swarm.seeders(), swarm.seeders(), swarm.size(), exclude, want, rnd,
                (s, slot) -> picked.add(slot));
            assertEquals(Math.min(want, 99), picked.size());
            assertEquals(picked.size(), new HashSet<>(picked).size(), "duplicates in " + picked);
            assertFalse(picked.contains(exclude));
            seen.addAll(picked);
            final List<Integer> leechersOnly = new java.util.ArrayList<>();
            swarm.sampleWindow(swarm.seeders(), swarm.size(), 0, 0, -1, 10, rnd, (s, slot) -> leechersOnly.add(slot));
            for (final int slot : leechersOnly)
            {
                assertFalse(swarm.isSeeder(slot));
            }
        }
        assertArrayEquals(before, members());
        assertEquals(100, seen.size(), "random windows reach every member over many requests");
    }

    @Test
    void sampleLeavesMembersInTheOrderItFoundThem()
    {
        final List<Integer> slots = addPeers(50);
        for (int i = 0; i < 50; i += 4)
        {
            swarm.seeder(slots.get(i), true);
        }
        final SplittableRandom rnd = new SplittableRandom(9);
        final int[] before = members();
        sample(0, swarm.size(), slots.get(1), 10, rnd);
        assertArrayEquals(before, members());
        // Excluding a seeder from the whole range parks it among the leechers for the duration only.
        sample(0, swarm.size(), slots.get(0), 10, rnd);
        assertArrayEquals(before, members());
        sample(swarm.seeders(), swarm.size(), -1, 5, rnd);
        assertArrayEquals(before, members());
        // The peers a leecher's sample saw are still where a seeder's sample looks for leechers.
        final List<Integer> leechers = sample(swarm.seeders(), swarm.size(), -1, 1000, rnd);
        assertEquals(37, leechers.size());
        for (final int slot : leechers)
        {
            assertFalse(swarm.isSeeder(slot));
        }
    }

    @Test
    void sampleOfLeechersRangeReturnsOnlyLeechers()
    {
        final List<Integer> slots = addPeers(60);
        for (int i = 0; i < 60; i += 3)
        {
            swarm.seeder(slots.get(i), true);
        }
        final SplittableRandom rnd = new SplittableRandom(11);
        for (int round = 0; round < 200; round++)
        {
            final int want = 1 + rnd.nextInt(30);
            final List<Integer> picked = sample(swarm.seeders(), swarm.size(), -1, want, rnd);
            assertEquals(want, picked.size());
            assertEquals(want, new HashSet<>(picked).size());
            for (final int slot : picked)
            {
                assertFalse(swarm.isSeeder(slot), "seeder " + slot + " sampled from the leecher range");
            }
        }
    }

    @Test
    void sampleReturnsEveryoneWhenWantCoversTheRange()
    {
        final List<Integer> slots = addPeers(25);
        for (int i = 0; i < 5; i++)
        {
            swarm.seeder(slots.get(i), true);
        }
        final SplittableRandom rnd = new SplittableRandom(3);

        final List<Integer> all = sample(0, swarm.size(), -1, 25, rnd);
        assertEquals(new HashSet<>(slots), new HashSet<>(all));
        assertEquals(25, all.size());

        final int exclude = slots.get(10);
        final List<Integer> allButOne = sample(0, swarm.size(), exclude, 1000, rnd);
        assertEquals(24, allButOne.size());
        final Set<Integer> expected = new HashSet<>(slots);
        expected.remove(exclude);
        assertEquals(expected, new HashSet<>(allButOne));

        final List<Integer> leechers = sample(swarm.seeders(), swarm.size(), -1, 20, rnd);
        assertEquals(new HashSet<>(slots.subList(5, 25)), new HashSet<>(leechers));

        assertEquals(0, sample(0, swarm.size(), -1, 0, rnd).size());
    }

    @Test
    void sampleOfOnlyTheExcludedPeerIsEmpty()
    {
        final int only = addPeers(1).get(0);
        assertEquals(List.of(), sample(0, swarm.size(), only, 50, new SplittableRandom(1)));
        assertEquals(1, swarm.size());
        assertEquals(only, swarm.memberAt(0));
    }

    @Test
    void sampleIsRoughlyUniform()
    {
        final List<Integer> slots = addPeers(20);
        final SplittableRandom rnd = new SplittableRandom(5);
        final Map<Integer, Integer> hits = new HashMap<>();
        for (int round = 0; round < 4000; round++)
        {
            for (final int slot : sample(0, swarm.size(), slots.get(0), 5, rnd))
            {
                hits.merge(slot, 1, Integer::sum);
            }
        }
        assertEquals(19, hits.size());
        // Each of 19 peers is expected 4000 * 5 / 19 ~ 1053 times.
        for (final Map.Entry<Integer, Integer> entry : hits.entrySet())
        {
            assertTrue(entry.getValue() > 850 && entry.getValue() < 1250, "slot " + entry.getKey() + ": " +
                entry.getValue());
        }
    }

    private interface Hasher
    {
        int hash(byte[] id);
    }

    private void runChurn(final Hasher hasher)
    {
        final Map<Integer, byte[]> live = new HashMap<>();
        final List<byte[]> removed = new ArrayList<>();
        for (int round = 0; round < 3000; round++)
        {
            if (live.isEmpty() || random.nextInt(100) < 55)
            {
                final byte[] id = randomId();
                final int slot = swarm.add(id, hasher.hash(id));
                assertTrue(live.put(slot, id) == null, "slot " + slot + " handed out twice");
                if (random.nextInt(4) == 0)
                {
                    swarm.seeder(slot, true);
                }
            }
            else
            {
                final List<Integer> keys = new ArrayList<>(live.keySet());
                final int slot = keys.get(random.nextInt(keys.size()));
                final byte[] id = live.remove(slot);
                assertEquals(slot, swarm.find(id, hasher.hash(id)));
                swarm.remove(slot);
                removed.add(id);
            }
            if (round % 100 == 0)
            {
                assertFindsExactly(live, removed, hasher);
            }
        }
        assertTrue(live.size() > 100, "churn should leave a sizeable swarm, has " + live.size());
        assertFindsExactly(live, removed, hasher);
        assertMembersConsistent();
    }

    private void assertFindsExactly(final Map<Integer, byte[]> live, final List<byte[]> removed, final Hasher hasher)
    {
        assertEquals(live.size(), swarm.size());
        for (final Map.Entry<Integer, byte[]> entry : live.entrySet())
        {
            assertEquals(entry.getKey(), swarm.find(entry.getValue(), hasher.hash(entry.getValue())));
        }
        for (final byte[] id : removed)
        {
            assertEquals(-1, swarm.find(id, hasher.hash(id)));
        }
    }

    /** Every member appears once, seeders first, and the seeder count matches the flags. */
    private void assertMembersConsistent()
    {
        final Set<Integer> seen = new HashSet<>();
        int seeders = 0;
        for (int p = 0; p < swarm.size(); p++)
        {
            final int slot = swarm.memberAt(p);
            assertTrue(seen.add(slot), "slot " + slot + " listed twice");
            assertEquals(p < swarm.seeders(), swarm.isSeeder(slot), "partition at position " + p);
            if (swarm.isSeeder(slot))
            {
                seeders++;
            }
        }
        assertEquals(seeders, swarm.seeders());
    }

    private int[] members()
    {
        final int[] result = new int[swarm.size()];
        for (int p = 0; p < result.length; p++)
        {
            result[p] = swarm.memberAt(p);
        }
        return result;
    }

    private List<Integer> addPeers(final int n)
    {
        final List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            final byte[] id = randomId();
            slots.add(swarm.add(id, PeerHash.hash(id, 0, SEED)));
        }
        return slots;
    }

    private List<Integer> sample(final int from, final int to, final int exclude, final int want,
        final SplittableRandom rnd)
    {
        final List<Integer> picked = new ArrayList<>();
        final int n = swarm.sample(from, to, exclude, want, rnd, (s, slot) ->
        {
            assertEquals(swarm, s);
            picked.add(slot);
        });
        assertEquals(n, picked.size());
        return picked;
    }

    private byte[] randomId()
    {
        final byte[] id = new byte[20];
        random.nextBytes(id);
        return id;
    }

    @Test
    void differentIdsWithTheSameHashAreTellApart()
    {
        final byte[] a = randomId();
        final byte[] b = a.clone();
        b[19] ^= 1;
        final int slotA = swarm.add(a, 7);
        final int slotB = swarm.add(b, 7);
        assertNotEquals(slotA, slotB);
        assertEquals(slotA, swarm.find(a, 7));
        assertEquals(slotB, swarm.find(b, 7));
        swarm.remove(slotA);
        assertEquals(-1, swarm.find(a, 7));
        assertEquals(slotB, swarm.find(b, 7));
    }
}
