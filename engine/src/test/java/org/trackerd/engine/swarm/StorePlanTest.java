package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StorePlan#decide}, row by row of its table: an in-flight file is left the way a process of each kind
 * leaves it, then read back as the next start reads it.
 */
class StorePlanTest
{
    private static final String BOOT = "boot-this";
    private static final int ALL = (1 << SwarmStore.SHARDS) - 1;

    @TempDir
    Path dir;

    @Test
    void noFilesGiveANewStoreWithZeroCounts() throws Exception
    {
        final StorePlan plan = StorePlan.decide(false, false, null, InFlight.read(dir), BOOT);
        assertTrue(plan.created());
        assertTrue(plan.countsKnown());
        assertEquals(0, plan.recoverShards());
        assertEquals(-1, plan.unlockedShard());
        assertArrayEquals(new long[6], plan.counts());
        assertNull(plan.undo());
        assertNull(plan.tornSwarm());
    }

    @Test
    void aCleanCloseIsOpenedAsItIsWithItsCounts() throws Exception
    {
        final long[] counts = { 3, 7, 1, 2, 3, 1 };
        final StorePlan plan = StorePlan.decide(true, true, counts, InFlight.read(dir), BOOT);
        assertFalse(plan.created());
        assertTrue(plan.clean());
        assertTrue(plan.countsKnown());
        assertEquals(0, plan.recoverShards());
        assertArrayEquals(counts, plan.counts());
        counts[0] = 99;
        assertEquals(3, plan.counts()[0], "the plan keeps its own copy");
    }

    /**
     * A resize's copy cut short: whatever the files said, every shard is recovered and scanned (the copy's read
     * locks are named by no in-flight record), and no counts are trusted.
     */
    @Test
    void aCopyCutShortRecoversAndScansEveryShard() throws Exception
    {
        final StorePlan clean = StorePlan.decide(true, true, new long[] { 3, 7, 1, 2, 3, 1 }, InFlight.read(dir),
            BOOT);
        final StorePlan plan = clean.recoveringEveryShard();
        assertEquals(ALL, plan.recoverShards());
        assertEquals(ALL, plan.scanShards());
        assertEquals(-1, plan.unlockedShard());
        assertFalse(plan.clean());
        assertFalse(plan.countsKnown());
        assertFalse(plan.shardCountsKept());
        assertArrayEquals(new long[6], plan.counts());
        assertEquals(SwarmStore.SHARDS, plan.recoveredShardCount());
    }

    @Test
    void aCleanCloseWithoutItsCountsIsScannedButNotRecovered() throws Exception
    {
        final StorePlan plan = StorePlan.decide(true, true, null, InFlight.read(dir), BOOT);
        assertEquals(0, plan.recoverShards());
        assertEquals(ALL, plan.scanShards());
        assertFalse(plan.countsKnown());
    }

    @Test
    void anIdleDeathOnThisBootTakesTheInFlightCounts() throws Exception
    {
        try (InFlight f = InFlight.open(dir))
        {
            f.reset(BOOT, InFlight.IDLE, 2, 5, new long[] { 1, 1, 2, 1 });
        }
        final StorePlan plan = StorePlan.decide(true, false, null, InFlight.read(dir), BOOT);
        assertTrue(plan.crashedIdle());
        assertTrue(plan.countsKnown());
        assertEquals(0, plan.recoverShards());
        assertArrayEquals(new long[] { 2, 5, 1, 1, 2, 1 }, plan.counts());
    }

    @Test
    void aBusyDeathOnThisBootOutsideAStructuralChangeUnlocksAndScansItsShardOnly() throws Exception
    {
        final byte[] hash = hash(5);
        final int shard = SwarmStore.shard(hash, 0);
        try (InFlight f = InFlight.open(dir))
        {
            f.reset(BOOT, InFlight.IDLE, 0, 0, new long[4]);
            for (int s = 0; s < SwarmStore.SHARDS; s++)
            {
                f.clearShardCounts(s);
            }
            f.addShardCounts(shard == 0 ? 1 : 0, 4, 9, new long[] { 1, 2, 3, 3 });
            f.shardCountsValid(true);
            f.busy();
            f.swarm(hash, 0);
        }
        final StorePlan plan = StorePlan.decide(true, false, null, InFlight.read(dir), BOOT);
        assertEquals(0, plan.recoverShards());
        assertEquals(shard, plan.unlockedShard());
        assertEquals(1 << shard, plan.scanShards());
        assertArrayEquals(new long[] { 4, 9, 1, 2, 3, 3 }, plan.counts(), "the other shards' counts are kept");
        assertArrayEquals(hash, plan.tornSwarm());
    }

    @Test
    void aBusyDeathInAStructuralChangeRecoversItsShardAndPutsBackTheSwap() throws Exception
    {
        final byte[] hash = hash(9);
        final int shard = SwarmStore.shard(hash, 0);
        final byte[] key = java.util.Arrays.copyOf(hash, SwarmStore.KEY_LENGTH);
        final UnsafeBuffer page = new UnsafeBuffer(new byte[Page.length(3)]);
        page.putByte(Page.record(1), (byte)11);
        page.putByte(Page.record(2), (byte)22);
        try (InFlight f = InFlight.open(dir))
        {
            f.reset(BOOT, InFlight.IDLE, 0, 0, new long[4]);
            f.shardCountsValid(false);
            f.busy();
            f.swarm(hash, 0);
            f.swapping(key, page, 1, 2);
            f.structuralBegin(InFlight.NO_SEGMENT);
        }
        final StorePlan plan = StorePlan.decide(true, false, null, InFlight.read(dir), BOOT);
        assertEquals(1 << shard, plan.recoverShards());
        assertEquals(-1, plan.unlockedShard());
        assertEquals(ALL, plan.scanShards(), "per-shard counts not valid: every shard is counted");
        final StorePlan.SwapUndo undo = plan.undo();
        assertNotNull(undo);
        assertArrayEquals(key, undo.pageKey());
        assertEquals(1, undo.a());
        assertEquals(2, undo.b());
        assertEquals(11, undo.records()[0]);
        assertEquals(22, undo.records()[Page.RECORD]);
    }

    /**
     * Version 4 names the segment of the structural change: that segment is recovered alone, the shard's locks
     * reset, no shard recovered; the shard is still counted. If that recovery refuses, the whole shard is.
     */
    @Test
    void aBusyDeathInAStructuralChangeOfANamedSegmentRecoversThatSegmentOnly() throws Exception
    {
        final byte[] hash = hash(9);
        final int shard = SwarmStore.shard(hash, 0);
        diedInStructuralChangeOfSegment7(hash, shard);
        final StorePlan plan = StorePlan.decide(true, false, null, InFlight.read(dir), BOOT);
        assertEquals(0, plan.recoverShards());
        assertEquals(shard, plan.unlockedShard());
        assertEquals(7, plan.recoveredSegment());
        assertFalse(plan.segmentReplace(), "an insert or a remove: no key in two tiers");
        assertEquals(1 << shard, plan.scanShards());
        assertArrayEquals(new long[] { 4, 9, 1, 2, 3, 3 }, plan.counts(), "the other shards' counts are kept");
        assertArrayEquals(hash, plan.tornSwarm());
        final StorePlan whole = plan.recoveringShardOfSegment();
        assertEquals(1 << shard, whole.recoverShards());
        assertEquals(-1, whole.recoveredSegment());
        assertEquals(-1, whole.unlockedShard());
        assertEquals(1 << shard, whole.scanShards());
        assertArrayEquals(hash, whole.tornSwarm());

        try (InFlight f = InFlight.open(dir))
        {
            f.structuralEnd();
            f.structuralBegin(7 | InFlight.REPLACE);
        }
        final StorePlan replace = StorePlan.decide(true, false, null, InFlight.read(dir), BOOT);
        assertEquals(7, replace.recoveredSegment());
        assertTrue(replace.segmentReplace(), "a replace may have moved its entry to another tier");

        // The structural change over (the word back at 0): the segment no longer counts, the shard is unlocked.
        try (InFlight f = InFlight.open(dir))
        {
            f.structuralEnd();
        }
        final StorePlan after = StorePlan.decide(true, false, null, InFlight.read(dir), BOOT);
        assertEquals(-1, after.recoveredSegment());
        assertEquals(shard, after.unlockedShard());
        assertEquals(0, after.recoverShards());
    }

    /** A file of version 3 (no segment word) that died structural: the whole shard, as that version did. */
    @Test
    void aStructuralDeathInAVersion3FileRecoversItsWholeShard() throws Exception
    {
        final byte[] hash = hash(9);
        final int shard = SwarmStore.shard(hash, 0);
        diedInStructuralChangeOfSegment7(hash, shard);
        writeVersion(3);
        final StorePlan plan = StorePlan.decide(true, false, null, InFlight.read(dir), BOOT);
        assertEquals(1 << shard, plan.recoverShards());
        assertEquals(-1, plan.recoveredSegment());
        assertEquals(-1, plan.unlockedShard());
        assertEquals(1 << shard, plan.scanShards());
    }

    /**
     * A death in an expiry slice before its first change: the counts of the last idle mark, the swept shard's locks
     * reset, nothing recovered, nothing scanned, no swarm repaired. After the slice's first change: as any busy
     * death outside a structural change. A version-3 file never says sweeping: the state word is busy there.
     */
    @Test
    void aDeathInASweepThatChangedNothingNeedsNoScan() throws Exception
    {
        final byte[] hash = hash(5);
        final int shard = SwarmStore.shard(hash, 0);
        try (InFlight f = InFlight.open(dir))
        {
            keptShardCounts(f, shard);
            f.idle(4 + 2, 9 + 5, new long[] { 1 + 1, 2 + 1, 3 + 2, 3 + 1 });
            f.busy();
            f.sweeping();
            f.shard(shard);
            f.swarm(hash, 0);
        }
        final StorePlan plan = StorePlan.decide(true, false, null, InFlight.read(dir), BOOT);
        assertTrue(plan.crashedSweeping());
        assertFalse(plan.crashedIdle());
        assertTrue(plan.countsKnown());
        assertEquals(0, plan.recoverShards());
        assertEquals(shard, plan.unlockedShard());
        assertEquals(-1, plan.recoveredSegment());
        assertArrayEquals(new long[] { 6, 14, 2, 3, 5, 4 }, plan.counts(), "the last idle mark's counts");
        assertNull(plan.tornSwarm());
        assertNull(plan.undo());

        try (InFlight f = InFlight.open(dir))
        {
            f.changing();
        }
        final StorePlan changed = StorePlan.decide(true, false, null, InFlight.read(dir), BOOT);
        assertFalse(changed.crashedSweeping());
        assertEquals(shard, changed.unlockedShard());
        assertEquals(1 << shard, changed.scanShards());
        assertArrayEquals(hash, changed.tornSwarm());

        try (InFlight f = InFlight.open(dir))
        {
            f.sweeping();
        }
        assertTrue(StorePlan.decide(true, false, null, InFlight.read(dir), "boot-other").recoverShards() == ALL,
            "another boot: every shard");
        writeVersion(3);
        assertFalse(StorePlan.decide(true, false, null, InFlight.read(dir), BOOT).crashedSweeping());
    }

    /** Per-shard counts kept: 4 torrents 9 peers in a shard other than {@code shard}, 2 and 5 in {@code shard}. */
    /** The in-flight file as a process leaves it when it dies inside a structural change of segment 7. */
    private void diedInStructuralChangeOfSegment7(final byte[] hash, final int shard) throws Exception
    {
        try (InFlight f = InFlight.open(dir))
        {
            keptShardCounts(f, shard);
            f.busy();
            f.swarm(hash, 0);
            f.structuralBegin(7);
        }
    }

    private static void keptShardCounts(final InFlight f, final int shard)
    {
        f.reset(BOOT, InFlight.IDLE, 0, 0, new long[4]);
        for (int s = 0; s < SwarmStore.SHARDS; s++)
        {
            f.clearShardCounts(s);
        }
        f.addShardCounts(shard == 0 ? 1 : 0, 4, 9, new long[] { 1, 2, 3, 3 });
        f.addShardCounts(shard, 2, 5, new long[] { 1, 1, 2, 1 });
        f.shardCountsValid(true);
    }

    private void writeVersion(final int version) throws Exception
    {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(dir.resolve(InFlight.FILE),
            java.nio.file.StandardOpenOption.WRITE))
        {
            final java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder());
            b.putInt(0, version);
            channel.write(b, 12);
        }
    }

    @Test
    void aDeathOnAnotherBootRecoversAndScansEveryShard() throws Exception
    {
        try (InFlight f = InFlight.open(dir))
        {
            f.reset("boot-before", InFlight.IDLE, 2, 5, new long[] { 1, 1, 2, 1 });
        }
        final StorePlan plan = StorePlan.decide(true, false, null, InFlight.read(dir), BOOT);
        assertFalse(plan.crashedIdle());
        assertEquals(ALL, plan.recoverShards());
        assertEquals(ALL, plan.scanShards());
        assertArrayEquals(new long[6], plan.counts());
        assertNull(plan.undo(), "another boot: no undo image can be trusted");
    }

    private static byte[] hash(final int n)
    {
        final byte[] hash = new byte[20];
        hash[0] = (byte)n;
        hash[19] = (byte)n;
        return hash;
    }
}
