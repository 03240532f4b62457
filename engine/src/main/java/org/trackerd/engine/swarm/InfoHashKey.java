package org.trackerd.engine.swarm;

import java.util.Arrays;

/**
 * A 20-byte infohash as a hash-map key. The processor keeps one mutable probe instance for look-ups and
 * allocates a new key only when a torrent is created. The hash is seeded per process so that crafted
 * infohashes cannot pile into one bucket.
 *
 * <p>Thread: owned by the swarm processor.
 */
final class InfoHashKey
{
    final byte[] bytes = new byte[20];
    private int hash;

    InfoHashKey set(final byte[] src, final int offset, final long seed)
    {
        System.arraycopy(src, offset, bytes, 0, 20);
        hash = PeerHash.hash(bytes, 0, seed);
        return this;
    }

    InfoHashKey copy()
    {
        final InfoHashKey k = new InfoHashKey();
        System.arraycopy(bytes, 0, k.bytes, 0, 20);
        k.hash = hash;
        return k;
    }

    @Override
    public int hashCode()
    {
        return hash;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof InfoHashKey && ((InfoHashKey)o).hash == hash && Arrays.equals(((InfoHashKey)o).bytes, bytes);
    }
}
