package org.trackerd.io.udp;

import org.agrona.DirectBuffer;

/**
 * Finds a query parameter in BEP 41 URLData (the path and query of the announce URL, e.g.
 * {@code /announce?jwt=eyJ...&x=1}) without copying or allocating: the answer is where the raw value lies.
 *
 * <p>Thread: any (stateless).
 */
public final class UrlDataQuery
{
    /** What {@link #find} returns when the parameter is absent. */
    public static final long ABSENT = -1;

    private UrlDataQuery()
    {
    }

    /**
     * Looks for {@code name=} in the query part (after the first {@code ?}) of {@code [0, length)}.
     *
     * @return {@link #ABSENT}, or the raw value's offset in the high 32 bits and its length in the low 32 bits
     * (use {@link #offset} and {@link #length}).
     */
    public static long find(final DirectBuffer buffer, final int length, final byte[] name)
    {
        int start = 0;
        while (start < length && buffer.getByte(start) != '?')
        {
            start++;
        }
        start++;
        while (start < length)
        {
            int amp = start;
            while (amp < length && buffer.getByte(amp) != '&')
            {
                amp++;
            }
            int eq = start;
            while (eq < amp && buffer.getByte(eq) != '=')
            {
                eq++;
            }
            if (eq - start == name.length && matches(buffer, start, name))
            {
                final int valueStart = eq < amp ? eq + 1 : amp;
                return (long)valueStart << 32 | (amp - valueStart);
            }
            start = amp + 1;
        }
        return ABSENT;
    }

    /**
     * Private mode: where the passkey of a {@code /<32-byte passkey>/announce[?...]} path lies, or -1 when the
     * URLData is not such a path.
     */
    public static int passkeyOffset(final DirectBuffer buffer, final int length)
    {
        final int passkeyLength = 32;
        final int pathEnd = 1 + passkeyLength + ANNOUNCE_SUFFIX.length;
        if (length < pathEnd || buffer.getByte(0) != '/' || !matchesAt(buffer, 1 + passkeyLength, ANNOUNCE_SUFFIX) ||
            (length > pathEnd && buffer.getByte(pathEnd) != '?'))
        {
            return -1;
        }
        for (int i = 1; i <= passkeyLength; i++)
        {
            final byte b = buffer.getByte(i);
            if (b == '/' || b == '?')
            {
                return -1;
            }
        }
        return 1;
    }

    private static final byte[] ANNOUNCE_SUFFIX = "/announce".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static boolean matchesAt(final DirectBuffer buffer, final int offset, final byte[] s)
    {
        for (int i = 0; i < s.length; i++)
        {
            if (buffer.getByte(offset + i) != s[i])
            {
                return false;
            }
        }
        return true;
    }

    public static int offset(final long found)
    {
        return (int)(found >>> 32);
    }

    public static int length(final long found)
    {
        return (int)found;
    }

    private static boolean matches(final DirectBuffer buffer, final int offset, final byte[] name)
    {
        for (int i = 0; i < name.length; i++)
        {
            if (buffer.getByte(offset + i) != name[i])
            {
                return false;
            }
        }
        return true;
    }
}
