package org.trackerd.engine.swarm;

import org.agrona.DirectBuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A seeded 32-bit hash of 20-byte identifiers (infohashes, peer ids). The seed is random per process so a
 * client cannot choose ids that collide in our open-addressing tables.
 */
final class PeerHash
{
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private PeerHash()
    {
    }

    /** A seeded 32-bit hash of the 20 bytes at {@code offset}: the fingerprint, folded. */
    static int hash(final byte[] bytes, final int offset, final long seed)
    {
        final long h = mix((long)LONG.get(bytes, offset), (long)LONG.get(bytes, offset + 8),
            (int)INT.get(bytes, offset + 16), seed);
        return (int)(h ^ (h >>> 32));
    }

    /**
     * A seeded 64-bit fingerprint of a 20-byte id, never 0; equal for the same bytes whether read from an array
     * or from a page.
     */
    static long fingerprint(final DirectBuffer buffer, final int offset, final long seed)
    {
        final long h = mix(buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN),
            buffer.getLong(offset + 8, ByteOrder.LITTLE_ENDIAN), buffer.getInt(offset + 16, ByteOrder.LITTLE_ENDIAN),
            seed);
        return h == 0 ? 1 : h;
    }

    private static long mix(final long a, final long b, final int c, final long seed)
    {
        long h = fmix(seed ^ a);
        h = fmix(h ^ b);
        return fmix(h ^ (c & 0xFFFF_FFFFL));
    }

    /** MurmurHash3's 64-bit finaliser. */
    private static long fmix(final long v)
    {
        long x = (v ^ (v >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return x ^ (x >>> 33);
    }
}
