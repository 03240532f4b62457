package org.trackerd.io.udp;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.event.RequestEvent;

import java.nio.charset.StandardCharsets;

/**
 * Validates one received datagram and turns it into what the frontend must do: answer a connect, publish an
 * announce or scrape (filled into a scratch {@link RequestEvent}), answer with an error, or stay silent.
 * No I/O and no allocation: the frontend owns the sockets, this class owns the rules.
 *
 * <p>The anti-amplification rule lives here: an address that has not proved it receives our packets (with a
 * valid connection id) never gets more bytes back than it sent, so a spoofed source cannot turn the tracker into
 * an amplifier. Such errors degrade to silence.
 *
 * <p>Thread: one instance per frontend thread; not thread-safe.
 */
public final class UdpRequestDecoder
{
    /** Say nothing: too short to answer, or an answer would be larger than the request from an unproven sender. */
    public static final int DROP = 0;
    /** Answer with {@link #connectionId()} now; no engine round trip. */
    public static final int CONNECT = 1;
    /** Publish the scratch event (kind announce or scrape) to the engine. */
    public static final int PUBLISH = 2;
    /** Answer with {@link #error()}'s text. */
    public static final int ERROR = 3;

    /** {@link RequestEvent#context} bit: the sender is IPv6, so the answer carries 18-byte IPv6 peers. */
    public static final int CONTEXT_IPV6 = 1;

    /** What a client got wrong; each text is short, as every byte goes back to the client. */
    public enum Error
    {
        NONE(""),
        TOO_SHORT(""),
        BAD_PROTOCOL_ID("bad protocol id"),
        UNKNOWN_ACTION("unknown action"),
        BAD_CONNECTION_ID("bad connection id"),
        TRUNCATED_ANNOUNCE("truncated announce"),
        BAD_EVENT("bad event"),
        BAD_PORT("bad port"),
        TRUNCATED_SCRAPE("truncated scrape"),
        NO_INFO_HASH("no info hash"),
        TOO_MANY_HASHES("too many info hashes");

        public final byte[] message;

        Error(final String message)
        {
            this.message = message.getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final RequestHeaderFlyweight header = new RequestHeaderFlyweight();
    private final AnnounceRequestFlyweight announce = new AnnounceRequestFlyweight();
    private final ScrapeRequestFlyweight scrape = new ScrapeRequestFlyweight();
    private final ConnectionIds connectionIds;
    private final boolean allowIpSpoofing;
    private final boolean allowCrossFamilyIp;
    private final UnsafeBuffer urlData = new UnsafeBuffer(new byte[UdpProtocol.MAX_DATAGRAM_LENGTH]);

    private int transactionId;
    private long connectionId;
    private Error error = Error.NONE;
    private boolean badConnectionId;

    public UdpRequestDecoder(final ConnectionIds connectionIds, final boolean allowIpSpoofing)
    {
        this(connectionIds, allowIpSpoofing, false);
    }

    public UdpRequestDecoder(final ConnectionIds connectionIds, final boolean allowIpSpoofing,
        final boolean allowCrossFamilyIp)
    {
        this.allowCrossFamilyIp = allowCrossFamilyIp;
        this.connectionIds = connectionIds;
        this.allowIpSpoofing = allowIpSpoofing;
    }

    private int action = -1;

    /** The BEP 15 action of the last decoded packet, or -1 when it was too short to have one. */
    public int action()
    {
        return action;
    }

    /**
     * Decodes a datagram of {@code length} bytes from index 0 of {@code buffer}, sent from {@code sender16}
     * (16 bytes, IPv4-mapped for IPv4) and {@code senderPort}, at {@code epochSeconds}.
     *
     * @return {@link #DROP}, {@link #CONNECT}, {@link #PUBLISH} (then {@code out} holds the request, with the
     * sender as reply address and the transaction id in the low 32 bits of {@code correlationId}) or
     * {@link #ERROR}.
     */
    public int decode(final MutableDirectBuffer buffer, final int length, final byte[] sender16, final int senderPort,
        final long epochSeconds, final RequestEvent out)
    {
        error = Error.NONE;
        badConnectionId = false;
        action = -1;
        transactionId = 0;
        connectionId = 0;
        if (length < RequestHeaderFlyweight.LENGTH)
        {
            error = Error.TOO_SHORT;
            return DROP;
        }
        header.wrap(buffer, 0);
        transactionId = header.transactionId();
        action = header.action();
        if (action == UdpProtocol.ACTION_CONNECT)
        {
            if (header.connectionId() != UdpProtocol.PROTOCOL_ID)
            {
                return fail(Error.BAD_PROTOCOL_ID, false, length);
            }
            connectionId = connectionIds.issue(sender16, senderPort, epochSeconds);
            return CONNECT;
        }
        if (action != UdpProtocol.ACTION_ANNOUNCE && action != UdpProtocol.ACTION_SCRAPE)
        {
            return fail(Error.UNKNOWN_ACTION, false, length);
        }
        if (!connectionIds.isValid(header.connectionId(), sender16, senderPort, epochSeconds))
        {
            badConnectionId = true;
            return fail(Error.BAD_CONNECTION_ID, false, length);
        }
        out.correlationId = transactionId & 0xFFFF_FFFFL;
        System.arraycopy(sender16, 0, out.replyAddress, 0, RequestEvent.ADDRESS_LENGTH);
        out.replyPort = senderPort;
        out.context = RequestEvent.isIpv4Mapped(sender16, 0) ? 0 : CONTEXT_IPV6;
        return action == UdpProtocol.ACTION_ANNOUNCE ?
            decodeAnnounce(buffer, length, sender16, out) : decodeScrape(buffer, length, out);
    }

    private int decodeAnnounce(final MutableDirectBuffer buffer, final int length, final byte[] sender16,
        final RequestEvent out)
    {
        if (length < AnnounceRequestFlyweight.LENGTH)
        {
            return fail(Error.TRUNCATED_ANNOUNCE, true, length);
        }
        final AnnounceRequestFlyweight a = announce.wrap(buffer, 0);
        final int event = a.event();
        if (event < RequestEvent.EVENT_NONE || event > RequestEvent.EVENT_STOPPED)
        {
            return fail(Error.BAD_EVENT, true, length);
        }
        final int port = a.port();
        if (port == 0)
        {
            return fail(Error.BAD_PORT, true, length);
        }
        out.kind = RequestEvent.KIND_ANNOUNCE;
        a.getInfoHash(out.infoHash, 0);
        a.getPeerId(out.peerId, 0);
        out.downloaded = a.downloaded();
        out.left = a.left();
        out.uploaded = a.uploaded();
        out.event = (byte)event;
        System.arraycopy(sender16, 0, out.address, 0, RequestEvent.ADDRESS_LENGTH);
        out.hasAltAddress = false;
        // UDP answers carry the sender's family only: the engine picks from that family whatever the policy.
        out.oneFamily = true;
        if (allowIpSpoofing && a.ip() != 0)
        {
            // The field is IPv4: it replaces an IPv4 sender's address; from an IPv6 sender it is the peer's
            // other address, and only when cross-family addresses are allowed.
            final boolean ipv4Sender = RequestEvent.isIpv4Mapped(sender16, 0);
            if (ipv4Sender || allowCrossFamilyIp)
            {
                final byte[] target = ipv4Sender ? out.address : out.altAddress;
                java.util.Arrays.fill(target, 0, 10, (byte)0);
                target[10] = (byte)0xFF;
                target[11] = (byte)0xFF;
                a.getIp(target, 12);
                out.hasAltAddress = !ipv4Sender;
                out.altPort = port;
            }
        }
        out.port = port;
        // A key of 0 is what a client sends when it has none: it must not prove identity from another address.
        out.key = a.key();
        out.hasKey = out.key != 0;
        out.wantPeerIds = false; // BEP 15 answers carry addresses and ports only
        out.compactPeers = true;
        final int numWant = a.numWant();
        out.numWant = numWant < 0 ? -1 : numWant;
        out.scrapeCount = 0;
        a.parseOptions(length, urlData);
        return PUBLISH;
    }

    private int decodeScrape(final MutableDirectBuffer buffer, final int length, final RequestEvent out)
    {
        final int payload = length - ScrapeRequestFlyweight.INFO_HASHES_OFFSET;
        if (payload % UdpProtocol.INFO_HASH_LENGTH != 0)
        {
            return fail(Error.TRUNCATED_SCRAPE, true, length);
        }
        final int count = payload / UdpProtocol.INFO_HASH_LENGTH;
        if (count == 0)
        {
            return fail(Error.NO_INFO_HASH, true, length);
        }
        if (count > out.maxScrapeHashes())
        {
            return fail(Error.TOO_MANY_HASHES, true, length);
        }
        out.kind = RequestEvent.KIND_SCRAPE;
        out.scrapeCount = count;
        buffer.getBytes(ScrapeRequestFlyweight.INFO_HASHES_OFFSET, out.scrapeHashes, 0,
            count * UdpProtocol.INFO_HASH_LENGTH);
        return PUBLISH;
    }

    private int fail(final Error reason, final boolean senderVerified, final int length)
    {
        error = reason;
        if (!senderVerified && ErrorResponseFlyweight.length(reason.message.length) > length)
        {
            return DROP;
        }
        return ERROR;
    }

    public int transactionId()
    {
        return transactionId;
    }

    /** After {@link #CONNECT}: the id to give the client. */
    public long connectionId()
    {
        return connectionId;
    }

    /** After {@link #ERROR} or {@link #DROP}: why. */
    public Error error()
    {
        return error;
    }

    /** True when the last datagram carried a connection id we did not issue (or issued too long ago). */
    public boolean badConnectionId()
    {
        return badConnectionId;
    }

    /** After an announce: the BEP 41 options as parsed (URLData, unknown count, truncation). */
    public AnnounceRequestFlyweight announce()
    {
        return announce;
    }

    /**
     * After an announce: the concatenated BEP 41 URLData (path and query of the announce URL), valid until the
     * next {@link #decode}, length {@code announce().urlDataLength()}.
     */
    public UnsafeBuffer urlData()
    {
        return urlData;
    }
}
