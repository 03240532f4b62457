package org.trackerd.engine.swarm;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import org.agrona.concurrent.CachedEpochClock;
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

import java.util.Arrays;
import java.util.List;
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
    private final InfoHashKey hashProbe = new InfoHashKey();
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
    private int sweepCursor;

    /** The requester's address family while peers are copied: 0 IPv4, 1 IPv6. */
    private int currentFamily;
    /**
     * Preferred-subnet selection probes a bounded random sample of the eligible members instead of indexing
     * swarms by prefix: a prefix index would have to be kept for every prefix length and family and updated
     * on every address change, while local peers are a small share of a big swarm and the client re-announces
     * every interval, so a bounded probe finds every local peer in swarms up to the probe size and a fair share
     * of them beyond, at a fixed cost per announce.
     */
    private final int[] probe;
    private int probeCount;
    private final Swarm.SlotSink collect = this::collect;

    /** Private mode's accounting, or null (public mode). */
    private org.trackerd.engine.site.DeltaRecorder deltas;

    private ResponseEvent current;
    /** Whether the current answer carries peer ids (only the HTTP dictionary form without no_peer_id does). */
    private boolean currentWantsPeerIds;
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
        this.bothFamilies = TrackerConfig.Tracker.PEER_FAMILY_BOTH.equals(config.tracker.peerFamily);
        this.preferredBitsIpv4 = config.tracker.preferredIpv4Prefix == 0 ? 0 : 96 + config.tracker.preferredIpv4Prefix;
        this.preferredBitsIpv6 = config.tracker.preferredIpv6Prefix;
        this.probe = new int[probeSize(config.tracker.maxNumWant)];
        clock.update(System.currentTimeMillis());
    }

    /** Private mode: records each accepted announce's accounting deltas; call before the thread starts. */
    public void deltaRecorder(final org.trackerd.engine.site.DeltaRecorder recorder)
    {
        this.deltas = recorder;
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
        store.forEachTorrent((infoHash, downloaded) -> registry.create(hashProbe.set(infoHash, 0, seed)).downloaded = downloaded);
        final byte[] peerId = new byte[20];
        final byte[] infoHash = new byte[20];
        store.forEachPeer((key40, value) ->
        {
            System.arraycopy(key40, 0, infoHash, 0, 20);
            System.arraycopy(key40, 20, peerId, 0, 20);
            final long deadlineMs = nowMs - peerLifetimeMs;
            long lastSeenMs = value.getLong(SwarmStore.V_LAST_SEEN_OFFSET);
            byte flags = value.getByte(SwarmStore.V_FLAGS_OFFSET);
            final boolean altAlive = (flags & Swarm.FLAG_DUAL) != 0 &&
                value.getLong(SwarmStore.V_ALT_LAST_SEEN_OFFSET) >= deadlineMs;
            int addressOffset = SwarmStore.V_ADDRESS_OFFSET;
            int portOffset = SwarmStore.V_PORT_OFFSET;
            if (lastSeenMs < deadlineMs && altAlive)
            {
                // Its first address went quiet while the tracker was down: it lives on through the other one.
                addressOffset = SwarmStore.V_ALT_ADDRESS_OFFSET;
                portOffset = SwarmStore.V_ALT_PORT_OFFSET;
                lastSeenMs = value.getLong(SwarmStore.V_ALT_LAST_SEEN_OFFSET);
                flags &= ~Swarm.FLAG_DUAL;
            }
            else if (!altAlive)
            {
                flags &= ~Swarm.FLAG_DUAL;
            }
            Swarm swarm = registry.get(hashProbe.set(infoHash, 0, seed));
            if (lastSeenMs < deadlineMs || registry.peers() >= maxPeers)
            {
                if (swarm == null)
                {
                    swarm = registry.create(hashProbe);
                    store.putTorrent(infoHash, 0);
                }
                expired[0]++;
                stale.add(key40.clone());
                return;
            }
            if (swarm == null)
            {
                swarm = registry.create(hashProbe);
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
            slots.putBytes(base + Swarm.ADDRESS_OFFSET, value, addressOffset, 16);
            slots.putShort(base + Swarm.PORT_OFFSET, value.getShort(portOffset));
            slots.putInt(base + Swarm.KEY_OFFSET, value.getInt(SwarmStore.V_KEY_OFFSET));
            slots.putLong(base + Swarm.LAST_SEEN_OFFSET, lastSeenMs);
            slots.putBytes(base + Swarm.ALT_ADDRESS_OFFSET, value, SwarmStore.V_ALT_ADDRESS_OFFSET, 16);
            slots.putShort(base + Swarm.ALT_PORT_OFFSET, value.getShort(SwarmStore.V_ALT_PORT_OFFSET));
            slots.putLong(base + Swarm.ALT_LAST_SEEN_OFFSET, value.getLong(SwarmStore.V_ALT_LAST_SEEN_OFFSET));
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
        Swarm swarm = registry.get(hashProbe.set(e.infoHash, 0, seed));
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
            // A client stops as a whole, whichever of its addresses says so.
            if (slot >= 0)
            {
                removePeer(swarm, slot);
                counters.peersStopped.incrementRelease();
                swarm = removeIfEmpty(swarm);
            }
            fillCounts(swarm, r);
            if (deltas != null)
            {
                deltas.announce(e, r.complete, r.incomplete, false, clock.time());
            }
            return;
        }

        final long nowMs = clock.time();
        if (slot >= 0)
        {
            account(swarm, slot, -1);
            placeAddress(swarm, slot, e.address, 0, e.port, nowMs);
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
                swarm = registry.create(hashProbe);
                store.putTorrent(swarm.key.bytes, 0);
                counters.torrentsCreated.incrementRelease();
            }
            slot = swarm.add(e.peerId, peerHash);
            registry.peersChanged(1);
            counters.peersAdded.incrementRelease();
            final int base = Swarm.offset(slot);
            swarm.slots.putBytes(base + Swarm.ADDRESS_OFFSET, e.address, 0, RequestEvent.ADDRESS_LENGTH);
            swarm.slots.putShort(base + Swarm.PORT_OFFSET, (short)e.port);
            swarm.slots.putLong(base + Swarm.LAST_SEEN_OFFSET, nowMs);
        }
        if (e.hasAltAddress)
        {
            placeAddress(swarm, slot, e.altAddress, 0, e.altPort, nowMs);
        }

        final UnsafeBuffer slots = swarm.slots;
        final int base = Swarm.offset(slot);
        slots.putInt(base + Swarm.KEY_OFFSET, e.key);
        byte flags = swarm.flags(slot);
        flags = (byte)(e.hasKey ? flags | Swarm.FLAG_HAS_KEY : flags & ~Swarm.FLAG_HAS_KEY);
        final boolean completedNow = e.event == RequestEvent.EVENT_COMPLETED && (flags & Swarm.FLAG_COMPLETED) == 0;
        if (completedNow)
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
        selectPeers(swarm, slot, seeder, e, want, r);
        fillCounts(swarm, r);
        if (deltas != null)
        {
            deltas.announce(e, r.complete, r.incomplete, completedNow, nowMs);
        }
    }

    /**
     * Records an address the peer announced from: its first address when of the same family (it moved, or
     * re-announced), else its address in the other family, which makes it dual-stacked.
     */
    private static void placeAddress(final Swarm swarm, final int slot, final byte[] address, final int offset,
        final int port, final long nowMs)
    {
        final UnsafeBuffer slots = swarm.slots;
        final int base = Swarm.offset(slot);
        final boolean ipv4 = RequestEvent.isIpv4Mapped(address, offset);
        if (ipv4 == RequestEvent.isIpv4Mapped(slots.byteArray(), base + Swarm.ADDRESS_OFFSET))
        {
            slots.putBytes(base + Swarm.ADDRESS_OFFSET, address, offset, RequestEvent.ADDRESS_LENGTH);
            slots.putShort(base + Swarm.PORT_OFFSET, (short)port);
            slots.putLong(base + Swarm.LAST_SEEN_OFFSET, nowMs);
        }
        else
        {
            slots.putBytes(base + Swarm.ALT_ADDRESS_OFFSET, address, offset, RequestEvent.ADDRESS_LENGTH);
            slots.putShort(base + Swarm.ALT_PORT_OFFSET, (short)port);
            slots.putLong(base + Swarm.ALT_LAST_SEEN_OFFSET, nowMs);
            swarm.flags(slot, (byte)(swarm.flags(slot) | Swarm.FLAG_DUAL));
        }
    }

    /**
     * Picks peers for the requester: leechers for a seeder, everyone for a leecher, restricted to the members
     * the requester's family can reach unless the policy hands out both families, and its own subnet first
     * when preference is on. Every choice is one or two contiguous bucket ranges of the swarm: no scan.
     */
    private void selectPeers(final Swarm swarm, final int slot, final boolean seeder, final RequestEvent e,
        final int want, final ResponseEvent r)
    {
        final int family = RequestEvent.isIpv4Mapped(e.address, 0) ? 0 : 1;
        final int fromA;
        final int toA;
        int fromB = 0;
        int toB = 0;
        if (bothFamilies && !e.oneFamily)
        {
            fromA = seeder ? swarm.seeders() : 0;
            toA = swarm.size();
        }
        else if (seeder)
        {
            // Leechers reachable over the family: its single-family bucket and the dual bucket.
            fromA = swarm.bound(Swarm.LEECHERS_V4 + family);
            toA = swarm.bound(Swarm.LEECHERS_V4 + family + 2);
        }
        else
        {
            fromA = swarm.bound(Swarm.SEEDERS_V4 + family);
            toA = swarm.bound(Swarm.SEEDERS_V4 + family + 2);
            fromB = swarm.bound(Swarm.LEECHERS_V4 + family);
            toB = swarm.bound(Swarm.LEECHERS_V4 + family + 2);
        }
        current = r;
        currentFamily = family;
        currentWantsPeerIds = e.wantPeerIds;
        final int preferredBits = family == 0 ? preferredBitsIpv4 : preferredBitsIpv6;
        if (preferredBits == 0)
        {
            swarm.sampleWindow(fromA, toA, fromB, toB, slot, want, random, copyPeer);
        }
        else
        {
            probeCount = 0;
            swarm.sample(fromA, toA, fromB, toB, slot, Math.max(want, probe.length), random, collect);
            final byte[] raw = swarm.slots.byteArray();
            // Local peers first, in their random order, then the rest, until the client has what it wants.
            for (int i = 0; i < probeCount && r.peerCount < want; i++)
            {
                if (IpAddresses.samePrefix(raw, addressFor(swarm, probe[i]), e.address, 0, preferredBits))
                {
                    copyPeer(swarm, probe[i]);
                    probe[i] = -1;
                }
            }
            for (int i = 0; i < probeCount && r.peerCount < want; i++)
            {
                if (probe[i] >= 0)
                {
                    copyPeer(swarm, probe[i]);
                }
            }
        }
        current = null;
    }

    private void collect(final Swarm swarm, final int slot)
    {
        probe[probeCount++] = slot;
    }

    /** Members probed per announce when preferring the requester's subnet. */
    static int probeSize(final int maxNumWant)
    {
        return Math.max(256, 4 * maxNumWant);
    }

    /**
     * The same client re-announcing: from an address it used before (it may change key or port), or from a
     * new address while proving itself with the key it announced before; a new address of the other family
     * with the key makes it dual-stacked. Without a key, a new address is refused even from the other family:
     * peer ids are public (dict responses carry them) and BEP 7 makes the key what recognises one client behind
     * two addresses, so anyone else reusing the peer id can neither take the peer over, attach to it, nor stop it.
     */
    private static boolean sameClient(final Swarm swarm, final int slot, final RequestEvent e)
    {
        final int base = Swarm.offset(slot);
        final byte[] raw = swarm.slots.byteArray();
        if (Arrays.equals(raw, base + Swarm.ADDRESS_OFFSET, base + Swarm.ADDRESS_OFFSET + 16, e.address, 0, 16))
        {
            return true;
        }
        if ((swarm.flags(slot) & Swarm.FLAG_DUAL) != 0 &&
            Arrays.equals(raw, base + Swarm.ALT_ADDRESS_OFFSET, base + Swarm.ALT_ADDRESS_OFFSET + 16, e.address, 0, 16))
        {
            return true;
        }
        return e.hasKey && (swarm.flags(slot) & Swarm.FLAG_HAS_KEY) != 0 &&
            swarm.slots.getInt(base + Swarm.KEY_OFFSET) == e.key;
    }

    /**
     * Offset in the swarm's slab of the address to hand to a requester of {@link #currentFamily}: the one of
     * its family when the peer has it, else the peer's first address.
     */
    private int addressFor(final Swarm swarm, final int slot)
    {
        final int base = Swarm.offset(slot);
        final boolean firstIsIpv4 = RequestEvent.isIpv4Mapped(swarm.slots.byteArray(), base + Swarm.ADDRESS_OFFSET);
        if ((firstIsIpv4 ? 0 : 1) != currentFamily && (swarm.flags(slot) & Swarm.FLAG_DUAL) != 0)
        {
            return base + Swarm.ALT_ADDRESS_OFFSET;
        }
        return base + Swarm.ADDRESS_OFFSET;
    }

    private void copyPeer(final Swarm swarm, final int slot)
    {
        final ResponseEvent r = current;
        final int i = r.peerCount++;
        final int base = Swarm.offset(slot);
        final int address = addressFor(swarm, slot);
        if (currentWantsPeerIds)
        {
            swarm.slots.getBytes(base + Swarm.PEER_ID_OFFSET, r.peerIds, i * RequestEvent.HASH_LENGTH,
                RequestEvent.HASH_LENGTH);
        }
        // Two word copies: for 16 bytes a bounds-checked copyMemory costs more than the copy itself.
        final byte[] raw = swarm.slots.byteArray();
        final int to = i * RequestEvent.ADDRESS_LENGTH;
        RAW_LONG.set(r.peerAddrs, to, (long)RAW_LONG.get(raw, address));
        RAW_LONG.set(r.peerAddrs, to + 8, (long)RAW_LONG.get(raw, address + 8));
        // The port sits right after either address (PORT_OFFSET, ALT_PORT_OFFSET).
        r.peerPorts[i] = swarm.slots.getShort(address + RequestEvent.ADDRESS_LENGTH) & 0xFFFF;
    }

    private static final java.lang.invoke.VarHandle RAW_LONG =
        java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.nativeOrder());

    private static void fillCounts(final Swarm swarm, final ResponseEvent r)
    {
        if (swarm != null)
        {
            r.complete = swarm.seeders();
            r.incomplete = swarm.leechers();
            r.downloaded = swarm.downloaded;
        }
    }

    /** Peer id (0..20) and address (20..36) of the last peer removed, for the expiry record. */
    private final byte[] expiredPeer = new byte[36];

    private void removePeer(final Swarm swarm, final int slot)
    {
        if (deltas != null)
        {
            swarm.slots.getBytes(Swarm.offset(slot) + Swarm.PEER_ID_OFFSET, expiredPeer, 0, 20);
            swarm.slots.getBytes(Swarm.offset(slot) + Swarm.ADDRESS_OFFSET, expiredPeer, 20, 16);
        }
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
                final Swarm swarm = registry.get(hashProbe.set(e.scrapeHashes, offset, seed));
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
                    publishTopSwarms(nowMs);
                }
                final Swarm swarm = registry.at(sweepCursor);
                // Walk down from the end: a removal only moves already-visited members into the hole.
                for (int p = swarm.size() - 1; p >= 0; p--)
                {
                    if (p >= swarm.size())
                    {
                        continue; // a promotion below moved members around; they are checked next sweep
                    }
                    final int slot = swarm.memberAt(p);
                    final boolean dual = (swarm.flags(slot) & Swarm.FLAG_DUAL) != 0;
                    final boolean altAlive = dual && swarm.slots.getLong(Swarm.offset(slot) + Swarm.ALT_LAST_SEEN_OFFSET) >= deadlineMs;
                    if (swarm.lastSeenMs(slot) < deadlineMs)
                    {
                        if (altAlive)
                        {
                            promoteAlt(swarm, slot);
                        }
                        else
                        {
                            removePeer(swarm, slot);
                            counters.peersExpired.incrementRelease();
                            if (deltas != null)
                            {
                                deltas.expired(swarm.key.bytes, expiredPeer, 0, 20, swarm.seeders(), swarm.leechers(),
                                    nowMs);
                            }
                        }
                    }
                    else if (dual && !altAlive)
                    {
                        swarm.flags(slot, (byte)(swarm.flags(slot) & ~Swarm.FLAG_DUAL));
                        swarm.reindex(slot);
                        store.putPeer(swarm.key.bytes, swarm.slots, Swarm.offset(slot));
                    }
                }
                if (removeIfEmpty(swarm) != null)
                {
                    offerTopSwarm(swarm);
                    sweepCursor++;
                }
            }
        }
        publishGauges();
    }

    /** The largest swarms, for the operator's /stats page; computed along the expiry sweep, never by a scan. */
    public record TopSwarm(String infoHashHex, int seeders, int leechers, long downloaded)
    {
    }

    private static final int TOP_SWARMS = 10;
    private final Swarm[] topCandidates = new Swarm[TOP_SWARMS];
    private int topCandidateCount;
    private long topPublishedMs;
    private volatile List<TopSwarm> topSwarms = List.of();

    /** Any thread: the largest swarms as of the last completed sweep. */
    public List<TopSwarm> topSwarms()
    {
        return topSwarms;
    }

    private void offerTopSwarm(final Swarm swarm)
    {
        int smallest = -1;
        for (int i = 0; i < topCandidateCount; i++)
        {
            if (topCandidates[i] == swarm)
            {
                return;
            }
            if (smallest < 0 || topCandidates[i].size() < topCandidates[smallest].size())
            {
                smallest = i;
            }
        }
        if (topCandidateCount < TOP_SWARMS)
        {
            topCandidates[topCandidateCount++] = swarm;
        }
        else if (swarm.size() > topCandidates[smallest].size())
        {
            topCandidates[smallest] = swarm;
        }
    }

    /** Once a sweep has visited every swarm (and at most once a second), publish what it saw. */
    private void publishTopSwarms(final long nowMs)
    {
        if (nowMs - topPublishedMs < 1000)
        {
            return;
        }
        topPublishedMs = nowMs;
        final java.util.ArrayList<TopSwarm> top = new java.util.ArrayList<>(topCandidateCount);
        for (int i = 0; i < topCandidateCount; i++)
        {
            final Swarm s = topCandidates[i];
            if (s.size() > 0)
            {
                top.add(new TopSwarm(org.agrona.BitUtil.toHex(s.key.bytes), s.seeders(), s.leechers(), s.downloaded));
            }
            topCandidates[i] = null;
        }
        topCandidateCount = 0;
        top.sort((a, b) -> Integer.compare(b.seeders() + b.leechers(), a.seeders() + a.leechers()));
        topSwarms = List.copyOf(top);
    }

    /** A dual-stacked peer whose first address expired lives on through its other one. */
    private void promoteAlt(final Swarm swarm, final int slot)
    {
        account(swarm, slot, -1);
        final UnsafeBuffer slots = swarm.slots;
        final int base = Swarm.offset(slot);
        slots.putBytes(base + Swarm.ADDRESS_OFFSET, slots, base + Swarm.ALT_ADDRESS_OFFSET, RequestEvent.ADDRESS_LENGTH);
        slots.putShort(base + Swarm.PORT_OFFSET, slots.getShort(base + Swarm.ALT_PORT_OFFSET));
        slots.putLong(base + Swarm.LAST_SEEN_OFFSET, slots.getLong(base + Swarm.ALT_LAST_SEEN_OFFSET));
        swarm.flags(slot, (byte)(swarm.flags(slot) & ~Swarm.FLAG_DUAL));
        swarm.reindex(slot);
        account(swarm, slot, 1);
        store.putPeer(swarm.key.bytes, slots, base);
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
