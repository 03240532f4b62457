package org.trackerd.io.http;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Finds and checks the head of one HTTP/1.x request in a receive buffer: request line, route, query position,
 * keep-alive, header limits. Reads the buffer in place; results stay in this object until the next call.
 *
 * <p>Thread: one instance per frontend thread; not thread-safe.
 */
public final class HttpRequestParser
{
    public static final int ROUTE_NOT_FOUND = 0;
    public static final int ROUTE_ANNOUNCE = 1;
    public static final int ROUTE_SCRAPE = 2;
    /** Private mode's site control: {@code /<site secret>/update?action=...}. */
    public static final int ROUTE_SITE_UPDATE = 3;
    /** Length of the passkey path segment in private mode. */
    public static final int PASSKEY_LENGTH = 32;

    /** {@link #parse} result: the head is not complete yet. */
    public static final int INCOMPLETE = 0;

    /** 0 when the request can be served, else the HTTP status to answer with (and then close). */
    public int errorStatus;
    public int route;
    public int queryOffset;
    public int queryLength;
    public boolean keepAlive;
    /** Where the value of the client-address header (last occurrence, trimmed) sits, or -1 when absent. */
    public int addressHeaderOffset;
    public int addressHeaderLength;
    /** Private mode: where the 32-byte passkey of {@code /<passkey>/announce} lies, or -1 when the path has none. */
    public int passkeyOffset = -1;

    private final int maxHeaders;
    /** Lower-case name of the header a reverse proxy puts the client address in; null when off. */
    private final byte[] addressHeader;
    private boolean privateRoutes;
    /** Null: no site-control route. */
    private byte[] siteSecret;

    public HttpRequestParser(final int maxHeaders)
    {
        this(maxHeaders, null);
    }

    /** @param addressHeader header carrying the client address behind a proxy (any case), or null/empty */
    public HttpRequestParser(final int maxHeaders, final String addressHeader)
    {
        this.maxHeaders = maxHeaders;
        this.addressHeader = addressHeader == null || addressHeader.isEmpty() ? null :
            QueryParser.ascii(addressHeader.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * Private mode: announce and scrape carry the passkey ({@code /<passkey>/announce}), and, with a secret,
     * {@code /<secret>/update} is the site-control route. Call before the first parse.
     */
    public void privateRoutes(final String siteSecret)
    {
        this.privateRoutes = true;
        this.siteSecret = siteSecret == null || siteSecret.isEmpty() ? null : QueryParser.ascii(siteSecret);
    }

    /**
     * Parses the request starting at {@code offset}. Returns the length of its head (the bytes to consume), or
     * {@link #INCOMPLETE} when no blank line ends it within {@code length} bytes.
     */
    public int parse(final DirectBuffer buffer, final int offset, final int length)
    {
        final int end = offset + length;
        final int headEnd = findHeadEnd(buffer, offset, end);
        if (headEnd < 0)
        {
            return INCOMPLETE;
        }
        errorStatus = 0;
        route = ROUTE_NOT_FOUND;
        queryOffset = 0;
        queryLength = 0;
        keepAlive = false;
        addressHeaderOffset = -1;
        addressHeaderLength = 0;
        passkeyOffset = -1;

        // Request line: METHOD SP target SP HTTP/1.x. Its end is the first newline findHeadEnd met; the target (most
        // of the line: the whole query) is scanned once for the space after it and a fragment's '#' together.
        int lineEnd = firstNewline > offset && buffer.getByte(firstNewline - 1) == '\r' ? firstNewline - 1 : firstNewline;
        final int sp1 = indexOf(buffer, offset, lineEnd, (byte)' ');
        int sp2 = -1;
        int firstHash = -1;
        if (sp1 >= 0)
        {
            sp2 = indexOfEither(buffer, sp1 + 1, lineEnd, (byte)' ', (byte)'#');
            if (sp2 >= 0 && buffer.getByte(sp2) == '#')
            {
                firstHash = sp2;
                sp2 = indexOf(buffer, firstHash + 1, lineEnd, (byte)' ');
            }
        }
        if (sp1 < 0 || sp2 < 0)
        {
            errorStatus = 400;
            return headEnd - offset;
        }
        final int versionStart = sp2 + 1;
        final int versionLength = trimmedEnd(buffer, versionStart, lineEnd) - versionStart;
        if (versionLength != 8 || !startsWith(buffer, versionStart, HTTP_1))
        {
            errorStatus = versionLength >= 5 && startsWith(buffer, versionStart, HTTP) ? 505 : 400;
            return headEnd - offset;
        }
        final boolean http11 = buffer.getByte(versionStart + 7) == '1';
        if (!http11 && buffer.getByte(versionStart + 7) != '0')
        {
            errorStatus = 505;
            return headEnd - offset;
        }
        keepAlive = http11;
        if (!(sp1 - offset == 3 && startsWith(buffer, offset, GET)))
        {
            errorStatus = 405;
            return headEnd - offset;
        }
        final int targetStart = sp1 + 1;
        final int question = indexOf(buffer, targetStart, sp2, (byte)'?');
        final int pathEnd = question < 0 ? sp2 : question;
        if (question >= 0)
        {
            final int hash = firstHash < 0 || firstHash > question ? firstHash :
                indexOf(buffer, question + 1, sp2, (byte)'#'); // a '#' in the path: the query's own, if any
            queryOffset = question + 1;
            queryLength = (hash < 0 ? sp2 : hash) - queryOffset;
        }
        if (privateRoutes)
        {
            privateRoute(buffer, targetStart, pathEnd);
        }
        else if (regionEquals(buffer, targetStart, pathEnd, ANNOUNCE))
        {
            route = ROUTE_ANNOUNCE;
        }
        else if (regionEquals(buffer, targetStart, pathEnd, SCRAPE))
        {
            route = ROUTE_SCRAPE;
        }

        // Headers.
        int headers = 0;
        int line = nextLine(buffer, lineEnd, headEnd);
        while (line < headEnd)
        {
            lineEnd = lineEnd(buffer, line, headEnd);
            if (lineEnd == line || (lineEnd == line + 1 && buffer.getByte(line) == '\r'))
            {
                break;
            }
            if (++headers > maxHeaders)
            {
                errorStatus = 431;
                return headEnd - offset;
            }
            final int colon = indexOf(buffer, line, lineEnd, (byte)':');
            if (colon <= line)
            {
                errorStatus = 400;
                return headEnd - offset;
            }
            int valueStart = colon + 1;
            while (valueStart < lineEnd && (buffer.getByte(valueStart) == ' ' || buffer.getByte(valueStart) == '\t'))
            {
                valueStart++;
            }
            final int valueEnd = trimmedEnd(buffer, valueStart, lineEnd);
            if (nameEquals(buffer, line, colon, CONNECTION))
            {
                if (containsIgnoreCase(buffer, valueStart, valueEnd, CLOSE))
                {
                    keepAlive = false;
                }
                else if (containsIgnoreCase(buffer, valueStart, valueEnd, KEEP_ALIVE))
                {
                    keepAlive = true;
                }
            }
            else if (nameEquals(buffer, line, colon, CONTENT_LENGTH))
            {
                if (!(valueEnd - valueStart == 1 && buffer.getByte(valueStart) == '0'))
                {
                    errorStatus = 400; // a tracker request has no body
                    return headEnd - offset;
                }
            }
            else if (addressHeader != null && nameEquals(buffer, line, colon, addressHeader))
            {
                // The last occurrence wins: the proxy nearest to us appends its line last.
                addressHeaderOffset = valueStart;
                addressHeaderLength = valueEnd - valueStart;
            }
            else if (nameEquals(buffer, line, colon, TRANSFER_ENCODING))
            {
                errorStatus = 400;
                return headEnd - offset;
            }
            line = nextLine(buffer, lineEnd, headEnd);
        }
        return headEnd - offset;
    }

    /**
     * {@code /<32-byte passkey>/announce} or {@code /scrape}; a bare {@code /announce} is routed without a passkey
     * (so the client is told the passkey is missing); {@code /<secret>/update} when the secret matches.
     */
    private void privateRoute(final DirectBuffer buffer, final int start, final int end)
    {
        if (regionEquals(buffer, start, end, ANNOUNCE))
        {
            route = ROUTE_ANNOUNCE;
            return;
        }
        if (regionEquals(buffer, start, end, SCRAPE))
        {
            route = ROUTE_SCRAPE;
            return;
        }
        if (end - start < 2 || buffer.getByte(start) != '/')
        {
            return;
        }
        final int slash = indexOf(buffer, start + 1, end, (byte)'/');
        if (slash < 0)
        {
            return;
        }
        final int segmentLength = slash - start - 1;
        if (segmentLength == PASSKEY_LENGTH)
        {
            if (regionEquals(buffer, slash, end, ANNOUNCE))
            {
                route = ROUTE_ANNOUNCE;
                passkeyOffset = start + 1;
            }
            else if (regionEquals(buffer, slash, end, SCRAPE))
            {
                route = ROUTE_SCRAPE;
                passkeyOffset = start + 1;
            }
        }
        if (route == ROUTE_NOT_FOUND && siteSecret != null && regionEquals(buffer, slash, end, UPDATE) &&
            segmentLength == siteSecret.length)
        {
            int diff = 0; // constant time: the secret is the only credential of site control
            for (int i = 0; i < segmentLength; i++)
            {
                diff |= buffer.getByte(start + 1 + i) ^ siteSecret[i];
            }
            if (diff == 0)
            {
                route = ROUTE_SITE_UPDATE;
            }
        }
    }

    /** The first {@code \n} of the head {@link #findHeadEnd} last found: the end of the request line. */
    private int firstNewline;

    /** Index just past the blank line that ends the head ({@code \r\n\r\n} or {@code \n\n}), or -1. */
    private int findHeadEnd(final DirectBuffer buffer, final int offset, final int end)
    {
        int i = indexOf(buffer, offset, end, (byte)'\n');
        firstNewline = i;
        while (i >= 0)
        {
            if (i + 1 < end && buffer.getByte(i + 1) == '\n')
            {
                return i + 2;
            }
            if (i + 2 < end && buffer.getByte(i + 1) == '\r' && buffer.getByte(i + 2) == '\n')
            {
                return i + 3;
            }
            i = indexOf(buffer, i + 1, end, (byte)'\n');
        }
        return -1;
    }

    /** Index of the {@code \n} (or \r\n) that ends the line at {@code start}, excluding the CR. */
    private static int lineEnd(final DirectBuffer buffer, final int start, final int end)
    {
        int i = indexOf(buffer, start, end, (byte)'\n');
        if (i < 0)
        {
            i = end;
        }
        return i > start && buffer.getByte(i - 1) == '\r' ? i - 1 : i;
    }

    private static int nextLine(final DirectBuffer buffer, final int lineEnd, final int end)
    {
        final int i = indexOf(buffer, lineEnd, end, (byte)'\n');
        return (i < 0 ? end : i) + 1;
    }

    private static int trimmedEnd(final DirectBuffer buffer, final int start, final int end)
    {
        int e = end;
        while (e > start && (buffer.getByte(e - 1) == ' ' || buffer.getByte(e - 1) == '\t' || buffer.getByte(e - 1) == '\r'))
        {
            e--;
        }
        return e;
    }

    /**
     * First index of {@code b} in {@code [start, end)}, or -1. Eight bytes a step (SWAR: a byte of {@code word ^
     * pattern} is zero where {@code b} is; the lowest flagged byte is always a true match), then byte by byte.
     */
    static int indexOf(final DirectBuffer buffer, final int start, final int end, final byte b)
    {
        final long pattern = ONES * (b & 0xFF);
        int i = start;
        for (; i + Long.BYTES <= end; i += Long.BYTES)
        {
            final long word = buffer.getLong(i, ByteOrder.LITTLE_ENDIAN) ^ pattern;
            final long found = (word - ONES) & ~word & HIGHS;
            if (found != 0)
            {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < end; i++)
        {
            if (buffer.getByte(i) == b)
            {
                return i;
            }
        }
        return -1;
    }

    /** {@link #indexOf} for whichever of two bytes comes first, in one pass. */
    static int indexOfEither(final DirectBuffer buffer, final int start, final int end, final byte a, final byte b)
    {
        final long patternA = ONES * (a & 0xFF);
        final long patternB = ONES * (b & 0xFF);
        int i = start;
        for (; i + Long.BYTES <= end; i += Long.BYTES)
        {
            final long word = buffer.getLong(i, ByteOrder.LITTLE_ENDIAN);
            final long wordA = word ^ patternA;
            final long wordB = word ^ patternB;
            // Each mask's lowest set byte is exact (false positives only sit above a true match): so is their OR's.
            final long found = ((wordA - ONES) & ~wordA | (wordB - ONES) & ~wordB) & HIGHS;
            if (found != 0)
            {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < end; i++)
        {
            final byte c = buffer.getByte(i);
            if (c == a || c == b)
            {
                return i;
            }
        }
        return -1;
    }

    private static final long ONES = 0x0101_0101_0101_0101L;
    private static final long HIGHS = 0x8080_8080_8080_8080L;

    private static boolean startsWith(final DirectBuffer buffer, final int start, final byte[] prefix)
    {
        if (start + prefix.length > buffer.capacity())
        {
            return false;
        }
        for (int i = 0; i < prefix.length; i++)
        {
            if (buffer.getByte(start + i) != prefix[i])
            {
                return false;
            }
        }
        return true;
    }

    private static boolean regionEquals(final DirectBuffer buffer, final int start, final int end, final byte[] s)
    {
        return end - start == s.length && startsWith(buffer, start, s);
    }

    private static boolean nameEquals(final DirectBuffer buffer, final int start, final int end, final byte[] lower)
    {
        if (end - start != lower.length)
        {
            return false;
        }
        for (int i = 0; i < lower.length; i++)
        {
            if (toLower(buffer.getByte(start + i)) != lower[i])
            {
                return false;
            }
        }
        return true;
    }

    private static boolean containsIgnoreCase(final DirectBuffer buffer, final int start, final int end, final byte[] lower)
    {
        for (int i = start; i + lower.length <= end; i++)
        {
            if (nameEquals(buffer, i, i + lower.length, lower))
            {
                return true;
            }
        }
        return false;
    }

    private static byte toLower(final byte b)
    {
        return b >= 'A' && b <= 'Z' ? (byte)(b + 32) : b;
    }

    private static final byte[] GET = QueryParser.ascii("GET");
    private static final byte[] HTTP = QueryParser.ascii("HTTP/");
    private static final byte[] HTTP_1 = QueryParser.ascii("HTTP/1.");
    private static final byte[] ANNOUNCE = QueryParser.ascii("/announce");
    private static final byte[] SCRAPE = QueryParser.ascii("/scrape");
    private static final byte[] UPDATE = QueryParser.ascii("/update");
    private static final byte[] CONNECTION = QueryParser.ascii("connection");
    private static final byte[] CONTENT_LENGTH = QueryParser.ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = QueryParser.ascii("transfer-encoding");
    private static final byte[] CLOSE = QueryParser.ascii("close");
    private static final byte[] KEEP_ALIVE = QueryParser.ascii("keep-alive");
}
