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
    private final SplittableRandom random;

    private final int intervalSeconds;
    private final int minIntervalSeconds;
    private final long peerLifetimeMs;
    private final int defaultNumWant;
    private final int maxNumWant;
    private final int maxTorrents;
    private final int maxPeers;
    private final long tickMs;
    private final long sweepMs;
    private final boolean bothFamilies;
    /** Preferred-subnet prefix over the 16-byte form (IPv4 as 96 + bits); 0 = off for that family. */
    private final int preferredBitsIpv4;
    private final int preferredBitsIpv6;

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
    /** The counts the in-flight file's per-shard counts add up to, and a scratch for the change since. */
    private long countedTorrents;
    private long countedPeers;
    private final long[] countedPopulation = new long[4];
    private final long[] countDelta = new long[4];
    private int sweepSegment;
    private long visited;
    private long deadlineMs;
    private boolean loading;
    private final byte[][] pendingBig = new byte[PENDING_BIG][20];
    private int pendingBigCount;
    private final List<byte[]> loadBig = new ArrayList<>();
    private final List<byte[]> loadExtraPages = new ArrayList<>();
    private final long[] deadFingerprints = new long[Page.CAPACITY];

    /** The requester's address family while peers are copied: 0 IPv4, 1 IPv6. */
    private int currentFamily;
    private boolean currentWantsPeerIds;
    private ResponseEvent current;
    /** The current answer's views (its ring slot's, made once with the slot: no wrap per announce). */
    private UnsafeBuffer responseAddresses;
    /** The current answer's compact peers of each family, when it wants peers in compact form only. */
    private UnsafeBuffer compact4;
    private UnsafeBuffer compact6;
    private boolean currentCompact;
    /** Preferred-subnet selection gathers a bounded window of candidates here first: address (16), port (2), id (20). */
    private static final int CANDIDATE = 38;
    private boolean gathering;
    private final UnsafeBuffer candidates;
    private int candidateCount;
    private final boolean[] taken;
    private final int probeSize;
    private int fromA;
    private int toA;
    private int fromB;
    private int toB;
    private boolean completedNow;

    /** Private mode's accounting, or null (public mode). */
    private org.trackerd.engine.site.DeltaRecorder deltas;
    /** Peers by kind and family, indexed by {@link #population}: leechers v4, leechers v6, seeders v4, seeders v6. */
    private final long[] population;

    public SwarmProcessor(final TrackerConfig config, final SwarmStore store, final ResponseQueue[] queues,
        final EngineCounters counters, final long seed)
    {
        this(config, store, queues, counters, seed, SystemEpochClock.INSTANCE, SystemNanoClock.INSTANCE);
    }

    /**
     * @param epochClock the wall clock: announce times, peer expiry (tests pass one they advance)
     * @param nanoClock  for the start-up scan's duration in the log
     */
    public SwarmProcessor(final TrackerConfig config, final SwarmStore store, final ResponseQueue[] queues,
        final EngineCounters counters, final long seed, final EpochClock epochClock, final NanoClock nanoClock)
    {
        this.epochClock = epochClock;
        this.nanoClock = nanoClock;
        this.store = store;
        this.inFlight = store.inFlight;
        this.writes = new MapWrites(inFlight, pageCache);
        this.pages = new PageAccess(store, writes);
        this.swaps = new SwapJournal(inFlight, pages, seed);
        this.emptyPage = new UnsafeBuffer(writes.value(0));
        this.population = store.population;
        this.queues = queues;
        this.counters = counters;
        this.seed = seed;
        this.random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        this.intervalSeconds = config.tracker.announceIntervalSeconds;
        this.minIntervalSeconds = config.tracker.minAnnounceIntervalSeconds;
        this.peerLifetimeMs = config.tracker.peerLifetimeSeconds * 1000L;
        this.defaultNumWant = config.tracker.defaultNumWant;
        this.maxNumWant = config.tracker.maxNumWant;
        this.maxTorrents = config.storage.maxTorrents;
        this.maxPeers = config.storage.maxPeers;
        this.tickMs = config.engine.expiryTickMs;
        this.sweepMs = config.engine.expirySweepSeconds * 1000L;
        this.bothFamilies = TrackerConfig.Tracker.PEER_FAMILY_BOTH.equals(config.tracker.peerFamily);
        this.preferredBitsIpv4 = config.tracker.preferredIpv4Prefix == 0 ? 0 : 96 + config.tracker.preferredIpv4Prefix;
        this.preferredBitsIpv6 = config.tracker.preferredIpv6Prefix;
        this.probeSize = probeSize(config.tracker.maxNumWant);
        this.candidates = new UnsafeBuffer(new byte[probeSize * CANDIDATE]);
        this.taken = new boolean[probeSize];
        clock.update(epochClock.time());
        markCounted();
    }

    /** Private mode: records each accepted announce's accounting deltas; call before the thread starts. */
    public void deltaRecorder(final org.trackerd.engine.site.DeltaRecorder recorder)
    {
        this.deltas = recorder;
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
            publishGauges();
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
        markCounted();
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
                flushCounts(shard);
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
            flushCounts(SwarmStore.shard(big.key.bytes, 0));
        }
        publishGauges();
        store.torn = null;
        if (scanned == SwarmStore.SHARDS)
        {
            inFlight.shardCountsValid(true);
        }
        inFlight.idle(store.torrents, store.peers, population);
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
                    big.put(fingerprint(page, pos), BigSwarm.location(p, pos));
                    if (count)
                    {
                        tally(Page.flags(page, pos), 1);
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
        return population[2] + population[3];
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
            flushCounts(pages.shard());
            inFlight.idle(store.torrents, store.peers, population);
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
            current = null;
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
        completedNow = false;
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
        if (deltas != null)
        {
            // Private mode reports the site's snatch count (torrents.Snatched), which outlives the swarm.
            r.downloaded = deltas.snatched(e.infoHash, 0);
            if (outcome == ANSWERED)
            {
                deltas.announce(e, r.complete, r.incomplete, completedNow, clock.time());
            }
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
                applyAnnounce(scratch, 0, e, nowMs, true, swaps);
                if (completedNow)
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
            if (pos >= 0 && !sameClient(page, pos, e))
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
                pos = applyAnnounce(scratch, count, e, nowMs, true, swaps);
                if (completedNow)
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
        if (!sameClient(page, pos, e))
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
        final int at = applyAnnounce(page, pos, e, nowMs, false, swaps);
        if (completedNow)
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
        final int want = e.numWant < 0 ? defaultNumWant : Math.min(e.numWant, maxNumWant);
        startSelection(e, r);
        ranges(page, seeder, e);
        window(page, pos, gathering ? Math.max(want, probeSize) : want);
        finishSelection(e, want);
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
                else if (!sameClient(page, pos, e))
                {
                    counters.rejectedPeerIdConflict.incrementRelease();
                    r.status = Status.PEER_ID_CONFLICT;
                    return DONE;
                }
                else if (e.event != RequestEvent.EVENT_STOPPED)
                {
                    final boolean wasSeeder = (Page.flags(page, pos) & Page.SEEDER) != 0;
                    ownPos = applyAnnounce(page, pos, e, nowMs, false, swaps.follow(big, p));
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
            if (completedNow)
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
            if (completedNow)
            {
                big.downloaded++;
                counters.downloadsCompleted.incrementRelease();
                writeHeader(big);
            }
        }

        final int want = e.numWant < 0 ? defaultNumWant : Math.min(e.numWant, maxNumWant);
        startSelection(e, r);
        int remaining = gathering ? Math.max(want, probeSize) : want;
        final int first = random.nextInt(big.pages);
        for (int k = 0; k < big.pages && remaining > 0; k++)
        {
            final int p = (first + k) % big.pages;
            try (PageAccess access = pages.read(big.key.bytes, 0, p))
            {
                if (!access.exists())
                {
                    continue;
                }
                final UnsafeBuffer page = access.page();
                ranges(page, seeder, e);
                remaining -= window(page, p == ownPage ? ownPos : -1, remaining);
            }
        }
        finishSelection(e, want);
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
                    final int pos = applyAnnounce(scratch, count, e, nowMs, true, swaps.follow(big, last));
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
                final int pos = applyAnnounce(scratch, 0, e, nowMs, true, swaps);
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

    private long fingerprint(final UnsafeBuffer buffer, final int pos)
    {
        return PeerHash.fingerprint(buffer, Page.record(pos) + Page.PEER_ID, seed);
    }

    /**
     * Writes an announce into the record at {@code pos} (new: its id too), files it in its bucket and returns
     * its position; sets {@link #completedNow} when it counts a download.
     */
    private int applyAnnounce(final UnsafeBuffer buffer, final int pos, final RequestEvent e, final long nowMs,
        final boolean isNew, final Page.SwapListener listener)
    {
        final int at = Page.record(pos);
        int flags;
        if (isNew)
        {
            buffer.putBytes(at + Page.PEER_ID, e.peerId, 0, RequestEvent.HASH_LENGTH);
            flags = 0;
        }
        else
        {
            flags = Page.flags(buffer, pos);
            countPeer(flags, -1);
        }
        final int nowS = (int)(nowMs / 1000);
        flags = placeAddress(buffer, at, flags, e.address, e.port, nowS);
        if (e.hasAltAddress)
        {
            flags = placeAddress(buffer, at, flags, e.altAddress, e.altPort, nowS);
        }
        buffer.putInt(at + Page.KEY, e.key);
        flags = e.hasKey ? flags | Page.HAS_KEY : flags & ~Page.HAS_KEY;
        completedNow = e.event == RequestEvent.EVENT_COMPLETED && (flags & Page.COMPLETED) == 0;
        if (completedNow)
        {
            flags |= Page.COMPLETED;
        }
        flags = e.left == 0 ? flags | Page.SEEDER : flags & ~Page.SEEDER;
        Page.flags(buffer, pos, flags);
        countPeer(flags, 1);
        return Page.moveTo(buffer, pos, Page.bucketFor(flags), tmp, listener);
    }

    /**
     * Records an address the peer announced from in the fields of its family: a first address, a re-announce or a
     * move within the family, or an address in the other family, which makes it dual-stacked.
     */
    private static int placeAddress(final UnsafeBuffer buffer, final int at, final int flags, final byte[] address,
        final int port, final int nowS)
    {
        int f = flags;
        if (RequestEvent.isIpv4Mapped(address, 0))
        {
            buffer.putBytes(at + Page.V4_ADDRESS, address, 12, 4);
            buffer.putShort(at + Page.V4_PORT, (short)port);
            buffer.putInt(at + Page.V4_SEEN, nowS);
            f |= Page.HAS_V4;
        }
        else
        {
            buffer.putBytes(at + Page.V6_ADDRESS, address, 0, 16);
            buffer.putShort(at + Page.V6_PORT, (short)port);
            buffer.putInt(at + Page.V6_SEEN, nowS);
            if ((flags & (Page.HAS_V4 | Page.HAS_V6)) == 0)
            {
                f |= Page.PRIMARY_V6;
            }
            f |= Page.HAS_V6;
        }
        return f;
    }

    /**
     * The same client re-announcing: from an address it used before (it may change key or port), or from a
     * new address while proving itself with the key it announced before; a new address of the other family
     * with the key makes it dual-stacked. Without a key, a new address is refused even from the other family:
     * peer ids are public (dict responses carry them) and BEP 7 makes the key what recognises one client behind
     * two addresses, so anyone else reusing the peer id can neither take the peer over, attach to it, nor stop it.
     */
    private boolean sameClient(final UnsafeBuffer buffer, final int pos, final RequestEvent e)
    {
        final int at = Page.record(pos);
        final int flags = Page.flags(buffer, pos);
        if (RequestEvent.isIpv4Mapped(e.address, 0))
        {
            if ((flags & Page.HAS_V4) != 0 && buffer.getInt(at + Page.V4_ADDRESS) == e.addressView.getInt(12))
            {
                return true;
            }
        }
        else if ((flags & Page.HAS_V6) != 0 && buffer.getLong(at + Page.V6_ADDRESS) == e.addressView.getLong(0) &&
            buffer.getLong(at + Page.V6_ADDRESS + 8) == e.addressView.getLong(8))
        {
            return true;
        }
        return e.hasKey && (flags & Page.HAS_KEY) != 0 && buffer.getInt(at + Page.KEY) == e.key;
    }

    private void startSelection(final RequestEvent e, final ResponseEvent r)
    {
        current = r;
        responseAddresses = r.peerAddrsView;
        currentCompact = e.compactPeers;
        if (currentCompact)
        {
            compact4 = r.compact4View;
            compact6 = r.compact6View;
        }
        currentFamily = RequestEvent.isIpv4Mapped(e.address, 0) ? 0 : 1;
        currentWantsPeerIds = e.wantPeerIds;
        gathering = (currentFamily == 0 ? preferredBitsIpv4 : preferredBitsIpv6) != 0;
        candidateCount = 0;
    }

    /** Preferred subnet: the gathered candidates in its subnet first, in their random order, then the rest. */
    private void finishSelection(final RequestEvent e, final int want)
    {
        if (!gathering)
        {
            return;
        }
        gathering = false;
        Arrays.fill(taken, 0, candidateCount, false);
        final int bits = currentFamily == 0 ? preferredBitsIpv4 : preferredBitsIpv6;
        final byte[] raw = candidates.byteArray();
        final ResponseEvent r = current;
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < candidateCount && r.peerCount < want; i++)
            {
                final int at = i * CANDIDATE;
                if (taken[i])
                {
                    continue;
                }
                final boolean local = IpAddresses.samePrefix(raw, at, e.address, 0, bits);
                if (local == (pass == 0) && currentCompact)
                {
                    putCompact(candidates, at + 12, at, RequestEvent.isIpv4Mapped(raw, at),
                        candidates.getShort(at + 16) & 0xFFFF);
                    taken[i] = true;
                }
                else if (local == (pass == 0))
                {
                    final int n = r.peerCount++;
                    responseAddresses.putBytes(n * RequestEvent.ADDRESS_LENGTH, candidates, at, 16);
                    r.peerPorts[n] = candidates.getShort(at + 16) & 0xFFFF;
                    if (currentWantsPeerIds)
                    {
                        candidates.getBytes(at + 18, r.peerIds, n * RequestEvent.HASH_LENGTH, RequestEvent.HASH_LENGTH);
                    }
                    taken[i] = true;
                }
            }
        }
    }

    /**
     * The records the requester gets from a page: leechers for a seeder, everyone for a leecher, restricted to
     * those the requester's family can reach unless the policy hands out both families; one or two contiguous
     * bucket ranges.
     */
    private void ranges(final UnsafeBuffer buffer, final boolean seeder, final RequestEvent e)
    {
        final int family = currentFamily;
        fromB = 0;
        toB = 0;
        if (bothFamilies && !e.oneFamily)
        {
            fromA = seeder ? Page.bound(buffer, Page.LEECHERS_V4) : 0;
            toA = Page.count(buffer);
        }
        else if (seeder)
        {
            fromA = Page.bound(buffer, Page.LEECHERS_V4 + family);
            toA = Page.bound(buffer, Page.LEECHERS_V4 + family + 2);
        }
        else
        {
            fromA = Page.bound(buffer, Page.SEEDERS_V4 + family);
            toA = Page.bound(buffer, Page.SEEDERS_V4 + family + 2);
            fromB = Page.bound(buffer, Page.LEECHERS_V4 + family);
            toB = Page.bound(buffer, Page.LEECHERS_V4 + family + 2);
        }
    }

    /**
     * Hands out up to {@code want} records of the current ranges as one window of consecutive records starting
     * at a random position (wrapping), skipping {@code exclude}; all of them when there are no more than
     * {@code want}. Distinct, never the requester, read in memory order; returns how many.
     */
    private int window(final UnsafeBuffer buffer, final int exclude, final int want)
    {
        final int lengthA = Math.max(0, toA - fromA);
        final int available = lengthA + Math.max(0, toB - fromB);
        int eligible = available;
        if (exclude >= 0 && ((exclude >= fromA && exclude < toA) || (exclude >= fromB && exclude < toB)))
        {
            eligible--;
        }
        final int n = Math.min(want, eligible);
        if (n <= 0)
        {
            return 0;
        }
        int i = n == eligible ? 0 : random.nextInt(available);
        int taken = 0;
        while (taken < n)
        {
            final int pos = i < lengthA ? fromA + i : fromB + (i - lengthA);
            if (pos != exclude)
            {
                emit(buffer, pos);
                taken++;
            }
            if (++i == available)
            {
                i = 0;
            }
        }
        return n;
    }

    /** Copies one peer into the answer (or the candidates): its address in the requester's family if it has one. */
    private void emit(final UnsafeBuffer buffer, final int pos)
    {
        if (currentCompact && !gathering)
        {
            emitCompact(buffer, pos);
            return;
        }
        final int at = Page.record(pos);
        final int flags = Page.flags(buffer, pos);
        final boolean v4 = currentFamily == 0 ? (flags & Page.HAS_V4) != 0 : (flags & Page.HAS_V6) == 0;
        final UnsafeBuffer out;
        final int to;
        final int n;
        if (gathering)
        {
            if (candidateCount == probeSize)
            {
                return;
            }
            n = candidateCount++;
            out = candidates;
            to = n * CANDIDATE;
        }
        else
        {
            n = current.peerCount++;
            out = responseAddresses;
            to = n * RequestEvent.ADDRESS_LENGTH;
        }
        final int port;
        if (v4)
        {
            out.putLong(to, 0L);
            out.putShort(to + 8, (short)0);
            out.putShort(to + 10, (short)-1);
            out.putInt(to + 12, buffer.getInt(at + Page.V4_ADDRESS));
            port = buffer.getShort(at + Page.V4_PORT) & 0xFFFF;
        }
        else
        {
            out.putLong(to, buffer.getLong(at + Page.V6_ADDRESS));
            out.putLong(to + 8, buffer.getLong(at + Page.V6_ADDRESS + 8));
            port = buffer.getShort(at + Page.V6_PORT) & 0xFFFF;
        }
        if (gathering)
        {
            out.putShort(to + 16, (short)port);
            buffer.getBytes(at + Page.PEER_ID, candidates.byteArray(), to + 18, RequestEvent.HASH_LENGTH);
        }
        else
        {
            current.peerPorts[n] = port;
            if (currentWantsPeerIds)
            {
                buffer.getBytes(at + Page.PEER_ID, current.peerIds, n * RequestEvent.HASH_LENGTH,
                    RequestEvent.HASH_LENGTH);
            }
        }
    }

    /**
     * {@link #emit} for a compact answer, the path of every UDP announce and of HTTP {@code compact=1}: the record
     * read and the six bytes of an IPv4 peer written without a bounds check per field ({@code pos} is one
     * {@link #window} hands out, inside the page; the answer's room is checked once per peer).
     */
    private void emitCompact(final UnsafeBuffer buffer, final int pos)
    {
        final byte[] page = buffer.byteArray();
        final long at = buffer.addressOffset() + Page.record(pos);
        final int flags = UnsafeApi.getByte(page, at + Page.FLAGS);
        final boolean v4 = currentFamily == 0 ? (flags & Page.HAS_V4) != 0 : (flags & Page.HAS_V6) == 0;
        final ResponseEvent r = current;
        final int to = r.compact4Count * ResponseEvent.COMPACT4;
        if (!v4 || to + ResponseEvent.COMPACT4 > compact4.capacity())
        {
            putCompact(buffer, Page.record(pos) + Page.V4_ADDRESS, Page.record(pos) + Page.V6_ADDRESS, v4,
                buffer.getShort(Page.record(pos) + (v4 ? Page.V4_PORT : Page.V6_PORT)) & 0xFFFF);
            return;
        }
        r.peerCount++;
        r.compact4Count++;
        final byte[] out = compact4.byteArray();
        final long o = compact4.addressOffset() + to;
        UnsafeApi.putInt(out, o, UnsafeApi.getInt(page, at + Page.V4_ADDRESS));
        final short port = UnsafeApi.getShort(page, at + Page.V4_PORT); // native order in the page
        UnsafeApi.putShort(out, o + 4, NATIVE_BIG_ENDIAN ? port : Short.reverseBytes(port));
    }

    private static final boolean NATIVE_BIG_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    /**
     * Appends one peer to the answer in compact form: its IPv4 address (4 bytes at {@code v4At}) or its IPv6
     * address (16 bytes at {@code v6At}) of {@code from}, then the port, in network order.
     */
    private void putCompact(final UnsafeBuffer from, final int v4At, final int v6At, final boolean v4, final int port)
    {
        final ResponseEvent r = current;
        r.peerCount++;
        if (v4)
        {
            final int to = r.compact4Count++ * ResponseEvent.COMPACT4;
            compact4.putInt(to, from.getInt(v4At));
            compact4.putShort(to + 4, (short)port, ByteOrder.BIG_ENDIAN);
        }
        else
        {
            final int to = r.compact6Count++ * ResponseEvent.COMPACT6;
            compact6.putBytes(to, from, v6At, RequestEvent.ADDRESS_LENGTH);
            compact6.putShort(to + RequestEvent.ADDRESS_LENGTH, (short)port, ByteOrder.BIG_ENDIAN);
        }
    }

    /** Members probed per announce when preferring the requester's subnet. */
    static int probeSize(final int maxNumWant)
    {
        return Math.max(256, 4 * maxNumWant);
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
    private final byte[] expiredPeer = new byte[36];

    private void copyExpired(final UnsafeBuffer buffer, final int pos)
    {
        if (deltas == null)
        {
            return;
        }
        final int at = Page.record(pos);
        buffer.getBytes(at + Page.PEER_ID, expiredPeer, 0, 20);
        if ((Page.flags(buffer, pos) & Page.PRIMARY_V6) != 0)
        {
            buffer.getBytes(at + Page.V6_ADDRESS, expiredPeer, 20, 16);
        }
        else
        {
            Arrays.fill(expiredPeer, 20, 30, (byte)0);
            expiredPeer[30] = (byte)0xFF;
            expiredPeer[31] = (byte)0xFF;
            buffer.getBytes(at + Page.V4_ADDRESS, expiredPeer, 32, 4);
        }
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
            if (deltas != null)
            {
                // Private mode reports the site's snatch count (torrents.Snatched), which outlives the swarm.
                r.scrapeDownloaded[i] = deltas.snatched(e.scrapeHashes, offset);
            }
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
            flushCounts(sweepShard); // before another shard is recorded in the in-flight file
            if (++sweepSegment == segments)
            {
                sweepSegment = 0;
                if (++sweepShard == SwarmStore.SHARDS)
                {
                    sweepShard = 0;
                    publishTopSwarms(nowMs);
                }
                shardMap = store.shard(sweepShard);
                segments = shardMap.segments();
            }
        }
        publishGauges();
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
                    tally(Page.flags(page, pos), 1);
                }
            }
        }
        else if (count > 0)
        {
            MapWrites.wrap(page, entry);
            offerTopSwarm(sweptHash, Page.seeders(page), Page.leechers(page), Page.downloaded(page));
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
                    if (deltas != null)
                    {
                        deltas.expired(sweptHash, expiredPeer, 0, 20, Page.seeders(scratch), Page.leechers(scratch),
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
                        deadFingerprints[dead++] = fingerprint(page, pos);
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
                if (deltas != null && !loading)
                {
                    deltas.expired(sweptHash, expiredPeer, 0, 20, big.seeders, big.leechers, clock.time());
                }
                if (big.size() == 0)
                {
                    return;
                }
            }
        }
        if (big.size() > 0)
        {
            offerTopSwarm(big.key.bytes, big.seeders, big.leechers, big.downloaded);
        }
    }

    /** The largest swarms, for the operator's /stats page; computed along the expiry sweep, never by a scan. */
    public record TopSwarm(String infoHashHex, int seeders, int leechers, long downloaded)
    {
    }

    private static final int TOP_SWARMS = 10;
    private final byte[][] topHashes = new byte[TOP_SWARMS][20];
    private final int[] topSeeders = new int[TOP_SWARMS];
    private final int[] topLeechers = new int[TOP_SWARMS];
    private final long[] topDownloaded = new long[TOP_SWARMS];
    private int topCandidateCount;
    private long topPublishedMs;
    private volatile List<TopSwarm> topSwarms = List.of();

    /** Any thread: the largest swarms as of the last completed sweep. */
    public List<TopSwarm> topSwarms()
    {
        return topSwarms;
    }

    private void offerTopSwarm(final byte[] infoHash, final int seeders, final int leechers, final long downloaded)
    {
        int slot = -1;
        int smallest = -1;
        for (int i = 0; i < topCandidateCount; i++)
        {
            if (Arrays.equals(topHashes[i], infoHash))
            {
                slot = i;
                break;
            }
            if (smallest < 0 || topSeeders[i] + topLeechers[i] < topSeeders[smallest] + topLeechers[smallest])
            {
                smallest = i;
            }
        }
        if (slot < 0)
        {
            if (topCandidateCount < TOP_SWARMS)
            {
                slot = topCandidateCount++;
            }
            else if (seeders + leechers > topSeeders[smallest] + topLeechers[smallest])
            {
                slot = smallest;
            }
            else
            {
                return;
            }
        }
        System.arraycopy(infoHash, 0, topHashes[slot], 0, 20);
        topSeeders[slot] = seeders;
        topLeechers[slot] = leechers;
        topDownloaded[slot] = downloaded;
    }

    /** Once a sweep has visited every swarm (and at most once a second), publish what it saw. */
    private void publishTopSwarms(final long nowMs)
    {
        if (nowMs - topPublishedMs < 1000)
        {
            return;
        }
        topPublishedMs = nowMs;
        final ArrayList<TopSwarm> top = new ArrayList<>(topCandidateCount);
        for (int i = 0; i < topCandidateCount; i++)
        {
            top.add(new TopSwarm(org.agrona.BitUtil.toHex(topHashes[i]), topSeeders[i], topLeechers[i],
                topDownloaded[i]));
        }
        topCandidateCount = 0;
        top.sort((a, b) -> Integer.compare(b.seeders() + b.leechers(), a.seeders() + a.leechers()));
        topSwarms = List.copyOf(top);
    }

    /** Counts a peer in (or out of) the population gauges: by kind and by the family it is counted under. */
    private void countPeer(final int flags, final int delta)
    {
        if (loading)
        {
            return; // the start-up scan counts what is left afterwards (tally)
        }
        tally(flags, delta);
    }

    private void tally(final int flags, final int delta)
    {
        population[((flags & Page.SEEDER) != 0 ? 2 : 0) + ((flags & Page.PRIMARY_V6) != 0 ? 1 : 0)] += delta;
    }

    private void publishGauges()
    {
        counters.torrents.setRelease(store.torrents);
        counters.leechersIpv4.setRelease(population[0]);
        counters.leechersIpv6.setRelease(population[1]);
        counters.seedersIpv4.setRelease(population[2]);
        counters.seedersIpv6.setRelease(population[3]);
    }

    /** The counts as of now are those the in-flight file's per-shard counts add up to. */
    private void markCounted()
    {
        countedTorrents = store.torrents;
        countedPeers = store.peers;
        System.arraycopy(population, 0, countedPopulation, 0, 4);
    }

    /** Adds what changed in the counts since the last flush to this shard's counts in the in-flight file. */
    private void flushCounts(final int shard)
    {
        long changed = (store.torrents - countedTorrents) | (store.peers - countedPeers);
        for (int i = 0; i < 4; i++)
        {
            countDelta[i] = population[i] - countedPopulation[i];
            changed |= countDelta[i];
        }
        if (changed == 0)
        {
            return;
        }
        inFlight.addShardCounts(shard, store.torrents - countedTorrents, store.peers - countedPeers, countDelta);
        markCounted();
    }
}
