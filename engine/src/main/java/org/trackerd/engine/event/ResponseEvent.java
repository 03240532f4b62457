package org.trackerd.engine.event;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One slot of a response ring, preallocated and reused: the swarm processor fills it, the frontend thread that
 * owns the socket reads it, encodes it for its wire and writes it.
 *
 * <p>Peers are stored in three parallel arrays so a frontend can encode whichever form the client asked for:
 * <pre>
 *   peerIds   : count x 20 bytes
 *   peerAddrs : count x 16 bytes (IPv4-mapped for IPv4 peers)
 *   peerPorts : count x int
 * </pre>
 * or, when the request asked for compact peers only ({@link RequestEvent#compactPeers}: every UDP announce, HTTP
 * {@code compact=1}), only in wire form, split by family:
 * <pre>
 *   compact4  : compact4Count x (IPv4 address, port), 6 bytes each, network order (BEP 23, BEP 15)
 *   compact6  : compact6Count x (IPv6 address, port), 18 bytes each, network order (BEP 7, BEP 15)
 * </pre>
 * so a frontend copies each family's peers as one block.
 */
public final class ResponseEvent
{
    /** Bytes of one compact IPv4 peer: address and port. */
    public static final int COMPACT4 = 6;
    /** Bytes of one compact IPv6 peer: address and port. */
    public static final int COMPACT6 = 18;

    public byte kind;
    public Status status = Status.OK;
    public long correlationId;
    public int context;
    public long receivedNs;
    public final byte[] replyAddress = new byte[RequestEvent.ADDRESS_LENGTH];
    public int replyPort;

    public int intervalSeconds;
    public int minIntervalSeconds;
    /** Seeders. */
    public int complete;
    /** Leechers. */
    public int incomplete;
    public long downloaded;

    public int peerCount;
    /** Compact answers: peers in {@link #compact4} and {@link #compact6} (not in the three arrays above). */
    public int compact4Count;
    public int compact6Count;
    public final byte[] compact4;
    public final byte[] compact6;
    public final byte[] peerIds;
    public final byte[] peerAddrs;
    public final int[] peerPorts;
    /** Views of {@link #peerAddrs}, {@link #compact4} and {@link #compact6}, made once with the slot. */
    public final UnsafeBuffer peerAddrsView;
    public final UnsafeBuffer compact4View;
    public final UnsafeBuffer compact6View;

    public int scrapeCount;
    public final byte[] scrapeHashes;
    public final int[] scrapeComplete;
    public final int[] scrapeIncomplete;
    public final long[] scrapeDownloaded;

    /**
     * WebRTC announce: the peers its offers go to, offer {@code i} of the request to the connection
     * ({@link #relayFrontend}[i], {@link #relayCorrelation}[i]); WebRTC answer: 1 with the offering peer's
     * connection, 0 when the answer is to an offer never sent to the answering peer (dropped).
     */
    public int relayCount;
    public final int[] relayFrontend = new int[RequestEvent.MAX_OFFERS];
    public final long[] relayCorrelation = new long[RequestEvent.MAX_OFFERS];

    public ResponseEvent(final int maxPeers, final int maxScrapeHashes)
    {
        peerIds = new byte[maxPeers * RequestEvent.HASH_LENGTH];
        peerAddrs = new byte[maxPeers * RequestEvent.ADDRESS_LENGTH];
        peerPorts = new int[maxPeers];
        compact4 = new byte[maxPeers * COMPACT4];
        compact6 = new byte[maxPeers * COMPACT6];
        peerAddrsView = new UnsafeBuffer(peerAddrs);
        compact4View = new UnsafeBuffer(compact4);
        compact6View = new UnsafeBuffer(compact6);
        scrapeHashes = new byte[maxScrapeHashes * RequestEvent.HASH_LENGTH];
        scrapeComplete = new int[maxScrapeHashes];
        scrapeIncomplete = new int[maxScrapeHashes];
        scrapeDownloaded = new long[maxScrapeHashes];
    }

    /**
     * Makes this slot a failure answer to {@code request}: addressed as the request was, no peers or counts, the
     * client told {@code status}'s reason.
     */
    public void failed(final RequestEvent request, final Status status)
    {
        kind = request.kind;
        this.status = status;
        correlationId = request.correlationId;
        context = request.context;
        receivedNs = request.receivedNs;
        System.arraycopy(request.replyAddress, 0, replyAddress, 0, RequestEvent.ADDRESS_LENGTH);
        replyPort = request.replyPort;
        complete = 0;
        incomplete = 0;
        downloaded = 0;
        peerCount = 0;
        compact4Count = 0;
        compact6Count = 0;
        scrapeCount = 0;
        relayCount = 0;
    }

    /**
     * Appends one peer in compact form from its 16-byte address (IPv4-mapped for IPv4): how an answer is built
     * outside the engine (tests, benchmarks); the engine writes the same bytes straight from the swarm's pages.
     */
    public void addCompactPeer(final byte[] address16, final int offset, final int port)
    {
        if (RequestEvent.isIpv4Mapped(address16, offset))
        {
            final int to = compact4Count++ * COMPACT4;
            System.arraycopy(address16, offset + 12, compact4, to, 4);
            compact4[to + 4] = (byte)(port >>> 8);
            compact4[to + 5] = (byte)port;
        }
        else
        {
            final int to = compact6Count++ * COMPACT6;
            System.arraycopy(address16, offset, compact6, to, 16);
            compact6[to + 16] = (byte)(port >>> 8);
            compact6[to + 17] = (byte)port;
        }
    }
}
