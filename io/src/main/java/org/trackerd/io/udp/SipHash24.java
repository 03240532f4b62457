package org.trackerd.io.udp;

/**
 * SipHash-2-4 (Aumasson and Bernstein), a fast keyed hash that is a PRF for short inputs: it makes connection
 * ids that nobody without the key can forge. Words are read little-endian, as the reference does.
 *
 * <p>Thread: not thread-safe (it keeps its state in fields to stay allocation-free); one per thread.
 */
public final class SipHash24
{
    private final long k0;
    private final long k1;
    private long v0;
    private long v1;
    private long v2;
    private long v3;

    /** {@code key} is 16 bytes from {@code offset}. */
    public SipHash24(final byte[] key, final int offset)
    {
        k0 = readLongLe(key, offset);
        k1 = readLongLe(key, offset + 8);
    }

    /** The hash of {@code length} bytes of {@code data}. */
    public long hash(final byte[] data, final int offset, final int length)
    {
        init();
        final int words = length >>> 3;
        for (int i = 0; i < words; i++)
        {
            compress(readLongLe(data, offset + i * 8));
        }
        long last = (long)length << 56;
        final int tail = offset + words * 8;
        for (int i = 0; i < (length & 7); i++)
        {
            last |= (data[tail + i] & 0xFFL) << (8 * i);
        }
        compress(last);
        return finish();
    }

    /** The hash of the 24 bytes that are {@code m0}, {@code m1}, {@code m2} written little-endian. */
    public long hash(final long m0, final long m1, final long m2)
    {
        init();
        compress(m0);
        compress(m1);
        compress(m2);
        compress(24L << 56);
        return finish();
    }

    private void init()
    {
        v0 = k0 ^ 0x736f6d6570736575L;
        v1 = k1 ^ 0x646f72616e646f6dL;
        v2 = k0 ^ 0x6c7967656e657261L;
        v3 = k1 ^ 0x7465646279746573L;
    }

    private void compress(final long m)
    {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }

    private long finish()
    {
        v2 ^= 0xFF;
        round();
        round();
        round();
        round();
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private void round()
    {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13);
        v1 ^= v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17);
        v1 ^= v2;
        v2 = Long.rotateLeft(v2, 32);
    }

    static long readLongLe(final byte[] data, final int offset)
    {
        long v = 0;
        for (int i = 7; i >= 0; i--)
        {
            v = (v << 8) | (data[offset + i] & 0xFFL);
        }
        return v;
    }
}
