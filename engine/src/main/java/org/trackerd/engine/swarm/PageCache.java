package org.trackerd.engine.swarm;

import org.agrona.BitUtil;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Where the page of a one-page swarm lies in its shard's mapped memory, for the announces that change nothing in the
 * map's structure (a known peer re-announcing, by far the most common request): they read and write the page in
 * place without opening a Chronicle query context (hashing the key, searching the segment, taking and releasing the
 * segment's lock).
 *
 * <p>Direct-mapped and bounded: {@code slots} infohashes at most, a newer swarm taking the slot of an older one with
 * the same low hash bits; a miss costs only the usual query. A page's memory stays where it is until its entry is
 * replaced by a value of another size or removed, and every such change goes through the processor's structural
 * helpers, which {@linkplain #forget forget} that swarm first. No other thread reads or writes the maps.
 *
 * <p>Thread: the swarm processor only.
 */
final class PageCache
{
    private static final long BYTE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(byte[].class);

    /** Longs per slot: infohash bytes 0-7, 8-15, then 16-19 with the page's length, then its address (0: empty). */
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

    /** Wraps {@code page} around the swarm's page when it is known here. */
    boolean find(final byte[] infoHash, final int offset, final UnsafeBuffer page)
    {
        final long at = BYTE_ARRAY_BASE + offset;
        final long h = UnsafeApi.getLong(infoHash, at);
        final int i = index(h);
        final long tailAndLength = slots[i + 2];
        final long address = slots[i + 3];
        if (address == 0 || slots[i] != h || slots[i + 1] != UnsafeApi.getLong(infoHash, at + 8) ||
            (int)tailAndLength != UnsafeApi.getInt(infoHash, at + 16))
        {
            misses++;
            return false;
        }
        hits++;
        page.wrap(address, (int)(tailAndLength >>> 32));
        return true;
    }

    /** Remembers where the swarm's one page lies now ({@code page} wraps it in mapped memory). */
    void put(final byte[] infoHash, final int offset, final UnsafeBuffer page)
    {
        final long at = BYTE_ARRAY_BASE + offset;
        final long h = UnsafeApi.getLong(infoHash, at);
        final int i = index(h);
        slots[i] = h;
        slots[i + 1] = UnsafeApi.getLong(infoHash, at + 8);
        slots[i + 2] = ((long)page.capacity() << 32) | (UnsafeApi.getInt(infoHash, at + 16) & 0xFFFF_FFFFL);
        slots[i + 3] = page.addressOffset();
    }

    /** Forgets the swarm whose infohash starts at {@code keyAddress} (native memory): its page is about to move. */
    void forget(final long keyAddress)
    {
        forgetHead(UnsafeApi.getLong(keyAddress));
    }

    /** {@link #forget(long)} for an infohash on the heap. */
    void forget(final byte[] infoHash, final int offset)
    {
        forgetHead(UnsafeApi.getLong(infoHash, BYTE_ARRAY_BASE + offset));
    }

    private void forgetHead(final long h)
    {
        final int i = index(h);
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

    private int index(final long h)
    {
        // Infohashes are SHA-1 or SHA-256 digests: their bits are already uniform (a client choosing colliding
        // ones only evicts its own swarms from here).
        return ((int)(h ^ (h >>> 32)) & mask) * STRIDE;
    }
}
