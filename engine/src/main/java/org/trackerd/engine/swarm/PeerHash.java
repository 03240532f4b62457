package org.trackerd.engine.swarm;

import org.agrona.BitUtil;

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

    static int hash(final byte[] bytes, final int offset, final long seed)
    {
        long h = seed;
        h = mix(h ^ (long)LONG.get(bytes, offset));
        h = mix(h ^ (long)LONG.get(bytes, offset + 8));
        h = mix(h ^ ((int)INT.get(bytes, offset + 16) & 0xFFFF_FFFFL));
        return (int)(h ^ (h >>> 32));
    }

    private static long mix(final long v)
    {
        long x = v * 0x9E3779B97F4A7C15L;
        x ^= x >>> 29;
        x *= 0xBF58476D1CE4E5B9L;
        return x ^ (x >>> 32);
    }

    static int tableSizeFor(final int capacity)
    {
        return BitUtil.findNextPositivePowerOfTwo(Math.max(4, capacity * 2));
    }

    /**
     * A seeded 64-bit fingerprint of a 20-byte id, never 0; equal for the same bytes whether read from an array
     * or from a page.
     */
    static long fingerprint(final org.agrona.DirectBuffer buffer, final int offset, final long seed)
    {
        long h = fmix(seed ^ buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN));
        h = fmix(h ^ buffer.getLong(offset + 8, ByteOrder.LITTLE_ENDIAN));
        h = fmix(h ^ (buffer.getInt(offset + 16, ByteOrder.LITTLE_ENDIAN) & 0xFFFF_FFFFL));
        return h == 0 ? 1 : h;
    }

    private static long fmix(final long v)
    {
        long x = (v ^ (v >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return x ^ (x >>> 33);
    }
}
