package org.trackerd.io;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict bencode decoder for tests: dictionaries become {@code Map<String, Object>} in wire order (keys decoded
 * as ISO-8859-1 so raw 20-byte hashes survive), lists {@code List<Object>}, integers {@code Long}, strings
 * {@code byte[]}. Rejects unsorted or duplicate dictionary keys, leading zeros, {@code -0} and trailing bytes.
 */
public final class BencodeTestDecoder
{
    private final byte[] data;
    private int pos;

    private BencodeTestDecoder(final byte[] data, final int offset)
    {
        this.data = data;
        this.pos = offset;
    }

    /** Decodes exactly one value spanning {@code [offset, end)}. */
    public static Object decode(final byte[] data, final int offset, final int end)
    {
        final BencodeTestDecoder d = new BencodeTestDecoder(Arrays.copyOf(data, end), offset);
        final Object value = d.value();
        if (d.pos != end)
        {
            throw new IllegalArgumentException("trailing bytes at " + d.pos + " (value ends before " + end + ")");
        }
        return value;
    }

    public static Object decode(final byte[] data)
    {
        return decode(data, 0, data.length);
    }

    /** Decodes exactly one value spanning {@code data}, which must be a dictionary. */
    public static Map<String, Object> decodeDict(final byte[] data)
    {
        final Object value = decode(data);
        if (!(value instanceof Map))
        {
            throw new IllegalArgumentException("expected a dictionary, got " + value);
        }
        return dict(value);
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> dict(final Object value)
    {
        return (Map<String, Object>)value;
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(final Object value)
    {
        return (List<Object>)value;
    }

    public static String string(final Object value)
    {
        return new String((byte[])value, StandardCharsets.ISO_8859_1);
    }

    /** The bytes as ISO-8859-1 characters, one per byte (how raw hashes are keyed and compared). */
    public static String latin1(final byte[] bytes)
    {
        return key(bytes);
    }

    public static String key(final byte[] bytes)
    {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private Object value()
    {
        final byte b = peek();
        if (b == 'd')
        {
            pos++;
            final Map<String, Object> map = new LinkedHashMap<>();
            byte[] previous = null;
            while (peek() != 'e')
            {
                final byte[] k = bytes();
                if (previous != null && Arrays.compareUnsigned(previous, k) >= 0)
                {
                    throw new IllegalArgumentException("dictionary key '" + key(k) + "' not after '" + key(previous) +
                        "'");
                }
                previous = k;
                map.put(key(k), value());
            }
            pos++;
            return map;
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
        if (b == 'i')
        {
            pos++;
            final int start = pos;
            while (peek() != 'e')
            {
                pos++;
            }
            final String text = new String(data, start, pos - start, StandardCharsets.US_ASCII);
            pos++;
            if (!text.matches("0|-?[1-9][0-9]*"))
            {
                throw new IllegalArgumentException("bad integer '" + text + "'");
            }
            return Long.parseLong(text);
        }
        if (b >= '0' && b <= '9')
        {
            return bytes();
        }
        throw new IllegalArgumentException("unexpected byte '" + (char)b + "' at " + pos);
    }

    private byte[] bytes()
    {
        final int start = pos;
        while (peek() != ':')
        {
            final byte c = data[pos];
            if (c < '0' || c > '9')
            {
                throw new IllegalArgumentException("bad string length at " + start);
            }
            pos++;
        }
        final String text = new String(data, start, pos - start, StandardCharsets.US_ASCII);
        if (text.isEmpty() || (text.length() > 1 && text.charAt(0) == '0'))
        {
            throw new IllegalArgumentException("bad string length '" + text + "'");
        }
        final int length = Integer.parseInt(text);
        pos++;
        if (pos + length > data.length)
        {
            throw new IllegalArgumentException("string of " + length + " runs past the end");
        }
        final byte[] out = Arrays.copyOfRange(data, pos, pos + length);
        pos += length;
        return out;
    }

    private byte peek()
    {
        if (pos >= data.length)
        {
            throw new IllegalArgumentException("unexpected end at " + pos);
        }
        return data[pos];
    }
}
