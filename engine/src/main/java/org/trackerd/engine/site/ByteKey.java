package org.trackerd.engine.site;

import org.agrona.DirectBuffer;

import java.util.Arrays;

/**
 * A byte-string key (passkey, infohash, infohash + peer id) for hash maps. Stored keys are never changed; a
 * thread keeps one mutable probe per key length and refills it with {@link #set} for look-ups, so a look-up
 * allocates nothing.
 *
 * <p>Thread: a stored key is immutable and may be read by any thread; a probe belongs to one thread.
 */
public final class ByteKey
{
    private final byte[] bytes;
    private int hash;

    public ByteKey(final byte[] bytes)
    {
        this.bytes = bytes.clone();
        this.hash = Arrays.hashCode(this.bytes);
    }

    private ByteKey(final int length)
    {
        this.bytes = new byte[length];
    }

    /** A reusable probe of {@code length} bytes. */
    public static ByteKey probe(final int length)
    {
        return new ByteKey(length);
    }

    public ByteKey set(final DirectBuffer buffer, final int offset)
    {
        buffer.getBytes(offset, bytes);
        hash = Arrays.hashCode(bytes);
        return this;
    }

    public ByteKey set(final byte[] src, final int offset)
    {
        System.arraycopy(src, offset, bytes, 0, bytes.length);
        hash = Arrays.hashCode(bytes);
        return this;
    }

    /** Fills a probe of 40 bytes with two 20-byte parts (infohash, peer id). */
    public ByteKey set(final byte[] first, final int firstOffset, final byte[] second, final int secondOffset)
    {
        System.arraycopy(first, firstOffset, bytes, 0, 20);
        System.arraycopy(second, secondOffset, bytes, 20, 20);
        hash = Arrays.hashCode(bytes);
        return this;
    }

    /** An immutable copy of this (probe) key, for storing. */
    public ByteKey copy()
    {
        return new ByteKey(bytes);
    }

    public byte[] bytes()
    {
        return bytes.clone();
    }

    public int length()
    {
        return bytes.length;
    }

    @Override
    public int hashCode()
    {
        return hash;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof ByteKey && Arrays.equals(bytes, ((ByteKey)o).bytes);
    }
}
