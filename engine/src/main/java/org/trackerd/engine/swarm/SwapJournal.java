package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Hears of every swap of two records. A swap in a page of the map (off-heap; {@link PageAccess#key()} names it) is
 * journaled in the {@link InFlight in-flight} file around it, so a death in its middle is undone at the next start
 * (a swap in a copy on the heap is not: the copy dies with the process). While it {@link #follow follows} a big
 * swarm's page, the swarm's index follows the two records.
 *
 * <p>Thread: the swarm processor (and the start-up scan, on the launcher thread before the processor starts).
 */
final class SwapJournal implements Page.SwapListener
{
    private final InFlight inFlight;
    private final PageAccess pages;
    private final long seed;
    private boolean journaled;
    private BigSwarm indexed;
    private int indexedPage;

    SwapJournal(final InFlight inFlight, final PageAccess pages, final long seed)
    {
        this.inFlight = inFlight;
        this.pages = pages;
        this.seed = seed;
    }

    /** Keeps {@code big}'s index in step with the swaps of its page {@code pageNo} until {@link #unfollow}. */
    SwapJournal follow(final BigSwarm big, final int pageNo)
    {
        indexed = big;
        indexedPage = pageNo;
        return this;
    }

    void unfollow()
    {
        indexed = null;
    }

    /**
     * Writes {@code record} over the record at {@code pos} of a page of the map, journaled as a swap of the record
     * with itself: a death in the middle puts the old record back at the next start.
     */
    void overwrite(final UnsafeBuffer page, final int pos, final byte[] record)
    {
        swapping(page, pos, pos);
        page.putBytes(Page.record(page, pos), record, 0, Page.recordLength(page));
        if (journaled)
        {
            journaled = false;
            inFlight.swapped();
        }
    }

    @Override
    public void swapping(final UnsafeBuffer buffer, final int a, final int b)
    {
        if (buffer.byteArray() == null)
        {
            inFlight.swapping(pages.key(), buffer, a, b);
            journaled = true;
        }
    }

    @Override
    public void swapped(final UnsafeBuffer buffer, final int a, final int b)
    {
        if (indexed != null)
        {
            indexed.put(PeerHash.fingerprint(buffer, Page.record(buffer, a) + Page.PEER_ID, seed),
                BigSwarm.location(indexedPage, a));
            indexed.put(PeerHash.fingerprint(buffer, Page.record(buffer, b) + Page.PEER_ID, seed),
                BigSwarm.location(indexedPage, b));
        }
        if (journaled)
        {
            journaled = false;
            inFlight.swapped();
        }
    }
}
