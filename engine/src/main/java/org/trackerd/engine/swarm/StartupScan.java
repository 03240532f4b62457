package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;
import org.agrona.BitUtil;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.EngineCounters;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the store needs once, before the processor takes its first request: put back a swap the last process died
 * in the middle of, rebuild the torn pages of the swarm it was changing, then count the shards whose counts nothing
 * vouches for, dropping the peers whose lifetime ran out while the tracker was down and indexing the swarms of
 * several pages. The swarms stay where they are, in the map. After a clean shutdown (or a death with nothing in
 * flight) the counts are known and there is nothing to scan.
 *
 * <p>Its sweep of a page is the expiry sweep's ({@link PageExpiry}), told nothing of what went
 * ({@link PageExpiry.Removals} that do nothing): the scan counts what is left afterwards.
 *
 * <p>Thread: the launcher, once, before the processor's thread starts.
 */
final class StartupScan implements PageExpiry.Removals
{
    private static final Logger LOG = LoggerFactory.getLogger(StartupScan.class);

    private final SwarmStore store;
    private final InFlight inFlight;
    private final PageAccess pages;
    private final PageExpiry expiry;
    private final ExpirySweep sweep;
    private final BigSwarms bigSwarms;
    private final SwarmCounts counts;
    private final EngineCounters counters;
    private final CachedEpochClock clock;
    private final EpochClock epochClock;
    private final NanoClock nanoClock;
    private final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer keyView = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[0]);
    private final byte[] work = new byte[Page.length(Page.CAPACITY)];
    private final byte[] scannedHash = new byte[20];
    private final Consumer<MapEntry<byte[], byte[]>> scanner = this::scanEntry;
    /** Of the shard being scanned: page 0 of each big swarm, and every later page, dealt with after it. */
    private final List<byte[]> bigSwarmHashes = new ArrayList<>();
    private final List<byte[]> laterPageKeys = new ArrayList<>();
    private boolean ran;

    StartupScan(final SwarmStore store, final PageAccess pages, final PageExpiry expiry, final ExpirySweep sweep,
        final BigSwarms bigSwarms, final SwarmCounts counts, final EngineCounters counters,
        final CachedEpochClock clock, final EpochClock epochClock, final NanoClock nanoClock)
    {
        this.store = store;
        this.inFlight = store.inFlight;
        this.pages = pages;
        this.expiry = expiry;
        this.sweep = sweep;
        this.bigSwarms = bigSwarms;
        this.counts = counts;
        this.counters = counters;
        this.clock = clock;
        this.epochClock = epochClock;
        this.nanoClock = nanoClock;
    }

    void run()
    {
        if (ran)
        {
            throw new IllegalStateException("the start-up scan runs once, before the processor starts");
        }
        ran = true;
        final long start = nanoClock.nanoTime();
        final long nowMs = epochClock.time();
        clock.update(nowMs);
        final StorePlan plan = store.plan();
        if (plan.countsKnown())
        {
            // A clean shutdown left its counts: nothing to scan. Swarms of several pages are indexed when first
            // touched; peers whose lifetime ran out meanwhile go with the first sweep, like any expired peer.
            counts.publishGauges();
            LOG.info("{} torrents and {} peers in the store, counted {}", counts.torrents(), counts.peers(),
                plan.crashedIdle() ? "by the last process up to its death (nothing was in flight)" :
                plan.crashedSweeping() ? "by the last process up to its death (in an expiry slice that had changed " +
                "nothing)" : "at the last clean shutdown");
            return;
        }
        sweep.deadline(nowMs);
        final long expiredBefore = counters.peersExpired.get();
        inFlight.busy();
        final int scanned = plan.scannedShardCount();
        if (scanned == SwarmStore.SHARDS)
        {
            inFlight.shardCountsValid(false); // until this scan has counted every shard
        }
        final StorePlan.SwapUndo undo = plan.undo();
        if (undo != null)
        {
            undoSwap(undo.pageKey(), undo.a(), undo.b(), undo.records());
        }
        final byte[] torn = plan.tornSwarm();
        if (torn != null)
        {
            // The last process died while it worked on this swarm: Chronicle's recovery made the map whole, but a
            // page of the swarm may hold a half-done update. Rebuild any page that is not whole.
            repairPages(torn);
        }
        final int counted = plan.countedShard();
        if (counted >= 0)
        {
            // The opening counted that shard but for the swarm in flight: its counts in the in-flight file are those,
            // and the torn swarm's are added as it is counted below.
            inFlight.clearShardCounts(counted);
            final long[] shardCounts = plan.countedShardCounts();
            inFlight.addShardCounts(counted, shardCounts[0], shardCounts[1], java.util.Arrays.copyOfRange(shardCounts,
                2, 6));
        }
        // The counts of the shards not scanned are the in-flight file's (SwarmStore put their sum in the store).
        counts.markCounted();
        if (counted >= 0 && torn != null)
        {
            countSwarm(torn);
            counts.flush(counted);
        }
        for (int shard = 0; shard < SwarmStore.SHARDS; shard++)
        {
            if (plan.scans(shard))
            {
                scanShard(shard);
            }
        }
        for (final BigSwarm big : bigSwarms.snapshot())
        {
            sweep.sweepBig(big);
            counts.flush(SwarmStore.shard(big.key.bytes, 0));
        }
        counts.publishGauges();
        if (scanned == SwarmStore.SHARDS)
        {
            inFlight.shardCountsValid(true);
        }
        counts.idle();
        LOG.info("loaded {} torrents and {} peers from the store in {} ms ({} of {} shards scanned{}, the others' " +
            "counts kept; {} peers had expired, {} swarms span several pages)", counts.torrents(), counts.peers(),
            (nanoClock.nanoTime() - start) / 1_000_000, scanned, SwarmStore.SHARDS, counted >= 0 ? ", shard " +
            counted + " counted at the opening" + (torn != null ? " and its swarm in flight here" : "") : "",
            counters.peersExpired.get() - expiredBefore, bigSwarms.size());
    }

    /** Counts one shard afresh: its one-page swarms as the scan meets them, then its big swarms. */
    private void scanShard(final int shard)
    {
        inFlight.clearShardCounts(shard);
        final ChronicleMap<byte[], byte[]> shardMap = store.shard(shard);
        inFlight.shard(shard);
        try
        {
            for (int s = 0; s < shardMap.segments(); s++)
            {
                try (MapSegmentContext<byte[], byte[], ?> c = shardMap.segmentContext(s))
                {
                    c.forEachSegmentEntry(scanner);
                }
            }
            for (final byte[] infoHash : bigSwarmHashes)
            {
                bigSwarms.load(infoHash);
            }
            for (final byte[] pageKey : laterPageKeys)
            {
                final BigSwarm big = bigSwarms.find(pageKey, 0);
                final int pageNo = PageAccess.pageNumber(pageKey);
                if (big == null || pageNo >= big.pages)
                {
                    // A page left behind by a process that died while moving peers between pages.
                    pages.remove(pageKey, 0, pageNo);
                }
            }
        }
        finally
        {
            bigSwarmHashes.clear();
            laterPageKeys.clear();
        }
        counts.flush(shard);
    }

    /**
     * Counts one swarm (the one in flight, repaired) as the scan of its shard would: its page 0 swept and counted,
     * or indexed and counted with every page when it spans several; a later page past its last (left by a death
     * while peers moved between pages) goes.
     */
    private void countSwarm(final byte[] infoHash)
    {
        final int shard = SwarmStore.shard(infoHash, 0);
        final ChronicleMap<byte[], byte[]> shardMap = store.shard(shard);
        final byte[] key = java.util.Arrays.copyOf(infoHash, SwarmStore.KEY_LENGTH);
        try
        {
            try (var c = shardMap.queryContext(key))
            {
                c.updateLock().lock();
                final MapEntry<byte[], byte[]> entry = c.entry();
                if (entry != null)
                {
                    scanEntry(entry);
                }
            }
            for (final byte[] big : bigSwarmHashes)
            {
                bigSwarms.load(big);
            }
            final BigSwarm big = bigSwarms.find(infoHash, 0);
            for (int p = big == null ? 1 : Math.max(1, big.pages); p < 0xFFFF; p++)
            {
                key[20] = (byte)(p >> 8);
                key[21] = (byte)p;
                if (!shardMap.containsKey(key))
                {
                    break;
                }
                pages.remove(infoHash, 0, p);
            }
        }
        finally
        {
            bigSwarmHashes.clear();
            laterPageKeys.clear();
        }
    }

    /** One map entry of the scan: a one-page swarm is swept and counted here and now, the others later. */
    private void scanEntry(final MapEntry<byte[], byte[]> entry)
    {
        final Data<byte[]> k = entry.key();
        keyView.wrap(k.bytes().addressForRead(k.offset()), SwarmStore.KEY_LENGTH);
        if ((keyView.getShort(20, ByteOrder.BIG_ENDIAN) & 0xFFFF) != 0)
        {
            final byte[] pageKey = new byte[SwarmStore.KEY_LENGTH];
            keyView.getBytes(0, pageKey);
            laterPageKeys.add(pageKey);
            return;
        }
        keyView.getBytes(0, scannedHash, 0, 20);
        pages.name(scannedHash, 0, 0); // records the swarm; names the page whose in-place swaps are journaled
        MapWrites.wrap(page, entry);
        if (Page.pages(page) > 1)
        {
            bigSwarmHashes.add(scannedHash.clone());
            return;
        }
        final int count = expiry.sweep(entry, page, this);
        if (count >= 0) // a retained torrent (0 peers) counts as a torrent
        {
            counts.torrents(1);
            counts.peers(count);
            MapWrites.wrap(page, entry);
            for (int pos = 0; pos < count; pos++)
            {
                counts.population(Page.flags(page, pos), 1);
            }
        }
    }

    // The scan counts the peers a page has left after its sweep: nothing to count as they go.

    @Override
    public void peerExpired(final int flags, final byte[] identity, final UnsafeBuffer pageAfter)
    {
    }

    @Override
    public void familiesDropped(final int before, final int after)
    {
    }

    @Override
    public void swarmGone()
    {
    }

    @Override
    public void changing()
    {
        // The scan's in-flight state is busy throughout.
    }

    /**
     * Puts back the two records of a swap the last process died in the middle of (the in-flight file kept them):
     * the page is as it was before that swap; what else is torn in it, the repair that follows rebuilds.
     */
    private void undoSwap(final byte[] pageKey, final int a, final int b, final byte[] records)
    {
        final int pageNo = PageAccess.pageNumber(pageKey);
        try (PageAccess p = pages.update(pageKey, 0, pageNo))
        {
            if (p.exists())
            {
                final UnsafeBuffer page = p.page();
                final int count = Page.count(page);
                final boolean fits = a >= 0 && b >= 0 && a < count && b < count;
                if (fits)
                {
                    // The swap kept the page's length, so its layout is the one the image was taken in.
                    final int length = Page.recordLength(page);
                    page.putBytes(Page.record(page, a), records, 0, length);
                    page.putBytes(Page.record(page, b), records, Page.RECORD, length);
                }
                LOG.warn("{} the swap of records {} and {} of page {} of swarm {}, under way when the last process " +
                    "died", fits ? "undid" : "could not undo (the page has " + count + " records)", a, b, pageNo,
                    BitUtil.toHex(pageKey, 0, 20));
            }
        }
        inFlight.swapped();
    }

    /** Rebuilds the pages of a swarm that are not {@link Page#isWhole whole}; the scan then counts them. */
    private void repairPages(final byte[] infoHash)
    {
        for (int p = 0; p < 0xFFFF; p++)
        {
            try (PageAccess access = pages.update(infoHash, 0, p))
            {
                if (!access.exists())
                {
                    return;
                }
                final UnsafeBuffer page = access.page();
                if (p == 0 && Page.isRetained(page))
                {
                    continue; // a retained torrent is changed by one replace, whole or not at all
                }
                if (!Page.isPageLength(page.capacity()))
                {
                    access.remove(); // not a page at all: nothing in it can be trusted
                    LOG.warn("removed page {} of swarm {}: its length {} is not a page's", p, BitUtil.toHex(infoHash),
                        page.capacity());
                    continue;
                }
                if (Page.isWhole(page))
                {
                    continue;
                }
                final int before = Page.count(page);
                // Rebuilt in the page's own layout: a compact page's records stay compact.
                scratch.wrap(work, 0, Page.isCompact(page) ? Page.compactLength(before) : work.length);
                final int n = Page.rebuild(page, scratch);
                if (n == 0)
                {
                    access.remove();
                }
                else
                {
                    access.cut(scratch, n);
                }
                LOG.warn("repaired page {} of swarm {}, torn by the death of the last process: {} of {} records " +
                    "kept", p, BitUtil.toHex(infoHash), n, before);
            }
        }
    }
}
