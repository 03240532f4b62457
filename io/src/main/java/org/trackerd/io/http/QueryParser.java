package org.trackerd.io.http;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;
import org.trackerd.engine.event.RequestEvent;

import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.address.IpAddresses;

/**
 * Parses the query string of an announce or scrape straight from the receive buffer into a {@link RequestEvent}:
 * percent-decoding into the event's byte arrays, numbers parsed from ASCII, no {@code String} on the way.
 * Unknown parameters are ignored, as every tracker does.
 *
 * <p>Thread: one instance per frontend thread; not thread-safe.
 */
public final class QueryParser
{
    /** {@link RequestEvent#context} bits the HTTP encoder reads back from the response. */
    public static final int CONTEXT_COMPACT = 1;
    public static final int CONTEXT_NO_PEER_ID = 2;

    /** What was wrong with a query; the text goes to the client as {@code failure reason}. */
    public enum Error
    {
        NONE(""),
        BAD_ENCODING("malformed percent-encoding in the query"),
        MISSING_INFO_HASH("missing info_hash"),
        BAD_INFO_HASH("info_hash must be 20 bytes"),
        DUPLICATE_INFO_HASH("announce takes exactly one info_hash"),
        MISSING_PEER_ID("missing peer_id"),
        BAD_PEER_ID("peer_id must be 20 bytes"),
        MISSING_PORT("missing port"),
        BAD_PORT("port must be a number from 1 to 65535"),
        BAD_UPLOADED("uploaded must be a non-negative number"),
        BAD_DOWNLOADED("downloaded must be a non-negative number"),
        MISSING_LEFT("missing left"),
        BAD_LEFT("left must be a non-negative number"),
        BAD_EVENT("event must be started, completed, stopped or empty"),
        BAD_NUMWANT("numwant must be a non-negative number"),
        BAD_IP("ip, ipv4 or ipv6 is not a valid IPv4 or IPv6 address"),
        MISSING_SCRAPE_HASH("missing info_hash (full scrape is not offered)"),
        TOO_MANY_HASHES("too many info_hash values in one scrape");

        public final String reason;

        Error(final String reason)
        {
            this.reason = reason;
        }
    }

    private static final long NO_NUMBER = -1;
    private static final long BAD_NUMBER = -2;

    private final byte[] key = new byte[16];
    private final byte[] value = new byte[64];
    private final UnsafeBuffer valueBuffer = new UnsafeBuffer(value);
    private final boolean allowIpSpoofing;
    private final boolean allowCrossFamilyIp;
    /** Addresses named by {@code ip}, {@code ipv4}, {@code ipv6} (16 bytes each), their ports, whether present. */
    private final byte[] named = new byte[3 * 16];
    private final int[] namedPort = new int[3];
    private final boolean[] haveNamed = new boolean[3];
    /** Where the raw (still percent-encoded) {@code jwt} value lies in the parsed buffer; length -1 when absent. */
    private int jwtOffset;
    private int jwtLength = -1;

    public QueryParser(final boolean allowIpSpoofing)
    {
        this(allowIpSpoofing, false);
    }

    /**
     * @param allowIpSpoofing    honour {@code ip}/{@code ipv4}/{@code ipv6} for the family the request arrived on
     * @param allowCrossFamilyIp also honour an address of the other family, kept as the peer's second address
     */
    public QueryParser(final boolean allowIpSpoofing, final boolean allowCrossFamilyIp)
    {
        this.allowIpSpoofing = allowIpSpoofing;
        this.allowCrossFamilyIp = allowCrossFamilyIp;
    }

    /**
     * Parses an announce query. On success the event holds the hash, peer id, port, counters, event, numwant,
     * key and {@link #CONTEXT_COMPACT}/{@link #CONTEXT_NO_PEER_ID} in {@code context}; its address is left
     * as the caller set it unless {@code ip} is honoured.
     */
    public Error parseAnnounce(final DirectBuffer buffer, final int offset, final int length, final RequestEvent out)
    {
        out.kind = RequestEvent.KIND_ANNOUNCE;
        out.event = RequestEvent.EVENT_NONE;
        out.numWant = -1;
        out.hasKey = false;
        out.key = 0;
        out.uploaded = 0;
        out.downloaded = 0;
        out.scrapeCount = 0;
        out.hasAltAddress = false;
        out.oneFamily = false;
        haveNamed[0] = false;
        haveNamed[1] = false;
        haveNamed[2] = false;
        jwtLength = -1;
        boolean haveHash = false;
        boolean havePeerId = false;
        long port = NO_NUMBER;
        long left = NO_NUMBER;
        int context = CONTEXT_COMPACT;

        final int end = offset + length;
        int start = offset;
        while (start <= end)
        {
            int amp = HttpRequestParser.indexOf(buffer, start, end, (byte)'&');
            amp = amp < 0 ? end : amp;
            int eq = HttpRequestParser.indexOf(buffer, start, amp, (byte)'=');
            eq = eq < 0 ? amp : eq;
            final int valueStart = eq < amp ? eq + 1 : amp;
            final int keyLength = decode(buffer, start, eq, key, 0, key.length);
            if (keyLength > 0)
            {
                final Error error;
                final int id = keyId(keyLength);
                if (id != K_UNKNOWN && !wellFormed(buffer, valueStart, amp))
                {
                    // Report the client's real mistake, not "info_hash must be 20 bytes" or a silently dropped key.
                    return Error.BAD_ENCODING;
                }
                switch (id)
                {
                    case K_INFO_HASH:
                        if (haveHash)
                        {
                            return Error.DUPLICATE_INFO_HASH;
                        }
                        if (decode(buffer, valueStart, amp, out.infoHash, 0, 20) != 20)
                        {
                            return Error.BAD_INFO_HASH;
                        }
                        haveHash = true;
                        break;
                    case K_PEER_ID:
                        if (decode(buffer, valueStart, amp, out.peerId, 0, 20) != 20)
                        {
                            return Error.BAD_PEER_ID;
                        }
                        havePeerId = true;
                        break;
                    case K_PORT:
                        port = number(buffer, valueStart, amp);
                        if (port < 1 || port > 65535)
                        {
                            return Error.BAD_PORT;
                        }
                        break;
                    case K_UPLOADED:
                        out.uploaded = number(buffer, valueStart, amp);
                        if (out.uploaded < 0)
                        {
                            return Error.BAD_UPLOADED;
                        }
                        break;
                    case K_DOWNLOADED:
                        out.downloaded = number(buffer, valueStart, amp);
                        if (out.downloaded < 0)
                        {
                            return Error.BAD_DOWNLOADED;
                        }
                        break;
                    case K_LEFT:
                        left = number(buffer, valueStart, amp);
                        if (left < 0)
                        {
                            return Error.BAD_LEFT;
                        }
                        break;
                    case K_EVENT:
                        error = event(buffer, valueStart, amp, out);
                        if (error != Error.NONE)
                        {
                            return error;
                        }
                        break;
                    case K_NUMWANT:
                        final long numWant = number(buffer, valueStart, amp);
                        if (numWant < 0)
                        {
                            return Error.BAD_NUMWANT;
                        }
                        out.numWant = (int)Math.min(numWant, Integer.MAX_VALUE);
                        break;
                    case K_COMPACT:
                        context = isZero(buffer, valueStart, amp) ? context & ~CONTEXT_COMPACT : context | CONTEXT_COMPACT;
                        break;
                    case K_NO_PEER_ID:
                        context = isZero(buffer, valueStart, amp) ? context & ~CONTEXT_NO_PEER_ID :
                            context | CONTEXT_NO_PEER_ID;
                        break;
                    case K_KEY:
                        final int n = decode(buffer, valueStart, amp, value, 0, value.length);
                        if (n > 0)
                        {
                            out.hasKey = true;
                            out.key = keyHash(value, n);
                        }
                        break;
                    case K_IP:
                    case K_IPV4:
                    case K_IPV6:
                        if (allowIpSpoofing)
                        {
                            final int which = id - K_IP;
                            final int decoded = decode(buffer, valueStart, amp, value, 0, value.length);
                            final int p = decoded <= 0 ? IpAddresses.INVALID :
                                IpAddresses.parse(valueBuffer, 0, decoded, named, which * 16);
                            if (p == IpAddresses.INVALID)
                            {
                                return Error.BAD_IP;
                            }
                            namedPort[which] = p;
                            haveNamed[which] = true;
                        }
                        break;
                    case K_JWT:
                        jwtOffset = valueStart;
                        jwtLength = amp - valueStart;
                        break;
                    default:
                        break;
                }
            }
            else if (keyLength == DECODE_MALFORMED)
            {
                return Error.BAD_ENCODING;
            }
            start = amp + 1;
        }
        if (!haveHash)
        {
            return Error.MISSING_INFO_HASH;
        }
        if (!havePeerId)
        {
            return Error.MISSING_PEER_ID;
        }
        if (port == NO_NUMBER)
        {
            return Error.MISSING_PORT;
        }
        if (left == NO_NUMBER)
        {
            return Error.MISSING_LEFT;
        }
        out.port = (int)port;
        out.left = left;
        out.context = context;
        out.wantPeerIds = (context & (CONTEXT_COMPACT | CONTEXT_NO_PEER_ID)) == 0;
        out.compactPeers = (context & CONTEXT_COMPACT) != 0;
        if (allowIpSpoofing)
        {
            applyNamedAddresses(out);
        }
        return Error.NONE;
    }

    private void applyNamedAddresses(final RequestEvent out)
    {
        final boolean arrivedIpv4 = IpAddresses.isIpv4(out.address, 0);
        for (int which = 0; which < 3; which++)
        {
            if (!haveNamed[which])
            {
                continue;
            }
            final int offset = which * 16;
            final int port = namedPort[which] == IpAddresses.NO_PORT ? out.port : namedPort[which];
            if (port == 0)
            {
                continue;
            }
            if (IpAddresses.isIpv4(named, offset) == arrivedIpv4)
            {
                System.arraycopy(named, offset, out.address, 0, 16);
                out.port = port;
            }
            else if (allowCrossFamilyIp)
            {
                System.arraycopy(named, offset, out.altAddress, 0, 16);
                out.altPort = port;
                out.hasAltAddress = true;
            }
        }
    }

    /** Parses a scrape query: every {@code info_hash} goes into {@code scrapeHashes}, in order. */
    public Error parseScrape(final DirectBuffer buffer, final int offset, final int length, final RequestEvent out)
    {
        out.kind = RequestEvent.KIND_SCRAPE;
        out.scrapeCount = 0;
        out.context = 0;
        jwtLength = -1;
        final int max = out.maxScrapeHashes();
        final int end = offset + length;
        int start = offset;
        while (start <= end)
        {
            int amp = HttpRequestParser.indexOf(buffer, start, end, (byte)'&');
            amp = amp < 0 ? end : amp;
            int eq = HttpRequestParser.indexOf(buffer, start, amp, (byte)'=');
            eq = eq < 0 ? amp : eq;
            final int keyLength = decode(buffer, start, eq, key, 0, key.length);
            if (keyLength == DECODE_MALFORMED)
            {
                return Error.BAD_ENCODING;
            }
            final int id = keyLength > 0 ? keyId(keyLength) : K_UNKNOWN;
            if (id == K_JWT)
            {
                jwtOffset = eq < amp ? eq + 1 : amp;
                jwtLength = amp - jwtOffset;
            }
            else if (id == K_INFO_HASH)
            {
                if (out.scrapeCount == max)
                {
                    return Error.TOO_MANY_HASHES;
                }
                final int valueStart = eq < amp ? eq + 1 : amp;
                if (!wellFormed(buffer, valueStart, amp))
                {
                    return Error.BAD_ENCODING;
                }
                if (decode(buffer, valueStart, amp, out.scrapeHashes, out.scrapeCount * 20, 20) != 20)
                {
                    return Error.BAD_INFO_HASH;
                }
                out.scrapeCount++;
            }
            start = amp + 1;
        }
        return out.scrapeCount == 0 ? Error.MISSING_SCRAPE_HASH : Error.NONE;
    }

    /**
     * After a parse: offset in the parsed buffer of the raw, still percent-encoded {@code jwt} value (only
     * recorded, never copied, so a tracker without JWT pays nothing for it).
     */
    public int jwtOffset()
    {
        return jwtOffset;
    }

    /** After a parse: length of the raw {@code jwt} value, -1 when the query had none. */
    public int jwtLength()
    {
        return jwtLength;
    }

    public static final int DECODE_MALFORMED = -1;
    public static final int DECODE_TOO_LONG = -2;

    /**
     * Percent-decodes {@code [start, end)} into {@code dst}; {@code +} is a space. Returns the decoded length,
     * {@link #DECODE_MALFORMED} for a bad escape, or {@link #DECODE_TOO_LONG} when it would exceed {@code max}.
     */
    public static int decode(final DirectBuffer src, final int start, final int end, final byte[] dst,
        final int dstOffset, final int max)
    {
        if (start >= end)
        {
            return 0;
        }
        src.boundsCheck(start, end - start); // then raw reads: one check for the range, not one per byte
        final byte[] array = src.byteArray();
        final long base = src.addressOffset();
        int n = 0;
        int i = start;
        while (i < end)
        {
            byte b = UnsafeApi.getByte(array, base + i);
            if (b == '%')
            {
                if (i + 2 >= end)
                {
                    return DECODE_MALFORMED;
                }
                final int hi = hex(UnsafeApi.getByte(array, base + i + 1));
                final int lo = hex(UnsafeApi.getByte(array, base + i + 2));
                if (hi < 0 || lo < 0)
                {
                    return DECODE_MALFORMED;
                }
                b = (byte)((hi << 4) | lo);
                i += 3;
            }
            else
            {
                if (b == '+')
                {
                    b = ' ';
                }
                i++;
            }
            if (n == max)
            {
                return DECODE_TOO_LONG;
            }
            dst[dstOffset + n++] = b;
        }
        return n;
    }

    /** True when every {@code %} in {@code [start, end)} starts a complete escape of two hex digits. */
    static boolean wellFormed(final DirectBuffer src, final int start, final int end)
    {
        if (start >= end)
        {
            return true;
        }
        src.boundsCheck(start, end - start);
        final byte[] array = src.byteArray();
        final long base = src.addressOffset();
        for (int i = start; i < end; i++)
        {
            if (UnsafeApi.getByte(array, base + i) == '%')
            {
                if (i + 2 >= end || hex(UnsafeApi.getByte(array, base + i + 1)) < 0 ||
                    hex(UnsafeApi.getByte(array, base + i + 2)) < 0)
                {
                    return false;
                }
                i += 2;
            }
        }
        return true;
    }

    private static int hex(final byte b)
    {
        return org.trackerd.engine.Ascii.hexDigit(b);
    }

    /** A non-negative decimal (percent-decoded first), or {@link #BAD_NUMBER} (also on overflow or empty). */
    private long number(final DirectBuffer buffer, final int start, final int end)
    {
        final int n = decode(buffer, start, end, value, 0, 20);
        if (n <= 0)
        {
            return BAD_NUMBER;
        }
        long v = 0;
        for (int i = 0; i < n; i++)
        {
            final int d = value[i] - '0';
            if (d < 0 || d > 9)
            {
                return BAD_NUMBER;
            }
            if (v > (Long.MAX_VALUE - d) / 10)
            {
                return BAD_NUMBER;
            }
            v = v * 10 + d;
        }
        return v;
    }

    private static boolean isZero(final DirectBuffer buffer, final int start, final int end)
    {
        return end - start == 1 && buffer.getByte(start) == '0';
    }

    private Error event(final DirectBuffer buffer, final int start, final int end, final RequestEvent out)
    {
        final int n = decode(buffer, start, end, value, 0, 16);
        if (n == 0)
        {
            out.event = RequestEvent.EVENT_NONE;
        }
        else if (equals(value, n, STARTED))
        {
            out.event = RequestEvent.EVENT_STARTED;
        }
        else if (equals(value, n, COMPLETED))
        {
            out.event = RequestEvent.EVENT_COMPLETED;
        }
        else if (equals(value, n, STOPPED))
        {
            out.event = RequestEvent.EVENT_STOPPED;
        }
        else if (equals(value, n, PAUSED))
        {
            // BEP 21 partial seeds announce "paused": still in the swarm, a regular announce for us.
            out.event = RequestEvent.EVENT_NONE;
        }
        else
        {
            return Error.BAD_EVENT;
        }
        return Error.NONE;
    }

    /**
     * Reduces the client's {@code key} to 32 bits: 8 hex digits (what most clients send) as their value,
     * anything else through FNV-1a. The same key always maps to the same value, across address families too.
     */
    static int keyHash(final byte[] bytes, final int length)
    {
        if (length <= 8)
        {
            int v = 0;
            boolean hex = true;
            for (int i = 0; i < length && hex; i++)
            {
                final int d = hex(bytes[i]);
                hex = d >= 0;
                v = (v << 4) | d;
            }
            if (hex)
            {
                return v;
            }
        }
        int h = 0x811C9DC5;
        for (int i = 0; i < length; i++)
        {
            h = (h ^ (bytes[i] & 0xFF)) * 0x01000193;
        }
        return h;
    }

    private static final int K_UNKNOWN = 0;
    private static final int K_INFO_HASH = 1;
    private static final int K_PEER_ID = 2;
    private static final int K_PORT = 3;
    private static final int K_UPLOADED = 4;
    private static final int K_DOWNLOADED = 5;
    private static final int K_LEFT = 6;
    private static final int K_EVENT = 7;
    private static final int K_NUMWANT = 8;
    private static final int K_COMPACT = 9;
    private static final int K_NO_PEER_ID = 10;
    private static final int K_KEY = 11;
    private static final int K_IP = 12;
    private static final int K_IPV4 = 13;
    private static final int K_IPV6 = 14;
    private static final int K_JWT = 15;

    private static final byte[][] KEYS = {
        null, ascii("info_hash"), ascii("peer_id"), ascii("port"), ascii("uploaded"), ascii("downloaded"),
        ascii("left"), ascii("event"), ascii("numwant"), ascii("compact"), ascii("no_peer_id"), ascii("key"),
        ascii("ip"), ascii("ipv4"), ascii("ipv6"), ascii("jwt") };
    private static final byte[] STARTED = ascii("started");
    private static final byte[] COMPLETED = ascii("completed");
    private static final byte[] STOPPED = ascii("stopped");
    private static final byte[] PAUSED = ascii("paused");

    private int keyId(final int length)
    {
        for (int id = 1; id < KEYS.length; id++)
        {
            if (equals(key, length, KEYS[id]))
            {
                return id;
            }
        }
        return K_UNKNOWN;
    }

    private static boolean equals(final byte[] a, final int length, final byte[] constant)
    {
        return length == constant.length && java.util.Arrays.equals(a, 0, length, constant, 0, length);
    }

    static byte[] ascii(final String s)
    {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
