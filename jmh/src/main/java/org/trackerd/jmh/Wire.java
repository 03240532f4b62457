package org.trackerd.jmh;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Test data shared by the benchmarks: deterministic hashes, ids and addresses, and URL escaping. */
final class Wire
{
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private Wire()
    {
    }

    /** {@code count} pseudo-random 20-byte hashes, the same for the same seed. */
    static byte[] hashes(final long seed, final int count)
    {
        final byte[] bytes = new byte[count * 20];
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)random.nextInt(256);
        }
        return bytes;
    }

    /** Percent-encodes like libtorrent: letters, digits and {@code -_.~} stay, every other byte is {@code %XX}. */
    static String urlEncode(final byte[] bytes, final int offset, final int length)
    {
        final StringBuilder sb = new StringBuilder(length * 3);
        for (int i = offset; i < offset + length; i++)
        {
            final int b = bytes[i] & 0xFF;
            if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
                b == '-' || b == '_' || b == '.' || b == '~')
            {
                sb.append((char)b);
            }
            else
            {
                sb.append('%').append((char)HEX[b >>> 4]).append((char)HEX[b & 0xF]);
            }
        }
        return sb.toString();
    }

    /** A 64-bit mix (SplitMix64's finaliser): cheap, deterministic, well spread. */
    static long mix(final long x)
    {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Writes a 20-byte id derived from {@code a} and {@code b} into {@code dst}, without allocating. */
    static void id20(final byte[] dst, final int offset, final long a, final long b)
    {
        long x = mix(a * 0x100000001B3L ^ b);
        for (int i = 0; i < 20; i++)
        {
            if ((i & 7) == 0 && i > 0)
            {
                x = mix(x);
            }
            dst[offset + i] = (byte)x;
            x >>>= 8;
        }
    }

    static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes the peers of {@code r} in compact wire form too, as the swarm processor does for a compact request. */
    static void toCompact(final org.trackerd.engine.event.ResponseEvent r)
    {
        r.compact4Count = 0;
        r.compact6Count = 0;
        for (int i = 0; i < r.peerCount; i++)
        {
            r.addCompactPeer(r.peerAddrs, i * org.trackerd.engine.event.RequestEvent.ADDRESS_LENGTH, r.peerPorts[i]);
        }
    }
}
