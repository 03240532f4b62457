package org.trackerd.engine.swarm;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;
import org.trackerd.engine.EngineCounters;
import org.trackerd.engine.ResponseQueue;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;

import java.util.List;

import static org.trackerd.engine.swarm.AnnounceOutcome.ANSWERED;
import static org.trackerd.engine.swarm.AnnounceOutcome.DONE;
import static org.trackerd.engine.swarm.AnnounceOutcome.INDEX;
import static org.trackerd.engine.swarm.AnnounceOutcome.PROMOTE;

/**
 * The one thread that writes swarm state: takes announces, scrapes and clock ticks off the request ring in
 * sequence, hands each to the part that owns the job and publishes the answer to the response queue of the
 * frontend that asked. It holds no per-request state of its own.
 *
 * <pre>
 * announce ─► OnePageAnnounce ───────────────────────────────────────────┬─► PeerSelection ─► SwarmAccounting
 *                 └─(PROMOTE / INDEX, or a known big swarm)─► BigSwarms ─┘
 * scrape   ─► Scrape
 * tick     ─► ExpirySweep (PageExpiry, BigSwarms, TopSwarms), RetainedEviction near the byte budget
 * start-up ─► StartupScan (once, before the first request); WebRtcSwarms.load (webrtc.dat)
 * every page through PageAccess; every change of a map's structure through MapWrites; every record through
 * PeerRecord / PeerWriter; counts in SwarmCounts, kept in the in-flight file per shard after each event
 * </pre>
 *
 * <p>The map is the index: a swarm of up to {@link Page#MAX_SLOTS} peers is one page (one map entry, found by one
 * hash lookup, its records partitioned by kind and family, see {@link Page}); a bigger one is a run of pages with
 * an in-memory {@link BigSwarm} index of where each peer is. Nothing else is kept per swarm or per peer on the
 * heap, so memory per peer is the page's bytes, and a restart finds the swarms ready without rebuilding them.
 *
 * <p>It is a deterministic state machine of the ring's sequence and the clock (injected, read once per batch): it
 * knows nothing of sockets, HTTP or bencode.
 *
 * <p>Thread: {@link #onBatchStart} and {@link #onEvent}, and everything they call, on the swarm processor thread
 * only. {@link #loadFromStore()} runs on the launcher thread before that thread starts; {@link #topSwarms()} on any
 * thread.
 */
public final class SwarmProcessor implements EventHandler<RequestEvent>
{
    /** The largest swarms, for the operator's /stats page; computed along the expiry sweep, never by a scan. */
    public record TopSwarm(String infoHashHex, int seeders, int leechers, long downloaded)
    {
    }

    private final InFlight inFlight;
    private final ResponseQueue[] queues;
    private final EngineCounters counters;
    private final int intervalSeconds;
    private final int minIntervalSeconds;
    private final SwarmAccounting accounting;
    /** The wall clock, read once per batch into {@link #clock}: every peer of a batch is seen at the same time. */
    private final EpochClock epochClock;
    private final CachedEpochClock clock = new CachedEpochClock();
    /** The processor's thread leaves the msync of a new tier bulk to write-back ({@link TierBulkSync}). */
    private boolean tierSyncDeferred;

    private final PageAccess pages;
    private final SwapJournal swaps;
    private final SwarmCounts counts;
    private final PeerWriter writer;
    private final PeerSelection selection;
    private final TopSwarms topSwarms = new TopSwarms();
    private final OnePageAnnounce onePage;
    private final BigSwarms bigSwarms;
    private final Scrape scrape;
    private final ExpirySweep expirySweep;
    private final StartupScan startupScan;
    /** Forgets retained torrents at the byte budget before a new peer would be refused. */
    private final RetainedEviction eviction;
    /** WebTorrent's WebRTC peers, a set of their own per torrent (see {@link WebRtcSwarms}). */
    private final WebRtcSwarms webRtc;

    /** Public mode, on the system clocks. */
    public SwarmProcessor(final TrackerConfig config, final SwarmStore store, final ResponseQueue[] queues,
        final EngineCounters counters, final long seed)
    {
        this(config, store, queues, counters, seed, SwarmAccounting.NONE, SystemEpochClock.INSTANCE,
            SystemNanoClock.INSTANCE);
    }

    /**
     * @param seed       keys the peer-id fingerprints of big swarms' indexes and seeds peer selection
     * @param accounting private mode's accounting, or {@link SwarmAccounting#NONE}
     * @param epochClock the wall clock: announce times, peer expiry (tests pass one they advance)
     * @param nanoClock  for the start-up scan's duration in the log
     */
    public SwarmProcessor(final TrackerConfig config, final SwarmStore store, final ResponseQueue[] queues,
        final EngineCounters counters, final long seed, final SwarmAccounting accounting, final EpochClock epochClock,
        final NanoClock nanoClock)
    {
        this(config, store, null, queues, counters, seed, accounting, epochClock, nanoClock);
    }

    /**
     * @param webRtcStore the record of the WebRTC peer sets ({@code webrtc.dat}), or null to keep them on the heap
     *                    only
     */
    public SwarmProcessor(final TrackerConfig config, final SwarmStore store, final WebRtcStore webRtcStore,
        final ResponseQueue[] queues, final EngineCounters counters, final long seed, final SwarmAccounting accounting,
        final EpochClock epochClock, final NanoClock nanoClock)
    {
        this.inFlight = store.inFlight;
        this.queues = queues;
        this.counters = counters;
        this.intervalSeconds = config.tracker.announceIntervalSeconds;
        this.minIntervalSeconds = config.tracker.minAnnounceIntervalSeconds;
        this.accounting = accounting;
        this.epochClock = epochClock;
        clock.update(epochClock.time());

        final PageCache pageCache = new PageCache(OnePageAnnounce.PAGE_CACHE_SLOTS);
        final MapWrites writes = new MapWrites(inFlight, pageCache);
        pages = new PageAccess(store, writes, pageCache);
        swaps = new SwapJournal(inFlight, pages, seed);
        counts = new SwarmCounts(store, counters);
        eviction = new RetainedEviction(store, writes, counts, counters);
        writer = new PeerWriter(counts);
        selection = new PeerSelection(config, seed);
        final long retentionSeconds = config.tracker.torrentRetentionSeconds;
        onePage = new OnePageAnnounce(retentionSeconds, pageCache, pages, writes, swaps, writer, selection, counts,
            counters);
        bigSwarms = new BigSwarms(seed, retentionSeconds, pages, writes, swaps, writer,
            selection, counts, counters);
        webRtc = new WebRtcSwarms(config.webtorrent.maxPeersPerTorrent, config.webtorrent.maxTorrents,
            config.webtorrent.maxPeers, config.tracker.peerLifetimeSeconds * 1000L, retentionSeconds * 1000L,
            webRtcStore, accounting, counters.webRtc, seed);
        scrape = new Scrape(pages, bigSwarms, accounting, webRtc, counts);
        final PageExpiry expiry = new PageExpiry(writes, swaps, counters, retentionSeconds);
        expirySweep = new ExpirySweep(store, seed, config.tracker.peerLifetimeSeconds * 1000L,
            config.engine.expiryTickMs, config.engine.expirySweepSeconds * 1000L, pages, expiry, swaps, bigSwarms,
            counts, counters, accounting, topSwarms, clock);
        startupScan = new StartupScan(store, pages, expiry, expirySweep, bigSwarms, counts, counters, clock,
            epochClock, nanoClock);
    }

    /**
     * Counts what the persisted map holds, drops peers whose lifetime ran out while the tracker was down (and
     * torrents left without peers or past their retention), and indexes the swarms bigger than one page: see
     * {@link StartupScan}. Once, before the processor's thread starts.
     */
    public void loadFromStore()
    {
        startupScan.run();
        webRtc.load(clock.time());
    }

    public int torrentCount()
    {
        return (int)counts.torrents();
    }

    public long peerCount()
    {
        return counts.peers();
    }

    public long seederCount()
    {
        return counts.seeders();
    }

    /** Any thread: the largest swarms as of the last completed sweep. */
    public List<TopSwarm> topSwarms()
    {
        return topSwarms.list();
    }

    /** Re-announces answered in place from the page cache, and announces that missed it (tests, benchmarks). */
    long[] pageCacheHitsAndMisses()
    {
        return onePage.pageCacheHitsAndMisses();
    }

    @Override
    public void onBatchStart(final long batchSize, final long queueDepth)
    {
        if (!tierSyncDeferred)
        {
            // The thread that drives this processor is known only now (the launcher built it).
            TierBulkSync.deferOnThisThread();
            tierSyncDeferred = true;
        }
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
                case RequestEvent.KIND_TICK ->
                {
                    expirySweep.slice();
                    eviction.onTick();
                    if (!webRtc.isEmpty())
                    {
                        webRtc.sweep(clock.time());
                    }
                }
                case RequestEvent.KIND_WEBRTC_ANNOUNCE, RequestEvent.KIND_WEBRTC_ANSWER -> answerWebRtc(event);
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
                announce(e, r);
            }
            else
            {
                scrape.answer(e, r);
            }
        }
        catch (final RuntimeException | Error ex)
        {
            // The slot goes out in any case (finally): as an error answer, not a half-filled OK. The agent counts
            // the fault and, seeing this request answered, publishes nothing more for it.
            ring.get(sequence).failed(e, Status.SERVER_ERROR);
            throw ex;
        }
        finally
        {
            selection.release();
            swaps.unfollow();
            ring.publish(sequence);
            queue.dirty = true;
        }
    }

    /**
     * A WebTorrent announce or answer: the WebRTC set changes and the offer (answer) targets go back to the asking
     * frontend, which relays the session descriptions itself. An announce's counts add the torrent's BitTorrent
     * swarm (read as a scrape of it) to its WebRTC set's.
     */
    private void answerWebRtc(final RequestEvent e)
    {
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
            final long nowMs = clock.time();
            if (e.kind == RequestEvent.KIND_WEBRTC_ANSWER)
            {
                webRtc.answer(e, r, nowMs);
                return;
            }
            final boolean applied = webRtc.announce(e, r, nowMs);
            if (r.status == Status.OK)
            {
                final int complete = r.complete;
                final int incomplete = r.incomplete;
                final long downloaded = r.downloaded;
                scrape.bitTorrentCounts(e.infoHash, r, 0);
                r.complete = complete + r.scrapeComplete[0];
                r.incomplete = incomplete + r.scrapeIncomplete[0];
                r.downloaded = downloaded + r.scrapeDownloaded[0];
                r.scrapeCount = 0;
            }
            if (applied)
            {
                // private mode: a WebRTC peer's uploaded / downloaded are the user's as a BitTorrent peer's are
                if (e.event == RequestEvent.EVENT_STOPPED && e.userId == 0)
                {
                    // its connection closed (no passkey was checked for this stop): the row goes inactive with
                    // the totals of its last announce, as at expiry
                    accounting.expired(e.infoHash, webRtc.leftIdentity(), 0, RequestEvent.HASH_LENGTH, r.complete,
                        r.incomplete, nowMs);
                }
                else
                {
                    accounting.announce(e, r.complete, r.incomplete, webRtc.completedNow(), nowMs);
                }
            }
        }
        catch (final RuntimeException | Error ex)
        {
            // As in answer(): an error answer that relays nothing, never a half-filled OK.
            ring.get(sequence).failed(e, Status.SERVER_ERROR);
            throw ex;
        }
        finally
        {
            ring.publish(sequence);
            queue.dirty = true;
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
        catch (final InsufficientCapacityException ex)
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
        r.relayCount = 0;
        return r;
    }

    /**
     * An announce: to its one page, or to its big swarm (one it already is, one its page 0 says it is, or one it
     * becomes as a new peer finds its page full); then the accounting hears of it.
     */
    private void announce(final RequestEvent e, final ResponseEvent r)
    {
        final long nowMs = clock.time();
        eviction.beforeAnnounce();
        writer.reset();
        BigSwarm big = bigSwarms.find(e.infoHash, 0);
        int outcome = DONE;
        if (big == null)
        {
            outcome = onePage.announce(e, r, nowMs);
            if (outcome == INDEX && (big = bigSwarms.index(e.infoHash, 0)) == null)
            {
                outcome = onePage.announce(e, r, nowMs); // page 0 claimed more pages than there were: it is one page
            }
            if (big == null && outcome == PROMOTE)
            {
                big = bigSwarms.promote(e.infoHash);
            }
        }
        if (big != null)
        {
            outcome = bigSwarms.announce(big, e, r, nowMs);
        }
        r.downloaded = accounting.downloaded(e.infoHash, 0, r.downloaded);
        if (!webRtc.isEmpty() && r.status == Status.OK)
        {
            webRtc.addCounts(e.infoHash, r); // counts are the torrent's: both peer sets
        }
        if (outcome == ANSWERED)
        {
            accounting.announce(e, r.complete, r.incomplete, writer.completedNow(), nowMs);
        }
    }
}
