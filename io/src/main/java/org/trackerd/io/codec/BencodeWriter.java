package org.trackerd.io.codec;

import org.agrona.MutableDirectBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Writes bencode (BEP 3) straight into a {@link MutableDirectBuffer}: numbers through {@code putLongAscii},
 * keys from preencoded constants, never through {@code String}. The caller writes dictionary keys in sorted
 * order, as bencode requires.
 *
 * <p>Thread: one instance per frontend thread; not thread-safe.
 */
public final class BencodeWriter
{
    private MutableDirectBuffer buffer;
    private int position;

    public BencodeWriter wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.position = offset;
        return this;
    }

    public int position()
    {
        return position;
    }

    public BencodeWriter dictStart()
    {
        buffer.putByte(position++, (byte)'d');
        return this;
    }

    public BencodeWriter listStart()
    {
        buffer.putByte(position++, (byte)'l');
        return this;
    }

    public BencodeWriter end()
    {
        buffer.putByte(position++, (byte)'e');
        return this;
    }

    /** Writes a preencoded key or string, see {@link #encodeString(String)}. */
    public BencodeWriter raw(final byte[] preencoded)
    {
        buffer.putBytes(position, preencoded);
        position += preencoded.length;
        return this;
    }

    public BencodeWriter integer(final long value)
    {
        buffer.putByte(position++, (byte)'i');
        position += buffer.putLongAscii(position, value);
        buffer.putByte(position++, (byte)'e');
        return this;
    }

    public BencodeWriter bytes(final byte[] src, final int offset, final int length)
    {
        position += buffer.putIntAscii(position, length);
        buffer.putByte(position++, (byte)':');
        buffer.putBytes(position, src, offset, length);
        position += length;
        return this;
    }

    /** Starts a byte string of known length whose content the caller writes with {@link #put}. */
    public BencodeWriter bytesHeader(final int length)
    {
        position += buffer.putIntAscii(position, length);
        buffer.putByte(position++, (byte)':');
        return this;
    }

    public BencodeWriter put(final byte[] src, final int offset, final int length)
    {
        buffer.putBytes(position, src, offset, length);
        position += length;
        return this;
    }

    public BencodeWriter putShortBigEndian(final int value)
    {
        buffer.putShort(position, (short)value, java.nio.ByteOrder.BIG_ENDIAN);
        position += 2;
        return this;
    }

    public BencodeWriter putIntBigEndian(final int value)
    {
        buffer.putInt(position, value, java.nio.ByteOrder.BIG_ENDIAN);
        position += 4;
        return this;
    }

    /** Encodes a constant once, at class initialisation: {@code "interval"} becomes {@code 8:interval}. */
    public static byte[] encodeString(final String s)
    {
        final byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        final byte[] prefix = (utf8.length + ":").getBytes(StandardCharsets.US_ASCII);
        final byte[] out = new byte[prefix.length + utf8.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(utf8, 0, out, prefix.length, utf8.length);
        return out;
    }
}
