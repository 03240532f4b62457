package org.trackerd.engine;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The swarm processor's WebTorrent counters (the WebRTC peer sets, offers and answers relayed), in the shared
 * registry as {@code trackerd_webtorrent_*}. Written only by the swarm processor thread.
 */
public final class WebRtcCounters
{
    public final AtomicCounter announces;
    public final AtomicCounter offersRelayed;
    public final AtomicCounter answersRelayed;
    /** Answers to an offer never sent to the answering peer (or timed out, or already answered): dropped. */
    public final AtomicCounter answersUnsolicited;
    public final AtomicCounter peersStopped;
    public final AtomicCounter peersExpired;
    public final AtomicCounter rejectedFull;
    /** WebRTC announces refused: the peer_id is held by a connection from another address. */
    public final AtomicCounter rejectedPeerIdConflict;
    /** WebRTC peers in every torrent's WebRTC set. */
    public final AtomicCounter peers;

    public WebRtcCounters(final CountersManager manager)
    {
        announces = Counters.counter(manager, "webtorrent_engine_announces", "");
        offersRelayed = Counters.counter(manager, "webtorrent_offers_relayed", "");
        answersRelayed = Counters.counter(manager, "webtorrent_answers_relayed", "");
        answersUnsolicited = Counters.counter(manager, "webtorrent_answers_unsolicited", "");
        peersStopped = Counters.counter(manager, "webtorrent_peers_stopped", "");
        peersExpired = Counters.counter(manager, "webtorrent_peers_expired", "");
        rejectedFull = Counters.counter(manager, "webtorrent_rejected_full", "");
        rejectedPeerIdConflict = Counters.counter(manager, "webtorrent_rejected_peer_id_conflict", "");
        peers = Counters.gauge(manager, "webtorrent_peers", "");
    }
}
