package org.trackerd.engine.event;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One slot of the request ring, preallocated and reused. A frontend thread fills it between claim and publish;
 * the swarm processor reads it afterwards. Nothing in it is a {@code String} or allocated per request.
 *
 * <p>Addresses are always 16 bytes: IPv6 as is, IPv4 as an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}),
 * so one comparison serves both families.
 */
public final class RequestEvent
{
    public static final byte KIND_ANNOUNCE = 1;
    public static final byte KIND_SCRAPE = 2;
    /** A clock tick the processor agent publishes itself every {@code expiry_tick_ms}: runs an expiry slice. */
    public static final byte KIND_TICK = 3;
    /**
     * A WebTorrent announce from a WebSocket connection: joins (or leaves, with {@link #EVENT_STOPPED}) the
     * torrent's WebRTC peer set; {@link #offerCount} offer_ids ask for that many other WebRTC peers to send them to.
     * {@link #correlationId} with {@link #frontendId} is the connection's handle.
     */
    public static final byte KIND_WEBRTC_ANNOUNCE = 4;
    /** A WebTorrent answer: {@link #peerId} answers offer {@link #offerId} of {@link #toPeerId}. */
    public static final byte KIND_WEBRTC_ANSWER = 5;

    /** The most offer_ids one WebRTC announce carries (the config's bound, {@code webtorrent.max_offers}). */
    public static final int MAX_OFFERS = 16;

    /** BEP 15 event codes, used for both protocols. */
    public static final byte EVENT_NONE = 0;
    public static final byte EVENT_COMPLETED = 1;
    public static final byte EVENT_STARTED = 2;
    public static final byte EVENT_STOPPED = 3;

    public static final int HASH_LENGTH = 20;
    public static final int ADDRESS_LENGTH = 16;

    public byte kind;
    /** Which response queue gets the answer. */
    public int frontendId;
    /** Opaque to the engine, copied into the response (a connection slot and generation, a transaction id). */
    public long correlationId;
    /** Opaque to the engine, copied into the response (encoding options such as compact or no_peer_id). */
    public int context;
    /** {@code System.nanoTime()} when the request's bytes were read; copied into the response for latency. */
    public long receivedNs;

    /** Where the answer goes (for UDP); copied into the response. */
    public final byte[] replyAddress = new byte[ADDRESS_LENGTH];
    public int replyPort;

    public final byte[] infoHash = new byte[HASH_LENGTH];
    public final byte[] peerId = new byte[HASH_LENGTH];
    /** The peer's address as it will be handed to others (16 bytes, IPv4-mapped for IPv4). */
    public final byte[] address = new byte[ADDRESS_LENGTH];
    /** Views of {@link #peerId} and {@link #address}, made once with the slot. */
    public final UnsafeBuffer peerIdView = new UnsafeBuffer(peerId);
    public final UnsafeBuffer addressView = new UnsafeBuffer(address);
    public int port;
    public long uploaded;
    public long downloaded;
    public long left;
    public byte event;
    /** Negative means "the configured default". */
    public int numWant;
    /** The answer will carry peer ids (HTTP dictionary form without no_peer_id); otherwise they are not copied. */
    public boolean wantPeerIds = true;
    /**
     * The answer carries peers in compact form only (BEP 23 and BEP 7 for HTTP, BEP 15 for UDP): the engine writes
     * them in wire form straight away ({@link ResponseEvent#compact4}, {@link ResponseEvent#compact6}), and only so.
     */
    public boolean compactPeers;
    public boolean hasKey;
    public int key;

    public int scrapeCount;
    public final byte[] scrapeHashes;

    /**
     * The peer's address in the other family, when the request named one the tracker chose to honour (BEP 7
     * {@code ipv4=}/{@code ipv6=}); the engine keeps it beside {@link #address}: one peer reachable two ways.
     */
    public final byte[] altAddress = new byte[ADDRESS_LENGTH];
    public boolean hasAltAddress;
    public int altPort;
    /** The transport carries peers of the requester's family only (UDP), whatever the family policy says. */
    public boolean oneFamily;

    /** Private mode: the announcing user and torrent (site ids) and what the announce counts towards; 0 in public mode. */
    public int userId;
    public int torrentId;
    /** {@code org.trackerd.engine.site.Accounting} flags. */
    public byte accounting;

    /** WebRTC announce: offers carried (their offer_ids in {@link #offerIds}, 20 bytes each). */
    public int offerCount;
    public final byte[] offerIds = new byte[MAX_OFFERS * HASH_LENGTH];
    /** WebRTC answer: the offering peer and its offer. */
    public final byte[] toPeerId = new byte[HASH_LENGTH];
    public final byte[] offerId = new byte[HASH_LENGTH];

    public RequestEvent(final int maxScrapeHashes)
    {
        scrapeHashes = new byte[maxScrapeHashes * HASH_LENGTH];
    }

    public int maxScrapeHashes()
    {
        return scrapeHashes.length / HASH_LENGTH;
    }

    private static final java.lang.invoke.VarHandle LONG_BE =
        java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.invoke.VarHandle INT_BE =
        java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.BIG_ENDIAN);

    /** True when the 16-byte address is IPv4-mapped ({@code ::ffff:0:0/96}): two word compares, no loop. */
    public static boolean isIpv4Mapped(final byte[] address, final int offset)
    {
        return (long)LONG_BE.get(address, offset) == 0 && (int)INT_BE.get(address, offset + 8) == 0x0000_FFFF;
    }

    /** The IPv4 address of an IPv4-mapped 16-byte address, as a big-endian int (network order when written BE). */
    public static int ipv4(final byte[] address, final int offset)
    {
        return (int)INT_BE.get(address, offset + 12);
    }

    /** Writes an IPv4 address (4 bytes) as IPv4-mapped IPv6 into a 16-byte field. */
    public static void putIpv4Mapped(final byte[] dst, final int dstOffset, final byte[] ipv4, final int srcOffset)
    {
        java.util.Arrays.fill(dst, dstOffset, dstOffset + 10, (byte)0);
        dst[dstOffset + 10] = (byte)0xFF;
        dst[dstOffset + 11] = (byte)0xFF;
        System.arraycopy(ipv4, srcOffset, dst, dstOffset + 12, 4);
    }

    /** Copies a request a frontend parsed into its scratch event into a ring slot (the scratch is never shared). */
    public void copyFrom(final RequestEvent src)
    {
        kind = src.kind;
        frontendId = src.frontendId;
        correlationId = src.correlationId;
        context = src.context;
        receivedNs = src.receivedNs;
        System.arraycopy(src.replyAddress, 0, replyAddress, 0, ADDRESS_LENGTH);
        replyPort = src.replyPort;
        System.arraycopy(src.infoHash, 0, infoHash, 0, HASH_LENGTH);
        System.arraycopy(src.peerId, 0, peerId, 0, HASH_LENGTH);
        System.arraycopy(src.address, 0, address, 0, ADDRESS_LENGTH);
        port = src.port;
        uploaded = src.uploaded;
        downloaded = src.downloaded;
        left = src.left;
        event = src.event;
        numWant = src.numWant;
        wantPeerIds = src.wantPeerIds;
        compactPeers = src.compactPeers;
        hasKey = src.hasKey;
        key = src.key;
        System.arraycopy(src.altAddress, 0, altAddress, 0, ADDRESS_LENGTH);
        hasAltAddress = src.hasAltAddress;
        altPort = src.altPort;
        oneFamily = src.oneFamily;
        userId = src.userId;
        torrentId = src.torrentId;
        accounting = src.accounting;
        scrapeCount = Math.min(src.scrapeCount, maxScrapeHashes());
        System.arraycopy(src.scrapeHashes, 0, scrapeHashes, 0, scrapeCount * HASH_LENGTH);
        if (src.kind == KIND_WEBRTC_ANNOUNCE || src.kind == KIND_WEBRTC_ANSWER)
        {
            // only WebTorrent requests carry these: the BitTorrent path copies nothing more
            offerCount = Math.min(src.offerCount, MAX_OFFERS);
            System.arraycopy(src.offerIds, 0, offerIds, 0, offerCount * HASH_LENGTH);
            System.arraycopy(src.toPeerId, 0, toPeerId, 0, HASH_LENGTH);
            System.arraycopy(src.offerId, 0, offerId, 0, HASH_LENGTH);
        }
    }
}
