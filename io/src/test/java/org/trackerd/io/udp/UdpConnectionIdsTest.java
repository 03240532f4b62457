package org.trackerd.io.udp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UdpConnectionIdsTest
{
    private static byte[] sequence(final int length)
    {
        final byte[] b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            b[i] = (byte)i;
        }
        return b;
    }

    @Test
    void sipHashMatchesReferenceVectors()
    {
        // Key 00..0f, messages 00..(n-1): vectors from the SipHash paper's reference implementation.
        final SipHash24 h = new SipHash24(sequence(16), 0);
        assertEquals(0x726fdb47dd0e0e31L, h.hash(new byte[0], 0, 0));
        assertEquals(0x74f839c593dc67fdL, h.hash(sequence(1), 0, 1));
        assertEquals(0x93f5f5799a932462L, h.hash(sequence(8), 0, 8));
        assertEquals(0xa129ca6149be45e5L, h.hash(sequence(15), 0, 15));
    }

    @Test
    void threeWordHashEqualsByteHash()
    {
        final SipHash24 h = new SipHash24(sequence(16), 0);
        final byte[] msg = sequence(24);
        assertEquals(h.hash(msg, 0, 24), h.hash(SipHash24.readLongLe(msg, 0), SipHash24.readLongLe(msg, 8),
            SipHash24.readLongLe(msg, 16)));
    }

    @Test
    void idsAreValidForOneToTwoWindowsAndBoundToAddressAndPort()
    {
        final ConnectionIds ids = new ConnectionIds(ConnectionIds.keyFromSecret("s3cret"), 120);
        final byte[] a = new byte[16];
        a[10] = (byte)0xFF;
        a[11] = (byte)0xFF;
        a[12] = 10;
        a[15] = 1;
        final long t = 1_700_000_040L; // start of a window: 1_700_000_040 / 120 is whole
        final long id = ids.issue(a, 6881, t);
        assertTrue(ids.isValid(id, a, 6881, t));
        assertTrue(ids.isValid(id, a, 6881, t + 119));
        assertTrue(ids.isValid(id, a, 6881, t + 239));
        assertFalse(ids.isValid(id, a, 6881, t + 240));
        assertFalse(ids.isValid(id, a, 6882, t));
        final byte[] b = a.clone();
        b[15] = 2;
        assertFalse(ids.isValid(id, b, 6881, t));
        final ConnectionIds other = new ConnectionIds(ConnectionIds.keyFromSecret("other"), 120);
        assertNotEquals(id, other.issue(a, 6881, t));
        assertEquals(id, new ConnectionIds(ConnectionIds.keyFromSecret("s3cret"), 120).issue(a, 6881, t),
            "a configured secret gives the same ids after a restart");
    }

    @Test
    void idsVerifiedBeforeAreJudgedAsHashingWouldJudgeThem()
    {
        // One instance remembers the ids it verified; a new instance per check hashes every time: both must agree
        // for every id, address, port and time, the remembered window expiring like any other.
        final byte[] key = ConnectionIds.keyFromSecret("s3cret");
        final ConnectionIds remembering = new ConnectionIds(key, 120);
        final java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        final byte[][] addresses = { new byte[16], sequence(16), { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 10, 0, 0, 1 } };
        final long[] times = { 0, 119, 120, 239, 240, 1_700_000_040L, 1_700_000_159L, 1_700_000_279L, 1_700_000_280L };
        for (int round = 0; round < 2000; round++)
        {
            final byte[] address = addresses[random.nextInt(addresses.length)];
            final int port = random.nextInt(3) == 0 ? 0 : 6881 + random.nextInt(2);
            final long issuedAt = times[random.nextInt(times.length)];
            final long checkedAt = times[random.nextInt(times.length)];
            final long id = switch (random.nextInt(3))
            {
                case 0 -> 0L;
                case 1 -> random.nextLong();
                default -> remembering.issue(address, port, issuedAt);
            };
            assertEquals(new ConnectionIds(key, 120).isValid(id, address, port, checkedAt),
                remembering.isValid(id, address, port, checkedAt),
                "id " + id + " issued at " + issuedAt + " checked at " + checkedAt + " port " + port);
        }
        final long id = remembering.issue(addresses[2], 6881, 1_700_000_040L);
        assertTrue(remembering.isValid(id, addresses[2], 6881, 1_700_000_040L));
        assertTrue(remembering.isValid(id, addresses[2], 6881, 1_700_000_279L), "remembered, in the next window");
        assertFalse(remembering.isValid(id, addresses[2], 6881, 1_700_000_280L), "remembered, but two windows on");
        assertFalse(remembering.isValid(id, addresses[2], 6882, 1_700_000_040L), "remembered for another port");
        assertFalse(remembering.isValid(id, addresses[1], 6881, 1_700_000_040L), "remembered for another address");
    }
}
