package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compact page layout on its own: its lengths are told apart from every other layout's, a copy between the
 * compact and the full layout keeps every field an IPv4-only peer has, and the checks and the repair of the start
 * read a compact page in its own layout.
 */
class CompactPageTest
{
    @Test
    void compactLengthsAreAClassOfTheirOwn()
    {
        for (int n = 1; n < Page.SLACK_FROM; n++)
        {
            final int length = Page.compactLength(n);
            assertEquals(1, length & 3);
            assertTrue(Page.isPageLength(length));
            final UnsafeBuffer page = new UnsafeBuffer(new byte[length]);
            assertTrue(Page.isCompact(page));
            assertFalse(Page.hasSlack(page));
            assertEquals(n, Page.count(page));
            assertEquals(n, Page.slots(page));
            assertEquals(Page.COMPACT_RECORD, Page.recordLength(page));
        }
        assertFalse(Page.isPageLength(Page.compactLength(0)), "a compact page holds a record at least");
        assertFalse(Page.isPageLength(Page.compactLength(Page.SLACK_FROM)), "five records take the full layout");
        assertFalse(Page.isPageLength(Page.compactLength(2) + 4));
        for (int n = 0; n <= Page.CAPACITY; n++)
        {
            assertFalse(Page.isCompact(new UnsafeBuffer(new byte[Page.length(n)])));
        }
        for (int slots = 1; slots <= Page.MAX_SLOTS; slots++)
        {
            assertFalse(Page.isCompact(new UnsafeBuffer(new byte[Page.slackLength(slots)])));
        }
        assertFalse(Page.isCompact(new UnsafeBuffer(new byte[Page.RETAINED_LENGTH])));
    }

    @Test
    void aCopyToTheFullLayoutAndBackKeepsEveryField()
    {
        final UnsafeBuffer compact = new UnsafeBuffer(new byte[Page.compactLength(3)]);
        Page.pages(compact, 1);
        Page.downloaded(compact, 7);
        // Seeder first, then two leechers: bounds 1..3 at 1, 4..5 at 3.
        for (int k = 1; k <= 3; k++)
        {
            compact.putShort((k - 1) * 2, (short)1);
        }
        compact.putShort(6, (short)3);
        compact.putShort(8, (short)3);
        for (int pos = 0; pos < 3; pos++)
        {
            final PeerRecord r = new PeerRecord().wrap(compact, pos);
            final byte[] id = new byte[20];
            java.util.Arrays.fill(id, (byte)(0x40 + pos));
            r.peerId(id);
            final byte[] address = new byte[16];
            address[10] = (byte)0xFF;
            address[11] = (byte)0xFF;
            address[12] = 10;
            address[15] = (byte)(pos + 1);
            final int flags = r.placeAddress(pos == 0 ? Page.SEEDER | Page.COMPLETED : 0, address, 6881 + pos,
                1_000 + pos);
            r.key(0xC0DE + pos);
            r.flags(flags | Page.HAS_KEY);
        }
        assertTrue(Page.isWhole(compact));

        final UnsafeBuffer full = new UnsafeBuffer(new byte[Page.length(3)]);
        Page.copy(compact, 3, full);
        assertTrue(Page.isWhole(full));
        final UnsafeBuffer back = new UnsafeBuffer(new byte[Page.compactLength(3)]);
        assertTrue(Page.fitsCompact(full, 3));
        Page.copy(full, 3, back);
        assertArrayEquals(compact.byteArray(), back.byteArray(), "compact -> full -> compact is the same page");
        for (int pos = 0; pos < 3; pos++)
        {
            assertEquals(Page.flags(compact, pos), Page.flags(full, pos));
            final int at = Page.record(pos);
            assertEquals(0xC0DE + pos, full.getInt(at + Page.KEY));
            assertEquals(6881 + pos, full.getShort(at + Page.V4_PORT) & 0xFFFF);
            assertEquals(1_000 + pos, full.getInt(at + Page.V4_SEEN));
            assertEquals(10, full.getByte(at + Page.V4_ADDRESS));
            assertEquals(pos + 1, full.getByte(at + Page.V4_ADDRESS + 3));
            assertEquals(0L, full.getLong(at + Page.V6_ADDRESS), "no IPv6 address");
        }
        assertEquals(7, Page.downloaded(full));
        assertEquals(1, Page.seeders(full));
        assertEquals(2, Page.leechers(full));

        // A full page with an IPv6 peer does not fit a compact one.
        Page.flags(full, 1, Page.flags(full, 1) | Page.HAS_V6);
        assertFalse(Page.fitsCompact(full, 3));
        assertTrue(Page.fitsCompact(full, 1));
    }

    @Test
    void aCompactRecordNamingIpv6IsTornAndTheRepairKeepsItsIpv4Address()
    {
        final UnsafeBuffer compact = new UnsafeBuffer(new byte[Page.compactLength(2)]);
        compact.putShort(6, (short)2); // two IPv4 leechers: bounds 1..3 at 0, 4..5 at 2
        compact.putShort(8, (short)2);
        for (int pos = 0; pos < 2; pos++)
        {
            compact.putByte(Page.record(compact, pos), (byte)(pos + 1));
            Page.flags(compact, pos, Page.HAS_V4);
        }
        assertTrue(Page.isWhole(compact));
        Page.flags(compact, 1, Page.HAS_V4 | Page.HAS_V6);
        assertFalse(Page.isWhole(compact), "a compact record has no IPv6 fields");
        final UnsafeBuffer target = new UnsafeBuffer(new byte[Page.compactLength(2)]);
        assertEquals(2, Page.rebuild(compact, target));
        assertTrue(Page.isWhole(target));
        assertEquals(Page.HAS_V4, Page.flags(target, 1));
    }
}
