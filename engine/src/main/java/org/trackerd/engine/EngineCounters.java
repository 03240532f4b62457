package org.trackerd.engine;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The swarm processor's counters and gauges, allocated in the shared {@link CountersManager} (Aeron-style:
 * one writer each, readers anywhere). Written only by the swarm processor thread.
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
    public final AtomicCounter torrents;
    public final AtomicCounter seeders;
    public final AtomicCounter leechers;

    public EngineCounters(final CountersManager manager)
    {
        announces = manager.newCounter("engine_announces");
        scrapes = manager.newCounter("engine_scrapes");
        peersAdded = manager.newCounter("engine_peers_added");
        peersStopped = manager.newCounter("engine_peers_stopped");
        peersExpired = manager.newCounter("engine_peers_expired");
        torrentsCreated = manager.newCounter("engine_torrents_created");
        torrentsRemoved = manager.newCounter("engine_torrents_removed");
        downloadsCompleted = manager.newCounter("engine_downloads_completed");
        rejectedFull = manager.newCounter("engine_rejected_full");
        rejectedPeerIdConflict = manager.newCounter("engine_rejected_peer_id_conflict");
        torrents = manager.newCounter("engine_torrents");
        seeders = manager.newCounter("engine_seeders");
        leechers = manager.newCounter("engine_leechers");
    }
}
