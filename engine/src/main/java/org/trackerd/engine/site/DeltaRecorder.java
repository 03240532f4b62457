package org.trackerd.engine.site;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.swarm.SwarmAccounting;

import java.nio.ByteBuffer;

/**
 * Turns private announces into accounting records on the swarm processor thread, without I/O: it looks up what
 * each peer last reported ({@link PeerBaselines}, persisted), computes {@code max(0, new - last)} for uploaded and
 * downloaded, applies the announce's {@link Accounting} (freeleech, neutral leech, token) and hands one fixed-size
 * record to the backend thread through a bounded single-producer ring in a mapped file ({@link DeltaRing}). A
 * full ring is counted ({@link SiteCounters#deltasDropped}), never waited on, and leaves the peer's baseline where
 * it was, so its next announce credits the traffic instead.
 *
 * <p>The record is written before the baseline moves: a kill between the two leaves a record whose totals
 * recovery replays into the baseline ({@link PeerBaselines#replay}), never a moved baseline without its record.
 *
 * <p>As in Ocelot, a peer the tracker has no baseline for, or one announcing {@code started}, sets the baseline:
 * that announce credits nothing.
 *
 * <p>Thread: {@link #announce}, {@link #expired} and {@link #snatched} on the swarm processor thread;
 * {@link #ring()} is read by the backend thread.
 */
public final class DeltaRecorder implements SwarmAccounting
{
    private final OneToOneRingBuffer ring;
    private long sequence;
    private final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(DeltaMessage.LENGTH));
    private final PeerBaselines baselines;
    private final SiteState state;
    private final ByteKey hashProbe = ByteKey.probe(RequestEvent.HASH_LENGTH);
    private final SiteCounters counters;

    /**
     * @param ring      the (memory-mapped) queue to the backend thread, already recovered and reset
     * @param baselines the peers' last reported totals, already replayed
     * @param state     the site, whose torrents' snatch counts the recorder keeps up to date
     */
    public DeltaRecorder(final DeltaRing ring, final PeerBaselines baselines, final SiteState state,
        final SiteCounters counters)
    {
        this.ring = ring.ring();
        this.baselines = baselines;
        this.state = state;
        this.counters = counters;
    }

    /** Numbers the next record {@code next}: above every record the last run left (call before announces). */
    public void startSequence(final long next)
    {
        sequence = next - 1;
    }

    public OneToOneRingBuffer ring()
    {
        return ring;
    }

    /**
     * Records an accepted announce after the swarm took it.
     *
     * @param completed the announce completed the download for the first time for this peer
     */
    @Override
    public void announce(final RequestEvent e, final int seeders, final int leechers, final boolean completed,
        final long nowMs)
    {
        if (e.userId == 0)
        {
            return;
        }
        final boolean stopped = e.event == RequestEvent.EVENT_STOPPED;
        final boolean started = e.event == RequestEvent.EVENT_STARTED;
        final PeerBaselines b = baselines;
        final boolean known = b.find(e.infoHash, 0, e.peerId, 0);
        long up = 0;
        long down = 0;
        if (known && !started)
        {
            up = Math.max(0, e.uploaded - b.uploaded());
            down = Math.max(0, e.downloaded - b.downloaded());
        }
        final byte accounting = e.accounting;
        final UnsafeBuffer m = message;
        m.putInt(DeltaMessage.USER_ID_OFFSET, e.userId);
        m.putInt(DeltaMessage.TORRENT_ID_OFFSET, e.torrentId);
        m.putLong(DeltaMessage.UP_DELTA_OFFSET, (accounting & Accounting.COUNT_UP) != 0 ? up : 0);
        m.putLong(DeltaMessage.DOWN_DELTA_OFFSET, (accounting & Accounting.COUNT_DOWN) != 0 ? down : 0);
        m.putLong(DeltaMessage.TOKEN_DOWN_OFFSET, (accounting & Accounting.TOKEN) != 0 ? down : 0);
        m.putLong(DeltaMessage.UPLOADED_OFFSET, e.uploaded);
        m.putLong(DeltaMessage.DOWNLOADED_OFFSET, e.downloaded);
        m.putLong(DeltaMessage.LEFT_OFFSET, e.left);
        m.putLong(DeltaMessage.TIME_MS_OFFSET, nowMs);
        m.putInt(DeltaMessage.SEEDERS_OFFSET, seeders);
        m.putInt(DeltaMessage.LEECHERS_OFFSET, leechers);
        m.putInt(DeltaMessage.FLAGS_OFFSET, (completed ? DeltaMessage.FLAG_COMPLETED : 0) |
            (stopped ? DeltaMessage.FLAG_INACTIVE : 0));
        m.putBytes(DeltaMessage.PEER_ID_OFFSET, e.peerId, 0, RequestEvent.HASH_LENGTH);
        m.putBytes(DeltaMessage.ADDRESS_OFFSET, e.address, 0, RequestEvent.ADDRESS_LENGTH);
        m.putBytes(DeltaMessage.INFO_HASH_OFFSET, e.infoHash, 0, RequestEvent.HASH_LENGTH);
        final boolean queued = publish();
        if (completed)
        {
            final SiteState.Torrent torrent = state.torrent(hashProbe.set(e.infoHash, 0));
            if (torrent != null)
            {
                torrent.snatch();
            }
        }
        if (stopped)
        {
            if (known)
            {
                b.remove();
            }
        }
        else if (queued || !known || started)
        {
            b.put(e.userId, e.torrentId, e.uploaded, e.downloaded);
        }
    }

    /** A peer left by expiry: its row goes inactive and the torrent's counts are refreshed. */
    @Override
    public void expired(final byte[] infoHash, final byte[] slots, final int peerIdOffset, final int addressOffset,
        final int seeders, final int leechers, final long nowMs)
    {
        final PeerBaselines b = baselines;
        if (!b.find(infoHash, 0, slots, peerIdOffset))
        {
            return;
        }
        final UnsafeBuffer m = message;
        m.setMemory(0, DeltaMessage.LENGTH, (byte)0);
        m.putInt(DeltaMessage.USER_ID_OFFSET, b.userId());
        m.putInt(DeltaMessage.TORRENT_ID_OFFSET, b.torrentId());
        m.putLong(DeltaMessage.UPLOADED_OFFSET, b.uploaded());
        m.putLong(DeltaMessage.DOWNLOADED_OFFSET, b.downloaded());
        m.putLong(DeltaMessage.TIME_MS_OFFSET, nowMs);
        m.putInt(DeltaMessage.SEEDERS_OFFSET, seeders);
        m.putInt(DeltaMessage.LEECHERS_OFFSET, leechers);
        m.putInt(DeltaMessage.FLAGS_OFFSET, DeltaMessage.FLAG_INACTIVE);
        m.putBytes(DeltaMessage.PEER_ID_OFFSET, slots, peerIdOffset, RequestEvent.HASH_LENGTH);
        m.putBytes(DeltaMessage.ADDRESS_OFFSET, slots, addressOffset, RequestEvent.ADDRESS_LENGTH);
        m.putBytes(DeltaMessage.INFO_HASH_OFFSET, infoHash, 0, RequestEvent.HASH_LENGTH);
        publish();
        b.remove();
    }

    private boolean publish()
    {
        message.putLong(DeltaMessage.SEQUENCE_OFFSET, ++sequence);
        if (ring.write(DeltaMessage.TYPE_ANNOUNCE, message, 0, DeltaMessage.LENGTH))
        {
            counters.deltasQueued.incrementRelease();
            return true;
        }
        counters.deltasDropped.incrementRelease();
        return false;
    }

    /**
     * The site's snatch count of a torrent ({@code torrents.Snatched} as loaded, plus the snatches recorded since),
     * what a private scrape reports as {@code downloaded}; 0 for a torrent the site does not have.
     * Swarm processor thread (it reuses a probe).
     */
    public long snatched(final byte[] infoHash, final int offset)
    {
        final SiteState.Torrent torrent = state.torrent(hashProbe.set(infoHash, offset));
        return torrent == null ? 0 : torrent.snatched();
    }

    /** Private mode reports the site's snatch count, which outlives the swarm, instead of the swarm's own. */
    @Override
    public long downloaded(final byte[] infoHash, final int offset, final long swarmDownloaded)
    {
        return snatched(infoHash, offset);
    }

    /** Peers whose last report is remembered (a gauge). */
    public long trackedPeers()
    {
        return baselines.size();
    }
}
