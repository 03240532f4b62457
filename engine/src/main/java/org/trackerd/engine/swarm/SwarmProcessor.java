package org.trackerd.engine.swarm;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.EngineCounters;
import org.trackerd.engine.ResponseQueue;
import org.trackerd.engine.address.IpAddresses;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;

import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The one thread that writes swarm state: takes announces and scrapes off the request ring in sequence, reads and
 * writes the swarms' pages in place in the persisted map, picks peers and publishes each result to the response
 * queue of the frontend that asked. Clock ticks on the same ring drive peer expiry in small slices.
 *
 * <p>The map is the index: a swarm of up to {@link Page#CAPACITY} peers is one page (one map entry, found by one
 * hash lookup, its records partitioned by kind and family, see {@link Page}); a bigger one is a run of pages with
 * an in-memory {@link BigSwarm} index of where each peer is. Nothing else is kept per swarm or per peer on the
 * heap, so memory per peer is the page's bytes, and a restart finds the swarms ready without rebuilding them.
 *
 * <p>It is a deterministic state machine of the ring's sequence and the clock: it knows nothing of sockets,
 * HTTP or bencode.
 *
 * <p>Thread: {@link #onEvent} and everything it calls run on the swarm processor thread only.
 * {@link #loadFromStore()} runs on the launcher thread before that thread starts.
 */
public final class SwarmProcessor implements EventHandler<RequestEvent>
{
    private static final Logger LOG = LoggerFactory.getLogger(SwarmProcessor.class);
    private static final int PENDING_BIG = 256;

    private final SwarmStore store;
    private final InFlight inFlight;
    private final ResponseQueue[] queues;
    private final EngineCounters counters;
    private final HashMap<InfoHashKey, BigSwarm> bigSwarms = new HashMap<>();
    private final InfoHashKey hashProbe = new InfoHashKey();
    /** The wall clock, read once per batch into {@link #clock}: every peer of a batch is seen at the same time. */
    private final EpochClock epochClock;
    private final NanoClock nanoClock;
    private final CachedEpochClock clock = new CachedEpochClock();
    private final long seed;

    private final int intervalSeconds;
    private final int minIntervalSeconds;
    private final long peerLifetimeMs;
    private final int maxTorrents;
    private final int maxPeers;
    private final long tickMs;
    private final long sweepMs;

    /** Opens, locks and wraps the pages; the map's structure changes only through {@link #writes}. */
    private final PageAccess pages;
    private final MapWrites writes;
    /** Journals swaps in mapped pages and keeps a big swarm's index in step with them. */
    private final SwapJournal swaps;
    /** A page of no records (a hole filled in a page that is gone). */
    private final UnsafeBuffer emptyPage;
    /** The page being worked on, in the map's memory or in a scratch array. */
    private final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    /** Pages of one-page swarms by infohash, for re-announces that leave the map's structure alone. */
    private final PageCache pageCache = new PageCache(PAGE_CACHE_SLOTS);
    /** 64 Ki swarms, 2 MiB of heap: every swarm of a busy tracker's hot set. */
    private static final int PAGE_CACHE_SLOTS = 1 << 16;
    private final byte[] work = new byte[Page.length(Page.CAPACITY)];
    private final byte[] tmp = new byte[Page.RECORD];
    private final byte[] moved = new byte[Page.RECORD];
    private final UnsafeBuffer movedBuffer = new UnsafeBuffer(moved);
    private final byte[] sweptHash = new byte[20];


    private final Consumer<MapEntry<byte[], byte[]>> sweeper = this::sweepEntry;
    private int sweepShard;
    private int sweepSegment;
    private long visited;
    private long deadlineMs;
    private boolean loading;
    private final byte[][] pendingBig = new byte[PENDING_BIG][20];
    private int pendingBigCount;
    private final List<byte[]> loadBig = new ArrayList<>();
    private final List<byte[]> loadExtraPages = new ArrayList<>();
    private final long[] deadFingerprints = new long[Page.CAPACITY];

    /** Private mode's accounting, or {@link SwarmAccounting#NONE}. */
    private final SwarmAccounting accounting;
    private final SwarmCounts counts;
    private final PeerWriter writer;
    private final PeerSelection selection;
    private final TopSwarms topSwarms = new TopSwarms();

    public SwarmProcessor(final TrackerConfig config, final SwarmStore store, final ResponseQueue[] queues,
        final EngineCounters counters, final long seed)
    {
        this(config, store, queues, counters, seed, SwarmAccounting.NONE, SystemEpochClock.INSTANCE,
            SystemNanoClock.INSTANCE);
    }

    /**
     * @param accounting private mode's accounting, or {@link SwarmAccounting#NONE}
     * @param epochClock the wall clock: announce times, peer expiry (tests pass one they advance)
     * @param nanoClock  for the start-up scan's duration in the log
     */
    public SwarmProcessor(final TrackerConfig config, final SwarmStore store, final ResponseQueue[] queues,
        final EngineCounters counters, final long seed, final SwarmAccounting accounting, final EpochClock epochClock,
        final NanoClock nanoClock)
    {
        this.accounting = accounting;
        this.epochClock = epochClock;
        this.nanoClock = nanoClock;
        this.store = store;
        this.inFlight = store.inFlight;
        this.writes = new MapWrites(inFlight, pageCache);
        this.pages = new PageAccess(store, writes);
        this.swaps = new SwapJournal(inFlight, pages, seed);
        this.emptyPage = new UnsafeBuffer(writes.value(0));
        this.counts = new SwarmCounts(store, counters);
        this.writer = new PeerWriter(counts);
        this.selection = new PeerSelection(config, seed);
        this.queues = queues;
        this.counters = counters;
        this.seed = seed;
        this.intervalSeconds = config.tracker.announceIntervalSeconds;
        this.minIntervalSeconds = config.tracker.minAnnounceIntervalSeconds;
        this.peerLifetimeMs = config.tracker.peerLifetimeSeconds * 1000L;
        this.maxTorrents = config.storage.maxTorrents;
        this.maxPeers = config.storage.maxPeers;
        this.tickMs = config.engine.expiryTickMs;
        this.sweepMs = config.engine.expirySweepSeconds * 1000L;
        clock.update(epochClock.time());
    }

    /**
     * Counts what the persisted map holds, drops peers whose lifetime ran out while the tracker was down (and
     * torrents left without peers), and indexes the swarms bigger than one page. The swarms themselves stay where
     * they are, in the map.
     */
    public void loadFromStore()
    {
        final long start = nanoClock.nanoTime();
        final long nowMs = epochClock.time();
        clock.update(nowMs);
        if (store.countsKnown)
        {
            // A clean shutdown left its counts: nothing to scan. Swarms of several pages are indexed when first
            // touched; peers whose lifetime ran out meanwhile go with the first sweep, like any expired peer.
            counts.publishGauges();
            LOG.info("{} torrents and {} peers in the store, counted {}", store.torrents, store.peers,
                store.crashedIdle ? "by the last process up to its death (nothing was in flight)" :
                "at the last clean shutdown");
            return;
        }
        deadlineMs = nowMs - peerLifetimeMs;
        final long expiredBefore = counters.peersExpired.get();
        inFlight.busy();
        final boolean[] scan = store.scan;
        int scanned = 0;
        for (final boolean s : scan)
        {
            scanned += s ? 1 : 0;
        }
        if (scanned == SwarmStore.SHARDS)
        {
            inFlight.shardCountsValid(false); // until this scan has counted every shard
        }
        if (store.undoKey != null)
        {
            undoSwap(store.undoKey, store.undoA, store.undoB, store.undoRecords);
            store.undoKey = null;
        }
        final byte[] torn = store.torn;
        if (torn != null)
        {
            // The last process died while it worked on this swarm: Chronicle's recovery made the map whole, but a
            // page of the swarm may hold a half-done update. Rebuild any page that is not whole.
            repairPages(torn);
        }
        // The counts of the shards not scanned are the in-flight file's (SwarmStore put their sum in the store).
        loading = true;
        bigSwarms.clear();
        counts.markCounted();
        try
        {
            for (int shard = 0; shard < SwarmStore.SHARDS; shard++)
            {
                if (!scan[shard])
                {
                    continue;
                }
                inFlight.clearShardCounts(shard);
                final ChronicleMap<byte[], byte[]> shardMap = store.shard(shard);
                inFlight.shard(shard);
                for (int s = 0; s < shardMap.segments(); s++)
                {
                    try (MapSegmentContext<byte[], byte[], ?> c = shardMap.segmentContext(s))
                    {
                        c.forEachSegmentEntry(sweeper);
                    }
                }
                for (final byte[] infoHash : loadBig)
                {
                    loadBigSwarm(infoHash);
                }
                for (final byte[] pageKey : loadExtraPages)
                {
                    final BigSwarm big = bigSwarms.get(hashProbe.set(pageKey, 0, seed));
                    final int pageNo = pageNumber(pageKey);
                    if (big == null || pageNo >= big.pages)
                    {
                        // A page left behind by a process that died while moving peers between pages.
                        pages.remove(pageKey, 0, pageNo);
                    }
                }
                loadBig.clear();
                loadExtraPages.clear();
                counts.flush(shard);
            }
        }
        finally
        {
            loading = false;
            loadBig.clear();
            loadExtraPages.clear();
        }
        for (final BigSwarm big : new ArrayList<>(bigSwarms.values()))
        {
            sweepBig(big);
            counts.flush(SwarmStore.shard(big.key.bytes, 0));
        }
        counts.publishGauges();
        store.torn = null;
        if (scanned == SwarmStore.SHARDS)
        {
            inFlight.shardCountsValid(true);
        }
        counts.idle();
        LOG.info("loaded {} torrents and {} peers from the store in {} ms ({} of {} shards scanned, the others' " +
            "counts kept; {} peers had expired, {} swarms span several pages)", store.torrents, store.peers,
            (nanoClock.nanoTime() - start) / 1_000_000, scanned, SwarmStore.SHARDS,
            counters.peersExpired.get() - expiredBefore, bigSwarms.size());
    }

    /**
     * Puts back the two records of a swap the last process died in the middle of (the in-flight file kept them):
     * the page is as it was before that swap; what else is torn in it, the repair that follows rebuilds.
     */
    private void undoSwap(final byte[] pageKey, final int a, final int b, final byte[] records)
    {
        final int pageNo = pageNumber(pageKey);
        try (PageAccess p = pages.update(pageKey, 0, pageNo))
        {
            if (p.exists())
            {
                final UnsafeBuffer page = p.page();
                final int count = Page.count(page);
                final boolean fits = a >= 0 && b >= 0 && a < count && b < count;
                if (fits)
                {
                    page.putBytes(Page.record(a), records, 0, Page.RECORD);
                    page.putBytes(Page.record(b), records, Page.RECORD, Page.RECORD);
                }
                LOG.warn("{} the swap of records {} and {} of page {} of swarm {}, under way when the last process " +
                    "died", fits ? "undid" : "could not undo (the page has " + count + " records)", a, b, pageNo,
                    org.agrona.BitUtil.toHex(pageKey, 0, 20));
            }
        }
        inFlight.swapped();
    }

    /** The page number of a map key: the big-endian u16 after the infohash. */
    private static int pageNumber(final byte[] pageKey)
    {
        return PageAccess.pageNumber(pageKey);
    }

    /** Rebuilds the pages of a swarm that are not {@link Page#isWhole whole}; the scan then counts them. */
    private void repairPages(final byte[] infoHash)
    {
        for (int p = 0; p < 0xFFFF; p++)
        {
            try (PageAccess access = pages.update(infoHash, 0, p))
            {
                if (!access.exists())
                {
                    return;
                }
                final UnsafeBuffer page = access.page();
                if (page.capacity() < Page.HEADER || (page.capacity() - Page.HEADER) % Page.RECORD != 0 ||
                    page.capacity() > Page.length(Page.CAPACITY))
                {
                    access.remove(); // not a page at all: nothing in it can be trusted
                    LOG.warn("removed page {} of swarm {}: its length {} is not a page's", p,
                        org.agrona.BitUtil.toHex(infoHash), page.capacity());
                    continue;
                }
                if (Page.isWhole(page))
                {
                    continue;
                }
                final int before = Page.count(page);
                scratch.wrap(work);
                final int n = Page.rebuild(page, scratch);
                if (n == 0)
                {
                    access.remove();
                }
                else
                {
                    access.cut(scratch, n);
                }
                LOG.warn("repaired page {} of swarm {}, torn by the death of the last process: {} of {} records " +
                    "kept", p, org.agrona.BitUtil.toHex(infoHash), n, before);
            }
        }
    }

    /** Start-up scan: indexes a swarm of several pages and counts its peers; its expired peers go afterwards. */
    private void loadBigSwarm(final byte[] infoHash)
    {
        final BigSwarm big = readBigSwarm(infoHash, true);
        store.torrents++;
        store.peers += big.size();
        if (big.pages > 1)
        {
            bigSwarms.put(big.key, big);
        }
    }

    /**
     * A swarm whose page 0 says it spans several pages and that has no index yet (after a clean restart): index
     * it now. Returns null, having corrected page 0, when only one page turned out to exist.
     */
    private BigSwarm indexBigSwarm(final byte[] infoHash, final int offset)
    {
        final byte[] copy = Arrays.copyOfRange(infoHash, offset, offset + 20);
        final BigSwarm big = readBigSwarm(copy, false);
        if (big.pages > 1)
        {
            bigSwarms.put(big.key, big);
            return big;
        }
        return null;
    }

    private BigSwarm readBigSwarm(final byte[] infoHash, final boolean count)
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
                    if (count)
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

    /** Re-announces answered in place from {@link PageCache}, and announces that missed it (tests, benchmarks). */
    long[] pageCacheHitsAndMisses()
    {
        return new long[] { pageCache.hits(), pageCache.misses() };
    }

    public int torrentCount()
    {
        return (int)store.torrents;
    }

    public long peerCount()
    {
        return store.peers;
    }

    public long seederCount()
    {
        return counts.seeders();
    }

    @Override
    public void onBatchStart(final long batchSize, final long queueDepth)
    {
        clock.update(epochClock.time());
    }

    @Override
    public void onEvent(final RequestEvent event, final long sequence, final boolean endOfBatch)
    {
        inFlight.busy();
        try
        {
            switch (event.kind)
            {
                case RequestEvent.KIND_ANNOUNCE, RequestEvent.KIND_SCRAPE -> answer(event);
                case RequestEvent.KIND_TICK -> expirySlice();
                default ->
                {
                }
            }
        }
        finally
        {
            // Every map context of the event is closed: no lock held, no update half-done. An announce changes
            // one swarm (the shard of the last key); a sweep flushed each shard's changes as it left it.
            counts.flush(pages.shard());
            counts.idle();
            if (endOfBatch)
            {
                for (final ResponseQueue queue : queues)
                {
                    if (queue.dirty)
                    {
                        queue.signal();
                    }
                }
            }
        }
    }

    /**
     * A response slot, or -1 when the frontend's ring is full. Frontends keep at most the ring's size in flight,
     * so a full ring means a frontend that stopped draining (died or hangs): its request is skipped, unapplied
     * (never acknowledged), and counted, rather than blocking the one writer of swarm state for every client.
     */
    private long claim(final RingBuffer<ResponseEvent> ring)
    {
        try
        {
            return ring.tryNext();
        }
        catch (final com.lmax.disruptor.InsufficientCapacityException ex)
        {
            counters.responsesDropped.incrementRelease();
            return -1;
        }
    }

    private ResponseEvent begin(final RequestEvent request, final RingBuffer<ResponseEvent> ring, final long sequence)
    {
        final ResponseEvent r = ring.get(sequence);
        r.kind = request.kind;
        r.status = Status.OK;
        r.correlationId = request.correlationId;
        r.context = request.context;
        r.receivedNs = request.receivedNs;
        System.arraycopy(request.replyAddress, 0, r.replyAddress, 0, RequestEvent.ADDRESS_LENGTH);
        r.replyPort = request.replyPort;
        r.intervalSeconds = intervalSeconds;
        r.minIntervalSeconds = minIntervalSeconds;
        r.complete = 0;
        r.incomplete = 0;
        r.downloaded = 0;
        r.peerCount = 0;
        r.compact4Count = 0;
        r.compact6Count = 0;
        r.scrapeCount = 0;
        return r;
    }

    /**
     * Answers an announce or a scrape into a slot of the asking frontend's response ring; a full ring skips the
     * request unapplied (see {@link #claim}).
     */
    private void answer(final RequestEvent e)
    {
        final boolean isAnnounce = e.kind == RequestEvent.KIND_ANNOUNCE;
        (isAnnounce ? counters.announces : counters.scrapes).incrementRelease();
        final ResponseQueue queue = queues[e.frontendId];
        final RingBuffer<ResponseEvent> ring = queue.ring();
        final long sequence = claim(ring);
        if (sequence < 0)
        {
            return;
        }
        try
        {
            final ResponseEvent r = begin(e, ring, sequence);
            if (isAnnounce)
            {
                processAnnounce(e, r);
            }
            else
            {
                processScrape(e, r);
            }
        }
        finally
        {
            selection.release();
            swaps.unfollow();
            ring.publish(sequence);
            queue.dirty = true;
        }
    }

    private static final int DONE = 0;
    private static final int ANSWERED = 1;
    private static final int PROMOTE = 2;
    private static final int INDEX = 3;

    private void processAnnounce(final RequestEvent e, final ResponseEvent r)
    {
        writer.reset();
        BigSwarm big = bigSwarm(e.infoHash, 0);
        int outcome = DONE;
        if (big == null)
        {
            outcome = announceSingle(e, r);
            if (outcome == INDEX && (big = indexBigSwarm(e.infoHash, 0)) == null)
            {
                outcome = announceSingle(e, r); // page 0 claimed more pages than there were: it is one page
            }
            if (big == null && outcome == PROMOTE)
            {
                big = promote(e.infoHash);
            }
        }
        if (big != null)
        {
            outcome = announceBig(big, e, r);
        }
        r.downloaded = accounting.downloaded(e.infoHash, 0, r.downloaded);
        if (outcome == ANSWERED)
        {
            accounting.announce(e, r.complete, r.incomplete, writer.completedNow(), clock.time());
        }
    }

    /** The index of a swarm of several pages, or null; no hashing at all while there is none (the common case). */
    private BigSwarm bigSwarm(final byte[] infoHash, final int offset)
    {
        return bigSwarms.isEmpty() ? null : bigSwarms.get(hashProbe.set(infoHash, offset, seed));
    }

    /** An announce to a swarm of at most one page, under one lock of its map entry. */
    private int announceSingle(final RequestEvent e, final ResponseEvent r)
    {
        final long nowMs = clock.time();
        final boolean stopped = e.event == RequestEvent.EVENT_STOPPED;
        pages.name(e.infoHash, 0, 0);
        if (!stopped && pageCache.find(e.infoHash, 0, page))
        {
            final int outcome = reannounceInPlace(page, e, r, nowMs);
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
                if (store.peers >= maxPeers || store.torrents >= maxTorrents)
                {
                    counters.rejectedFull.incrementRelease();
                    r.status = Status.TRACKER_FULL;
                    return DONE;
                }
                final byte[] value = writes.value(1);
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
                store.torrents++;
                store.peers++;
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
                    if (removeFromSinglePage(access, pos))
                    {
                        return ANSWERED;
                    }
                }
                fillCounts(page, r);
                return ANSWERED;
            }
            if (pos >= 0)
            {
                pos = updateInPlace(page, pos, e, nowMs);
            }
            else
            {
                if (store.peers >= maxPeers)
                {
                    counters.rejectedFull.incrementRelease();
                    r.status = Status.TRACKER_FULL;
                    fillCounts(page, r);
                    return DONE;
                }
                final int count = Page.count(page);
                if (count == Page.CAPACITY)
                {
                    return PROMOTE;
                }
                final byte[] value = writes.value(count + 1);
                page.getBytes(0, value, 0, page.capacity());
                Arrays.fill(value, Page.record(count), value.length, (byte)0);
                scratch.wrap(value);
                pos = writer.write(scratch, count, e, nowMs, true, swaps);
                if (writer.completedNow())
                {
                    Page.downloaded(scratch, Page.downloaded(scratch) + 1);
                    counters.downloadsCompleted.incrementRelease();
                }
                access.replace(value);
                store.peers++;
                counters.peersAdded.incrementRelease();
            }
            pageCache.put(e.infoHash, 0, page);
            return select(page, e, r, pos);
        }
    }

    /** Returned by {@link #reannounceInPlace} when the announce needs the map itself. */
    private static final int MISSED = -1;

    /**
     * A known peer re-announcing to a one-page swarm whose page {@link #pageCache} knew ({@link #page} wraps it):
     * read and written in place, no query context. Anything else (a new peer, a swarm that has grown to several
     * pages) is {@link #MISSED} and takes the map's path.
     */
    private int reannounceInPlace(final UnsafeBuffer page, final RequestEvent e, final ResponseEvent r,
        final long nowMs)
    {
        if (Page.pages(page) > 1)
        {
            return MISSED;
        }
        final int pos = Page.find(page, e.peerIdView, e.left == 0);
        if (pos < 0)
        {
            return MISSED;
        }
        if (!writer.isSameClient(page, pos, e))
        {
            return conflict(r);
        }
        return select(page, e, r, updateInPlace(page, pos, e, nowMs));
    }

    private int conflict(final ResponseEvent r)
    {
        counters.rejectedPeerIdConflict.incrementRelease();
        r.status = Status.PEER_ID_CONFLICT;
        return DONE;
    }

    /** Applies a known peer's announce to its record of {@link #page}; returns the record's position after. */
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

    /** The answer from a one-page swarm ({@link #page}): its peers for the announcer at {@code pos}, and counts. */
    private int select(final UnsafeBuffer page, final RequestEvent e, final ResponseEvent r, final int pos)
    {
        final boolean seeder = (Page.flags(page, pos) & Page.SEEDER) != 0;
        selection.read(page, seeder, pos, selection.start(e, r));
        selection.finish();
        fillCounts(page, r);
        return ANSWERED;
    }

    /**
     * Removes the record at {@code pos} from a one-page swarm ({@link #page} wraps it), or the swarm with its last
     * peer. Returns true when the swarm is gone.
     */
    private boolean removeFromSinglePage(final PageAccess access, final int pos)
    {
        final UnsafeBuffer page = access.page();
        final int flags = Page.flags(page, pos);
        copyExpired(page, pos);
        countPeer(flags, -1);
        store.peers--;
        final int count = Page.count(page);
        if (count == 1)
        {
            access.remove();
            store.torrents--;
            counters.torrentsRemoved.incrementRelease();
            return true;
        }
        Page.moveToEnd(page, pos, tmp, swaps);
        access.cut(page, count - 1);
        return false;
    }

    /** The swarm outgrew its one page: index it; its next peer opens page 1. */
    private BigSwarm promote(final byte[] infoHash)
    {
        final BigSwarm big = readBigSwarm(infoHash, false);
        bigSwarms.put(big.key, big);
        return big;
    }

    /** An announce to a swarm of several pages: one lock per page touched, never two at once. */
    private int announceBig(final BigSwarm big, final RequestEvent e, final ResponseEvent r)
    {
        final long nowMs = clock.time();
        final long fingerprint = PeerHash.fingerprint(e.peerIdView, 0, seed);
        int location = big.find(fingerprint);
        int ownPage = -1;
        int ownPos = -1;
        boolean seeder = e.left == 0;
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
                removeBig(big, fingerprint);
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
            if (store.peers >= maxPeers)
            {
                counters.rejectedFull.incrementRelease();
                r.status = Status.TRACKER_FULL;
                fillCounts(big, r);
                return DONE;
            }
            location = addBig(big, e, nowMs, fingerprint);
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

    /** Adds a new peer to the last page of a big swarm, or to a new page when that one is full. */
    private int addBig(final BigSwarm big, final RequestEvent e, final long nowMs, final long fingerprint)
    {
        final int last = big.pages - 1;
        int location = -1;
        try (PageAccess access = pages.update(big.key.bytes, 0, last))
        {
            if (access.exists())
            {
                final UnsafeBuffer page = access.page();
                final int count = Page.count(page);
                if (count < Page.CAPACITY)
                {
                    final byte[] value = writes.value(count + 1);
                    page.getBytes(0, value, 0, page.capacity());
                    Arrays.fill(value, Page.record(count), value.length, (byte)0);
                    scratch.wrap(value);
                    final int pos = writer.write(scratch, count, e, nowMs, true, swaps.follow(big, last));
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
                final byte[] value = writes.value(1);
                Arrays.fill(value, (byte)0);
                scratch.wrap(value);
                final int pos = writer.write(scratch, 0, e, nowMs, true, swaps);
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
        store.peers++;
        counters.peersAdded.incrementRelease();
        return location;
    }

    /**
     * Removes a peer from a big swarm and keeps its pages dense: the hole is filled with the last record of the
     * last page, which is dropped when it empties. A swarm back to one page loses its index; an empty one is gone.
     */
    private void removeBig(final BigSwarm big, final long fingerprint)
    {
        final int location = big.find(fingerprint);
        if (location < 0)
        {
            return;
        }
        final int p = BigSwarm.page(location);
        final int last = big.pages - 1;
        big.remove(fingerprint);
        try (PageAccess access = pages.update(big.key.bytes, 0, p))
        {
            if (!access.exists())
            {
                return;
            }
            final UnsafeBuffer page = access.page();
            final int pos = BigSwarm.position(location);
            final int flags = Page.flags(page, pos);
            copyExpired(page, pos);
            countPeer(flags, -1);
            if ((flags & Page.SEEDER) != 0)
            {
                big.seeders--;
            }
            else
            {
                big.leechers--;
            }
            store.peers--;
            Page.moveToEnd(page, pos, tmp, swaps.follow(big, p));
            swaps.unfollow();
            final int count = Page.count(page) - 1;
            if (count == 0 && p == last && p > 0)
            {
                access.remove();
                big.pages--;
            }
            else
            {
                access.cut(page, count);
            }
        }
        if (p != last)
        {
            fillHole(big, p, last);
        }
        if (big.size() == 0)
        {
            pages.remove(big.key.bytes, 0, 0);
            bigSwarms.remove(big.key);
            store.torrents--;
            counters.torrentsRemoved.incrementRelease();
            return;
        }
        writeHeader(big);
        if (big.pages == 1)
        {
            bigSwarms.remove(big.key);
        }
    }

    /** Moves the last record of page {@code last} into page {@code p}. */
    private void fillHole(final BigSwarm big, final int p, final int last)
    {
        boolean took = false;
        try (PageAccess access = pages.update(big.key.bytes, 0, last))
        {
            if (access.exists())
            {
                final UnsafeBuffer page = access.page();
                final int count = Page.count(page);
                if (count > 0)
                {
                    Page.moveToEnd(page, count - 1, tmp, swaps.follow(big, last));
                    swaps.unfollow();
                    page.getBytes(Page.record(count - 1), moved, 0, Page.RECORD);
                    if (count == 1)
                    {
                        access.remove();
                        big.pages--;
                    }
                    else
                    {
                        access.cut(page, count - 1);
                    }
                    took = true;
                }
            }
        }
        if (!took)
        {
            return;
        }
        try (PageAccess access = pages.update(big.key.bytes, 0, p))
        {
            final UnsafeBuffer page;
            final int count;
            if (!access.exists())
            {
                count = 0;
                page = emptyPage;
                Arrays.fill(writes.value(0), (byte)0);
            }
            else
            {
                page = access.page();
                count = Page.count(page);
            }
            final byte[] value = writes.value(count + 1);
            page.getBytes(0, value, 0, Page.length(count));
            System.arraycopy(moved, 0, value, Page.record(count), Page.RECORD);
            scratch.wrap(value);
            final int pos = Page.moveTo(scratch, count, Page.bucketFor(Page.flags(scratch, count)), tmp,
                swaps.follow(big, p));
            swaps.unfollow();
            big.put(PeerHash.fingerprint(scratch, Page.record(pos) + Page.PEER_ID, seed), BigSwarm.location(p, pos));
            if (!access.exists())
            {
                access.insert(value);
            }
            else
            {
                access.replace(value);
            }
        }
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

    private static void fillCounts(final UnsafeBuffer page0, final ResponseEvent r)
    {
        r.complete = Page.seeders(page0);
        r.incomplete = Page.leechers(page0);
        r.downloaded = Page.downloaded(page0);
    }

    private static void fillCounts(final BigSwarm big, final ResponseEvent r)
    {
        r.complete = big.seeders;
        r.incomplete = big.leechers;
        r.downloaded = big.downloaded;
    }

    /** Peer id (0..20) and address (20..36) of the last peer removed, for the accounting record. */
    private final byte[] expiredPeer = new byte[PeerRecord.IDENTITY_LENGTH];
    private final PeerRecord record = new PeerRecord();

    private void copyExpired(final UnsafeBuffer buffer, final int pos)
    {
        record.wrap(buffer, pos).copyIdentity(expiredPeer);
    }

    private void processScrape(final RequestEvent e, final ResponseEvent r)
    {
        final int n = Math.min(e.scrapeCount, r.scrapeComplete.length);
        for (int i = 0; i < n; i++)
        {
            final int offset = i * RequestEvent.HASH_LENGTH;
            System.arraycopy(e.scrapeHashes, offset, r.scrapeHashes, offset, RequestEvent.HASH_LENGTH);
            r.scrapeComplete[i] = 0;
            r.scrapeIncomplete[i] = 0;
            r.scrapeDownloaded[i] = 0;
            BigSwarm big = bigSwarm(e.scrapeHashes, offset);
            if (big == null)
            {
                boolean unindexed = false;
                try (PageAccess access = pages.read(e.scrapeHashes, offset, 0))
                {
                    if (access.exists())
                    {
                        final UnsafeBuffer page0 = access.page();
                        unindexed = Page.pages(page0) > 1;
                        r.scrapeComplete[i] = Page.seeders(page0);
                        r.scrapeIncomplete[i] = Page.leechers(page0);
                        r.scrapeDownloaded[i] = Page.downloaded(page0);
                    }
                }
                if (unindexed)
                {
                    // A swarm of several pages not touched since a clean restart: its counts are the index's.
                    big = indexBigSwarm(e.scrapeHashes, offset);
                }
            }
            if (big != null)
            {
                r.scrapeComplete[i] = big.seeders;
                r.scrapeIncomplete[i] = big.leechers;
                r.scrapeDownloaded[i] = big.downloaded;
            }
            r.scrapeDownloaded[i] = accounting.downloaded(e.scrapeHashes, offset, r.scrapeDownloaded[i]);
        }
        r.scrapeCount = n;
    }

    /**
     * Checks a slice of the map for peers past their lifetime: whole segments of it until the slice has seen
     * its share of swarms, sized so the whole map is swept once per {@code engine.expiry_sweep_seconds}.
     */
    private void expirySlice()
    {
        final long nowMs = clock.time();
        deadlineMs = nowMs - peerLifetimeMs;
        final long share = Math.max(16, (store.torrents * tickMs + sweepMs - 1) / sweepMs);
        ChronicleMap<byte[], byte[]> shardMap = store.shard(sweepShard);
        int segments = shardMap.segments();
        final int total = segments * SwarmStore.SHARDS;
        visited = 0;
        for (int done = 0; done < total && visited < share; done++)
        {
            pendingBigCount = 0;
            // Between two entries the segment stays locked: the next start must know which shard to recover.
            inFlight.shard(sweepShard);
            try (MapSegmentContext<byte[], byte[], ?> c = shardMap.segmentContext(sweepSegment))
            {
                c.forEachSegmentEntry(sweeper);
            }
            for (int i = 0; i < pendingBigCount; i++)
            {
                BigSwarm big = bigSwarms.get(hashProbe.set(pendingBig[i], 0, seed));
                if (big == null)
                {
                    big = indexBigSwarm(pendingBig[i], 0);
                }
                if (big != null)
                {
                    sweepBig(big);
                }
            }
            counts.flush(sweepShard); // before another shard is recorded in the in-flight file
            if (++sweepSegment == segments)
            {
                sweepSegment = 0;
                if (++sweepShard == SwarmStore.SHARDS)
                {
                    sweepShard = 0;
                    topSwarms.publish(nowMs);
                }
                shardMap = store.shard(sweepShard);
                segments = shardMap.segments();
            }
        }
        counts.publishGauges();
    }

    /** One map entry of the sweep (or of the start-up load): a one-page swarm is checked here and now. */
    private void sweepEntry(final MapEntry<byte[], byte[]> entry)
    {
        final Data<byte[]> k = entry.key();
        view.wrap(k.bytes().addressForRead(k.offset()), SwarmStore.KEY_LENGTH);
        final int pageNo = view.getShort(20, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (pageNo != 0)
        {
            if (loading)
            {
                final byte[] pageKey = new byte[SwarmStore.KEY_LENGTH];
                view.getBytes(0, pageKey);
                loadExtraPages.add(pageKey);
            }
            return;
        }
        view.getBytes(0, sweptHash, 0, 20);
        inFlight.swarm(sweptHash, 0);
        MapWrites.wrap(page, entry);
        visited++;
        if (Page.pages(page) > 1)
        {
            if (loading)
            {
                loadBig.add(sweptHash.clone());
            }
            else if (pendingBigCount < PENDING_BIG)
            {
                System.arraycopy(sweptHash, 0, pendingBig[pendingBigCount++], 0, 20);
            }
            return;
        }
        final int count = sweepSinglePage(entry);
        if (loading)
        {
            if (count > 0)
            {
                store.torrents++;
                store.peers += count;
                MapWrites.wrap(page, entry);
                for (int pos = 0; pos < count; pos++)
                {
                    counts.population(Page.flags(page, pos), 1);
                }
            }
        }
        else if (count > 0)
        {
            MapWrites.wrap(page, entry);
            topSwarms.offer(sweptHash, Page.seeders(page), Page.leechers(page), Page.downloaded(page));
        }
    }

    private boolean alive(final UnsafeBuffer buffer, final int at, final int seenOffset)
    {
        return (buffer.getInt(at + seenOffset) & 0xFFFF_FFFFL) * 1000 >= deadlineMs;
    }

    /**
     * Drops the expired peers of a one-page swarm ({@link #page} wraps it) and the addresses that expired of its
     * dual-stacked peers; returns the peers left (0: the swarm is gone).
     */
    private int sweepSinglePage(final MapEntry<byte[], byte[]> entry)
    {
        final int count = Page.count(page);
        boolean stale = false;
        for (int pos = 0; pos < count && !stale; pos++)
        {
            stale = expiredFamilies(page, pos) != 0;
        }
        if (!stale)
        {
            return count;
        }
        page.getBytes(0, work, 0, page.capacity());
        scratch.wrap(work, 0, Page.length(count));
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
                copyExpired(scratch, pos);
                countPeer(flags, -1);
                Page.moveToEnd(scratch, pos, tmp, swaps);
                n--;
                scratch.wrap(work, 0, Page.length(n));
                counters.peersExpired.incrementRelease();
                if (!loading)
                {
                    store.peers--;
                    {
                        accounting.expired(sweptHash, expiredPeer, 0, 20, Page.seeders(scratch), Page.leechers(scratch),
                            clock.time());
                    }
                }
            }
            else if (dropFamilies(scratch, pos, dead, swaps) != pos)
            {
                pos++; // another record moved into this position: check it too
            }
        }
        if (n == 0)
        {
            writes.remove(entry);
            if (!loading)
            {
                store.torrents--;
                counters.torrentsRemoved.incrementRelease();
            }
            return 0;
        }
        writes.cut(entry, scratch, n);
        return n;
    }

    /** The address families of the record at {@code pos} whose last announce is past the peer lifetime. */
    private int expiredFamilies(final UnsafeBuffer buffer, final int pos)
    {
        final int at = Page.record(pos);
        final int flags = Page.flags(buffer, pos);
        int dead = 0;
        if ((flags & Page.HAS_V4) != 0 && !alive(buffer, at, Page.V4_SEEN))
        {
            dead |= Page.HAS_V4;
        }
        if ((flags & Page.HAS_V6) != 0 && !alive(buffer, at, Page.V6_SEEN))
        {
            dead |= Page.HAS_V6;
        }
        return dead;
    }

    /** A dual-stacked peer lives on through the address that did not expire; returns its new position. */
    private int dropFamilies(final UnsafeBuffer buffer, final int pos, final int dead, final Page.SwapListener listener)
    {
        final int flags = Page.flags(buffer, pos);
        countPeer(flags, -1);
        int kept = flags & ~dead;
        if ((kept & Page.HAS_V6) == 0)
        {
            kept &= ~Page.PRIMARY_V6;
        }
        else if ((kept & Page.HAS_V4) == 0)
        {
            kept |= Page.PRIMARY_V6;
        }
        Page.flags(buffer, pos, kept);
        countPeer(kept, 1);
        return Page.moveTo(buffer, pos, Page.bucketFor(kept), tmp, listener);
    }

    /** Sweeps every page of a big swarm, last page first (holes are filled from the last page). */
    private void sweepBig(final BigSwarm big)
    {
        System.arraycopy(big.key.bytes, 0, sweptHash, 0, 20);
        for (int p = big.pages - 1; p >= 0; p--)
        {
            if (p >= big.pages)
            {
                continue;
            }
            int dead = 0;
            try (PageAccess access = pages.update(big.key.bytes, 0, p))
            {
                if (!access.exists())
                {
                    continue;
                }
                final UnsafeBuffer page = access.page();
                swaps.follow(big, p);
                for (int pos = Page.count(page) - 1; pos >= 0; pos--)
                {
                    final int families = expiredFamilies(page, pos);
                    if (families == 0)
                    {
                        continue;
                    }
                    if ((Page.flags(page, pos) & (Page.HAS_V4 | Page.HAS_V6) & ~families) == 0)
                    {
                        deadFingerprints[dead++] = record.wrap(page, pos).fingerprint(seed);
                    }
                    else if (dropFamilies(page, pos, families, swaps) != pos)
                    {
                        pos++;
                    }
                }
                swaps.unfollow();
            }
            for (int i = 0; i < dead; i++)
            {
                removeBig(big, deadFingerprints[i]);
                counters.peersExpired.incrementRelease();
                if (!loading)
                {
                    accounting.expired(sweptHash, expiredPeer, 0, 20, big.seeders, big.leechers, clock.time());
                }
                if (big.size() == 0)
                {
                    return;
                }
            }
        }
        if (big.size() > 0)
        {
            topSwarms.offer(big.key.bytes, big.seeders, big.leechers, big.downloaded);
        }
    }

    /** The largest swarms, for the operator's /stats page; computed along the expiry sweep, never by a scan. */
    public record TopSwarm(String infoHashHex, int seeders, int leechers, long downloaded)
    {
    }


    /** Any thread: the largest swarms as of the last completed sweep. */
    public List<TopSwarm> topSwarms()
    {
        return topSwarms.list();
    }

    /** Counts a peer in (or out of) the population gauges: by kind and by the family it is counted under. */
    private void countPeer(final int flags, final int delta)
    {
        if (loading)
        {
            return; // the start-up scan counts what is left afterwards
        }
        counts.population(flags, delta);
    }

}
