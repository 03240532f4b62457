package org.trackerd.engine.policy;

import java.util.Arrays;

/**
 * Approvals already verified by one frontend thread: (token bytes, infohash, policy generation) until the
 * token's {@code exp} plus leeway. A client re-announcing with the same token costs a hash and a byte compare
 * instead of a signature verification.
 *
 * <p>Direct-mapped and bounded: {@code entries} slots (a power of two), a new approval overwrites whatever
 * shared its slot. A hit compares the full token and infohash, never only the hash, so a collision can cost a
 * verification but can never approve a token that was not verified. Token byte arrays are allocated when a slot
 * is first used (or outgrown) and reused after, so the steady state allocates nothing.
 *
 * <pre>
 *  slot i: hashes[i]      64-bit hash of token bytes and infohash
 *          generations[i] policy generation that approved it (0 = empty)
 *          validUntil[i]  epoch ms
 *          infoHashes[20i .. 20i+19]
 *          tokens[i][0 .. tokenLengths[i])
 * </pre>
 *
 * <p>Thread: one instance per frontend thread; not thread-safe.
 */
public final class TokenCache
{
    private final int mask;
    private final long[] hashes;
    private final long[] generations;
    private final long[] validUntil;
    private final byte[] infoHashes;
    private final byte[][] tokens;
    private final int[] tokenLengths;

    public TokenCache(final int entries)
    {
        if (Integer.bitCount(entries) != 1)
        {
            throw new IllegalArgumentException("entries must be a power of two: " + entries);
        }
        mask = entries - 1;
        hashes = new long[entries];
        generations = new long[entries];
        validUntil = new long[entries];
        infoHashes = new byte[entries * InfoHashSet.HASH_LENGTH];
        tokens = new byte[entries][];
        tokenLengths = new int[entries];
    }

    public static long hash(final byte[] token, final int length, final byte[] hash, final int hashOffset)
    {
        long h = 0xCBF29CE484222325L ^ length;
        for (int i = 0; i < length; i++)
        {
            h = (h ^ (token[i] & 0xFF)) * 0x100000001B3L;
        }
        for (int i = 0; i < InfoHashSet.HASH_LENGTH; i++)
        {
            h = (h ^ (hash[hashOffset + i] & 0xFF)) * 0x100000001B3L;
        }
        return h ^ (h >>> 29);
    }

    /** True when this exact token was approved for this infohash under this policy and is still valid. */
    public boolean contains(final long h, final byte[] token, final int length, final byte[] hash, final int hashOffset,
        final long generation, final long nowMs)
    {
        final int slot = (int)h & mask;
        return generations[slot] == generation && hashes[slot] == h && nowMs <= validUntil[slot] &&
            tokenLengths[slot] == length &&
            Arrays.equals(infoHashes, slot * InfoHashSet.HASH_LENGTH, (slot + 1) * InfoHashSet.HASH_LENGTH,
                hash, hashOffset, hashOffset + InfoHashSet.HASH_LENGTH) &&
            Arrays.equals(tokens[slot], 0, length, token, 0, length);
    }

    public void put(final long h, final byte[] token, final int length, final byte[] hash, final int hashOffset,
        final long generation, final long validUntilMs)
    {
        final int slot = (int)h & mask;
        byte[] stored = tokens[slot];
        if (stored == null || stored.length < length)
        {
            stored = new byte[Math.max(length, 256)];
            tokens[slot] = stored;
        }
        System.arraycopy(token, 0, stored, 0, length);
        tokenLengths[slot] = length;
        System.arraycopy(hash, hashOffset, infoHashes, slot * InfoHashSet.HASH_LENGTH, InfoHashSet.HASH_LENGTH);
        hashes[slot] = h;
        generations[slot] = generation;
        validUntil[slot] = validUntilMs;
    }
}
