package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;
import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.EngineCounters;

import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * Makes room at the byte budget by forgetting retained torrents (no peers, kept only for their downloaded count)
 * before a live peer is refused: retained torrents can never starve live swarms.
 *
 * <p>Policy: whole segments of the shards in turn (a cursor that goes on where it stopped), every retained torrent
 * in them. Infohashes are uniformly random, so a segment is a random sample of the store: this is random eviction,
 * which needs no index (no byte more per torrent) and no sort; it loses one completed count per torrent, as any
 * order would. Oldest-first would need an index by the second the last peer left, paid by every torrent.
 *
 * <p>When it runs: before an announce while the store is at its budget ({@link #beforeAnnounce}: a few segments at
 * most, until the store is 2 % under its budget), and one segment per clock tick while the store is above 95 % of it
 * ({@link #onTick}), so a store near its budget rarely has a retained torrent left when a peer arrives. After a whole
 * round of the shards found none it waits until a torrent is retained again: a store full of live peers pays no
 * scans. Always outside any map context of the announce (no nested locks), each removal journaled as any other
 * ({@link MapWrites#remove}), the counts flushed to the shard's in-flight counts after each segment.
 *
 * <p>Thread: the swarm processor only.
 */
final class RetainedEviction
{
    /** Segments one announce may scan before it is refused: a bounded pause (a segment is a few thousand pages). */
    static final int SEGMENTS_PER_ANNOUNCE = 4;

    private final SwarmStore store;
    private final InFlight inFlight;
    private final MapWrites writes;
    private final SwarmCounts counts;
    private final EngineCounters counters;
    private final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer keyView = new UnsafeBuffer(new byte[0]);
    private final byte[] hash = new byte[20];
    private final Consumer<MapEntry<byte[], byte[]>> evictor = this::evictEntry;
    private int shard;
    private int segment;
    /** Segments scanned since one last held a retained torrent. */
    private int emptySegments;
    /** {@link MapWrites#retainedMade} when a whole round found nothing; -1 while looking. */
    private long idleSince = -1;
    private int evicted;

    RetainedEviction(final SwarmStore store, final MapWrites writes, final SwarmCounts counts,
        final EngineCounters counters)
    {
        this.store = store;
        this.inFlight = store.inFlight;
        this.writes = writes;
        this.counts = counts;
        this.counters = counters;
    }

    /** Before an announce: at the budget, evicts until 2 % under it, at most {@link #SEGMENTS_PER_ANNOUNCE}. */
    void beforeAnnounce()
    {
        if (!counts.atBudget() || !worthLooking())
        {
            return;
        }
        for (int i = 0; i < SEGMENTS_PER_ANNOUNCE && worthLooking(); i++)
        {
            evictSegment();
            if (counts.usedBytes() < store.budgetBytes() - store.budgetBytes() / 50)
            {
                return;
            }
        }
    }

    /** On a clock tick: one segment while the store is above 95 % of its budget. */
    void onTick()
    {
        if (counts.nearBudget() && worthLooking())
        {
            evictSegment();
        }
    }

    private boolean worthLooking()
    {
        if (idleSince >= 0 && idleSince == writes.retainedMade())
        {
            return false;
        }
        idleSince = -1;
        return true;
    }

    /** Evicts every retained torrent of the cursor's segment, then moves the cursor on. */
    private void evictSegment()
    {
        final var map = store.shard(shard);
        evicted = 0;
        inFlight.shard(shard);
        try (MapSegmentContext<byte[], byte[], ?> c = map.segmentContext(segment))
        {
            c.forEachSegmentEntry(evictor);
        }
        counts.flush(shard);
        if (evicted > 0)
        {
            emptySegments = 0;
        }
        else if (++emptySegments >= totalSegments())
        {
            idleSince = writes.retainedMade();
            emptySegments = 0;
        }
        if (++segment == map.segments())
        {
            segment = 0;
            shard = (shard + 1) & SwarmStore.SHARD_MASK;
        }
    }

    private int totalSegments()
    {
        return store.shard(0).segments() * SwarmStore.SHARDS;
    }

    private void evictEntry(final MapEntry<byte[], byte[]> entry)
    {
        MapWrites.wrap(page, entry);
        if (!Page.isRetained(page))
        {
            return;
        }
        final Data<byte[]> k = entry.key();
        keyView.wrap(k.bytes().addressForRead(k.offset()), SwarmStore.KEY_LENGTH);
        if ((keyView.getShort(20, ByteOrder.BIG_ENDIAN) & 0xFFFF) != 0)
        {
            return;
        }
        keyView.getBytes(0, hash, 0, 20);
        inFlight.swarm(hash, 0);
        writes.remove(entry);
        counts.torrents(-1);
        counters.torrentsRemoved.incrementRelease();
        counters.retainedEvicted.incrementRelease();
        evicted++;
    }
}
