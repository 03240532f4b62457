package org.trackerd.io.http;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-address connection counts against a plain map, through growth and deletions that shift runs back. */
class AddressCountsTest
{
    @Test
    void limitsEachAddressAndForgetsItAtZero()
    {
        final AddressCounts counts = new AddressCounts(16);
        final byte[] a = address(1);
        assertTrue(counts.tryIncrement(a, 2));
        assertTrue(counts.tryIncrement(a, 2));
        assertFalse(counts.tryIncrement(a, 2), "third connection over a limit of two");
        assertEquals(2, counts.count(a));
        counts.decrement(a);
        counts.decrement(a);
        assertEquals(0, counts.count(a));
        assertEquals(0, counts.size());
        counts.decrement(a); // not counted: ignored
        assertEquals(0, counts.size());
    }

    @Test
    void agreesWithAMapOverRandomOpensAndCloses()
    {
        final AddressCounts counts = new AddressCounts(16);
        final Map<Integer, Integer> expected = new HashMap<>();
        final Random random = new Random(42);
        for (int step = 0; step < 200_000; step++)
        {
            // Few distinct addresses at first (long runs, many deletions), then many (growth).
            final int who = random.nextInt(step < 100_000 ? 40 : 5_000);
            final byte[] a = address(who);
            if (random.nextBoolean())
            {
                final int before = expected.getOrDefault(who, 0);
                final boolean took = counts.tryIncrement(a, 3);
                assertEquals(before < 3, took);
                if (took)
                {
                    expected.put(who, before + 1);
                }
            }
            else
            {
                counts.decrement(a);
                expected.computeIfPresent(who, (k, v) -> v == 1 ? null : v - 1);
            }
            if (step % 997 == 0)
            {
                assertEquals(expected.size(), counts.size());
                for (final Map.Entry<Integer, Integer> e : expected.entrySet())
                {
                    assertEquals(e.getValue(), counts.count(address(e.getKey())), "address " + e.getKey());
                }
            }
        }
    }

    /** IPv4-mapped addresses for even numbers, IPv6 for odd ones. */
    private static byte[] address(final int n)
    {
        final byte[] a = new byte[16];
        if ((n & 1) == 0)
        {
            a[10] = (byte)0xFF;
            a[11] = (byte)0xFF;
            a[12] = 10;
            a[13] = (byte)(n >>> 16);
            a[14] = (byte)(n >>> 8);
            a[15] = (byte)n;
        }
        else
        {
            a[0] = 0x20;
            a[1] = 0x01;
            a[8] = (byte)(n >>> 24);
            a[15] = (byte)n;
            a[14] = (byte)(n >>> 8);
        }
        return a;
    }
}
