package org.trackerd.engine.swarm;

import org.agrona.collections.Object2ObjectHashMap;
import org.trackerd.engine.WebRtcCounters;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;

import java.util.ArrayList;
import java.util.Arrays;

/**
 * The WebRTC peer sets: per torrent, the browser peers (WebTorrent clients on WebSocket connections), a set of
 * their own because they can reach only each other. A peer's "address" is its connection's handle (the owning
 * frontend's response queue id and the connection's slot and generation), which is what an offer is relayed to.
 *
 * <p>The sets are indexed on the heap and recorded in {@link WebRtcStore} ({@code webrtc.dat}, its own small
 * Chronicle Map): every join, update, leave and completion is written through, so a restart (clean or
 * {@code kill -9}) reloads each torrent's peers and completed count ({@link #load}). A handle means nothing to
 * another process (its connection died with the old one), so a reloaded peer is <em>detached</em> (frontend -1): it
 * counts in announces and scrapes, but is never picked for an offer nor relayed an answer, until it announces again
 * on a new connection (from the address it announced from) or its lifetime runs out.
 *
 * <p>A torrent whose last WebRTC peer left keeps its completed count for {@code tracker.torrent_retention_seconds}
 * (as a BitTorrent swarm does), with its arrays released; it counts against {@code webtorrent.max_torrents}.
 *
 * <p>Each peer remembers the offers relayed to it (offer_id and offering peer, a bounded ring of
 * {@link #PENDING_PER_PEER}, dropped after {@link #OFFER_TIMEOUT_MS} as the npm client gives up on an offer after
 * 50 s), so an answer is relayed only to a peer whose offer was sent to the answering one.
 *
 * <p>Memory is bounded by {@code webtorrent.max_torrents} swarms of {@code webtorrent.max_peers_per_torrent}
 * peers; a swarm's arrays grow by doubling (an allocation only when a swarm grows), peers are found by a scan
 * of the swarm's ids (swarms of browsers are small; the bound keeps the scan bounded).
 *
 * <p>Thread: the swarm processor only.
 */
final class WebRtcSwarms
{
    static final int PENDING_PER_PEER = 16;
    static final long OFFER_TIMEOUT_MS = 50_000;
    /**
     * A re-announce that changes nothing but the peer's time is written to {@link WebRtcStore} at most this often
     * per peer: a client announcing again for more offers costs no map write each time, and after a restart a peer
     * expires at most this much early.
     */
    static final long PERSIST_SEEN_MS = 30_000;
    private static final int ID = RequestEvent.HASH_LENGTH;
    private static final int ADDRESS = RequestEvent.ADDRESS_LENGTH;
    /** Swarms looked at per clock tick by the expiry sweep. */
    private static final int SWEEP_SWARMS_PER_TICK = 256;

    /** One torrent's WebRTC peers, in parallel arrays; the first {@link #count} are live. */
    static final class Swarm
    {
        final Key key;
        /** Where it is in the sweep's list. */
        int listIndex;
        /** When its last peer left (it is kept for its completed count), 0 while it has peers. */
        long leftMs;
        int count;
        int seeders;
        long downloaded;
        byte[] ids;
        int[] frontend;
        long[] handle;
        long[] seenMs;
        /** The last announce time written to {@link WebRtcStore} for each peer (see {@link #PERSIST_SEEN_MS}). */
        long[] persistedMs;
        boolean[] seeder;
        /** The client address each peer announced from (16 bytes): who may move its peer_id to a new connection. */
        byte[] addrs;
        /** Per peer: {@link #PENDING_PER_PEER} slots of (offer_id, offering peer_id), their times, the next slot. */
        byte[] pendingOffer;
        byte[] pendingFrom;
        long[] pendingMs;
        int[] pendingNext;

        Swarm(final Key key, final int capacity)
        {
            this.key = key;
            allocate(capacity);
        }

        private void allocate(final int capacity)
        {
            ids = ids == null ? new byte[capacity * ID] : Arrays.copyOf(ids, capacity * ID);
            frontend = frontend == null ? new int[capacity] : Arrays.copyOf(frontend, capacity);
            handle = handle == null ? new long[capacity] : Arrays.copyOf(handle, capacity);
            seenMs = seenMs == null ? new long[capacity] : Arrays.copyOf(seenMs, capacity);
            persistedMs = persistedMs == null ? new long[capacity] : Arrays.copyOf(persistedMs, capacity);
            seeder = seeder == null ? new boolean[capacity] : Arrays.copyOf(seeder, capacity);
            addrs = addrs == null ? new byte[capacity * ADDRESS] : Arrays.copyOf(addrs, capacity * ADDRESS);
            final int pending = capacity * PENDING_PER_PEER;
            pendingOffer = pendingOffer == null ? new byte[pending * ID] : Arrays.copyOf(pendingOffer, pending * ID);
            pendingFrom = pendingFrom == null ? new byte[pending * ID] : Arrays.copyOf(pendingFrom, pending * ID);
            pendingMs = pendingMs == null ? new long[pending] : Arrays.copyOf(pendingMs, pending);
            pendingNext = pendingNext == null ? new int[capacity] : Arrays.copyOf(pendingNext, capacity);
        }

        int capacity()
        {
            return frontend == null ? 0 : frontend.length;
        }

        /** No peers left: the arrays go (a retained torrent keeps only its counts). */
        void release()
        {
            ids = null;
            frontend = null;
            handle = null;
            seenMs = null;
            persistedMs = null;
            seeder = null;
            addrs = null;
            pendingOffer = null;
            pendingFrom = null;
            pendingMs = null;
            pendingNext = null;
        }

        int find(final byte[] id, final int offset)
        {
            for (int i = 0; i < count; i++)
            {
                if (Arrays.equals(ids, i * ID, i * ID + ID, id, offset, offset + ID))
                {
                    return i;
                }
            }
            return -1;
        }

        /** Removes peer {@code i}, moving the last one into its place. */
        void remove(final int i)
        {
            if (seeder[i])
            {
                seeders--;
            }
            final int last = --count;
            if (i != last)
            {
                System.arraycopy(ids, last * ID, ids, i * ID, ID);
                frontend[i] = frontend[last];
                handle[i] = handle[last];
                seenMs[i] = seenMs[last];
                persistedMs[i] = persistedMs[last];
                seeder[i] = seeder[last];
                System.arraycopy(addrs, last * ADDRESS, addrs, i * ADDRESS, ADDRESS);
                System.arraycopy(pendingOffer, last * PENDING_PER_PEER * ID, pendingOffer, i * PENDING_PER_PEER * ID,
                    PENDING_PER_PEER * ID);
                System.arraycopy(pendingFrom, last * PENDING_PER_PEER * ID, pendingFrom, i * PENDING_PER_PEER * ID,
                    PENDING_PER_PEER * ID);
                System.arraycopy(pendingMs, last * PENDING_PER_PEER, pendingMs, i * PENDING_PER_PEER,
                    PENDING_PER_PEER);
                pendingNext[i] = pendingNext[last];
            }
        }
    }

    /** An info_hash as a map key; the processor reuses one for lookups ({@link #probe}). */
    static final class Key
    {
        final byte[] hash = new byte[ID];
        int hashCode;

        Key set(final byte[] src, final int offset)
        {
            System.arraycopy(src, offset, hash, 0, ID);
            hashCode = Arrays.hashCode(hash);
            return this;
        }

        @Override
        public int hashCode()
        {
            return hashCode;
        }

        @Override
        public boolean equals(final Object o)
        {
            return o instanceof Key k && Arrays.equals(hash, k.hash);
        }
    }

    private final Object2ObjectHashMap<Key, Swarm> swarms = new Object2ObjectHashMap<>();
    /** The same swarms in a list, for the expiry sweep's cursor. */
    private final ArrayList<Swarm> list = new ArrayList<>();
    private final Key probe = new Key();
    private final int maxPeersPerTorrent;
    private final int maxTorrents;
    private final long maxPeers;
    private final long peerLifetimeMs;
    private final long retentionMs;
    /** The record of these sets, or null (benchmarks, tests of the heap sets alone): nothing is persisted. */
    private final WebRtcStore store;
    /** Private mode's accounting: told of peers that expire (the processor tells it of announces). */
    private final SwarmAccounting accounting;
    /** A peer that left: peer_id, then address (see {@link #leftIdentity}). */
    private final byte[] identity = new byte[ID + ADDRESS];
    private boolean completedNow;
    private final WebRtcCounters counters;
    private long random;
    private int sweepCursor;
    private long peers;

    WebRtcSwarms(final int maxPeersPerTorrent, final int maxTorrents, final long maxPeers, final long peerLifetimeMs,
        final long retentionMs, final WebRtcStore store, final SwarmAccounting accounting,
        final WebRtcCounters counters, final long seed)
    {
        this.accounting = accounting;
        this.maxPeersPerTorrent = maxPeersPerTorrent;
        this.maxTorrents = maxTorrents;
        this.maxPeers = maxPeers;
        this.peerLifetimeMs = peerLifetimeMs;
        this.retentionMs = retentionMs;
        this.store = store;
        this.counters = counters;
        this.random = seed | 1;
    }

    boolean isEmpty()
    {
        return list.isEmpty();
    }

    Swarm find(final byte[] infoHash, final int offset)
    {
        return list.isEmpty() ? null : swarms.get(probe.set(infoHash, offset));
    }

    /** Adds the torrent's WebRTC peers to counts of its BitTorrent swarm already in {@code r}. */
    void addCounts(final byte[] infoHash, final ResponseEvent r)
    {
        final Swarm s = find(infoHash, 0);
        if (s != null)
        {
            r.complete += s.seeders;
            r.incomplete += s.count - s.seeders;
            r.downloaded += s.downloaded;
        }
    }

    /** Adds the WebRTC peers of scrape answer {@code i}'s torrent to its counts. */
    void addScrapeCounts(final ResponseEvent r, final int i)
    {
        final Swarm s = find(r.scrapeHashes, i * ID);
        if (s != null)
        {
            r.scrapeComplete[i] += s.seeders;
            r.scrapeIncomplete[i] += s.count - s.seeders;
            r.scrapeDownloaded[i] += s.downloaded;
        }
    }

    /**
     * A WebRTC announce: the peer joins, is updated or (stopped) leaves; then up to {@code offerCount} other
     * peers are picked for its offers and recorded as their receivers. {@code r}'s counts get the WebRTC set's
     * (the caller adds the BitTorrent swarm's).
     */
    boolean announce(final RequestEvent e, final ResponseEvent r, final long nowMs)
    {
        counters.announces.incrementRelease();
        completedNow = false;
        Swarm s = find(e.infoHash, 0);
        if (e.event == RequestEvent.EVENT_STOPPED)
        {
            boolean left = false;
            if (s != null)
            {
                final int i = s.find(e.peerId, 0);
                // only the connection that holds the peer id may stop it
                if (i >= 0 && s.frontend[i] == e.frontendId && s.handle[i] == e.correlationId)
                {
                    left = true;
                    System.arraycopy(s.ids, i * ID, identity, 0, ID);
                    System.arraycopy(s.addrs, i * ADDRESS, identity, ID, ADDRESS);
                    s.remove(i);
                    peers--;
                    counters.peersStopped.incrementRelease();
                    counters.peers.setRelease(peers);
                    if (store != null)
                    {
                        store.removePeer(e.infoHash, 0, e.peerId, 0);
                    }
                    if (s.count == 0)
                    {
                        emptied(s, nowMs);
                    }
                }
                counts(s, r);
            }
            return left;
        }
        if (s == null)
        {
            if (list.size() >= maxTorrents)
            {
                r.status = Status.TRACKER_FULL;
                counters.rejectedFull.incrementRelease();
                return false;
            }
            s = addSwarm(e.infoHash, 0);
        }
        int me = s.find(e.peerId, 0);
        final boolean fresh = me < 0;
        if (me < 0)
        {
            if (s.count >= maxPeersPerTorrent || peers >= maxPeers)
            {
                r.status = Status.TRACKER_FULL;
                counters.rejectedFull.incrementRelease();
                if (s.count == 0 && s.downloaded == 0)
                {
                    removeSwarm(s);
                }
                return false;
            }
            if (s.count == s.capacity())
            {
                s.allocate(Math.max(4, Math.min(maxPeersPerTorrent, s.capacity() * 2)));
            }
            if (s.leftMs != 0)
            {
                s.leftMs = 0; // a retained torrent has a peer again
                persistTorrent(s);
            }
            me = s.count++;
            System.arraycopy(e.peerId, 0, s.ids, me * ID, ID);
            System.arraycopy(e.address, 0, s.addrs, me * ADDRESS, ADDRESS);
            s.seeder[me] = false;
            s.pendingNext[me] = 0;
            Arrays.fill(s.pendingMs, me * PENDING_PER_PEER, (me + 1) * PENDING_PER_PEER, 0L);
            peers++;
            counters.peers.setRelease(peers);
        }
        else if ((s.frontend[me] != e.frontendId || s.handle[me] != e.correlationId) &&
            !Arrays.equals(s.addrs, me * ADDRESS, me * ADDRESS + ADDRESS, e.address, 0, ADDRESS))
        {
            // another connection from another address names this peer_id: it would take the peer's offers
            r.status = Status.PEER_ID_CONFLICT;
            counters.rejectedPeerIdConflict.incrementRelease();
            return false;
        }
        // a reconnected client re-announces from its new connection: offers go there from now on
        s.frontend[me] = e.frontendId;
        s.handle[me] = e.correlationId;
        s.seenMs[me] = nowMs;
        final boolean seeder = e.left == 0;
        final boolean wasSeeder = s.seeder[me];
        final boolean persist = fresh || seeder != wasSeeder || nowMs - s.persistedMs[me] >= PERSIST_SEEN_MS;
        if (seeder != s.seeder[me])
        {
            s.seeders += seeder ? 1 : -1;
            s.seeder[me] = seeder;
        }
        if (e.event == RequestEvent.EVENT_COMPLETED && !wasSeeder)
        {
            // once per download, as a BitTorrent peer's: a repeated completed of a seeder is no new one
            completedNow = true;
            s.downloaded++;
            persistTorrent(s);
        }
        if (store != null && persist)
        {
            // its address never changes (another address is a peer_id conflict): only its kind and time do
            store.putPeer(e.infoHash, 0, e.peerId, 0, nowMs, seeder, e.address, 0);
            s.persistedMs[me] = nowMs;
        }
        counts(s, r);
        pickOfferTargets(s, me, e, r, nowMs);
        return true;
    }

    /** Whether the last {@link #announce} completed its peer's download (its first completed as a leecher). */
    boolean completedNow()
    {
        return completedNow;
    }

    /**
     * The peer the last {@link #announce} removed ({@code stopped}): its peer_id at 0 and the address it announced
     * from at {@link RequestEvent#HASH_LENGTH}.
     */
    byte[] leftIdentity()
    {
        return identity;
    }

    private static void counts(final Swarm s, final ResponseEvent r)
    {
        r.complete = s.seeders;
        r.incomplete = s.count - s.seeders;
        r.downloaded = s.downloaded;
    }

    private void pickOfferTargets(final Swarm s, final int me, final RequestEvent e, final ResponseEvent r,
        final long nowMs)
    {
        final int others = s.count - 1;
        int wanted = Math.min(Math.min(e.offerCount, RequestEvent.MAX_OFFERS), others);
        if (e.numWant >= 0)
        {
            wanted = Math.min(wanted, e.numWant);
        }
        if (wanted <= 0)
        {
            return;
        }
        // xorshift: a random start, then consecutive peers, so one announce never picks a peer twice
        random ^= random << 13;
        random ^= random >>> 7;
        random ^= random << 17;
        final int start = (int)Long.remainderUnsigned(random, s.count);
        int n = 0;
        for (int k = 0; k < s.count && n < wanted; k++)
        {
            final int t = (start + k) % s.count;
            if (t == me || s.frontend[t] < 0)
            {
                continue;
            }
            r.relayFrontend[n] = s.frontend[t];
            r.relayCorrelation[n] = s.handle[t];
            final int slot = t * PENDING_PER_PEER + s.pendingNext[t];
            s.pendingNext[t] = (s.pendingNext[t] + 1) % PENDING_PER_PEER;
            System.arraycopy(e.offerIds, n * ID, s.pendingOffer, slot * ID, ID);
            System.arraycopy(e.peerId, 0, s.pendingFrom, slot * ID, ID);
            s.pendingMs[slot] = nowMs;
            n++;
        }
        r.relayCount = n;
        counters.offersRelayed.getAndAddRelease(n);
    }

    /**
     * A WebRTC answer: relayed (one target in {@code r}) only when offer {@code e.offerId} of {@code e.toPeerId}
     * was sent to the answering peer {@code e.peerId}, on this very connection, within the offer timeout; each
     * offer is answered once.
     */
    void answer(final RequestEvent e, final ResponseEvent r, final long nowMs)
    {
        r.relayCount = 0;
        final Swarm s = find(e.infoHash, 0);
        final int me = s == null ? -1 : s.find(e.peerId, 0);
        if (me < 0 || s.frontend[me] != e.frontendId || s.handle[me] != e.correlationId)
        {
            counters.answersUnsolicited.incrementRelease();
            return;
        }
        for (int k = 0; k < PENDING_PER_PEER; k++)
        {
            final int slot = me * PENDING_PER_PEER + k;
            if (s.pendingMs[slot] != 0 && nowMs - s.pendingMs[slot] <= OFFER_TIMEOUT_MS &&
                Arrays.equals(s.pendingOffer, slot * ID, slot * ID + ID, e.offerId, 0, ID) &&
                Arrays.equals(s.pendingFrom, slot * ID, slot * ID + ID, e.toPeerId, 0, ID))
            {
                s.pendingMs[slot] = 0;
                final int to = s.find(e.toPeerId, 0);
                if (to < 0 || s.frontend[to] < 0)
                {
                    break; // the offering peer left meanwhile
                }
                r.relayFrontend[0] = s.frontend[to];
                r.relayCorrelation[0] = s.handle[to];
                r.relayCount = 1;
                counters.answersRelayed.incrementRelease();
                return;
            }
        }
        counters.answersUnsolicited.incrementRelease();
    }

    /** A clock tick: drops the peers of a bounded number of swarms whose lifetime ran out. */
    void sweep(final long nowMs)
    {
        for (int n = 0; n < SWEEP_SWARMS_PER_TICK && !list.isEmpty(); n++)
        {
            if (sweepCursor >= list.size())
            {
                sweepCursor = 0;
            }
            final Swarm s = list.get(sweepCursor);
            final boolean had = s.count > 0;
            for (int i = s.count - 1; i >= 0; i--)
            {
                if (nowMs - s.seenMs[i] > peerLifetimeMs)
                {
                    if (store != null)
                    {
                        store.removePeer(s.key.hash, 0, s.ids, i * ID);
                    }
                    System.arraycopy(s.ids, i * ID, identity, 0, ID);
                    System.arraycopy(s.addrs, i * ADDRESS, identity, ID, ADDRESS);
                    s.remove(i);
                    peers--;
                    counters.peersExpired.incrementRelease();
                    // the site's row goes inactive with the totals of its last announce (this set's counts: the
                    // torrent's BitTorrent swarm is not looked up here; its next announce writes both)
                    accounting.expired(s.key.hash, identity, 0, ID, s.seeders, s.count - s.seeders, nowMs);
                }
            }
            counters.peers.setRelease(peers);
            if (had && s.count == 0)
            {
                emptied(s, nowMs);
            }
            else if (s.count == 0 && nowMs - s.leftMs > retentionMs)
            {
                forget(s); // retention ran out
            }
            if (sweepCursor < list.size() && list.get(sweepCursor) == s)
            {
                sweepCursor++; // else it went, and the last one moved to the cursor's place: look at it next
            }
            if (n + 1 >= list.size())
            {
                break;
            }
        }
    }

    private Swarm addSwarm(final byte[] infoHash, final int offset)
    {
        final Key key = new Key().set(infoHash, offset);
        final Swarm s = new Swarm(key, 4);
        swarms.put(key, s);
        s.listIndex = list.size();
        list.add(s);
        return s;
    }

    /** The swarm's last peer left: it is kept for its completed count (retention), or forgotten. */
    private void emptied(final Swarm s, final long nowMs)
    {
        if (s.downloaded > 0 && retentionMs > 0)
        {
            s.leftMs = nowMs;
            s.release();
            persistTorrent(s);
        }
        else
        {
            forget(s);
        }
    }

    private void forget(final Swarm s)
    {
        if (store != null && s.downloaded > 0)
        {
            store.removeTorrent(s.key.hash, 0);
        }
        removeSwarm(s);
    }

    private void persistTorrent(final Swarm s)
    {
        if (store != null)
        {
            store.putTorrent(s.key.hash, 0, s.downloaded, s.leftMs);
        }
    }

    /**
     * Start-up, before the processor's thread runs: rebuilds the sets from {@link WebRtcStore}, every peer
     * detached (no connection of this process holds it). Entries past the configured bounds are removed.
     *
     * @return the peers reloaded
     */
    long load(final long nowMs)
    {
        if (store == null)
        {
            return 0;
        }
        final ArrayList<byte[]> surplus = new ArrayList<>();
        store.forEach((key, value) ->
        {
            Swarm s = swarms.get(probe.set(key, 0));
            if (s == null)
            {
                if (list.size() >= maxTorrents)
                {
                    surplus.add(key.clone());
                    return;
                }
                s = addSwarm(key, 0);
                s.leftMs = nowMs; // until a peer of its own turns up below
            }
            if (key[WebRtcStore.KIND_OFFSET] == WebRtcStore.KIND_TORRENT)
            {
                s.downloaded = value.getLong(WebRtcStore.DOWNLOADED_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
                final long leftMs = value.getLong(WebRtcStore.LEFT_MS_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
                s.leftMs = s.count > 0 ? 0 : leftMs != 0 ? leftMs : nowMs;
                return;
            }
            if (s.count >= maxPeersPerTorrent || peers >= maxPeers)
            {
                surplus.add(key.clone());
                return;
            }
            if (s.count == s.capacity())
            {
                s.allocate(Math.max(4, Math.min(maxPeersPerTorrent, s.capacity() * 2)));
            }
            final int me = s.count++;
            System.arraycopy(key, WebRtcStore.PEER_ID_OFFSET, s.ids, me * ID, ID);
            value.getBytes(WebRtcStore.ADDRESS_OFFSET, s.addrs, me * ADDRESS, ADDRESS);
            s.frontend[me] = -1;
            s.handle[me] = 0;
            s.seenMs[me] = value.getLong(WebRtcStore.SEEN_MS_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
            s.persistedMs[me] = s.seenMs[me];
            s.seeder[me] = (value.getByte(WebRtcStore.FLAGS_OFFSET) & WebRtcStore.FLAG_SEEDER) != 0;
            if (s.seeder[me])
            {
                s.seeders++;
            }
            s.pendingNext[me] = 0;
            s.leftMs = 0;
            peers++;
        });
        for (final byte[] key : surplus)
        {
            if (key[WebRtcStore.KIND_OFFSET] == WebRtcStore.KIND_TORRENT)
            {
                store.removeTorrent(key, 0);
            }
            else
            {
                store.removePeer(key, 0, key, WebRtcStore.PEER_ID_OFFSET);
            }
        }
        // a torrent entry lost in a crash under its peers: they still count, with no completions
        for (int i = list.size() - 1; i >= 0; i--)
        {
            final Swarm s = list.get(i);
            if (s.count == 0 && s.downloaded == 0)
            {
                removeSwarm(s);
            }
            else if (s.count == 0)
            {
                s.release();
            }
        }
        counters.peers.setRelease(peers);
        return peers;
    }

    private void removeSwarm(final Swarm s)
    {
        swarms.remove(s.key);
        final int i = s.listIndex;
        final int last = list.size() - 1;
        final Swarm moved = list.get(last);
        list.set(i, moved);
        moved.listIndex = i;
        list.remove(last);
    }

    long peers()
    {
        return peers;
    }

    int torrents()
    {
        return list.size();
    }
}
