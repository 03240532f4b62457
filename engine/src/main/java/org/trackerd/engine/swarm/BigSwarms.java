package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.EngineCounters;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.trackerd.engine.swarm.AnnounceOutcome.ANSWERED;
import static org.trackerd.engine.swarm.AnnounceOutcome.DONE;

/**
 * Swarms of several pages: their in-memory {@link BigSwarm indexes} (where each peer is, and the totals), and the
 * announces, removals and page upkeep of such swarms. Pages are kept dense: a new peer goes to the last page, in
 * place into a free slot (a new page when it is {@link Page#isFull full}; a later page starts with 64 slots and
 * doubles), a peer that leaves is overwritten in place by the last record of the last page, an empty last page
 * goes. Page 0's header carries the page count and the downloaded count. One page's lock at a time, never two.
 *
 * <p>A swarm is indexed when it outgrows one page ({@link #promote}), when the start-up scan finds it
 * ({@link #load}), or, after a clean restart, when it is first touched ({@link #index}).
 *
 * <p>Thread: the swarm processor (and the start-up scan, on the launcher thread before the processor starts).
 */
final class BigSwarms
{
    private final BigSwarmTable bigSwarms;
    private final long seed;
    /** {@code tracker.torrent_retention_seconds}: 0 forgets a torrent with its last peer. */
    private final long retentionSeconds;
    private final PageAccess pages;
    private final MapWrites writes;
    private final SwapJournal swaps;
    private final PeerWriter writer;
    private final PeerSelection selection;
    private final SwarmCounts counts;
    private final EngineCounters counters;
    private final PeerRecord record = new PeerRecord();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[0]);
    private final byte[] tmp = new byte[Page.RECORD];
    private final byte[] moved = new byte[Page.RECORD];
    /** Peer id and address of the last peer {@link #remove removed}, for the accounting record. */
    private final byte[] removed = new byte[PeerRecord.IDENTITY_LENGTH];

    BigSwarms(final long seed, final long retentionSeconds, final PageAccess pages,
        final MapWrites writes, final SwapJournal swaps, final PeerWriter writer, final PeerSelection selection,
        final SwarmCounts counts, final EngineCounters counters)
    {
        this.seed = seed;
        this.bigSwarms = new BigSwarmTable(seed);
        this.retentionSeconds = retentionSeconds;
        this.pages = pages;
        this.writes = writes;
        this.swaps = swaps;
        this.writer = writer;
        this.selection = selection;
        this.counts = counts;
        this.counters = counters;
    }

    /** The index of a swarm of several pages, or null; no hashing at all while there is none (the common case). */
    BigSwarm find(final byte[] infoHash, final int offset)
    {
        return bigSwarms.isEmpty() ? null : bigSwarms.get(infoHash, offset);
    }

    int size()
    {
        return bigSwarms.size();
    }

    /** A copy of the indexes, to work through while they change. */
    List<BigSwarm> snapshot()
    {
        final List<BigSwarm> list = new ArrayList<>(bigSwarms.size());
        bigSwarms.addTo(list);
        return list;
    }

    /**
     * A swarm whose page 0 says it spans several pages and that has no index yet (after a clean restart): index
     * it now. Returns null, having corrected page 0, when only one page turned out to exist.
     */
    BigSwarm index(final byte[] infoHash, final int offset)
    {
        final byte[] copy = Arrays.copyOfRange(infoHash, offset, offset + 20);
        final BigSwarm big = read(copy, false);
        if (big.pages > 1)
        {
            bigSwarms.put(big);
            return big;
        }
        return null;
    }

    /** The swarm outgrew its one page: index it; its next peer opens page 1. */
    BigSwarm promote(final byte[] infoHash)
    {
        final BigSwarm big = read(infoHash, false);
        bigSwarms.put(big);
        return big;
    }

    /** Start-up scan: indexes a swarm of several pages and counts it and its peers; its expired peers go later. */
    void load(final byte[] infoHash)
    {
        final BigSwarm big = read(infoHash, true);
        counts.torrents(1);
        counts.peers(big.size());
        if (big.pages > 1)
        {
            bigSwarms.put(big);
        }
    }

    /** Reads every page of a swarm into a new index ({@code countPeers}: counting them in the population too). */
    private BigSwarm read(final byte[] infoHash, final boolean countPeers)
    {
        final BigSwarm big = new BigSwarm(new InfoHashKey().set(infoHash, 0, seed));
        int p = 0;
        while (p < 0xFFFF)
        {
            try (PageAccess access = pages.read(infoHash, 0, p))
            {
                if (!access.exists())
                {
                    break;
                }
                final UnsafeBuffer page = access.page();
                final int n = Page.count(page);
                for (int pos = 0; pos < n; pos++)
                {
                    big.put(record.wrap(page, pos).fingerprint(seed), BigSwarm.location(p, pos));
                    if (countPeers)
                    {
                        counts.population(Page.flags(page, pos), 1);
                    }
                }
                big.seeders += Page.seeders(page);
                big.leechers += Page.leechers(page);
                if (p == 0)
                {
                    big.downloaded = Page.downloaded(page);
                }
            }
            p++;
        }
        big.pages = p;
        writeHeader(big);
        return big;
    }

    /** An announce to a swarm of several pages: one lock per page touched, never two at once. */
    int announce(final BigSwarm big, final RequestEvent e, final ResponseEvent r, final long nowMs)
    {
        final long fingerprint = PeerHash.fingerprint(e.peerIdView, 0, seed);
        int location = big.find(fingerprint);
        int ownPage = -1;
        int ownPos = -1;
        final boolean seeder = e.left == 0;
        if (location >= 0)
        {
            final int p = BigSwarm.page(location);
            try (PageAccess access = pages.update(big.key.bytes, 0, p))
            {
                final UnsafeBuffer page = access.page();
                final int pos = BigSwarm.position(location);
                if (!access.exists() || pos >= Page.count(page) || !Page.hasPeerId(page, pos, e.peerIdView))
                {
                    big.remove(fingerprint); // cannot happen while the index is kept in step; heal it if it does
                    location = -1;
                }
                else if (!writer.isSameClient(page, pos, e))
                {
                    counters.rejectedPeerIdConflict.incrementRelease();
                    r.status = Status.PEER_ID_CONFLICT;
                    return DONE;
                }
                else if (e.event != RequestEvent.EVENT_STOPPED)
                {
                    final boolean wasSeeder = (Page.flags(page, pos) & Page.SEEDER) != 0;
                    ownPos = writer.write(page, pos, e, nowMs, false, swaps.follow(big, p));
                    swaps.unfollow();
                    ownPage = p;
                    if (wasSeeder != seeder)
                    {
                        big.seeders += seeder ? 1 : -1;
                        big.leechers += seeder ? -1 : 1;
                    }
                }
            }
            if (location >= 0 && e.event == RequestEvent.EVENT_STOPPED)
            {
                counters.peersStopped.incrementRelease();
                remove(big, fingerprint, nowMs);
                fillCounts(big, r);
                return ANSWERED;
            }
            if (writer.completedNow())
            {
                big.downloaded++;
                counters.downloadsCompleted.incrementRelease();
                writeHeader(big);
            }
        }
        if (location < 0)
        {
            if (e.event == RequestEvent.EVENT_STOPPED)
            {
                fillCounts(big, r);
                return ANSWERED;
            }
            if (counts.full())
            {
                counters.rejectedFull.incrementRelease();
                r.status = Status.TRACKER_FULL;
                fillCounts(big, r);
                return DONE;
            }
            location = add(big, e, nowMs, fingerprint);
            ownPage = BigSwarm.page(location);
            ownPos = BigSwarm.position(location);
            if (writer.completedNow())
            {
                big.downloaded++;
                counters.downloadsCompleted.incrementRelease();
                writeHeader(big);
            }
        }

        int remaining = selection.start(e, r);
        final int first = selection.firstPage(big.pages);
        for (int k = 0; k < big.pages && remaining > 0; k++)
        {
            final int p = (first + k) % big.pages;
            try (PageAccess access = pages.read(big.key.bytes, 0, p))
            {
                if (!access.exists())
                {
                    continue;
                }
                remaining -= selection.read(access.page(), seeder, p == ownPage ? ownPos : -1, remaining);
            }
        }
        selection.finish();
        fillCounts(big, r);
        return ANSWERED;
    }

    private static void fillCounts(final BigSwarm big, final ResponseEvent r)
    {
        r.complete = big.seeders;
        r.incomplete = big.leechers;
        r.downloaded = big.downloaded;
    }

    /** Adds a new peer to the last page of a big swarm, or to a new page when that one is full. */
    private int add(final BigSwarm big, final RequestEvent e, final long nowMs, final long fingerprint)
    {
        final int last = big.pages - 1;
        int location = -1;
        try (PageAccess access = pages.update(big.key.bytes, 0, last))
        {
            if (access.exists())
            {
                final UnsafeBuffer page = access.page();
                final int count = Page.count(page);
                if (Page.hasRoom(page))
                {
                    final int pos = writer.add(page, count, e, nowMs, swaps.follow(big, last));
                    swaps.unfollow();
                    location = BigSwarm.location(last, pos);
                }
                else if (!Page.isFull(page))
                {
                    final byte[] value = last == 0 ? writes.value(count + 1) :
                        writes.slotted(Page.laterSlotsFor(count + 1));
                    scratch.wrap(value);
                    Page.copy(page, count, scratch);
                    final int pos = writer.add(scratch, count, e, nowMs, swaps.follow(big, last));
                    swaps.unfollow();
                    access.replace(value);
                    location = BigSwarm.location(last, pos);
                }
            }
        }
        if (location < 0)
        {
            final int p = big.pages;
            try (PageAccess access = pages.update(big.key.bytes, 0, p))
            {
                final byte[] value = writes.slotted(Page.laterSlotsFor(1));
                Arrays.fill(value, (byte)0);
                scratch.wrap(value);
                final int pos = writer.add(scratch, 0, e, nowMs, swaps);
                if (access.exists())
                {
                    access.replace(value); // a page left behind by a process that died while adding it
                }
                else
                {
                    access.insert(value);
                }
                location = BigSwarm.location(p, pos);
            }
            big.pages = p + 1;
            writeHeader(big);
        }
        big.put(fingerprint, location);
        if (e.left == 0)
        {
            big.seeders++;
        }
        else
        {
            big.leechers++;
        }
        counts.peers(1);
        counters.peersAdded.incrementRelease();
        return location;
    }

    /**
     * Removes a peer from a big swarm and keeps its pages dense: the hole is filled with the last record of the
     * last page, which is dropped when it empties. A swarm back to one page loses its index; an empty one is gone,
     * or, with a torrent retention and a downloaded count to keep, its page 0 becomes the retained page that keeps
     * it (left at {@code nowMs}). The peer's identity is kept for the accounting record ({@link #lastRemoved}).
     */
    void remove(final BigSwarm big, final long fingerprint, final long nowMs)
    {
        final int location = big.find(fingerprint);
        if (location < 0)
        {
            return;
        }
        final int p = BigSwarm.page(location);
        final int pos = BigSwarm.position(location);
        big.remove(fingerprint);
        // A hole in an earlier page is filled with the last page's last record, written over the leaving one: no
        // page but the last changes its length.
        final boolean filled = p != big.pages - 1 && takeLast(big);
        try (PageAccess access = pages.update(big.key.bytes, 0, p))
        {
            if (!access.exists() || pos >= Page.count(access.page()))
            {
                return;
            }
            final UnsafeBuffer page = access.page();
            final int flags = Page.flags(page, pos);
            record.wrap(page, pos).copyIdentity(removed);
            counts.population(flags, -1);
            if ((flags & Page.SEEDER) != 0)
            {
                big.seeders--;
            }
            else
            {
                big.leechers--;
            }
            counts.peers(-1);
            if (filled)
            {
                swaps.overwrite(page, pos, moved);
                final int at = Page.moveTo(page, pos, Page.bucketFor(Page.flags(page, pos)), tmp,
                    swaps.follow(big, p));
                swaps.unfollow();
                big.put(record.wrap(page, at).fingerprint(seed), BigSwarm.location(p, at));
            }
            else
            {
                removeFrom(big, access, p, pos);
            }
        }
        if (big.size() == 0)
        {
            bigSwarms.remove(big.key);
            if (retentionSeconds > 0 && big.downloaded > 0)
            {
                retain(big, nowMs);
                return;
            }
            pages.remove(big.key.bytes, 0, 0);
            counts.torrents(-1);
            counters.torrentsRemoved.incrementRelease();
            return;
        }
        writeHeader(big);
        if (big.pages == 1)
        {
            bigSwarms.remove(big.key);
        }
    }

    /** Peer id (0..20) and address (20..36) of the last peer {@link #remove removed}. */
    byte[] lastRemoved()
    {
        return removed;
    }

    /**
     * Takes the last record of the swarm's last page (later than the hole's) into {@link #moved}, out of that
     * page and the index; false when the last page has none to give (then the hole is cut from its own page). A
     * death before the record is written over the hole loses that peer until it announces again, never a page.
     */
    private boolean takeLast(final BigSwarm big)
    {
        final int last = big.pages - 1;
        try (PageAccess access = pages.update(big.key.bytes, 0, last))
        {
            if (!access.exists())
            {
                return false;
            }
            final UnsafeBuffer page = access.page();
            final int count = Page.count(page);
            if (count == 0)
            {
                return false;
            }
            page.getBytes(Page.record(count - 1), moved, 0, Page.RECORD);
            big.remove(PeerHash.fingerprint(page, Page.record(count - 1) + Page.PEER_ID, seed));
            removeFrom(big, access, last, count - 1);
        }
        return true; // page p, earlier than the last, is still there even when the last page went
    }

    /**
     * Drops the record at {@code pos} of the open page {@code p}: in place while the page keeps a fair share of its
     * slots, else by a shorter copy; an emptied last page (not page 0) goes.
     */
    private void removeFrom(final BigSwarm big, final PageAccess access, final int p, final int pos)
    {
        final UnsafeBuffer page = access.page();
        final int count = Page.count(page) - 1;
        if (count == 0 && p == big.pages - 1 && p > 0)
        {
            access.remove();
            big.pages--;
            return;
        }
        if (Page.hasSlack(page) && !Page.oversized(page, count))
        {
            Page.removeInPlace(page, pos, tmp, swaps.follow(big, p));
            swaps.unfollow();
            return;
        }
        Page.moveToEnd(page, pos, tmp, swaps.follow(big, p));
        swaps.unfollow();
        access.cut(page, count);
    }

    /** The big swarm's last peer left: its page 0 becomes the retained page (it stays counted as a torrent). */
    private void retain(final BigSwarm big, final long nowMs)
    {
        try (PageAccess access = pages.update(big.key.bytes, 0, 0))
        {
            if (access.exists())
            {
                Page.downloaded(access.page(), big.downloaded);
                access.retain(nowMs / 1000);
                return;
            }
        }
        counts.torrents(-1); // page 0 was gone already: nothing to retain
        counters.torrentsRemoved.incrementRelease();
    }

    /** Writes a big swarm's page count and downloaded count into its page 0 header. */
    private void writeHeader(final BigSwarm big)
    {
        try (PageAccess access = pages.update(big.key.bytes, 0, 0))
        {
            if (access.exists())
            {
                Page.pages(access.page(), big.pages);
                Page.downloaded(access.page(), big.downloaded);
            }
        }
    }
}
