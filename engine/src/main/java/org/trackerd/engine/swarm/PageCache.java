package org.trackerd.engine.swarm;

import org.agrona.BitUtil;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Where a page of a swarm lies in its shard's mapped memory, by infohash and page number, for the announces that
 * change nothing in the map's structure (a known peer re-announcing, a new peer taking a free slot, a peer leaving
 * a page that keeps its length: nearly every request): they read and write the page in place without opening a
 * Chronicle query context (hashing the key, searching the segment, taking and releasing the segment's lock).
 * {@link PageAccess} asks here before it opens a context, and remembers every page it opens.
 *
 * <p>Direct-mapped and bounded: {@code slots} pages at most, a newer page taking the slot of an older one with the
 * same low hash bits; a miss costs only the usual query. A page's memory stays where it is until its entry is
 * replaced by a value of another size or removed, and every such change goes through {@link MapWrites}, which
 * {@linkplain #forget forgets} that page first. No other thread reads or writes the maps.
 *
 * <p>Thread: the swarm processor only.
 */
final class PageCache
{
    private static final long BYTE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(byte[].class);

    /**
     * Longs per slot: infohash bytes 0-7, 8-15, then 16-19 with the page number (u16) and the page's length (u16),
     * then its address (0: empty).
     */
    private static final int STRIDE = 4;

    private final int mask;
    /** One slot is 32 bytes of one array, so a look-up reads one cache line. */
    private final long[] slots;
    private long hits;
    private long misses;

    PageCache(final int slots)
    {
        final int size = BitUtil.findNextPositivePowerOfTwo(Math.max(1, slots));
        mask = size - 1;
        this.slots = new long[size * STRIDE];
    }

    /** Wraps {@code page} around page {@code pageNo} of the swarm when it is known here. */
    boolean find(final byte[] infoHash, final int offset, final int pageNo, final UnsafeBuffer page)
    {
        final long at = BYTE_ARRAY_BASE + offset;
        final long h = UnsafeApi.getLong(infoHash, at);
        final int i = index(h, pageNo);
        final long tail = slots[i + 2];
        final long address = slots[i + 3];
        if (address == 0 || slots[i] != h || slots[i + 1] != UnsafeApi.getLong(infoHash, at + 8) ||
            (tail & 0xFFFF_FFFF_FFFFL) != tailAndPage(UnsafeApi.getInt(infoHash, at + 16), pageNo))
        {
            misses++;
            return false;
        }
        hits++;
        page.wrap(address, (int)(tail >>> 48));
        return true;
    }

    /** Remembers where page {@code pageNo} of the swarm lies now ({@code page} wraps it in mapped memory). */
    void put(final byte[] infoHash, final int offset, final int pageNo, final UnsafeBuffer page)
    {
        final long at = BYTE_ARRAY_BASE + offset;
        final long h = UnsafeApi.getLong(infoHash, at);
        final int i = index(h, pageNo);
        slots[i] = h;
        slots[i + 1] = UnsafeApi.getLong(infoHash, at + 8);
        slots[i + 2] = ((long)page.capacity() << 48) | tailAndPage(UnsafeApi.getInt(infoHash, at + 16), pageNo);
        slots[i + 3] = page.addressOffset();
    }

    /**
     * Forgets the page whose map key (infohash, then the big-endian page number) starts at {@code keyAddress}
     * (native memory): it is about to move or go.
     */
    void forget(final long keyAddress)
    {
        forget(UnsafeApi.getLong(keyAddress),
            ((UnsafeApi.getByte(keyAddress + 20) & 0xFF) << 8) | (UnsafeApi.getByte(keyAddress + 21) & 0xFF));
    }

    /** {@link #forget(long)} for a map key on the heap. */
    void forget(final byte[] key, final int offset)
    {
        forget(UnsafeApi.getLong(key, BYTE_ARRAY_BASE + offset),
            ((key[offset + 20] & 0xFF) << 8) | (key[offset + 21] & 0xFF));
    }

    private void forget(final long h, final int pageNo)
    {
        final int i = index(h, pageNo);
        if (slots[i] == h)
        {
            slots[i + 3] = 0;
        }
    }

    long hits()
    {
        return hits;
    }

    long misses()
    {
        return misses;
    }

    private static long tailAndPage(final int tail, final int pageNo)
    {
        return ((long)(pageNo & 0xFFFF) << 32) | (tail & 0xFFFF_FFFFL);
    }

    private int index(final long h, final int pageNo)
    {
        // Infohashes are SHA-1 or SHA-256 digests: their bits are already uniform (a client choosing colliding
        // ones only evicts its own swarms from here). The page number spreads a big swarm's pages apart.
        return (((int)(h ^ (h >>> 32)) + pageNo * 0x9E37_79B9) & mask) * STRIDE;
    }
}
