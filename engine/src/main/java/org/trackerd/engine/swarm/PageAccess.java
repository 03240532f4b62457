package org.trackerd.engine.swarm;

import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The one place that opens, locks and wraps a page of a swarm: names it (infohash + page number, recorded in the
 * {@link InFlight in-flight} file with its shard), opens a Chronicle query context on the shard's map, takes the
 * entry's read or update lock and wraps {@link #page()} around the entry's value in the map's memory. A page the
 * {@link PageCache} knows is wrapped where it lies with no context at all (the processor is the maps' only reader
 * and writer): the context and the entry's lock are taken only for a change of the map's structure (replace, cut,
 * retain, remove). Used as a resource, so a lock is released however the work on the page ends:
 *
 * <pre>
 * try (PageAccess p = pages.update(infoHash, 0, pageNo))
 * {
 *     if (p.exists()) { ... p.page() ... p.replace(value) ... }
 * }
 * </pre>
 *
 * <p>One instance, reused for every page: the processor holds at most one page's lock at a time (a swarm of several
 * pages is changed one page after another), so nothing is allocated and Chronicle's context is its own reused one.
 *
 * <p>Thread: the swarm processor (and the start-up scan, on the launcher thread before the processor starts).
 */
final class PageAccess implements AutoCloseable
{
    private final SwarmStore store;
    private final InFlight inFlight;
    private final MapWrites writes;
    private final PageCache cache;
    /** The key of the page named last: infohash + page number (big-endian u16). */
    private final byte[] key = new byte[SwarmStore.KEY_LENGTH];
    private final UnsafeBuffer keyBuffer = new UnsafeBuffer(key);
    private final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
    private ChronicleMap<byte[], byte[]> map;
    private ExternalMapQueryContext<byte[], byte[], ?> context;
    private MapEntry<byte[], byte[]> entry;
    private int pageNo;
    /** A page is open: from the cache (no context yet), or through a context. */
    private boolean open;
    /** The open page came from the cache: it exists, and no context or lock is held (yet). */
    private boolean cached;

    PageAccess(final SwarmStore store, final MapWrites writes, final PageCache cache)
    {
        this.store = store;
        this.inFlight = store.inFlight;
        this.writes = writes;
        this.cache = cache;
        this.map = store.shard(0);
    }

    /** Names page {@code pageNo} of a swarm, without opening it; the in-flight file records the swarm. */
    void name(final byte[] infoHash, final int offset, final int pageNo)
    {
        inFlight.swarm(infoHash, offset);
        map = store.map(infoHash, offset);
        System.arraycopy(infoHash, offset, key, 0, 20);
        keyBuffer.putShort(20, (short)pageNo, ByteOrder.BIG_ENDIAN);
        this.pageNo = pageNo;
    }

    /** Opens page {@code pageNo} of a swarm under its entry's update lock. */
    PageAccess update(final byte[] infoHash, final int offset, final int pageNo)
    {
        name(infoHash, offset, pageNo);
        return open(true);
    }

    /** Opens page {@code pageNo} of a swarm under its entry's read lock. */
    PageAccess read(final byte[] infoHash, final int offset, final int pageNo)
    {
        name(infoHash, offset, pageNo);
        return open(false);
    }

    /** Opens the page {@link #name named} last under its entry's update lock. */
    PageAccess update()
    {
        return open(true);
    }

    private PageAccess open(final boolean update)
    {
        if (open)
        {
            // This one instance holds one context: a second page opened now would leave the first one's lock
            // held for good. Every caller closes a page before it opens the next.
            throw new IllegalStateException("a page is already open");
        }
        if (cache.find(key, 0, pageNo, page))
        {
            open = true;
            cached = true;
            return this;
        }
        lock(update);
        if (entry != null)
        {
            cache.put(key, 0, pageNo, page);
        }
        open = true;
        return this;
    }

    /** Opens the context of the page named last and takes its entry's lock; wraps the page when it exists. */
    private void lock(final boolean update)
    {
        final ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key);
        try
        {
            (update ? c.updateLock() : c.readLock()).lock();
            entry = c.entry();
            if (entry != null)
            {
                MapWrites.wrap(page, entry);
            }
        }
        catch (final RuntimeException | Error ex)
        {
            entry = null;
            c.close();
            throw ex;
        }
        context = c;
    }

    /** A page opened from the cache is about to change the map's structure: take its context and lock now. */
    private void structural()
    {
        if (!cached)
        {
            return;
        }
        cached = false;
        final long cachedAddress = page.addressOffset();
        lock(true);
        if (entry == null || page.addressOffset() != cachedAddress)
        {
            // Every move or removal of an entry forgets it first (MapWrites): a stale cache is a bug, never data.
            throw new IllegalStateException("the page cache knew page " + pageNo + " of a swarm where it is not");
        }
    }

    /** The open page has an entry in the map. */
    boolean exists()
    {
        return cached || entry != null;
    }

    /** The open page in the map's memory (when it {@link #exists}), read and written in place. */
    UnsafeBuffer page()
    {
        return page;
    }

    /** Inserts the absent open page (its context holds the update lock). */
    void insert(final byte[] value)
    {
        writes.insert(context, value);
    }

    /** Replaces the open page with {@code value}; {@link #page()} wraps the new one. */
    void replace(final byte[] value)
    {
        structural();
        writes.replace(entry, value);
        rewrap();
    }

    /** Replaces the open page with the first {@code count} records of {@code source}; {@link #page()} follows. */
    void cut(final UnsafeBuffer source, final int count)
    {
        structural();
        writes.cut(entry, source, count);
        rewrap();
    }

    /**
     * {@link #cut} of the page of a one-page swarm: compact when its records fit ({@link MapWrites#cutOnePage}).
     */
    void cutOnePage(final UnsafeBuffer source, final int count)
    {
        structural();
        writes.cutOnePage(entry, source, count);
        rewrap();
    }

    /** Replaces the open page 0, its last peer gone, with the retained page keeping its downloaded count. */
    void retain(final long leftAtSeconds)
    {
        structural();
        writes.retain(entry, page, leftAtSeconds);
        rewrap();
    }

    /** Removes the open page. */
    void remove()
    {
        structural();
        writes.remove(entry);
    }

    /** Removes page {@code pageNo} of a swarm, no context open. */
    void remove(final byte[] infoHash, final int offset, final int pageNo)
    {
        name(infoHash, offset, pageNo);
        writes.remove(map, key);
    }

    private void rewrap()
    {
        entry = context.entry();
        MapWrites.wrap(page, entry);
        cache.put(key, 0, pageNo, page);
    }

    /** Releases the lock and closes the context. */
    @Override
    public void close()
    {
        final ExternalMapQueryContext<byte[], byte[], ?> c = context;
        context = null;
        entry = null;
        open = false;
        cached = false;
        if (c != null)
        {
            c.close();
        }
    }

    /** The key of the page named last (the in-flight file's undo image of a swap names it). */
    byte[] key()
    {
        return key;
    }

    /** The shard of the page named last. */
    int shard()
    {
        return SwarmStore.shard(key, 0);
    }

    /** The page number of a map key: the big-endian u16 after the infohash. */
    static int pageNumber(final byte[] pageKey)
    {
        return ((pageKey[20] & 0xFF) << 8) | (pageKey[21] & 0xFF);
    }
}
