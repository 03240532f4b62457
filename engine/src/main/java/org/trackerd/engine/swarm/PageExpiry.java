package org.trackerd.engine.swarm;

import net.openhft.chronicle.map.MapEntry;
import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.EngineCounters;

/**
 * Drops what is past the peer lifetime from a page: a peer whose every address expired goes, a dual-stacked peer
 * whose one address expired lives on through the other. A one-page swarm of the exact layout is copied to the
 * heap, cut there and written back once ({@link #sweep}; compact when what is left is IPv4-only and few); one with
 * spare slots is cut in place, written anew only when left worth shrinking; a page of a big swarm is changed in place by its caller, record by record.
 *
 * <p>Who is told of what went is the caller's {@link Removals}: the live sweep counts and accounts for each peer,
 * the start-up scan counts what is left afterwards.
 *
 * <p>Thread: the swarm processor (and the start-up scan, on the launcher thread before the processor starts).
 */
final class PageExpiry
{
    /** Hears of what a sweep of a page removed. */
    interface Removals
    {
        /**
         * A peer with these flags expired: {@code identity} holds its peer id and address; {@code pageAfter} is
         * the page without it.
         */
        void peerExpired(int flags, byte[] identity, UnsafeBuffer pageAfter);

        /** A dual-stacked peer lost the address families that expired: its flags before and after. */
        void familiesDropped(int before, int after);

        /** The swarm's last peer expired: its page is gone. */
        void swarmGone();

        /**
         * Before the first change of the page (the map's, in place or by a write): the live sweep marks its slice
         * busy in the in-flight file ({@link InFlight#changing}); until then a death in it changed nothing.
         */
        void changing();
    }

    /** {@link #sweep}: the entry went. */
    static final int GONE = -1;

    private final MapWrites writes;
    private final SwapJournal swaps;
    private final EngineCounters counters;
    private final PeerRecord record = new PeerRecord();
    private final byte[] work = new byte[Page.length(Page.CAPACITY)];
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[0]);
    private final byte[] tmp = new byte[Page.RECORD];
    private final byte[] identity = new byte[PeerRecord.IDENTITY_LENGTH];
    private long deadlineMs;
    /** A retained torrent whose last peer left before this second is forgotten. */
    private long retainedUntilS;
    /** The sweep's second: a swarm whose last peer expires now is retained from then. */
    private long nowS;
    /** {@code tracker.torrent_retention_seconds}: 0 forgets a torrent with its last peer. */
    private final long retentionSeconds;

    PageExpiry(final MapWrites writes, final SwapJournal swaps, final EngineCounters counters,
        final long retentionSeconds)
    {
        this.retentionSeconds = retentionSeconds;
        this.writes = writes;
        this.swaps = swaps;
        this.counters = counters;
    }

    /**
     * The sweep runs at {@code nowMs}: addresses last seen before {@code deadlineMs} have expired, and retained
     * torrents whose last peer left more than the retention before now are forgotten.
     */
    void deadline(final long nowMs, final long deadlineMs)
    {
        this.deadlineMs = deadlineMs;
        this.nowS = nowMs / 1000;
        this.retainedUntilS = nowS - retentionSeconds;
    }

    /** The address families of the record at {@code pos} whose last announce is past the peer lifetime. */
    int expiredFamilies(final UnsafeBuffer page, final int pos)
    {
        return record.wrap(page, pos).expiredFamilies(deadlineMs);
    }

    /**
     * Drops the expired peers of a one-page swarm ({@code page} wraps the entry's value) and the addresses that
     * expired of its dual-stacked peers; returns the peers left, 0 for a torrent retained without peers, or
     * {@link #GONE} when the entry went (its last peer expired with no retention, or its retention ran out).
     */
    int sweep(final MapEntry<byte[], byte[]> entry, final UnsafeBuffer page, final Removals removals)
    {
        final int count = Page.count(page);
        if (count == 0)
        {
            // A retained torrent, kept while its last peer left within the retention, counted as a torrent until
            // it goes. A page 0 of no records and no time (a process died between emptying a big swarm's page 0
            // and removing it) was never counted: it goes uncounted.
            final boolean retained = Page.isRetained(page);
            if (retained && Page.leftAtSeconds(page) > retainedUntilS)
            {
                return 0;
            }
            removals.changing();
            writes.remove(entry);
            if (retained)
            {
                removals.swarmGone();
            }
            return GONE;
        }
        boolean stale = false;
        for (int pos = 0; pos < count && !stale; pos++)
        {
            stale = expiredFamilies(page, pos) != 0;
        }
        if (!stale)
        {
            return count;
        }
        removals.changing();
        if (Page.hasSlack(page))
        {
            return sweepInPlace(entry, page, removals);
        }
        page.getBytes(0, work, 0, page.capacity());
        scratch.wrap(work, 0, Page.exactLengthLike(page, count)); // compact or full, as the page is
        int n = count;
        for (int pos = n - 1; pos >= 0; pos--)
        {
            final int dead = expiredFamilies(scratch, pos);
            if (dead == 0)
            {
                continue;
            }
            final int flags = Page.flags(scratch, pos);
            if ((flags & (Page.HAS_V4 | Page.HAS_V6) & ~dead) == 0)
            {
                record.wrap(scratch, pos).copyIdentity(identity);
                Page.moveToEnd(scratch, pos, tmp, swaps);
                n--;
                scratch.wrap(work, 0, Page.exactLengthLike(scratch, n));
                counters.peersExpired.incrementRelease();
                removals.peerExpired(flags, identity, scratch);
            }
            else if (dropFamilies(scratch, pos, dead, removals) != pos)
            {
                pos++; // another record moved into this position: check it too
            }
        }
        if (n == 0)
        {
            return emptied(entry, scratch, removals);
        }
        writes.cutOnePage(entry, scratch, n);
        return n;
    }

    /**
     * {@link #sweep} of a page with spare slots: the expired records are dropped in place, swap by journaled swap
     * (as a peer leaving is), and the page is written anew only when it is left worth shrinking or empty.
     */
    private int sweepInPlace(final MapEntry<byte[], byte[]> entry, final UnsafeBuffer page, final Removals removals)
    {
        for (int pos = Page.count(page) - 1; pos >= 0; pos--)
        {
            final int dead = expiredFamilies(page, pos);
            if (dead == 0)
            {
                continue;
            }
            final int flags = Page.flags(page, pos);
            if ((flags & (Page.HAS_V4 | Page.HAS_V6) & ~dead) == 0)
            {
                record.wrap(page, pos).copyIdentity(identity);
                if (Page.count(page) == 1)
                {
                    // The last peer: the page goes or becomes the retained page below, whole or not at all.
                    counters.peersExpired.incrementRelease();
                    page.getBytes(0, work, 0, Page.HEADER);
                    scratch.wrap(work, 0, Page.HEADER);
                    scratch.setMemory(0, Page.PAGES_OFFSET, (byte)0); // no records: every bucket bound 0
                    removals.peerExpired(flags, identity, scratch);
                    return emptied(entry, scratch, removals);
                }
                Page.removeInPlace(page, pos, tmp, swaps);
                counters.peersExpired.incrementRelease();
                removals.peerExpired(flags, identity, page);
            }
            else if (dropFamilies(page, pos, dead, removals) != pos)
            {
                pos++; // another record moved into this position: check it too
            }
        }
        final int n = Page.count(page);
        if (Page.oversized(page, n))
        {
            writes.cutOnePage(entry, page, n);
        }
        return n;
    }

    /** The swarm's last peer expired: its page goes, or becomes the retained page (from {@code page0}'s header). */
    private int emptied(final MapEntry<byte[], byte[]> entry, final UnsafeBuffer page0, final Removals removals)
    {
        if (retentionSeconds > 0 && Page.downloaded(page0) > 0)
        {
            writes.retain(entry, page0, nowS);
            return 0;
        }
        writes.remove(entry);
        removals.swarmGone();
        return GONE;
    }

    /** A dual-stacked peer lives on through the address that did not expire; returns its new position. */
    int dropFamilies(final UnsafeBuffer page, final int pos, final int dead, final Removals removals)
    {
        final int flags = Page.flags(page, pos);
        int kept = flags & ~dead;
        if ((kept & Page.HAS_V6) == 0)
        {
            kept &= ~Page.PRIMARY_V6;
        }
        else if ((kept & Page.HAS_V4) == 0)
        {
            kept |= Page.PRIMARY_V6;
        }
        Page.flags(page, pos, kept);
        removals.familiesDropped(flags, kept);
        return Page.moveTo(page, pos, Page.bucketFor(kept), tmp, swaps);
    }
}
