package org.trackerd.engine.swarm;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.address.IpAddresses;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the peers an announce gets and writes them into its answer: from each page read, the records the
 * requester may get (leechers for a seeder, everyone for a leecher, in the families it can reach) as one window of
 * consecutive records from a random start, so no scan and no per-peer filtering; with a preferred subnet configured,
 * a bounded window of candidates is gathered first and those in the requester's subnet are handed out first.
 *
 * <p>All its state is the current announce's: {@link #start} resets it, {@link #read} adds the peers of one page,
 * {@link #finish} completes the answer, {@link #release} lets go of it. Nothing is allocated.
 *
 * <p>Thread: the swarm processor only.
 */
final class PeerSelection
{
    /** Preferred-subnet selection gathers a bounded window of candidates first: address (16), port (2), id (20). */
    private static final int CANDIDATE = 38;
    private static final boolean NATIVE_BIG_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    private final SplittableRandom random;
    private final int defaultNumWant;
    private final int maxNumWant;
    private final boolean bothFamilies;
    /** Preferred-subnet prefix over the 16-byte form (IPv4 as 96 + bits); 0 = off for that family. */
    private final int preferredBitsIpv4;
    private final int preferredBitsIpv6;
    private final int probeSize;
    private final UnsafeBuffer candidates;
    private final boolean[] taken;

    // The current announce's, set by start().
    private RequestEvent request;
    private ResponseEvent current;
    private int want;
    /** The requester's address family: 0 IPv4, 1 IPv6. */
    private int currentFamily;
    private boolean currentWantsPeerIds;
    /** The current answer's views (its ring slot's, made once with the slot: no wrap per announce). */
    private UnsafeBuffer responseAddresses;
    /** The current answer's compact peers of each family, when it wants peers in compact form only. */
    private UnsafeBuffer compact4;
    private UnsafeBuffer compact6;
    private boolean currentCompact;
    private boolean gathering;
    private int candidateCount;
    // The ranges of records of the page being read: one or two contiguous runs of buckets.
    /** The ranges hold only records with an IPv4 address and the requester is IPv4: every peer goes out as 6 bytes. */
    private boolean ipv4Only;
    private int fromA;
    private int toA;
    private int fromB;
    private int toB;
    // The layout of the page being read (full, or compact: IPv4-only records), set by read().
    private int recordLength;
    private int v4AddressAt;
    private int v4PortAt;
    private int flagsAt;

    PeerSelection(final TrackerConfig config, final long seed)
    {
        this.random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        this.defaultNumWant = config.tracker.defaultNumWant;
        this.maxNumWant = config.tracker.maxNumWant;
        this.bothFamilies = TrackerConfig.Tracker.PEER_FAMILY_BOTH.equals(config.tracker.peerFamily);
        this.preferredBitsIpv4 = config.tracker.preferredIpv4Prefix == 0 ? 0 : 96 + config.tracker.preferredIpv4Prefix;
        this.preferredBitsIpv6 = config.tracker.preferredIpv6Prefix;
        this.probeSize = probeSize(config.tracker.maxNumWant);
        this.candidates = new UnsafeBuffer(new byte[probeSize * CANDIDATE]);
        this.taken = new boolean[probeSize];
    }

    /** Members probed per announce when preferring the requester's subnet. */
    static int probeSize(final int maxNumWant)
    {
        return Math.max(256, 4 * maxNumWant);
    }

    /**
     * Starts the answer {@code r} to the announce {@code e}; returns how many records to read from the swarm's pages
     * (the peers wanted, or the candidates to gather when preferring the requester's subnet).
     */
    int start(final RequestEvent e, final ResponseEvent r)
    {
        want = e.numWant < 0 ? defaultNumWant : Math.min(e.numWant, maxNumWant);
        request = e;
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
        return gathering ? Math.max(want, probeSize) : want;
    }

    /** A page of a swarm of {@code pages} to start reading at, at random. */
    int firstPage(final int pages)
    {
        return nextInt(pages);
    }

    /**
     * Reads up to {@code budget} records of a page that the requester (a seeder or not) may get, skipping the
     * requester's own record at {@code exclude} (-1: not in this page); returns how many.
     */
    int read(final UnsafeBuffer page, final boolean seeder, final int exclude, final int budget)
    {
        recordLength = Page.recordLength(page);
        v4AddressAt = Page.v4AddressAt(page);
        v4PortAt = Page.v4PortAt(page);
        flagsAt = Page.flagsAt(page);
        ranges(page, seeder);
        return window(page, exclude, budget);
    }

    /** Preferred subnet: the gathered candidates in its subnet first, in their random order, then the rest. */
    void finish()
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
        final byte[] address = request.address;
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < candidateCount && r.peerCount < want; i++)
            {
                final int at = i * CANDIDATE;
                if (taken[i])
                {
                    continue;
                }
                final boolean local = IpAddresses.samePrefix(raw, at, address, 0, bits);
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

    /** After each request: lets go of its request and answer (their ring slots are reused). */
    void release()
    {
        gathering = false;
        request = null;
        current = null;
    }

    /**
     * The records the requester gets from a page: leechers for a seeder, everyone for a leecher, restricted to
     * those the requester's family can reach unless the policy hands out both families; one or two contiguous
     * bucket ranges.
     */
    private void ranges(final UnsafeBuffer buffer, final boolean seeder)
    {
        final int family = currentFamily;
        fromB = 0;
        toB = 0;
        ipv4Only = family == 0;
        if (bothFamilies && !request.oneFamily)
        {
            ipv4Only = false;
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
        int i = n == eligible ? 0 : nextInt(available);
        if (currentCompact && !gathering && ipv4Only &&
            (current.compact4Count + n) * ResponseEvent.COMPACT4 <= compact4.capacity())
        {
            runs(buffer, exclude, n, i, lengthA, available);
            return n;
        }
        int handedOut = 0;
        // Decided once per page, so the compact path (small enough to be inlined here) costs no call per peer.
        final boolean compactOnly = currentCompact && !gathering;
        while (handedOut < n)
        {
            final int pos = i < lengthA ? fromA + i : fromB + (i - lengthA);
            if (pos != exclude)
            {
                if (compactOnly)
                {
                    emitCompact(buffer, pos);
                }
                else
                {
                    emit(buffer, pos);
                }
                handedOut++;
            }
            if (++i == available)
            {
                i = 0;
            }
        }
        return n;
    }

    /**
     * {@link #window} for a compact answer to an IPv4 requester whose ranges hold only records with an IPv4
     * address (its own family's buckets: every UDP announce over IPv4, and HTTP {@code compact=1}), with room for
     * all {@code n}: the window, from virtual position {@code i} of the ranges (wrapping), is cut into runs of
     * consecutive records, around the requester's own, and each run is copied by {@link #copyCompact4} with no
     * per-peer branch.
     */
    private void runs(final UnsafeBuffer buffer, final int exclude, final int n, final int start, final int lengthA,
        final int available)
    {
        int remaining = n;
        int i = start;
        while (remaining > 0)
        {
            final boolean inA = i < lengthA;
            final int pos = inA ? fromA + i : fromB + (i - lengthA);
            final int end = inA ? toA : toB;
            final int take = Math.min(end - pos, remaining);
            final int consumed;
            if (exclude >= pos && exclude < pos + take)
            {
                copyCompact4(buffer, pos, exclude);
                final int after = Math.min(end, pos + take + 1);
                copyCompact4(buffer, exclude + 1, after);
                remaining -= after - pos - 1;
                consumed = after - pos;
            }
            else
            {
                copyCompact4(buffer, pos, pos + take);
                remaining -= take;
                consumed = take;
            }
            i += consumed;
            if (i == available)
            {
                i = 0;
            }
        }
    }

    /**
     * Copies the IPv4 address and port of records {@code [from, to)} of the page into the answer's compact IPv4
     * peers: positions inside the page ({@link #window}'s ranges are below its count), room checked by the caller.
     */
    private void copyCompact4(final UnsafeBuffer buffer, final int from, final int to)
    {
        final int count = to - from;
        if (count <= 0)
        {
            return;
        }
        final ResponseEvent r = current;
        final byte[] page = buffer.byteArray();
        // The page's own layout (read() took it): full records or a compact page's shorter ones.
        final int stride = recordLength;
        final int portFromAddress = v4PortAt - v4AddressAt;
        long at = buffer.addressOffset() + Page.HEADER + (long)from * stride + v4AddressAt;
        final byte[] out = compact4.byteArray();
        long o = compact4.addressOffset() + (long)r.compact4Count * ResponseEvent.COMPACT4;
        final long end = o + (long)count * ResponseEvent.COMPACT4;
        for (; o < end; o += ResponseEvent.COMPACT4, at += stride)
        {
            UnsafeApi.putInt(out, o, UnsafeApi.getInt(page, at));
            final short port = UnsafeApi.getShort(page, at + portFromAddress); // native order
            UnsafeApi.putShort(out, o + 4, NATIVE_BIG_ENDIAN ? port : Short.reverseBytes(port));
        }
        r.peerCount += count;
        r.compact4Count += count;
    }

    /** A uniform int in {@code [0, bound)}: a multiply and a shift, no division (Lemire's method, bias < 2^-32 * bound). */
    private int nextInt(final int bound)
    {
        return (int)(((random.nextInt() & 0xFFFF_FFFFL) * bound) >>> 32);
    }

    /**
     * Copies one peer into the answer's dictionary form or into the candidates (a compact answer not gathering
     * candidates takes {@link #emitCompact}): its address in the requester's family if it has one.
     */
    private void emit(final UnsafeBuffer buffer, final int pos)
    {
        // A compact page's records have HAS_V6 clear: always the IPv4 branch, never a read of IPv6 fields.
        final int at = Page.HEADER + pos * recordLength;
        final int flags = buffer.getByte(at + flagsAt) & 0xFF;
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
            out.putInt(to + 12, buffer.getInt(at + v4AddressAt));
            port = buffer.getShort(at + v4PortAt) & 0xFFFF;
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
        final int record = Page.HEADER + pos * recordLength;
        final long at = buffer.addressOffset() + record;
        final int flags = UnsafeApi.getByte(page, at + flagsAt);
        final boolean v4 = currentFamily == 0 ? (flags & Page.HAS_V4) != 0 : (flags & Page.HAS_V6) == 0;
        final ResponseEvent r = current;
        final int to = r.compact4Count * ResponseEvent.COMPACT4;
        if (!v4 || to + ResponseEvent.COMPACT4 > compact4.capacity())
        {
            putCompact(buffer, record + v4AddressAt, record + Page.V6_ADDRESS, v4,
                buffer.getShort(record + (v4 ? v4PortAt : Page.V6_PORT)) & 0xFFFF);
            return;
        }
        r.peerCount++;
        r.compact4Count++;
        final byte[] out = compact4.byteArray();
        final long o = compact4.addressOffset() + to;
        UnsafeApi.putInt(out, o, UnsafeApi.getInt(page, at + v4AddressAt));
        final short port = UnsafeApi.getShort(page, at + v4PortAt); // native order in the page
        UnsafeApi.putShort(out, o + 4, NATIVE_BIG_ENDIAN ? port : Short.reverseBytes(port));
    }

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
}
