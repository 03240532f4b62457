package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.EngineCounters;

import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * Peer expiry in small slices on the processor's thread, one slice per clock tick: whole segments of the shards in
 * turn until the slice has seen its share of swarms, sized so every swarm is visited once per
 * {@code engine.expiry_sweep_seconds}. A one-page swarm is swept where the segment's iteration finds it; a big
 * swarm is swept page by page after the segment is let go. Along the way it offers each swarm to the
 * {@link TopSwarms} and, after every shard, publishes the counts as gauges.
 *
 * <p>As the live sweep it is also the {@link PageExpiry.Removals} that counts and accounts for each peer that goes.
 *
 * <p>Thread: the swarm processor (and, for the big swarms the start-up scan indexed, the launcher thread before
 * the processor starts).
 */
final class ExpirySweep implements PageExpiry.Removals
{
    /** Big swarms met in one segment, swept after it (more wait for the next sweep). */
    private static final int PENDING_BIG = 256;

    private final SwarmStore store;
    private final InFlight inFlight;
    private final long seed;
    private final long peerLifetimeMs;
    private final long tickMs;
    private final long sweepMs;
    private final PageAccess pages;
    private final PageExpiry expiry;
    private final SwapJournal swaps;
    private final BigSwarms bigSwarms;
    private final SwarmCounts counts;
    private final EngineCounters counters;
    private final SwarmAccounting accounting;
    private final TopSwarms topSwarms;
    private final CachedEpochClock clock;
    private final PeerRecord record = new PeerRecord();
    private final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer keyView = new UnsafeBuffer(new byte[0]);
    private final Consumer<MapEntry<byte[], byte[]>> sweeper = this::sweepEntry;
    private final byte[] sweptHash = new byte[20];
    private final byte[][] pendingBig = new byte[PENDING_BIG][20];
    private final long[] deadFingerprints = new long[Page.CAPACITY];
    private int pendingBigCount;
    private int sweepShard;
    private int sweepSegment;
    private long visited;

    ExpirySweep(final SwarmStore store, final long seed, final long peerLifetimeMs, final long tickMs,
        final long sweepMs, final PageAccess pages, final PageExpiry expiry, final SwapJournal swaps,
        final BigSwarms bigSwarms, final SwarmCounts counts, final EngineCounters counters,
        final SwarmAccounting accounting, final TopSwarms topSwarms, final CachedEpochClock clock)
    {
        this.store = store;
        this.inFlight = store.inFlight;
        this.seed = seed;
        this.peerLifetimeMs = peerLifetimeMs;
        this.tickMs = tickMs;
        this.sweepMs = sweepMs;
        this.pages = pages;
        this.expiry = expiry;
        this.swaps = swaps;
        this.bigSwarms = bigSwarms;
        this.counts = counts;
        this.counters = counters;
        this.accounting = accounting;
        this.topSwarms = topSwarms;
        this.clock = clock;
    }

    /** Peers last seen more than the peer lifetime before {@code nowMs} have expired. */
    void deadline(final long nowMs)
    {
        expiry.deadline(nowMs, nowMs - peerLifetimeMs);
    }

    /** One slice of the sweep, at the clock's time. */
    void slice()
    {
        final long nowMs = clock.time();
        deadline(nowMs);
        if (counts.torrents() == 0)
        {
            // Nothing to expire or forget (retained torrents count as torrents). The walk below goes on until it has
            // seen its share of swarms, so in an empty store it went through every segment of every shard each
            // tick: a tenth of a core for a tracker serving only WebTorrent (whose peers are not in this store).
            topSwarms.publish(nowMs);
            counts.publishGauges();
            return;
        }
        // Nothing changed yet: a death from here to the first change (most slices change nothing) costs the next
        // start a reset of the swept shard's locks, neither recovery nor a scan.
        inFlight.sweeping();
        try
        {
            sweepShare(nowMs);
        }
        finally
        {
            inFlight.changing(); // what runs after the slice in the same event may change the map
        }
        counts.publishGauges();
    }

    /** Whole segments of the shards in turn until the slice has seen its share of swarms. */
    private void sweepShare(final long nowMs)
    {
        final long share = Math.max(16, (counts.torrents() * tickMs + sweepMs - 1) / sweepMs);
        ChronicleMap<byte[], byte[]> shardMap = store.shard(sweepShard);
        int segments = shardMap.segments();
        final int total = segments * SwarmStore.SHARDS;
        visited = 0;
        for (int done = 0; done < total && visited < share; done++)
        {
            pendingBigCount = 0;
            // Between two entries the segment stays locked: the next start must know which shard to recover.
            inFlight.shard(sweepShard);
            try (MapSegmentContext<byte[], byte[], ?> c = shardMap.segmentContext(sweepSegment))
            {
                c.forEachSegmentEntry(sweeper);
            }
            for (int i = 0; i < pendingBigCount; i++)
            {
                BigSwarm big = bigSwarms.find(pendingBig[i], 0);
                if (big == null)
                {
                    big = bigSwarms.index(pendingBig[i], 0);
                }
                if (big != null)
                {
                    sweepBig(big);
                }
            }
            counts.flush(sweepShard); // before another shard is recorded in the in-flight file
            if (++sweepSegment == segments)
            {
                sweepSegment = 0;
                if (++sweepShard == SwarmStore.SHARDS)
                {
                    sweepShard = 0;
                    topSwarms.publish(nowMs);
                }
                shardMap = store.shard(sweepShard);
                segments = shardMap.segments();
            }
        }
    }

    /** One map entry of the sweep: a one-page swarm is swept here and now, a big swarm after the segment. */
    private void sweepEntry(final MapEntry<byte[], byte[]> entry)
    {
        final Data<byte[]> k = entry.key();
        keyView.wrap(k.bytes().addressForRead(k.offset()), SwarmStore.KEY_LENGTH);
        if ((keyView.getShort(20, ByteOrder.BIG_ENDIAN) & 0xFFFF) != 0)
        {
            return; // a later page of a big swarm: swept with its page 0
        }
        keyView.getBytes(0, sweptHash, 0, 20);
        pages.name(sweptHash, 0, 0); // records the swarm; names the page whose in-place swaps are journaled
        MapWrites.wrap(page, entry);
        visited++;
        if (Page.pages(page) > 1)
        {
            if (pendingBigCount < PENDING_BIG)
            {
                System.arraycopy(sweptHash, 0, pendingBig[pendingBigCount++], 0, 20);
            }
            return;
        }
        if (expiry.sweep(entry, page, this) > 0) // a retained torrent (0 peers) is no top swarm
        {
            MapWrites.wrap(page, entry);
            topSwarms.offer(sweptHash, Page.seeders(page), Page.leechers(page), Page.downloaded(page));
        }
    }

    /** Sweeps every page of a big swarm, last page first (holes are filled from the last page). */
    void sweepBig(final BigSwarm big)
    {
        System.arraycopy(big.key.bytes, 0, sweptHash, 0, 20);
        for (int p = big.pages - 1; p >= 0; p--)
        {
            if (p >= big.pages)
            {
                continue;
            }
            int dead = 0;
            try (PageAccess access = pages.update(big.key.bytes, 0, p))
            {
                if (!access.exists())
                {
                    continue;
                }
                final UnsafeBuffer page = access.page();
                swaps.follow(big, p);
                for (int pos = Page.count(page) - 1; pos >= 0; pos--)
                {
                    final int families = expiry.expiredFamilies(page, pos);
                    if (families == 0)
                    {
                        continue;
                    }
                    inFlight.changing();
                    if ((Page.flags(page, pos) & (Page.HAS_V4 | Page.HAS_V6) & ~families) == 0)
                    {
                        deadFingerprints[dead++] = record.wrap(page, pos).fingerprint(seed);
                    }
                    else if (expiry.dropFamilies(page, pos, families, this) != pos)
                    {
                        pos++;
                    }
                }
                swaps.unfollow();
            }
            for (int i = 0; i < dead; i++)
            {
                bigSwarms.remove(big, deadFingerprints[i], clock.time());
                counters.peersExpired.incrementRelease();
                accounting.expired(sweptHash, bigSwarms.lastRemoved(), 0, 20, big.seeders, big.leechers,
                    clock.time());
                if (big.size() == 0)
                {
                    return;
                }
            }
        }
        if (big.size() > 0)
        {
            topSwarms.offer(big.key.bytes, big.seeders, big.leechers, big.downloaded);
        }
    }

    @Override
    public void peerExpired(final int flags, final byte[] identity, final UnsafeBuffer pageAfter)
    {
        counts.population(flags, -1);
        counts.peers(-1);
        accounting.expired(sweptHash, identity, 0, 20, Page.seeders(pageAfter), Page.leechers(pageAfter),
            clock.time());
    }

    @Override
    public void familiesDropped(final int before, final int after)
    {
        counts.population(before, -1);
        counts.population(after, 1);
    }

    @Override
    public void swarmGone()
    {
        counts.torrents(-1);
        counters.torrentsRemoved.incrementRelease();
    }

    @Override
    public void changing()
    {
        inFlight.changing();
    }
}
