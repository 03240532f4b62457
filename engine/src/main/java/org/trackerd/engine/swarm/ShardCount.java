package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * The counts of one shard read straight off its pages, at the store's opening, for the shard a process died
 * changing: torrents (page 0 of a swarm with peers, a retained one, or the first of several pages), peers and the
 * population by kind and family (every record of every page). No page is written, no swarm indexed, no expired peer
 * dropped: the live sweep drops those later and counts them out, as after a death with nothing in flight. The
 * swarm the process was changing (its pages may be torn) is skipped: the start-up scan repairs and counts it
 * alone. Every other swarm of the shard is whole (only that one was being changed), so what this counts is what
 * the start-up scan would have kept, minus the peers it would have dropped as expired.
 *
 * <p>It reads an entry in a fraction of the time the start-up scan spends on it (which sweeps each page, names each
 * swarm in the in-flight file and indexes swarms of several pages), and it runs on the store's opening thread, beside
 * the launcher building the rings and frontends.
 *
 * <p>Thread: the store's opening, before anything else uses the map.
 */
final class ShardCount implements Consumer<MapEntry<byte[], byte[]>>
{
    private final byte[] skip;
    private final UnsafeBuffer key = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
    /** torrents, peers, leechers v4, leechers v6, seeders v4, seeders v6 (the store's counts' order). */
    private final long[] counts = new long[6];

    private ShardCount(final byte[] skip)
    {
        this.skip = skip;
    }

    /** The counts of {@code map}'s pages, but for those of the swarm {@code skip} (null: none skipped). */
    static long[] count(final ChronicleMap<byte[], byte[]> map, final byte[] skip)
    {
        final ShardCount count = new ShardCount(skip);
        for (int s = 0; s < map.segments(); s++)
        {
            try (MapSegmentContext<byte[], byte[], ?> c = map.segmentContext(s))
            {
                c.forEachSegmentEntry(count);
            }
        }
        return count.counts.clone();
    }

    @Override
    public void accept(final MapEntry<byte[], byte[]> entry)
    {
        final Data<byte[]> k = entry.key();
        key.wrap(k.bytes().addressForRead(k.offset()), SwarmStore.KEY_LENGTH);
        if (skip != null && isSkipped())
        {
            return;
        }
        MapWrites.wrap(page, entry);
        final int count = Page.count(page);
        if ((key.getShort(20, ByteOrder.BIG_ENDIAN) & 0xFFFF) == 0 &&
            (count > 0 || Page.pages(page) > 1 || Page.isRetained(page)))
        {
            counts[0]++;
        }
        counts[1] += count;
        for (int pos = 0; pos < count; pos++)
        {
            counts[2 + SwarmCounts.populationIndex(Page.flags(page, pos))]++;
        }
    }

    private boolean isSkipped()
    {
        for (int i = 0; i < 20; i++)
        {
            if (key.getByte(i) != skip[i])
            {
                return false;
            }
        }
        return true;
    }
}
