package org.trackerd.engine.event;

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
 */
public final class ResponseEvent
{
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
    public final byte[] peerIds;
    public final byte[] peerAddrs;
    public final int[] peerPorts;

    public int scrapeCount;
    public final byte[] scrapeHashes;
    public final int[] scrapeComplete;
    public final int[] scrapeIncomplete;
    public final long[] scrapeDownloaded;

    public ResponseEvent(final int maxPeers, final int maxScrapeHashes)
    {
        peerIds = new byte[maxPeers * RequestEvent.HASH_LENGTH];
        peerAddrs = new byte[maxPeers * RequestEvent.ADDRESS_LENGTH];
        peerPorts = new int[maxPeers];
        scrapeHashes = new byte[maxScrapeHashes * RequestEvent.HASH_LENGTH];
        scrapeComplete = new int[maxScrapeHashes];
        scrapeIncomplete = new int[maxScrapeHashes];
        scrapeDownloaded = new long[maxScrapeHashes];
    }

    public boolean isPeerIpv4(final int index)
    {
        return RequestEvent.isIpv4Mapped(peerAddrs, index * RequestEvent.ADDRESS_LENGTH);
    }
}
