package org.trackerd.engine.swarm;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.EngineCounters;
import org.trackerd.engine.ResponseQueue;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The one thread that writes swarm state: takes announces and scrapes off the request ring in sequence, updates
 * the in-memory swarms and the persisted maps, picks peers and publishes each result to the response queue of
 * the frontend that asked. Clock ticks on the same ring drive peer expiry in small slices.
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

    private final SwarmStore store;
    private final ResponseQueue[] queues;
    private final EngineCounters counters;
    private final SwarmRegistry registry = new SwarmRegistry();
    private final InfoHashKey probe = new InfoHashKey();
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
    private int sweepCursor;

    private ResponseEvent current;
    /** Peers by kind and family, indexed by {@link #bucket}: leechers v4, leechers v6, seeders v4, seeders v6. */
    private final long[] population = new long[4];
    private final Swarm.SlotSink copyPeer = this::copyPeer;

    public SwarmProcessor(final TrackerConfig config, final SwarmStore store, final ResponseQueue[] queues,
        final EngineCounters counters, final long seed)
    {
        this.store = store;
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
        clock.update(System.currentTimeMillis());
    }

    /**
     * Rebuilds the in-memory swarms from the persisted maps, dropping peers whose lifetime ran out while the
     * tracker was down and torrents left without peers.
     */
    public void loadFromStore()
    {
        final long nowMs = System.currentTimeMillis();
        clock.update(nowMs);
        final long[] expired = new long[1];
        final java.util.List<byte[]> stale = new java.util.ArrayList<>();
        store.forEachTorrent((infoHash, downloaded) -> registry.create(probe.set(infoHash, 0, seed)).downloaded = downloaded);
        final byte[] peerId = new byte[20];
        final byte[] infoHash = new byte[20];
        store.forEachPeer((key40, value) ->
        {
            System.arraycopy(key40, 0, infoHash, 0, 20);
            System.arraycopy(key40, 20, peerId, 0, 20);
            final long lastSeenMs = value.getLong(SwarmStore.V_LAST_SEEN_OFFSET);
            Swarm swarm = registry.get(probe.set(infoHash, 0, seed));
            if (lastSeenMs + peerLifetimeMs < nowMs || registry.peers() >= maxPeers)
            {
                if (swarm == null)
                {
                    swarm = registry.create(probe);
                    store.putTorrent(infoHash, 0);
                }
                expired[0]++;
                stale.add(key40.clone());
                return;
            }
            if (swarm == null)
            {
                swarm = registry.create(probe);
                store.putTorrent(infoHash, 0);
            }
            final int hash = PeerHash.hash(peerId, 0, seed);
            if (swarm.find(peerId, hash) >= 0)
            {
                return;
            }
            final int slot = swarm.add(peerId, hash);
            registry.peersChanged(1);
            final int base = Swarm.offset(slot);
            final UnsafeBuffer slots = swarm.slots;
            slots.putBytes(base + Swarm.ADDRESS_OFFSET, value, SwarmStore.V_ADDRESS_OFFSET, 16);
            slots.putShort(base + Swarm.PORT_OFFSET, value.getShort(SwarmStore.V_PORT_OFFSET));
            slots.putInt(base + Swarm.KEY_OFFSET, value.getInt(SwarmStore.V_KEY_OFFSET));
            slots.putLong(base + Swarm.LAST_SEEN_OFFSET, lastSeenMs);
            final byte flags = value.getByte(SwarmStore.V_FLAGS_OFFSET);
            swarm.flags(slot, (byte)(flags & ~Swarm.FLAG_SEEDER));
            swarm.seeder(slot, (flags & Swarm.FLAG_SEEDER) != 0);
        });
        // Chronicle forbids changing a map while iterating it: drop expired peers afterwards.
        for (final byte[] key40 : stale)
        {
            store.removePeerByKey(key40);
        }
        for (int i = registry.size() - 1; i >= 0; i--)
        {
            final Swarm swarm = registry.at(i);
            if (swarm.size() == 0)
            {
                store.removeTorrent(swarm.key.bytes);
                registry.remove(swarm);
            }
            else
            {
                for (int p = 0; p < swarm.size(); p++)
                {
                    account(swarm, swarm.memberAt(p), 1);
                }
            }
        }
        publishGauges();
        LOG.info("loaded {} torrents and {} peers from the store ({} peers had expired)", registry.size(),
            registry.peers(), expired[0]);
    }

    public int torrentCount()
    {
        return registry.size();
    }

    public long peerCount()
    {
        return registry.peers();
    }

    public long seederCount()
    {
        return population[2] + population[3];
    }

    @Override
    public void onBatchStart(final long batchSize, final long queueDepth)
    {
        clock.update(System.currentTimeMillis());
    }

    @Override
    public void onEvent(final RequestEvent event, final long sequence, final boolean endOfBatch)
    {
        try
        {
            switch (event.kind)
            {
                case RequestEvent.KIND_ANNOUNCE -> announce(event);
                case RequestEvent.KIND_SCRAPE -> scrape(event);
                case RequestEvent.KIND_TICK -> expirySlice();
                default ->
                {
                }
            }
        }
        finally
        {
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
        r.scrapeCount = 0;
        return r;
    }

    private void announce(final RequestEvent e)
    {
        counters.announces.incrementRelease();
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
            processAnnounce(e, r);
        }
        finally
        {
            ring.publish(sequence);
            queue.dirty = true;
        }
    }

    private void processAnnounce(final RequestEvent e, final ResponseEvent r)
    {
        Swarm swarm = registry.get(probe.set(e.infoHash, 0, seed));
        final int peerHash = PeerHash.hash(e.peerId, 0, seed);
        int slot = swarm == null ? -1 : swarm.find(e.peerId, peerHash);

        if (slot >= 0 && !sameClient(swarm, slot, e))
        {
            counters.rejectedPeerIdConflict.incrementRelease();
            r.status = Status.PEER_ID_CONFLICT;
            return;
        }

        if (e.event == RequestEvent.EVENT_STOPPED)
        {
            if (slot >= 0)
            {
                removePeer(swarm, slot);
                counters.peersStopped.incrementRelease();
                swarm = removeIfEmpty(swarm);
            }
            fillCounts(swarm, r);
            return;
        }

        if (slot >= 0)
        {
            account(swarm, slot, -1);
        }
        else
        {
            if (registry.peers() >= maxPeers || (swarm == null && registry.size() >= maxTorrents))
            {
                counters.rejectedFull.incrementRelease();
                r.status = Status.TRACKER_FULL;
                fillCounts(swarm, r);
                return;
            }
            if (swarm == null)
            {
                swarm = registry.create(probe);
                store.putTorrent(swarm.key.bytes, 0);
                counters.torrentsCreated.incrementRelease();
            }
            slot = swarm.add(e.peerId, peerHash);
            registry.peersChanged(1);
            counters.peersAdded.incrementRelease();
        }

        final UnsafeBuffer slots = swarm.slots;
        final int base = Swarm.offset(slot);
        slots.putBytes(base + Swarm.ADDRESS_OFFSET, e.address, 0, RequestEvent.ADDRESS_LENGTH);
        slots.putShort(base + Swarm.PORT_OFFSET, (short)e.port);
        slots.putInt(base + Swarm.KEY_OFFSET, e.key);
        slots.putLong(base + Swarm.LAST_SEEN_OFFSET, clock.time());
        byte flags = swarm.flags(slot);
        flags = (byte)(e.hasKey ? flags | Swarm.FLAG_HAS_KEY : flags & ~Swarm.FLAG_HAS_KEY);
        if (e.event == RequestEvent.EVENT_COMPLETED && (flags & Swarm.FLAG_COMPLETED) == 0)
        {
            flags |= Swarm.FLAG_COMPLETED;
            swarm.downloaded++;
            store.putTorrent(swarm.key.bytes, swarm.downloaded);
            counters.downloadsCompleted.incrementRelease();
        }
        swarm.flags(slot, flags);
        final boolean seeder = e.left == 0;
        swarm.seeder(slot, seeder);
        account(swarm, slot, 1);
        store.putPeer(swarm.key.bytes, slots, base);

        final int want = e.numWant < 0 ? defaultNumWant : Math.min(e.numWant, maxNumWant);
        current = r;
        if (seeder)
        {
            swarm.sample(swarm.seeders(), swarm.size(), -1, want, random, copyPeer);
        }
        else
        {
            swarm.sample(0, swarm.size(), slot, want, random, copyPeer);
        }
        current = null;
        fillCounts(swarm, r);
    }

    /**
     * The same client re-announcing: from the address it used before (it may change key or port), or from a
     * new address while proving itself with the key it announced before. Anyone else reusing the peer id is
     * refused, so a peer can be neither removed nor taken over by a stranger.
     */
    private static boolean sameClient(final Swarm swarm, final int slot, final RequestEvent e)
    {
        final int base = Swarm.offset(slot);
        final byte[] raw = swarm.slots.byteArray();
        if (Arrays.equals(raw, base + Swarm.ADDRESS_OFFSET, base + Swarm.ADDRESS_OFFSET + 16, e.address, 0, 16))
        {
            return true;
        }
        return e.hasKey && (swarm.flags(slot) & Swarm.FLAG_HAS_KEY) != 0 &&
            swarm.slots.getInt(base + Swarm.KEY_OFFSET) == e.key;
    }

    private void copyPeer(final Swarm swarm, final int slot)
    {
        final ResponseEvent r = current;
        final int i = r.peerCount++;
        final int base = Swarm.offset(slot);
        swarm.slots.getBytes(base + Swarm.PEER_ID_OFFSET, r.peerIds, i * RequestEvent.HASH_LENGTH, RequestEvent.HASH_LENGTH);
        swarm.slots.getBytes(base + Swarm.ADDRESS_OFFSET, r.peerAddrs, i * RequestEvent.ADDRESS_LENGTH,
            RequestEvent.ADDRESS_LENGTH);
        r.peerPorts[i] = swarm.slots.getShort(base + Swarm.PORT_OFFSET) & 0xFFFF;
    }

    private static void fillCounts(final Swarm swarm, final ResponseEvent r)
    {
        if (swarm != null)
        {
            r.complete = swarm.seeders();
            r.incomplete = swarm.leechers();
            r.downloaded = swarm.downloaded;
        }
    }

    private void removePeer(final Swarm swarm, final int slot)
    {
        store.removePeer(swarm.key.bytes, swarm.slots, Swarm.offset(slot));
        account(swarm, slot, -1);
        swarm.remove(slot);
        registry.peersChanged(-1);
    }

    /** Drops a swarm that has no peers left; returns null if it did. */
    private Swarm removeIfEmpty(final Swarm swarm)
    {
        if (swarm.size() > 0)
        {
            return swarm;
        }
        store.removeTorrent(swarm.key.bytes);
        registry.remove(swarm);
        counters.torrentsRemoved.incrementRelease();
        if (sweepCursor > registry.size())
        {
            sweepCursor = 0;
        }
        return null;
    }

    private void scrape(final RequestEvent e)
    {
        counters.scrapes.incrementRelease();
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
            final int n = Math.min(e.scrapeCount, r.scrapeComplete.length);
            for (int i = 0; i < n; i++)
            {
                final int offset = i * RequestEvent.HASH_LENGTH;
                System.arraycopy(e.scrapeHashes, offset, r.scrapeHashes, offset, RequestEvent.HASH_LENGTH);
                final Swarm swarm = registry.get(probe.set(e.scrapeHashes, offset, seed));
                r.scrapeComplete[i] = swarm == null ? 0 : swarm.seeders();
                r.scrapeIncomplete[i] = swarm == null ? 0 : swarm.leechers();
                r.scrapeDownloaded[i] = swarm == null ? 0 : swarm.downloaded;
            }
            r.scrapeCount = n;
        }
        finally
        {
            ring.publish(sequence);
            queue.dirty = true;
        }
    }

    /**
     * Checks a slice of swarms for peers past their lifetime, sized so the whole registry is swept once per
     * {@code engine.expiry_sweep_seconds}; never the whole registry in one go.
     */
    private void expirySlice()
    {
        final int total = registry.size();
        if (total > 0)
        {
            final long nowMs = clock.time();
            final long deadlineMs = nowMs - peerLifetimeMs;
            final long perTick = Math.max(16, (total * tickMs + sweepMs - 1) / sweepMs);
            for (long n = 0; n < perTick && registry.size() > 0; n++)
            {
                if (sweepCursor >= registry.size())
                {
                    sweepCursor = 0;
                }
                final Swarm swarm = registry.at(sweepCursor);
                // Walk down from the end: a removal only moves already-visited members into the hole.
                for (int p = swarm.size() - 1; p >= 0; p--)
                {
                    final int slot = swarm.memberAt(p);
                    if (swarm.lastSeenMs(slot) < deadlineMs)
                    {
                        removePeer(swarm, slot);
                        counters.peersExpired.incrementRelease();
                    }
                }
                if (removeIfEmpty(swarm) != null)
                {
                    sweepCursor++;
                }
            }
        }
        publishGauges();
    }

    private void account(final Swarm swarm, final int slot, final int delta)
    {
        final boolean ipv4 = RequestEvent.isIpv4Mapped(swarm.slots.byteArray(), Swarm.offset(slot) + Swarm.ADDRESS_OFFSET);
        population[(swarm.isSeeder(slot) ? 2 : 0) + (ipv4 ? 0 : 1)] += delta;
    }

    private void publishGauges()
    {
        counters.torrents.setRelease(registry.size());
        counters.leechersIpv4.setRelease(population[0]);
        counters.leechersIpv6.setRelease(population[1]);
        counters.seedersIpv4.setRelease(population[2]);
        counters.seedersIpv6.setRelease(population[3]);
    }
}
