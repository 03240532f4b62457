package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.hash.HashQueryContext;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.impl.CompiledMapIterationContext;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The only changes of a map's structure: an entry inserted, replaced by a value of another length, or removed. Each
 * is journaled in the {@link InFlight in-flight} file while it runs, with the segment of the shard's map it is in
 * (a death inside one needs the recovery of that segment, {@link SegmentRecovery}; anywhere else only the shard's
 * locks are reset at the next start), and each first makes the
 * {@link PageCache} forget the swarm whose page is about to move or go.
 *
 * <p>New values are written into one reused array per record count (the map copies them in): nothing is allocated.
 *
 * <p>Thread: the swarm processor (and the start-up scan, on the launcher thread before the processor starts).
 */
final class MapWrites
{
    private final InFlight inFlight;
    private final PageCache pageCache;
    /** New page values, one array per record count, each of {@link Page#lengthFor} its count. */
    private final byte[][] values = new byte[Page.CAPACITY + 1][];
    /** New compact page values, one array per record count (1 .. {@link Page#SLACK_FROM} - 1). */
    private final byte[][] compactValues = new byte[Page.SLACK_FROM][];
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    /** New values of a big swarm's later pages, one array per slot count (see {@link #slotted}). */
    private final byte[][] slotted = new byte[Page.MAX_SLOTS + 1][];
    /** A retained torrent's page 0. */
    private final UnsafeBuffer retained = new UnsafeBuffer(new byte[Page.RETAINED_LENGTH]);
    /** Torrents made retained by this process: {@link RetainedEviction} looks again only when this moved. */
    private long retainedMade;

    MapWrites(final InFlight inFlight, final PageCache pageCache)
    {
        this.inFlight = inFlight;
        this.pageCache = pageCache;
        for (int n = 0; n <= Page.CAPACITY; n++)
        {
            values[n] = new byte[Page.lengthFor(n)];
        }
        for (int n = 1; n < Page.SLACK_FROM; n++)
        {
            compactValues[n] = new byte[Page.compactLength(n)];
        }
    }

    /**
     * The reused array for a compact page of {@code count} records (1 .. {@link Page#SLACK_FROM} - 1, IPv4-only
     * peers): fill it, then hand it to one of the writes below.
     */
    byte[] compactValue(final int count)
    {
        return compactValues[count];
    }

    /**
     * The reused array for a page of {@code count} records, in the layout {@link Page#lengthFor} gives (spare slots
     * past a few records): fill it, then hand it to one of the writes below.
     */
    byte[] value(final int count)
    {
        return values[count];
    }

    /**
     * The reused array for a page of {@code slots} slots in the layout with spare slots ({@link Page#laterSlotsFor}
     * gives a few sizes; each array is made the first time its size is asked for).
     */
    byte[] slotted(final int slots)
    {
        byte[] value = slotted[slots];
        if (value == null)
        {
            value = new byte[Page.slackLength(slots)];
            slotted[slots] = value;
        }
        return value;
    }

    /** How many torrents this process made retained so far. */
    long retainedMade()
    {
        return retainedMade;
    }

    /** Inserts {@code value} as the absent entry of the locked context. */
    void insert(final ExternalMapQueryContext<byte[], byte[], ?> c, final byte[] value)
    {
        final Data<byte[]> data = c.wrapValueAsData(value);
        inFlight.structuralBegin(c.segmentIndex());
        c.absentEntry().doInsert(data);
        inFlight.structuralEnd();
    }

    /** Replaces the entry's page with {@code value}. */
    void replace(final MapEntry<byte[], byte[]> entry, final byte[] value)
    {
        final Data<byte[]> data = entry.context().wrapValueAsData(value);
        forget(entry);
        inFlight.structuralBegin(segment(entry.context()) | InFlight.REPLACE);
        entry.doReplaceValue(data);
        inFlight.structuralEnd();
    }

    /**
     * Replaces the entry's page with the header and first {@code count} records of {@code source} (a page cut
     * short, or shrunk): a compact source stays compact, any other takes the layout {@link Page#lengthFor} gives
     * {@code count} records (a big swarm's pages are never compact).
     */
    void cut(final MapEntry<byte[], byte[]> entry, final UnsafeBuffer source, final int count)
    {
        cut(entry, source, count, Page.isCompact(source));
    }

    /**
     * {@link #cut} of the page of a one-page swarm: compact whenever its records {@link Page#fitsCompact fit} (a
     * page the last IPv6 peer left, or one of a store of format 5, returns to compact as it shrinks).
     */
    void cutOnePage(final MapEntry<byte[], byte[]> entry, final UnsafeBuffer source, final int count)
    {
        cut(entry, source, count, Page.fitsCompact(source, count));
    }

    private void cut(final MapEntry<byte[], byte[]> entry, final UnsafeBuffer source, final int count,
        final boolean compact)
    {
        final byte[] value = compact ? compactValues[count] : values[count];
        view.wrap(value);
        Page.copy(source, count, view);
        replace(entry, value);
    }

    /**
     * Replaces the entry's page 0 ({@code page0}, its last peer gone) with the retained page that keeps its
     * downloaded count: a replace like any other, journaled the same way.
     */
    void retain(final MapEntry<byte[], byte[]> entry, final UnsafeBuffer page0, final long leftAtSeconds)
    {
        retainedMade++;
        Page.retained(page0, retained, leftAtSeconds);
        replace(entry, retained.byteArray());
    }

    void remove(final MapEntry<byte[], byte[]> entry)
    {
        forget(entry);
        inFlight.structuralBegin(segment(entry.context()));
        entry.doRemove();
        inFlight.structuralEnd();
    }

    /** Removes {@code key} from {@code map}, without a context of the caller's. */
    void remove(final ChronicleMap<byte[], byte[]> map, final byte[] key)
    {
        pageCache.forget(key, 0);
        try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key))
        {
            c.updateLock().lock();
            final MapEntry<byte[], byte[]> entry = c.entry();
            if (entry != null)
            {
                inFlight.structuralBegin(c.segmentIndex());
                entry.doRemove();
                inFlight.structuralEnd();
            }
        }
    }

    /**
     * The segment of the shard's map a context works in: a query's (the segment of its key's hash) or a segment
     * iteration's; {@link InFlight#NO_SEGMENT} for any other (the next start then recovers the whole shard).
     */
    static int segment(final MapContext<byte[], byte[], ?> context)
    {
        if (context instanceof HashQueryContext<?> query)
        {
            return query.segmentIndex();
        }
        if (context instanceof CompiledMapIterationContext<?, ?, ?> iteration)
        {
            return iteration.segmentIndex();
        }
        return InFlight.NO_SEGMENT;
    }

    /** The entry's page is about to move or go: the page cache must not hand out its old place. */
    private void forget(final MapEntry<byte[], byte[]> entry)
    {
        final Data<byte[]> k = entry.key();
        pageCache.forget(k.bytes().addressForRead(k.offset()));
    }

    /** Wraps {@code buffer} around the entry's page, in the map's memory. */
    static void wrap(final UnsafeBuffer buffer, final MapEntry<byte[], byte[]> entry)
    {
        final Data<byte[]> value = entry.value();
        buffer.wrap(value.bytes().addressForRead(value.offset()), (int)value.size());
    }
}
