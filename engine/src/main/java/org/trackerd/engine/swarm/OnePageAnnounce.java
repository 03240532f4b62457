package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.EngineCounters;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;

import java.util.Arrays;

import static org.trackerd.engine.swarm.AnnounceOutcome.ANSWERED;
import static org.trackerd.engine.swarm.AnnounceOutcome.DONE;
import static org.trackerd.engine.swarm.AnnounceOutcome.INDEX;
import static org.trackerd.engine.swarm.AnnounceOutcome.MISSED;
import static org.trackerd.engine.swarm.AnnounceOutcome.PROMOTE;

/**
 * Announces to a swarm of at most one page, nearly all of them: a known peer re-announcing, a new peer for a page
 * with a free slot and a peer leaving a page that stays worth its length are read and written in place in the page
 * the {@link PageCache} remembers, with no query context at all; anything else (a page to grow or shrink, a swarm
 * not cached) takes the map's path under one lock of the swarm's entry. A new peer for a full
 * page, or a page 0 that says the swarm spans several pages, is handed back ({@link AnnounceOutcome#PROMOTE},
 * {@link AnnounceOutcome#INDEX}) for {@link BigSwarms}.
 *
 * <p>Thread: the swarm processor only.
 */
final class OnePageAnnounce
{
    /** 64 Ki swarms, 2 MiB of heap: every swarm of a busy tracker's hot set. */
    static final int PAGE_CACHE_SLOTS = 1 << 16;

    /** {@code tracker.torrent_retention_seconds}: 0 forgets a torrent with its last peer. */
    private final long retentionSeconds;
    private final PageCache pageCache;
    private final PageAccess pages;
    private final MapWrites writes;
    private final SwapJournal swaps;
    private final PeerWriter writer;
    private final PeerSelection selection;
    private final SwarmCounts counts;
    private final EngineCounters counters;
    /** The page the page cache found, in the map's memory. */
    private final UnsafeBuffer cached = new UnsafeBuffer(new byte[0]);
    /** A new page being built on the heap before the map copies it in. */
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[0]);
    private final byte[] tmp = new byte[Page.RECORD];

    OnePageAnnounce(final long retentionSeconds,
        final PageCache pageCache, final PageAccess pages, final MapWrites writes, final SwapJournal swaps,
        final PeerWriter writer, final PeerSelection selection, final SwarmCounts counts,
        final EngineCounters counters)
    {
        this.retentionSeconds = retentionSeconds;
        this.pageCache = pageCache;
        this.pages = pages;
        this.writes = writes;
        this.swaps = swaps;
        this.writer = writer;
        this.selection = selection;
        this.counts = counts;
        this.counters = counters;
    }

    /** An announce to a swarm of at most one page, under one lock of its map entry (or none, from the cache). */
    int announce(final RequestEvent e, final ResponseEvent r, final long nowMs)
    {
        final boolean stopped = e.event == RequestEvent.EVENT_STOPPED;
        pages.name(e.infoHash, 0, 0);
        if (pageCache.find(e.infoHash, 0, 0, cached))
        {
            final int outcome = inPlace(cached, e, r, nowMs, stopped);
            if (outcome != MISSED)
            {
                return outcome;
            }
        }
        try (PageAccess access = pages.update())
        {
            if (!access.exists())
            {
                if (stopped)
                {
                    return ANSWERED;
                }
                if (counts.full())
                {
                    counters.rejectedFull.incrementRelease();
                    r.status = Status.TRACKER_FULL;
                    return DONE;
                }
                // A new swarm of an IPv4 peer starts compact: most swarms of a public tracker never hold more.
                final byte[] value = PeerWriter.fitsCompact(e) ? writes.compactValue(1) : writes.value(1);
                Arrays.fill(value, (byte)0);
                scratch.wrap(value);
                Page.pages(scratch, 1);
                writer.write(scratch, 0, e, nowMs, true, swaps);
                if (writer.completedNow())
                {
                    Page.downloaded(scratch, 1);
                    counters.downloadsCompleted.incrementRelease();
                }
                access.insert(value);
                counts.torrents(1);
                counts.peers(1);
                counters.torrentsCreated.incrementRelease();
                counters.peersAdded.incrementRelease();
                fillCounts(scratch, r);
                return ANSWERED;
            }
            final UnsafeBuffer page = access.page();
            if (Page.pages(page) > 1)
            {
                return INDEX;
            }
            int pos = Page.find(page, e.peerIdView, e.left == 0);
            if (pos >= 0 && !writer.isSameClient(page, pos, e))
            {
                return conflict(r);
            }
            if (stopped)
            {
                if (pos >= 0)
                {
                    counters.peersStopped.incrementRelease();
                    if (remove(access, pos, nowMs))
                    {
                        return ANSWERED;
                    }
                }
                fillCounts(page, r);
                return ANSWERED;
            }
            if (pos >= 0)
            {
                if (Page.isCompact(page) && !PeerWriter.fitsCompact(e))
                {
                    makeFull(access, page);
                }
                pos = updateInPlace(page, pos, e, nowMs);
            }
            else
            {
                if (counts.full())
                {
                    counters.rejectedFull.incrementRelease();
                    r.status = Status.TRACKER_FULL;
                    fillCounts(page, r);
                    return DONE;
                }
                final int count = Page.count(page);
                if (Page.hasRoom(page))
                {
                    pos = addInPlace(page, count, e, nowMs);
                }
                else
                {
                    if (Page.isFull(page))
                    {
                        return PROMOTE;
                    }
                    // Full: the page grows into a new value with spare slots (past a few records), copied once;
                    // compact while it stays a few IPv4-only peers.
                    final boolean compact = count + 1 < Page.SLACK_FROM && PeerWriter.fitsCompact(e) &&
                        (Page.isCompact(page) || Page.fitsCompact(page, count));
                    final byte[] value = compact ? writes.compactValue(count + 1) : writes.value(count + 1);
                    scratch.wrap(value);
                    Page.copy(page, count, scratch);
                    pos = writer.add(scratch, count, e, nowMs, swaps);
                    if (writer.completedNow())
                    {
                        Page.downloaded(scratch, Page.downloaded(scratch) + 1);
                        counters.downloadsCompleted.incrementRelease();
                    }
                    access.replace(value);
                    counts.peers(1);
                    counters.peersAdded.incrementRelease();
                }
            }
            return select(page, e, r, pos); // PageAccess remembered where the page lies
        }
    }

    /**
     * An announce to a one-page swarm whose page the cache knew, read and written in place with no query context:
     * a known peer re-announcing, a new peer while the page has a free slot, a peer leaving while the page stays
     * worth its length. Anything else (a full page, a page to shrink, the swarm's last peer leaving, a swarm that
     * has grown to several pages) is {@link AnnounceOutcome#MISSED} and takes the map's path.
     */
    private int inPlace(final UnsafeBuffer page, final RequestEvent e, final ResponseEvent r, final long nowMs,
        final boolean stopped)
    {
        if (Page.pages(page) > 1)
        {
            return MISSED;
        }
        int pos = Page.find(page, e.peerIdView, e.left == 0);
        if (pos >= 0 && !writer.isSameClient(page, pos, e))
        {
            return conflict(r);
        }
        if (stopped)
        {
            if (pos < 0)
            {
                fillCounts(page, r);
                return ANSWERED;
            }
            final int count = Page.count(page);
            if (count == 1 || !Page.hasSlack(page) || Page.oversized(page, count - 1))
            {
                return MISSED;
            }
            counters.peersStopped.incrementRelease();
            counts.population(Page.flags(page, pos), -1);
            counts.peers(-1);
            Page.removeInPlace(page, pos, tmp, swaps);
            fillCounts(page, r);
            return ANSWERED;
        }
        if (pos < 0)
        {
            if (!Page.hasRoom(page) || counts.full())
            {
                return MISSED;
            }
            pos = addInPlace(page, Page.count(page), e, nowMs);
            return select(page, e, r, pos);
        }
        if (Page.isCompact(page) && !PeerWriter.fitsCompact(e))
        {
            return MISSED; // an IPv6 address for a compact page: it becomes full, a change of the map's structure
        }
        return select(page, e, r, updateInPlace(page, pos, e, nowMs));
    }

    /**
     * Replaces the open compact page with the same records in the full layout, before an IPv6 address is written
     * into one of them: one replace, journaled as any, so a death leaves the compact page or the full one.
     * {@code page} (the access's) wraps the new value after.
     */
    private void makeFull(final PageAccess access, final UnsafeBuffer page)
    {
        final int count = Page.count(page);
        final byte[] value = writes.value(count);
        scratch.wrap(value);
        Page.copy(page, count, scratch);
        access.replace(value);
    }

    /** A new peer written into the first free slot of the page, in place; returns its position. */
    private int addInPlace(final UnsafeBuffer page, final int count, final RequestEvent e, final long nowMs)
    {
        final int pos = writer.add(page, count, e, nowMs, swaps);
        if (writer.completedNow())
        {
            Page.downloaded(page, Page.downloaded(page) + 1);
            counters.downloadsCompleted.incrementRelease();
        }
        counts.peers(1);
        counters.peersAdded.incrementRelease();
        return pos;
    }

    private int conflict(final ResponseEvent r)
    {
        counters.rejectedPeerIdConflict.incrementRelease();
        r.status = Status.PEER_ID_CONFLICT;
        return DONE;
    }

    /** Applies a known peer's announce to its record; returns the record's position after. */
    private int updateInPlace(final UnsafeBuffer page, final int pos, final RequestEvent e, final long nowMs)
    {
        final int at = writer.write(page, pos, e, nowMs, false, swaps);
        if (writer.completedNow())
        {
            Page.downloaded(page, Page.downloaded(page) + 1);
            counters.downloadsCompleted.incrementRelease();
        }
        return at;
    }

    /** The answer from a one-page swarm: its peers for the announcer at {@code pos}, and counts. */
    private int select(final UnsafeBuffer page, final RequestEvent e, final ResponseEvent r, final int pos)
    {
        final boolean seeder = (Page.flags(page, pos) & Page.SEEDER) != 0;
        selection.read(page, seeder, pos, selection.start(e, r));
        selection.finish();
        fillCounts(page, r);
        return ANSWERED;
    }

    /**
     * Removes the record at {@code pos} from the open one-page swarm. With its last peer the swarm is gone (true),
     * or, with a torrent retention and a downloaded count to keep, its page becomes the retained page that keeps
     * it (false: the page, now of no peers, answers the counts).
     */
    private boolean remove(final PageAccess access, final int pos, final long nowMs)
    {
        final UnsafeBuffer page = access.page();
        final int flags = Page.flags(page, pos);
        counts.population(flags, -1);
        counts.peers(-1);
        final int count = Page.count(page);
        if (count == 1 && retentionSeconds > 0 && Page.downloaded(page) > 0)
        {
            access.retain(nowMs / 1000); // still counted as a torrent: it keeps its map entry
            return false;
        }
        if (count == 1)
        {
            access.remove();
            counts.torrents(-1);
            counters.torrentsRemoved.incrementRelease();
            return true;
        }
        if (Page.hasSlack(page) && !Page.oversized(page, count - 1))
        {
            Page.removeInPlace(page, pos, tmp, swaps);
            return false;
        }
        Page.moveToEnd(page, pos, tmp, swaps);
        access.cutOnePage(page, count - 1); // compact when the peers left are a few IPv4-only ones
        return false;
    }

    static void fillCounts(final UnsafeBuffer page0, final ResponseEvent r)
    {
        r.complete = Page.seeders(page0);
        r.incomplete = Page.leechers(page0);
        r.downloaded = Page.downloaded(page0);
    }

    /** Re-announces answered in place from the page cache, and announces that missed it. */
    long[] pageCacheHitsAndMisses()
    {
        return new long[] { pageCache.hits(), pageCache.misses() };
    }
}
