package org.trackerd.engine.address;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Numeric IP literals read straight from a buffer into the 16-byte form the engine uses everywhere (IPv6 as is,
 * IPv4 as {@code ::ffff:a.b.c.d}), and prefix comparison over that form. No {@code String}, no name lookup, no
 * allocation: header values and query parameters are parsed in place.
 *
 * <p>Accepted: {@code a.b.c.d}, {@code a.b.c.d:port}, IPv6 with {@code ::} and an embedded IPv4 tail,
 * {@code [v6]} and {@code [v6]:port}. A zone ({@code %eth0}) is refused: it means nothing off the host.
 *
 * <p>Thread: stateless; any thread.
 */
public final class IpAddresses
{
    public static final int LENGTH = 16;
    /** {@link #parse} result when the text is not an address. */
    public static final int INVALID = -2;
    /** {@link #parse} result when the text is an address without a port. */
    public static final int NO_PORT = -1;

    private IpAddresses()
    {
    }

    /** True when the 16-byte address at {@code offset} is IPv4-mapped ({@code ::ffff:0:0/96}). */
    public static boolean isIpv4(final byte[] address, final int offset)
    {
        for (int i = 0; i < 10; i++)
        {
            if (address[offset + i] != 0)
            {
                return false;
            }
        }
        return address[offset + 10] == (byte)0xFF && address[offset + 11] == (byte)0xFF;
    }

    /**
     * True when the first {@code bits} bits of the two 16-byte addresses agree. Callers pass IPv4 prefixes as
     * {@code 96 + bits}, so an IPv4 prefix never matches an IPv6 address.
     */
    public static boolean samePrefix(final byte[] a, final int aOffset, final byte[] b, final int bOffset, final int bits)
    {
        final int whole = bits >>> 3;
        for (int i = 0; i < whole; i++)
        {
            if (a[aOffset + i] != b[bOffset + i])
            {
                return false;
            }
        }
        final int rest = bits & 7;
        if (rest == 0)
        {
            return true;
        }
        final int mask = (0xFF << (8 - rest)) & 0xFF;
        return ((a[aOffset + whole] ^ b[bOffset + whole]) & mask) == 0;
    }

    /** Parses a whole string (configuration and tests only: allocates). */
    public static int parse(final String text, final byte[] out, final int outOffset)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return parse(new UnsafeBuffer(bytes), 0, bytes.length, out, outOffset);
    }

    /**
     * Parses {@code [start, end)} into {@code out[outOffset..+16)}. Returns the port when one was given
     * (0..65535), {@link #NO_PORT} when none was, or {@link #INVALID} (then {@code out} may hold garbage).
     */
    public static int parse(final DirectBuffer src, final int start, final int end, final byte[] out, final int outOffset)
    {
        if (start >= end)
        {
            return INVALID;
        }
        if (src.getByte(start) == '[')
        {
            final int close = indexOf(src, start + 1, end, (byte)']');
            if (close < 0 || !parseIpv6(src, start + 1, close, out, outOffset))
            {
                return INVALID;
            }
            if (close + 1 == end)
            {
                return NO_PORT;
            }
            return src.getByte(close + 1) == ':' ? port(src, close + 2, end) : INVALID;
        }
        final int colon = indexOf(src, start, end, (byte)':');
        if (colon < 0)
        {
            return parseIpv4(src, start, end, out, outOffset + 12) ? mapped(out, outOffset) : INVALID;
        }
        if (indexOf(src, colon + 1, end, (byte)':') < 0 && indexOf(src, start, colon, (byte)'.') >= 0)
        {
            // a.b.c.d:port — one colon after a dotted quad cannot be IPv6.
            if (!parseIpv4(src, start, colon, out, outOffset + 12))
            {
                return INVALID;
            }
            mapped(out, outOffset);
            return port(src, colon + 1, end);
        }
        return parseIpv6(src, start, end, out, outOffset) ? NO_PORT : INVALID;
    }

    private static int mapped(final byte[] out, final int offset)
    {
        for (int i = 0; i < 10; i++)
        {
            out[offset + i] = 0;
        }
        out[offset + 10] = (byte)0xFF;
        out[offset + 11] = (byte)0xFF;
        return NO_PORT;
    }

    private static int port(final DirectBuffer src, final int start, final int end)
    {
        if (start >= end || end - start > 5)
        {
            return INVALID;
        }
        int v = 0;
        for (int i = start; i < end; i++)
        {
            final int d = src.getByte(i) - '0';
            if (d < 0 || d > 9)
            {
                return INVALID;
            }
            v = v * 10 + d;
        }
        return v > 65535 ? INVALID : v;
    }

    /** Dotted quad into 4 bytes at {@code out[offset]}; no leading or trailing junk, parts 0..255. */
    private static boolean parseIpv4(final DirectBuffer src, final int start, final int end, final byte[] out,
        final int offset)
    {
        int parts = 0;
        int part = 0;
        int digits = 0;
        for (int i = start; i <= end; i++)
        {
            if (i == end || src.getByte(i) == '.')
            {
                if (digits == 0 || parts == 4 || part > 255)
                {
                    return false;
                }
                out[offset + parts++] = (byte)part;
                part = 0;
                digits = 0;
            }
            else
            {
                final int d = src.getByte(i) - '0';
                if (d < 0 || d > 9 || ++digits > 3)
                {
                    return false;
                }
                part = part * 10 + d;
            }
        }
        return parts == 4;
    }

    private static boolean parseIpv6(final DirectBuffer src, final int start, final int end, final byte[] out,
        final int offset)
    {
        int groups = 0;          // 16-bit groups written so far
        int gap = -1;            // group index where "::" stood
        int i = start;
        if (end - start >= 2 && src.getByte(start) == ':' && src.getByte(start + 1) == ':')
        {
            gap = 0;
            i = start + 2;
            if (i == end)
            {
                java.util.Arrays.fill(out, offset, offset + LENGTH, (byte)0);
                return true;
            }
        }
        else if (src.getByte(start) == ':')
        {
            return false;
        }
        while (i < end)
        {
            if (groups == 8)
            {
                return false;
            }
            int j = i;
            int value = 0;
            boolean dotted = false;
            while (j < end && src.getByte(j) != ':')
            {
                final byte b = src.getByte(j);
                if (b == '.')
                {
                    dotted = true;
                    break;
                }
                final int h = hex(b);
                if (h < 0 || j - i >= 4)
                {
                    return false;
                }
                value = (value << 4) | h;
                j++;
            }
            if (dotted)
            {
                // Embedded IPv4 tail: the last 32 bits.
                if (groups > 6 || !parseIpv4(src, i, end, out, offset + groups * 2))
                {
                    return false;
                }
                groups += 2;
                break;
            }
            if (j == i)
            {
                return false;
            }
            out[offset + groups * 2] = (byte)(value >>> 8);
            out[offset + groups * 2 + 1] = (byte)value;
            groups++;
            if (j == end)
            {
                break;
            }
            // j is at ':'
            if (j + 1 < end && src.getByte(j + 1) == ':')
            {
                if (gap >= 0)
                {
                    return false;
                }
                gap = groups;
                i = j + 2;
            }
            else
            {
                if (j + 1 == end)
                {
                    return false;
                }
                i = j + 1;
            }
        }
        if (gap < 0)
        {
            return groups == 8;
        }
        if (groups == 8)
        {
            return false;
        }
        // Move the groups after the gap to the end and zero the hole.
        final int tail = groups - gap;
        for (int k = tail - 1; k >= 0; k--)
        {
            out[offset + (8 - tail + k) * 2] = out[offset + (gap + k) * 2];
            out[offset + (8 - tail + k) * 2 + 1] = out[offset + (gap + k) * 2 + 1];
        }
        java.util.Arrays.fill(out, offset + gap * 2, offset + (8 - tail) * 2, (byte)0);
        return true;
    }

    private static int indexOf(final DirectBuffer src, final int start, final int end, final byte b)
    {
        for (int i = start; i < end; i++)
        {
            if (src.getByte(i) == b)
            {
                return i;
            }
        }
        return -1;
    }

    private static int hex(final byte b)
    {
        return org.trackerd.engine.Ascii.hexDigit(b);
    }
}
