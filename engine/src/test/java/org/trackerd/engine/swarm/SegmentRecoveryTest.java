package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.VanillaGlobalMutableState;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.VanillaChronicleMap;
import net.openhft.chronicle.map.impl.CompiledMapIterationContext;
import net.openhft.chronicle.map.impl.IterationContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code kill -9} inside a change of a map's structure, in the states Chronicle Map 3's code can leave one
 * segment in (an insert's chunks taken and counted but not referenced, the segment lock held; each step of a growth
 * step), made with Chronicle's own methods on a store, whose files are then copied as they are (what a killed
 * process leaves in the page cache) and opened as the next start opens them: that segment is recovered alone
 * ({@link SegmentRecovery}), no shard by Chronicle's recovery, every entry is there once, the segment takes writes
 * and grows again without blocking, and Chronicle's recovery of the whole file afterwards (as after a host crash)
 * finds every entry too: the tiers are left as its recovery expects them.
 */
class SegmentRecoveryTest
{
    private static final int SHARD = 3;
    /** Over first tiers of 512 pages a shard: every segment grows past its first tier. */
    private static final int ENTRIES = 1500;
    private static final long BUDGET = 16 << 20;

    @TempDir
    Path dir;

    /** Where a growth step died. */
    enum Growth
    {
        /** allocateTier done (the tier counted in use), the map's global lock still held, nothing linked. */
        ALLOCATED_LOCK_HELD,
        /** allocateTier died between counting the tier in use and moving the first free tier past it. */
        COUNTED_NOT_MOVED,
        /** allocateTierBulk died after counting the new bulk and its first free tier, before adding its size. */
        BULK_SIZE_NOT_ADDED,
        /** nextTier linked the new tier from the segment's last one, then died before writing the new tier's own. */
        LINKED_NO_COUNTERS,
        /** nextTier done: the new tier is the segment's last, empty (the insert it was for never got there). */
        LINKED_EMPTY
    }

    /**
     * Also as the death inside a replace (which may move an entry to another tier): then every entry of the segment
     * is looked up for a duplicate, Chronicle's step.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = { false, true })
    void aTornInsertIsRecoveredInItsSegmentAlone(final boolean replace) throws Exception
    {
        final Path original = dir.resolve("a" + replace);
        final byte[] k;
        final int segment;
        final Path killed;
        try (SwarmStore store = open(original))
        {
            final ChronicleMap<byte[], byte[]> map = store.shard(SHARD);
            fill(map, 0, ENTRIES);
            k = key(700);
            segment = segmentOf(map, k);
            inFlightStructural(store, k, segment | (replace ? InFlight.REPLACE : 0));
            try (IterationContext<?, ?, ?> context = ((VanillaChronicleMap<?, ?, ?>)map).iterationContext())
            {
                final CompiledMapIterationContext<?, ?, ?> c = (CompiledMapIterationContext<?, ?, ?>)context;
                c.initSegmentIndex(segment);
                c.initSegmentTier();
                // alloc() of an insert: the entry counted and its chunks taken, the hash lookup not yet written.
                c.tierEntries(c.tierEntries() + 1);
                final long free = c.freeList().nextClearBit(0);
                c.freeList().setRange(free, free + 5);
                // A removal's backward shift cut short: an entry's slot copied into an empty one, the old not yet
                // cleared (the entry is met twice by an iteration).
                final var lookup = ((VanillaChronicleMap<?, ?, ?>)map).hashLookup;
                long occupied = 0;
                while (lookup.empty(lookup.readEntry(c.tierBaseAddr(), occupied)))
                {
                    occupied = lookup.step(occupied);
                }
                long hole = lookup.step(occupied);
                while (!lookup.empty(lookup.readEntry(c.tierBaseAddr(), hole)))
                {
                    hole = lookup.step(hole);
                }
                lookup.writeEntry(c.tierBaseAddr(), hole, lookup.readEntry(c.tierBaseAddr(), occupied));
            }
            try (var q = map.queryContext(k))
            {
                q.updateLock().lock(); // held by the dead process
                killed = filesCopy(original);
            }
        }
        try (SwarmStore store = open(killed))
        {
            assertEquals(segment, store.recoveredSegment());
            assertEquals(replace, store.plan().segmentReplace());
            assertEquals(SHARD, store.unlockedShard());
            assertEquals(0, store.recoveredShardCount(), "no shard recovered whole");
            final ChronicleMap<byte[], byte[]> map = store.shard(SHARD);
            assertEntries(map, ENTRIES);
            assertCountsMatchEntries(map);
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> map.put(k, value(9999, 200)));
            fill(map, ENTRIES, ENTRIES + 300);
        }
        assertEntriesAfterWholeRecovery(killed, ENTRIES + 300);
    }

    @ParameterizedTest
    @EnumSource(Growth.class)
    void aTornGrowthStepIsRecoveredInItsSegmentAlone(final Growth where) throws Exception
    {
        final Path original = dir.resolve("g-" + where);
        final Path killed;
        final long inUseBefore;
        try (SwarmStore store = open(original))
        {
            final ChronicleMap<byte[], byte[]> map = store.shard(SHARD);
            fill(map, 0, ENTRIES);
            final VanillaChronicleMap<?, ?, ?> h = (VanillaChronicleMap<?, ?, ?>)map;
            final VanillaGlobalMutableState state = h.globalMutableState();
            inUseBefore = state.getExtraTiersInUse();
            assertTrue(inUseBefore > 0, "the shard grew past its first tiers");
            final byte[] k = key(700);
            final int segment = segmentOf(map, k);
            inFlightStructural(store, k, segment);
            switch (where)
            {
                case ALLOCATED_LOCK_HELD ->
                {
                    h.allocateTier();
                    h.globalMutableStateLock();
                }
                case COUNTED_NOT_MOVED ->
                {
                    final long tier = h.allocateTier();
                    h.globalMutableStateLock();
                    state.setFirstFreeTierIndex(tier);
                }
                case BULK_SIZE_NOT_ADDED ->
                {
                    assertEquals(0, state.getFirstFreeTierIndex(), "no free tier: the step takes a new bulk");
                    final int bulks = state.getAllocatedExtraTierBulks();
                    final long size = state.getDataStoreSize();
                    final long tier = h.allocateTier();
                    assertEquals(bulks + 1, state.getAllocatedExtraTierBulks());
                    h.globalMutableStateLock();
                    state.setExtraTiersInUse(inUseBefore);
                    state.setFirstFreeTierIndex(tier);
                    state.setDataStoreSize(size);
                }
                case LINKED_NO_COUNTERS, LINKED_EMPTY ->
                {
                    final long tier = h.allocateTier();
                    try (IterationContext<?, ?, ?> context = h.iterationContext())
                    {
                        final CompiledMapIterationContext<?, ?, ?> c = (CompiledMapIterationContext<?, ?, ?>)context;
                        c.initSegmentIndex(segment);
                        c.initSegmentTier();
                        c.goToLastTier();
                        final long last = c.tierIndex();
                        final int lastTier = c.tier();
                        c.nextTierIndex(tier);
                        if (where == Growth.LINKED_EMPTY)
                        {
                            c.initSegmentTier(lastTier + 1, tier);
                            net.openhft.chronicle.hash.impl.TierCountersArea.segmentIndex(c.tierCountersAreaAddr(),
                                segment);
                            net.openhft.chronicle.hash.impl.TierCountersArea.tier(c.tierCountersAreaAddr(),
                                lastTier + 1);
                            c.nextTierIndex(0);
                            c.prevTierIndex(last);
                        }
                    }
                }
                default -> throw new IllegalStateException();
            }
            killed = filesCopy(original);
            if (where == Growth.ALLOCATED_LOCK_HELD || where == Growth.COUNTED_NOT_MOVED ||
                where == Growth.BULK_SIZE_NOT_ADDED)
            {
                h.globalMutableStateUnlock();
            }
        }
        try (SwarmStore store = open(killed))
        {
            assertEquals(0, store.recoveredShardCount(), "no shard recovered whole");
            assertEquals(SHARD, store.unlockedShard());
            final ChronicleMap<byte[], byte[]> map = store.shard(SHARD);
            final VanillaChronicleMap<?, ?, ?> h = (VanillaChronicleMap<?, ?, ?>)map;
            assertEquals(inUseBefore, h.globalMutableState().getExtraTiersInUse(), "the new empty tier given back");
            assertEquals(h.extraTierIndexToTierIndex(inUseBefore), h.globalMutableState().getFirstFreeTierIndex());
            verifyChains(map);
            assertEntries(map, ENTRIES);
            assertCountsMatchEntries(map);
            // Grows again (the global lock is free) and keeps everything.
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> fill(map, ENTRIES, 2 * ENTRIES));
            assertTrue(h.globalMutableState().getExtraTiersInUse() > inUseBefore);
            verifyChains(map);
        }
        assertEntriesAfterWholeRecovery(killed, 2 * ENTRIES);
    }

    /**
     * A chain that fits no state a growth step leaves (a tier links to one not in use): not guessed at, Chronicle's
     * recovery of the whole shard runs instead, and loses nothing.
     */
    @Test
    void aChainNoGrowthStepLeavesIsRecoveredByChronicleWhole() throws Exception
    {
        final Path original = dir.resolve("bad");
        final Path killed;
        try (SwarmStore store = open(original))
        {
            final ChronicleMap<byte[], byte[]> map = store.shard(SHARD);
            fill(map, 0, ENTRIES);
            final VanillaChronicleMap<?, ?, ?> h = (VanillaChronicleMap<?, ?, ?>)map;
            final byte[] k = key(700);
            final int segment = segmentOf(map, k);
            inFlightStructural(store, k, segment);
            final long next;
            try (IterationContext<?, ?, ?> context = h.iterationContext())
            {
                final CompiledMapIterationContext<?, ?, ?> c = (CompiledMapIterationContext<?, ?, ?>)context;
                c.initSegmentIndex(segment);
                c.initSegmentTier();
                c.goToLastTier();
                next = c.nextTierIndex();
                c.nextTierIndex(h.extraTierIndexToTierIndex(h.globalMutableState().getExtraTiersInUse() + 1));
                killed = filesCopy(original);
                c.nextTierIndex(next);
            }
        }
        try (SwarmStore store = open(killed))
        {
            assertEquals(-1, store.recoveredSegment());
            assertEquals(1, store.recoveredShardCount());
            assertTrue(store.recovered(SHARD));
            assertEntries(store.shard(SHARD), ENTRIES);
        }
    }

    private SwarmStore open(final Path directory)
    {
        return SwarmStore.open(directory, 16, 16, BUDGET);
    }

    /** Marks the in-flight file as the processor does right before a structural change of {@code key}'s page. */
    private static void inFlightStructural(final SwarmStore store, final byte[] key, final int segment)
    {
        store.inFlight.idle(store.torrents, store.peers, store.population);
        store.inFlight.busy();
        store.inFlight.swarm(key, 0);
        store.inFlight.structuralBegin(segment);
    }

    private static int segmentOf(final ChronicleMap<byte[], byte[]> map, final byte[] key)
    {
        try (var q = map.queryContext(key))
        {
            return q.segmentIndex();
        }
    }

    /** Page keys of shard {@link #SHARD}: its shard in the first byte, {@code i} after it. */
    private static byte[] key(final int i)
    {
        final byte[] key = new byte[SwarmStore.KEY_LENGTH];
        key[0] = (byte)(0x50 | SHARD);
        key[1] = (byte)(i >> 16);
        key[2] = (byte)(i >> 8);
        key[3] = (byte)i;
        return key;
    }

    private static byte[] value(final int i, final int length)
    {
        final byte[] value = new byte[length];
        Arrays.fill(value, (byte)i);
        value[0] = (byte)(i >> 8);
        return value;
    }

    private static void fill(final ChronicleMap<byte[], byte[]> map, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            map.put(key(i), value(i, 40 + i % 50));
        }
    }

    /** Every entry there once, with its value (key 700 perhaps replaced by the test's longer one). */
    private static void assertEntries(final ChronicleMap<byte[], byte[]> map, final int entries)
    {
        assertEquals(entries, map.longSize());
        for (int i = 0; i < entries; i++)
        {
            final byte[] got = map.get(key(i));
            if (i == 700 && got != null && got.length == 200)
            {
                continue;
            }
            assertArrayEquals(value(i, 40 + i % 50), got, "entry " + i);
        }
        final int[] seen = { 0 };
        map.forEachEntry(e -> seen[0]++);
        assertEquals(entries, seen[0], "no entry twice");
    }

    /** Each segment's entry counters add up to the entries an iteration meets in it. */
    private static void assertCountsMatchEntries(final ChronicleMap<byte[], byte[]> map)
    {
        for (int s = 0; s < map.segments(); s++)
        {
            try (var c = map.segmentContext(s))
            {
                final long[] met = { 0 };
                c.forEachSegmentEntry(e -> met[0]++);
                assertEquals(met[0], c.size(), "segment " + s);
            }
        }
    }

    /** Every segment's chain is whole: each tier says its segment, its place and the tier before it. */
    private static void verifyChains(final ChronicleMap<byte[], byte[]> map)
    {
        try (IterationContext<?, ?, ?> context = ((VanillaChronicleMap<?, ?, ?>)map).iterationContext())
        {
            final CompiledMapIterationContext<?, ?, ?> c = (CompiledMapIterationContext<?, ?, ?>)context;
            for (int s = 0; s < map.segments(); s++)
            {
                c.initSegmentIndex(s);
                c.initSegmentTier();
                c.verifyTierCountersAreaData();
            }
        }
    }

    /** Chronicle's recovery of the whole file (as after a host crash: no in-flight record) finds every entry. */
    private void assertEntriesAfterWholeRecovery(final Path store, final int entries) throws IOException
    {
        final Path copy = filesCopy(store);
        Files.delete(copy.resolve("clean-shutdown"));
        Files.delete(copy.resolve(InFlight.FILE));
        try (SwarmStore recovered = open(copy))
        {
            assertEquals(SwarmStore.SHARDS, recovered.recoveredShardCount());
            assertEquals(entries, recovered.shard(SHARD).longSize());
            assertEquals(entries, recovered.shard(SHARD).get(key(entries - 1)) == null ? -1 : entries);
        }
    }

    private Path filesCopy(final Path store) throws IOException
    {
        final Path copy = dir.resolve("killed-" + System.nanoTime());
        Files.createDirectories(copy);
        try (var files = Files.list(store))
        {
            for (final Path f : (Iterable<Path>)files::iterator)
            {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        return copy;
    }
}
