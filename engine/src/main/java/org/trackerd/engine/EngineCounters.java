package org.trackerd.engine;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The swarm processor's counters and gauges, allocated in the shared {@link CountersManager} (Aeron-style:
 * one writer each, readers anywhere). Written only by the swarm processor agent's thread.
 */
public final class EngineCounters
{
    public final AtomicCounter announces;
    public final AtomicCounter scrapes;
    public final AtomicCounter peersAdded;
    public final AtomicCounter peersStopped;
    public final AtomicCounter peersExpired;
    public final AtomicCounter torrentsCreated;
    public final AtomicCounter torrentsRemoved;
    public final AtomicCounter downloadsCompleted;
    public final AtomicCounter rejectedFull;
    public final AtomicCounter rejectedPeerIdConflict;
    /** Requests skipped because their frontend's response ring was full (that frontend stopped draining it). */
    public final AtomicCounter responsesDropped;
    /**
     * Requests and ticks whose processing threw (a bug), in every threading mode: counted by the processor agent,
     * which answers the request with an error and goes on (also in {@code agent_errors{agent="swarm-processor"}}).
     */
    public final AtomicCounter processorErrors;
    public final AtomicCounter torrents;
    public final AtomicCounter seedersIpv4;
    public final AtomicCounter seedersIpv6;
    public final AtomicCounter leechersIpv4;
    public final AtomicCounter leechersIpv6;
    /** The store's byte budget, and the estimate of the bytes its entries use (see the store's sizing). */
    public final AtomicCounter storeBudgetBytes;
    public final AtomicCounter storeUsedBytes;
    /** Tiers a segment of the most grown shard chains on average (1: no growth past the first tier). */
    public final AtomicCounter storeTierDepth;
    /** Retained torrents (no peers, kept for their downloaded count) evicted to make room at the byte budget. */
    public final AtomicCounter retainedEvicted;
    /** WebTorrent's WebRTC peer sets. */
    public final WebRtcCounters webRtc;

    public EngineCounters(final CountersManager manager)
    {
        announces = Counters.counter(manager, "engine_announces", "");
        scrapes = Counters.counter(manager, "engine_scrapes", "");
        peersAdded = Counters.counter(manager, "engine_peers_added", "");
        peersStopped = Counters.counter(manager, "engine_peers_stopped", "");
        peersExpired = Counters.counter(manager, "engine_peers_expired", "");
        torrentsCreated = Counters.counter(manager, "engine_torrents_created", "");
        torrentsRemoved = Counters.counter(manager, "engine_torrents_removed", "");
        downloadsCompleted = Counters.counter(manager, "engine_downloads_completed", "");
        rejectedFull = Counters.counter(manager, "engine_rejected_full", "");
        rejectedPeerIdConflict = Counters.counter(manager, "engine_rejected_peer_id_conflict", "");
        responsesDropped = Counters.counter(manager, "engine_responses_dropped", "");
        processorErrors = Counters.counter(manager, "engine_processor_errors", "");
        torrents = Counters.gauge(manager, "torrents", "");
        seedersIpv4 = Counters.gauge(manager, "seeders", "family=\"ipv4\"");
        seedersIpv6 = Counters.gauge(manager, "seeders", "family=\"ipv6\"");
        leechersIpv4 = Counters.gauge(manager, "leechers", "family=\"ipv4\"");
        leechersIpv6 = Counters.gauge(manager, "leechers", "family=\"ipv6\"");
        storeBudgetBytes = Counters.gauge(manager, "store_budget_bytes", "");
        storeUsedBytes = Counters.gauge(manager, "store_used_bytes", "");
        storeTierDepth = Counters.gauge(manager, "store_tier_depth", "");
        retainedEvicted = Counters.counter(manager, "engine_retained_evicted", "");
        webRtc = new WebRtcCounters(manager);
    }
}
