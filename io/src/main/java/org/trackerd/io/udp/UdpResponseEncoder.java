package org.trackerd.io.udp;

import org.agrona.MutableDirectBuffer;
import org.trackerd.engine.event.ResponseEvent;

/**
 * Writes BEP 15 replies from index 0 of a send buffer and returns their length. An announce reply carries only
 * the peers of the sender's family: 6-byte IPv4 peers to an IPv4 sender, 18-byte IPv6 peers to an IPv6 sender
 * (a client announces once per family it has, BEP 7's rule carried over to UDP).
 *
 * <p>Thread: one instance per frontend thread; not thread-safe.
 */
public final class UdpResponseEncoder
{
    private final ConnectResponseFlyweight connect = new ConnectResponseFlyweight();
    private final AnnounceResponseFlyweight announce = new AnnounceResponseFlyweight();
    private final ScrapeResponseFlyweight scrape = new ScrapeResponseFlyweight();
    private final ErrorResponseFlyweight error = new ErrorResponseFlyweight();

    /** Largest reply for these limits. */
    public static int maxMessageBytes(final int maxPeers, final int maxScrapeHashes)
    {
        return Math.max(AnnounceResponseFlyweight.length(maxPeers, true), ScrapeResponseFlyweight.length(maxScrapeHashes))
            + 256;
    }

    public int connect(final MutableDirectBuffer buffer, final int transactionId, final long connectionId)
    {
        connect.wrap(buffer, 0)
            .action(UdpProtocol.ACTION_CONNECT)
            .transactionId(transactionId)
            .connectionId(connectionId);
        return ConnectResponseFlyweight.LENGTH;
    }

    public int error(final MutableDirectBuffer buffer, final int transactionId, final byte[] message)
    {
        return error.wrap(buffer, 0)
            .action(UdpProtocol.ACTION_ERROR)
            .transactionId(transactionId)
            .message(message);
    }

    public int announce(final MutableDirectBuffer buffer, final int transactionId, final ResponseEvent r,
        final boolean ipv6)
    {
        final AnnounceResponseFlyweight a = announce.wrap(buffer, 0)
            .action(UdpProtocol.ACTION_ANNOUNCE)
            .transactionId(transactionId)
            .interval(r.intervalSeconds)
            .leechers(r.incomplete)
            .seeders(r.complete);
        // The engine wrote the peers in wire form (a UDP announce asks for compact peers of its own family only).
        final int count = ipv6 ? r.compact6Count : r.compact4Count;
        a.putCompactPeers(ipv6 ? r.compact6 : r.compact4,
            count * (ipv6 ? ResponseEvent.COMPACT6 : ResponseEvent.COMPACT4));
        return AnnounceResponseFlyweight.length(count, ipv6);
    }

    public int scrape(final MutableDirectBuffer buffer, final int transactionId, final ResponseEvent r)
    {
        final ScrapeResponseFlyweight s = scrape.wrap(buffer, 0)
            .action(UdpProtocol.ACTION_SCRAPE)
            .transactionId(transactionId);
        for (int i = 0; i < r.scrapeCount; i++)
        {
            s.putEntry(i, r.scrapeComplete[i], (int)Math.min(Integer.MAX_VALUE, r.scrapeDownloaded[i]),
                r.scrapeIncomplete[i]);
        }
        return ScrapeResponseFlyweight.length(r.scrapeCount);
    }
}
