package org.trackerd.io.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict bencode decoder for tests: dictionaries become {@code Map<String, Object>} with keys as ISO-8859-1
 * strings (so raw 20-byte hashes survive), strings become {@code byte[]}, integers {@code Long}, lists
 * {@code List<Object>}. Rejects what a well-behaved encoder never writes: unsorted or duplicate keys, leading
 * zeros, {@code -0}, trailing bytes.
 */
public final class Bencode
{
    private final byte[] data;
    private int pos;

    private Bencode(final byte[] data)
    {
        this.data = data;
    }

    /** Decodes exactly one value that must span all of {@code data}. */
    public static Object decode(final byte[] data)
    {
        final Bencode d = new Bencode(data);
        final Object value = d.value();
        if (d.pos != data.length)
        {
            throw new IllegalArgumentException("trailing bytes after bencoded value at " + d.pos);
        }
        return value;
    }

    /** Decodes a dictionary. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> decodeDict(final byte[] data)
    {
        final Object value = decode(data);
        if (!(value instanceof Map))
        {
            throw new IllegalArgumentException("expected a dictionary, got " + value);
        }
        return (Map<String, Object>)value;
    }

    private Object value()
    {
        if (pos >= data.length)
        {
            throw new IllegalArgumentException("unexpected end of data");
        }
        final byte b = data[pos];
        if (b == 'i')
        {
            pos++;
            final int end = indexOf('e');
            final long v = parseLong(pos, end);
            pos = end + 1;
            return v;
        }
        if (b == 'l')
        {
            pos++;
            final List<Object> list = new ArrayList<>();
            while (peek() != 'e')
            {
                list.add(value());
            }
            pos++;
            return list;
        }
        if (b == 'd')
        {
            pos++;
            final Map<String, Object> map = new LinkedHashMap<>();
            byte[] previous = null;
            while (peek() != 'e')
            {
                if (peek() < '0' || peek() > '9')
                {
                    throw new IllegalArgumentException("dictionary key is not a string at " + pos);
                }
                final byte[] key = string();
                if (previous != null && Arrays.compareUnsigned(previous, key) >= 0)
                {
                    throw new IllegalArgumentException("dictionary keys not strictly sorted: '" + latin1(previous) +
                        "' then '" + latin1(key) + "'");
                }
                previous = key;
                map.put(latin1(key), value());
            }
            pos++;
            return map;
        }
        if (b >= '0' && b <= '9')
        {
            return string();
        }
        throw new IllegalArgumentException("unexpected byte '" + (char)b + "' at " + pos);
    }

    private byte[] string()
    {
        final int colon = indexOf(':');
        final long length = parseLong(pos, colon);
        if (length < 0 || colon + 1 + length > data.length)
        {
            throw new IllegalArgumentException("bad string length " + length + " at " + pos);
        }
        pos = colon + 1;
        final byte[] s = Arrays.copyOfRange(data, pos, pos + (int)length);
        pos += (int)length;
        return s;
    }

    private byte peek()
    {
        if (pos >= data.length)
        {
            throw new IllegalArgumentException("unexpected end of data");
        }
        return data[pos];
    }

    private int indexOf(final char c)
    {
        for (int i = pos; i < data.length; i++)
        {
            if (data[i] == c)
            {
                return i;
            }
        }
        throw new IllegalArgumentException("missing '" + c + "' after " + pos);
    }

    private long parseLong(final int start, final int end)
    {
        final String text = new String(data, start, end - start, StandardCharsets.US_ASCII);
        if (!text.matches("-?(0|[1-9][0-9]*)") || "-0".equals(text))
        {
            throw new IllegalArgumentException("bad bencoded number '" + text + "' at " + start);
        }
        return Long.parseLong(text);
    }

    public static String latin1(final byte[] bytes)
    {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
