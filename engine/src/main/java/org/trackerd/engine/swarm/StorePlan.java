package org.trackerd.engine.swarm;

import java.util.Arrays;

/**
 * What {@link SwarmStore#open} found in the storage directory and decided from it, before any map is opened: which
 * shards Chronicle's recovery runs on, which shard's segment locks are reset instead, which swap is put back, which
 * swarm's pages are repaired, and which shards the {@link StartupScan start-up scan} counts (the others' counts are
 * known). Decided by {@link #decide} alone, from the files' state; immutable (arrays are copied in and out).
 *
 * <pre>
 * files    last process                                  recover          unlock    scan           counts from
 * none     -                                             -                -         -              zero (new store)
 * present  closed cleanly (marker)                       -                -         -              counts file
 * present  died idle, this boot (in-flight)              -                -         -              in-flight file
 * present  died in a sweep that changed nothing, this    -                its shard -              in-flight file
 *          boot (version 4)
 * present  died busy, this boot, not structural          -                its shard its shard (*)  in-flight per shard
 * present  died busy, this boot, structural, segment     its segment (**) its shard its shard (*)  in-flight per shard
 *          recorded (version 4)
 * present  died busy, this boot, structural, no segment  its shard        -         its shard (*)  in-flight per shard
 * present  anything else (other boot, no file)           every shard      -         every shard    the scan
 *                                             (*) every shard if the per-shard counts are not valid; when it
 *                                                 is the one shard, the opening counts it off its pages
 *                                                 ({@link #countedAtOpen}) and the scan counts its swarm in
 *                                                 flight alone
 *                                             (**) {@link SegmentRecovery}; its whole shard if it refuses
 * </pre>
 *
 * @param created        no map files were there: new maps are created
 * @param clean          the last process closed the store cleanly (the marker was there)
 * @param crashedIdle    the last process died with no update in flight, on this boot: opened as it is
 * @param crashedSweeping the last process died in an expiry slice that had changed nothing, on this boot: opened
 *                       as it is, the swept shard's locks reset, the counts known
 * @param recoverShards  bit {@code s}: Chronicle's recovery runs on shard {@code s}
 * @param unlockedShard  the shard whose segment locks are reset instead of recovered, or -1
 * @param recoveredSegment the segment of {@code unlockedShard}'s map recovered alone ({@link SegmentRecovery}: the
 *                       last process died inside a change of its structure), or -1
 * @param segmentReplace the change in {@code recoveredSegment} was a replace, which may have left its key in two
 *                       tiers of the segment
 * @param scanShards     bit {@code s}: the start-up scan counts shard {@code s} (0: the counts are known)
 * @param counts         the counts the store starts from: {@code torrents peers leechers-v4 leechers-v6 seeders-v4
 *                       seeders-v6}, all of them when known, else those of the shards not scanned
 * @param shardCountsKept the in-flight file's per-shard counts still add up to the counts (when they are known)
 * @param undo           the swap of two records in place the last process died in, to put back first, or null
 * @param tornSwarm      the swarm an update was in flight on when the process died (its pages may be torn, in a
 *                       shard the scan counts, or in the shard counted at the opening), or null
 * @param countedShard   the one shard to count, counted by the opening ({@link ShardCount}) instead of the scan,
 *                       but for {@code tornSwarm}, which the start-up scan repairs and counts alone; or -1
 * @param countedShardCounts its counts (in {@code counts} too), without {@code tornSwarm}'s
 */
record StorePlan(boolean created, boolean clean, boolean crashedIdle, boolean crashedSweeping, int recoverShards,
    int unlockedShard, int recoveredSegment, boolean segmentReplace, int scanShards, long[] counts,
    boolean shardCountsKept, SwapUndo undo, byte[] tornSwarm, int countedShard, long[] countedShardCounts)
{
    /** The page, the two positions and their records as they were before the swap (2 x 60 bytes). */
    record SwapUndo(byte[] pageKey, int a, int b, byte[] records)
    {
        SwapUndo
        {
            pageKey = pageKey.clone();
            records = records.clone();
        }

        @Override
        public byte[] pageKey()
        {
            return pageKey.clone();
        }

        @Override
        public byte[] records()
        {
            return records.clone();
        }
    }

    private static final int ALL_SHARDS = (1 << SwarmStore.SHARDS) - 1;

    StorePlan
    {
        counts = counts.clone();
        tornSwarm = tornSwarm == null ? null : tornSwarm.clone();
        countedShardCounts = countedShardCounts.clone();
    }

    /**
     * Decides the plan.
     *
     * @param exists      map files are there
     * @param clean       the clean-shutdown marker is there
     * @param cleanCounts the counts file a clean close wrote, or null when it is missing or unreadable
     * @param last        the in-flight file as the last process left it (all zero when missing)
     * @param bootId      this boot of the host
     */
    static StorePlan decide(final boolean exists, final boolean clean, final long[] cleanCounts, final InFlight last,
        final String bootId)
    {
        // After a crash of the process alone with no update in flight, the map is whole: no recovery.
        final boolean idleCrash = exists && !clean && last.trustworthy(bootId) && validCounts(last.counts());
        final boolean recover = exists && !clean && !idleCrash;
        // Died mid-update on this boot: only the shard it was changing can hold a lock or a half-done change.
        final int busyShard = recover ? last.busyShard(bootId) : -1;
        // Died in an expiry slice before it changed anything: the map is whole but for the swept shard's locks, and
        // the counts of the last idle mark are its counts.
        final boolean sweepCrash = busyShard >= 0 && last.diedSweepingUnchanged(bootId) &&
            validCounts(last.counts());
        // Died inside a change of the map's structure in a segment the file names: that segment alone is recovered.
        final int segment = busyShard >= 0 && !sweepCrash && last.diedStructural() ? last.structuralSegment() :
            InFlight.NO_SEGMENT;
        // Died with no change of the map's structure under way (reading, or writing a page in place): the shard is
        // whole but for the segment locks the process held; they are reset instead of recovered.
        final boolean unlockOnly = busyShard >= 0 && (sweepCrash || !last.diedStructural() || segment >= 0);
        final int recoverShards = !recover || unlockOnly ? 0 : busyShard < 0 ? ALL_SHARDS : 1 << busyShard;
        final long[] known = clean ? cleanCounts : idleCrash || sweepCrash ? last.counts() : !exists ? new long[6] :
            null;
        // Which shards the start-up scan must count: none when the counts are known; after a crash mid-update on
        // this boot, with the per-shard counts kept, the recovered shard alone; otherwise all.
        int scanShards = 0;
        final long[] counts = known != null ? known : new long[6];
        if (known == null)
        {
            final boolean partial = busyShard >= 0 && last.shardCountsValid();
            for (int s = 0; s < SwarmStore.SHARDS; s++)
            {
                if (!partial || s == busyShard)
                {
                    scanShards |= 1 << s;
                }
                else
                {
                    final long[] shardCounts = last.shardCounts(s);
                    for (int i = 0; i < 6; i++)
                    {
                        counts[i] += shardCounts[i];
                    }
                }
            }
        }
        final boolean shardCountsKept = known != null && exists && last.shardCountsValid() &&
            Arrays.equals(known, sumShardCounts(last));
        final byte[] torn = recover && !sweepCrash && last.magic() && !last.idle() ? last.swarm() : null;
        // A swap of two records in place was under way (this boot: its undo image is as current as the page).
        final byte[] undoKey = busyShard >= 0 && !sweepCrash ? last.undoKey() : null;
        final SwapUndo undo = undoKey == null ? null :
            new SwapUndo(undoKey, last.undoA(), last.undoB(), last.undoRecords());
        return new StorePlan(!exists, clean, idleCrash, sweepCrash, recoverShards, unlockOnly ? busyShard : -1,
            segment, segment >= 0 && last.diedInReplace(), scanShards, counts, shardCountsKept, undo,
            torn != null && (scanShards & (1 << SwarmStore.shard(torn, 0))) != 0 ? torn : null, -1, new long[6]);
    }

    private static boolean validCounts(final long[] counts)
    {
        for (final long count : counts)
        {
            if (count < 0)
            {
                return false;
            }
        }
        return true;
    }

    private static long[] sumShardCounts(final InFlight last)
    {
        final long[] sum = new long[6];
        for (int s = 0; s < SwarmStore.SHARDS; s++)
        {
            final long[] shardCounts = last.shardCounts(s);
            for (int i = 0; i < 6; i++)
            {
                sum[i] += shardCounts[i];
            }
        }
        return sum;
    }

    /**
     * This plan with Chronicle's recovery on every shard and every shard counted by the scan: for files another
     * process may have held locks in that no in-flight record names (a resize's copy cut short). The swap to put
     * back and the swarm to repair stay: the files are the same.
     */
    StorePlan recoveringEveryShard()
    {
        return new StorePlan(created, false, false, false, ALL_SHARDS, -1, -1, false, ALL_SHARDS, new long[6], false,
            undo, tornSwarm, -1, new long[6]);
    }

    /**
     * This plan with Chronicle's recovery of the whole of the shard whose segment {@link SegmentRecovery} refused
     * to recover alone (the scan of that shard and the rest stay).
     */
    StorePlan recoveringShardOfSegment()
    {
        return new StorePlan(created, clean, crashedIdle, crashedSweeping, recoverShards | 1 << unlockedShard, -1,
            -1, false, scanShards, counts, shardCountsKept, undo, tornSwarm, -1, new long[6]);
    }

    /** The one shard the scan would count, when it is one, else -1: the opening may count it ({@link ShardCount}). */
    int shardToCount()
    {
        return Integer.bitCount(scanShards) == 1 ? Integer.numberOfTrailingZeros(scanShards) : -1;
    }

    /**
     * This plan with {@link #shardToCount}'s counts, but for the torn swarm's, read by the opening: nothing left for
     * the scan but that swarm.
     */
    StorePlan countedAtOpen(final long[] shardCounts)
    {
        final long[] total = counts.clone();
        for (int i = 0; i < 6; i++)
        {
            total[i] += shardCounts[i];
        }
        return new StorePlan(created, clean, crashedIdle, crashedSweeping, recoverShards, unlockedShard,
            recoveredSegment, segmentReplace, 0, total, shardCountsKept, undo, tornSwarm, shardToCount(), shardCounts);
    }

    @Override
    public long[] countedShardCounts()
    {
        return countedShardCounts.clone();
    }

    @Override
    public long[] counts()
    {
        return counts.clone();
    }

    @Override
    public byte[] tornSwarm()
    {
        return tornSwarm == null ? null : tornSwarm.clone();
    }

    /**
     * The counts are known and nothing is left for the start-up scan: a clean close, an idle death, a death in a
     * sweep that changed nothing, a new store (not a shard counted at the opening: its torn swarm is the scan's).
     */
    boolean countsKnown()
    {
        return scanShards == 0 && countedShard < 0;
    }

    /** Chronicle's recovery runs on this shard. */
    boolean recovers(final int shard)
    {
        return (recoverShards & (1 << shard)) != 0;
    }

    /** The start-up scan counts this shard. */
    boolean scans(final int shard)
    {
        return (scanShards & (1 << shard)) != 0;
    }

    int scannedShardCount()
    {
        return Integer.bitCount(scanShards);
    }

    int recoveredShardCount()
    {
        return Integer.bitCount(recoverShards);
    }

    /** Which shards recovery runs on, one flag per shard (for opening them). */
    boolean[] recovering()
    {
        final boolean[] recovering = new boolean[SwarmStore.SHARDS];
        for (int s = 0; s < SwarmStore.SHARDS; s++)
        {
            recovering[s] = recovers(s);
        }
        return recovering;
    }
}
