package org.trackerd.io.http;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Decodes the query of a site-control request into a map of ISO-8859-1 strings (so binary infohashes keep their
 * bytes). Site control is rare and off the announce path: allocating here is fine.
 *
 * <p>Thread: any (stateless).
 */
public final class SiteControlQuery
{
    private SiteControlQuery()
    {
    }

    public static Map<String, String> parse(final DirectBuffer buffer, final int offset, final int length)
    {
        final Map<String, String> params = new HashMap<>();
        final byte[] raw = new byte[length];
        buffer.getBytes(offset, raw);
        int start = 0;
        while (start < length)
        {
            int amp = start;
            while (amp < length && raw[amp] != '&')
            {
                amp++;
            }
            int eq = start;
            while (eq < amp && raw[eq] != '=')
            {
                eq++;
            }
            final String name = decode(raw, start, eq);
            final String value = eq < amp ? decode(raw, eq + 1, amp) : "";
            params.put(name, value);
            start = amp + 1;
        }
        return params;
    }

    private static String decode(final byte[] raw, final int start, final int end)
    {
        final byte[] out = new byte[end - start];
        int n = 0;
        for (int i = start; i < end; i++)
        {
            final byte b = raw[i];
            if (b == '%' && i + 2 < end)
            {
                final int hi = Character.digit(raw[i + 1], 16);
                final int lo = Character.digit(raw[i + 2], 16);
                if (hi >= 0 && lo >= 0)
                {
                    out[n++] = (byte)(hi << 4 | lo);
                    i += 2;
                    continue;
                }
            }
            out[n++] = b == '+' ? (byte)' ' : b;
        }
        return new String(out, 0, n, StandardCharsets.ISO_8859_1);
    }
}
