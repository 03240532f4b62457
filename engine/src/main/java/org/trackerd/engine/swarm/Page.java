package org.trackerd.engine.swarm;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.VarHandle;

/**
 * The layout of one page of a swarm as it is persisted: the value of one Chronicle Map entry, read and written in
 * place in its shard's memory-mapped file. A swarm of up to {@link #MAX_SLOTS} peers is one page (a store of the
 * exact layout may hold {@link #CAPACITY}); a bigger one is a run of pages {@code 0..pages-1} under keys
 * {@code infohash + page number}.
 *
 * <pre>
 * Page of few records (exact):  | header (16) | record 0 (60) | ... | record count-1 |
 *                               count = (length - 16) / 60; length = 16 + 60 count, a multiple of 4
 *
 * Page with spare slots (slack): | header (16) | record 0 | ... | record count-1 | free slot | ... | count u16 |
 *                               slots = (length - 16) / 60; length = 16 + 60 slots + 2, which is 2 mod 4
 *
 * Compact page (1..4 IPv4-only): | header (16) | record 0 (36) | ... | record count-1 (36) | tail 0 (1) |
 *                               count = (length - 17) / 36; length = 17 + 36 count, which is 1 mod 4
 *
 * Header:
 *  0                                   10        12               16
 *  +-----------------------------------+---------+----------------+
 *  | bucket bounds 1..5 (5 x u16)      | pages   | downloaded u32 |   pages, downloaded: page 0 only
 *  +-----------------------------------+---------+----------------+
 *
 * Record (60 bytes):
 *  0              20             36       40       42       44    48          52          56    57   60
 *  +--------------+--------------+--------+--------+--------+-----+-----------+-----------+-----+----+
 *  | peer id (20) | IPv6 address | IPv4   | v6 port| v4 port| key | v6 seen s | v4 seen s |flags| -- |
 *  +--------------+--------------+--------+--------+--------+-----+-----------+-----------+-----+----+
 *
 * Compact record (36 bytes): an IPv4-only peer (flags: SEEDER, COMPLETED, HAS_KEY, HAS_V4; never an IPv6 bit)
 *  0              20       24          28    32       34    35   36
 *  +--------------+--------+-----------+-----+--------+-----+----+
 *  | peer id (20) | IPv4   | v4 seen s | key | v4 port|flags| -- |
 *  +--------------+--------+-----------+-----+--------+-----+----+
 * </pre>
 *
 * <p>Compact pages: most swarms of a public tracker are one to four peers that announce over IPv4 only, and a
 * 60-byte record spends 24 of its bytes on an IPv6 address, port and last-seen such a peer never has. A swarm's
 * page is compact while it holds fewer than {@link #SLACK_FROM} records and none of them has an IPv6 address:
 * a new swarm of an IPv4 peer starts compact, a page that is copied anyway (it grows or shrinks by a record, or
 * the sweep cuts it) becomes compact when its records fit ({@link #fitsCompact}), and a compact page becomes a page
 * of the full layout (one replace of the entry, journaled like any change of its length) before an IPv6 address
 * is written into it or when its fifth peer comes. Everything that reads or writes a record goes through the
 * page's own layout ({@link #record(UnsafeBuffer, int)}, {@link #recordLength}, {@link #flagsAt}, and the field
 * offsets {@code PeerRecord} and {@code PeerSelection} take when they wrap or read a page): the buckets, the
 * header, the swaps and their journal, the repair are the same for both layouts. Only one-page swarms are
 * compact; a big swarm's pages never are. The length tells the four kinds apart: exact 0 mod 4, slack 2 mod 4,
 * compact 1 mod 4, retained 20. A tracker of {@code trackerd-store 5} would read a compact page as 60-byte
 * records, so the {@code FORMAT} becomes {@code trackerd-store 6} at the first open, before any page is made
 * compact; the pages of a store of format 4 or 5 are read as they are.
 *
 * <p>Spare slots make a new peer, and a peer leaving, as cheap as a re-announce: the record is written in place in
 * the mapped page, in the first free slot, and counted by the page's trailing count once it is whole; a peer that
 * leaves is walked to the end and uncounted. The map's entry changes size only when a page is full
 * ({@link #lengthFor}: about a quarter more slots; a big swarm's later pages: 64, 128, then {@link #MAX_SLOTS}) or
 * when fewer than half its slots are used ({@link #oversized}). A page of fewer than {@link #SLACK_FROM} records
 * has no spare slot: the many swarms of one to four peers of a public tracker cost exactly their records (compact
 * ones, when their peers are IPv4-only).
 * A page holds at most {@link #MAX_SLOTS} records before a new peer opens the next page, so the longest value
 * (254 slots and the count) stays shorter than the page of {@link #CAPACITY} records the map files were sized
 * for. Pages of the exact layout, all a store of {@code trackerd-store 4} holds (up to {@link #CAPACITY} records),
 * are read as they are: a page takes the slack layout the first time it grows past its length or is cut, and the
 * layouts tell themselves apart by the length alone (exact: a multiple of 4; slack: 2 mod 4; compact: 1 mod 4; a
 * retained page: 20). No page is converted at an open; the store's {@code FORMAT} became {@code trackerd-store 5}
 * at the first open, before any page took spare slots, because a tracker of format 4 would count a page's free
 * slots as peers (its count is {@code (length - 16) / 60}) and hand them out at 0.0.0.0:0: it refuses the files.
 *
 * <p>A <em>retained</em> torrent (its last peer left, its downloaded count, when not 0, kept for {@code
 * tracker.torrent_retention_seconds}) is a page 0 of no records with a 4-byte tail: the second its last peer left.
 * Its length ({@link #RETAINED_LENGTH}, 20) is no page length of records, so {@link #count} reads 0 and a store of
 * the earlier format, which never held one, opens unchanged:
 * <pre>
 * Retained page 0: | header (16): bounds all 0, pages 1, downloaded | left at: u32 Unix seconds |
 * </pre>
 *
 * <p>A peer is one client, reachable over IPv4, IPv6 or both ({@link #HAS_V4}, {@link #HAS_V6}); each address
 * has its own last-seen second and expires on its own. {@link #PRIMARY_V6} names the family the peer is counted
 * under and handed out in when the requester's family is not one it has.
 *
 * <p>Records are kept partitioned into six buckets by kind and reachable families:
 * <pre>
 * | seeders v4 only | seeders dual | seeders v6 only | leechers v4 only | leechers dual | leechers v6 only |
 * 0                 b1             b2               b3 = seeders       b4              b5                count
 * </pre>
 * so "leechers an IPv4 client can reach" ({@code [b3, b5)}), "seeders an IPv6 client can reach" ({@code [b1, b3)})
 * and "everyone" are each one contiguous range of records: peer selection reads a window of them, no scan and no
 * per-peer filtering however lopsided the families are. Moving a record between buckets costs at most five swaps.
 *
 * <p>Crash safety of the changes in place: a new record is written whole into a free slot, beyond the count,
 * before the count takes it in ({@code PeerWriter.add}); a leaving record is walked to the end by journaled swaps
 * before the count lets it go ({@link #removeInPlace}). A death between two steps leaves a page whose count is
 * right, or one the start-up repair rebuilds from its records ({@link #isWhole}, {@link #rebuild}); a count past the
 * slots is read as the slots and repaired.
 *
 * <p>Thread: the swarm processor only.
 */
final class Page
{
    static final int HEADER = 16;
    static final int RECORD = 60;
    /** Records per page (positions fit 8 bits): a page stays under 16 KiB, far below a Chronicle segment tier. */
    static final int CAPACITY = 255;
    /** A page of this many records or more gets spare slots; fewer: exactly as long as its records. */
    static final int SLACK_FROM = 5;
    /**
     * Most slots of a page with spare slots, and so the records a page is given before a new peer opens the next
     * page (a store of the exact layout may hold pages of {@link #CAPACITY}).
     */
    static final int MAX_SLOTS = CAPACITY - 1;
    /** The trailing record count of a page with spare slots (u16). */
    static final int COUNT_LENGTH = 2;

    /** Length of a retained torrent's page 0: the header and the second its last peer left. */
    static final int RETAINED_LENGTH = HEADER + 4;
    static final int LEFT_AT_OFFSET = HEADER;

    static final int PAGES_OFFSET = 10;
    static final int DOWNLOADED_OFFSET = 12;

    static final int PEER_ID = 0;
    static final int V6_ADDRESS = 20;
    static final int V4_ADDRESS = 36;
    static final int V6_PORT = 40;
    static final int V4_PORT = 42;
    static final int KEY = 44;
    static final int V6_SEEN = 48;
    static final int V4_SEEN = 52;
    static final int FLAGS = 56;

    /** A compact page's record: an IPv4-only peer's fields, no room for an IPv6 address (drawn above). */
    static final int COMPACT_RECORD = 36;
    /** The trailing byte of a compact page (0): makes its length 1 mod 4, a class no other layout has. */
    static final int COMPACT_TAIL = 1;
    static final int COMPACT_V4_ADDRESS = 20;
    static final int COMPACT_V4_SEEN = 24;
    static final int COMPACT_KEY = 28;
    static final int COMPACT_V4_PORT = 32;
    static final int COMPACT_FLAGS = 34;

    static final int SEEDER = 1;
    /** This peer's {@code completed} has been counted: count it once per peer. */
    static final int COMPLETED = 2;
    static final int HAS_KEY = 4;
    static final int HAS_V4 = 8;
    static final int HAS_V6 = 16;
    static final int PRIMARY_V6 = 32;

    static final int SEEDERS_V4 = 0;
    static final int SEEDERS_DUAL = 1;
    static final int SEEDERS_V6 = 2;
    static final int LEECHERS_V4 = 3;
    static final int LEECHERS_DUAL = 4;
    static final int LEECHERS_V6 = 5;
    static final int BUCKETS = 6;

    private Page()
    {
    }

    /** Length of an exact page of {@code count} records of the full layout. */
    static int length(final int count)
    {
        return HEADER + count * RECORD;
    }

    /** Length of a compact page of {@code count} records. */
    static int compactLength(final int count)
    {
        return HEADER + count * COMPACT_RECORD + COMPACT_TAIL;
    }

    /** The page has the compact layout: IPv4-only records of {@link #COMPACT_RECORD} bytes (length 1 mod 4). */
    static boolean isCompact(final UnsafeBuffer page)
    {
        return (page.capacity() & 3) == 1;
    }

    /** Bytes of one record of the page: {@link #COMPACT_RECORD} in a compact page, else {@link #RECORD}. */
    static int recordLength(final UnsafeBuffer page)
    {
        return (page.capacity() & 3) == 1 ? COMPACT_RECORD : RECORD;
    }

    /** Offset of the flags byte within a record of the page's layout. */
    static int flagsAt(final UnsafeBuffer page)
    {
        return (page.capacity() & 3) == 1 ? COMPACT_FLAGS : FLAGS;
    }

    /** Offset of the IPv4 address within a record of the page's layout. */
    static int v4AddressAt(final UnsafeBuffer page)
    {
        return (page.capacity() & 3) == 1 ? COMPACT_V4_ADDRESS : V4_ADDRESS;
    }

    /** Offset of the IPv4 port within a record of the page's layout. */
    static int v4PortAt(final UnsafeBuffer page)
    {
        return (page.capacity() & 3) == 1 ? COMPACT_V4_PORT : V4_PORT;
    }

    /**
     * Length of an exact page of {@code count} records in the layout of {@code page}: compact for a compact page,
     * else the full layout without spare slots (a heap copy being cut down is wrapped at it).
     */
    static int exactLengthLike(final UnsafeBuffer page, final int count)
    {
        return isCompact(page) ? compactLength(count) : length(count);
    }

    /**
     * The first {@code count} records of the page fit a compact page: between 1 and {@link #SLACK_FROM} - 1 of
     * them, none with an IPv6 address.
     */
    static boolean fitsCompact(final UnsafeBuffer page, final int count)
    {
        if (count < 1 || count >= SLACK_FROM)
        {
            return false;
        }
        for (int pos = 0; pos < count; pos++)
        {
            if ((flags(page, pos) & (HAS_V6 | PRIMARY_V6)) != 0)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Records in the page: its length tells for an exact page, the trailing count for one with spare slots (never
     * more than its slots, so a torn count cannot send a read past the page).
     */
    static int count(final UnsafeBuffer page)
    {
        final int length = page.capacity();
        final int kind = length & 3;
        if (kind == 1)
        {
            return (length - HEADER) / COMPACT_RECORD;
        }
        // Divisions by constants (a multiply each), not by the layout's record length: this runs several times
        // per announce.
        final int slots = (length - HEADER) / RECORD;
        if (kind != 2)
        {
            return slots;
        }
        return Math.min(page.getShort(length - COUNT_LENGTH) & 0xFFFF, slots);
    }

    /** Sets the record count of a page with {@link #hasSlack spare slots}: the step that adds or drops a record. */
    static void count(final UnsafeBuffer page, final int count)
    {
        page.putShort(page.capacity() - COUNT_LENGTH, (short)count);
    }

    /** Record slots of the page, used or free. */
    static int slots(final UnsafeBuffer page)
    {
        final int length = page.capacity();
        return (length & 3) == 1 ? (length - HEADER) / COMPACT_RECORD : (length - HEADER) / RECORD;
    }

    /** The page has the layout with spare slots and a trailing count (its length is 2 mod 4). */
    static boolean hasSlack(final UnsafeBuffer page)
    {
        return (page.capacity() & 3) == 2;
    }

    /** A record can be added in place: the page has a free slot. */
    static boolean hasRoom(final UnsafeBuffer page)
    {
        return hasSlack(page) && count(page) < slots(page);
    }

    /**
     * Slots of a new value for {@code count} records: exactly {@code count} below {@link #SLACK_FROM} and at
     * {@link #CAPACITY}, else about a quarter more (at least 2 more), at most {@link #MAX_SLOTS}: a page of a
     * one-page swarm has at most a quarter of its records' bytes spare (2 records below 8), and is copied once per
     * quarter it grows.
     */
    static int slotsFor(final int count)
    {
        if (count < SLACK_FROM || count >= CAPACITY)
        {
            return count;
        }
        return Math.min(MAX_SLOTS, count + Math.max(2, count >> 2));
    }

    /**
     * Slots of a new value for {@code count} records of a big swarm's later page (page 1 on): 64, 128, then
     * {@link #MAX_SLOTS}. Such a page is the swarm's last, which takes every new peer until it is full: it grows in
     * doublings, a copy of 64 and of 128 records per page filled, and its spare slots are one page's per big swarm.
     */
    static int laterSlotsFor(final int count)
    {
        return count <= 64 ? 64 : count <= 128 ? 128 : MAX_SLOTS;
    }

    /** Length of a page of {@code slots} slots in the layout with spare slots. */
    static int slackLength(final int slots)
    {
        return HEADER + slots * RECORD + COUNT_LENGTH;
    }

    /**
     * No record can be added to the page: it has no free slot and holds {@link #MAX_SLOTS} records or more (a page
     * of the exact layout may hold {@link #CAPACITY}). A new peer for a full page goes to a new page.
     */
    static boolean isFull(final UnsafeBuffer page)
    {
        return !hasRoom(page) && count(page) >= MAX_SLOTS;
    }

    /** Length of a new value for {@code count} records, in the layout {@link #slotsFor} gives it. */
    static int lengthFor(final int count)
    {
        final int slots = slotsFor(count);
        return count < SLACK_FROM || count >= CAPACITY ? length(count) : slackLength(slots);
    }

    /**
     * The page is worth shrinking once it holds only {@code count} records: fewer than half its slots used, or
     * few enough records for the exact layout. An exact page is never oversized (its length is its count).
     */
    static boolean oversized(final UnsafeBuffer page, final int count)
    {
        return hasSlack(page) && (count < SLACK_FROM || count * 2 < slots(page));
    }

    /** Whether {@code length} is the length of a page of records of any layout (exact, slack, compact). */
    static boolean isPageLength(final int length)
    {
        if (length < HEADER)
        {
            return false;
        }
        if ((length & 3) == 1)
        {
            final int records = (length - HEADER - COMPACT_TAIL) / COMPACT_RECORD;
            return (length - HEADER - COMPACT_TAIL) % COMPACT_RECORD == 0 && records >= 1 && records < SLACK_FROM;
        }
        final int rest = (length - HEADER) % RECORD;
        final int slots = (length - HEADER) / RECORD;
        return rest == 0 && slots <= CAPACITY || rest == COUNT_LENGTH && slots >= 1 && slots <= MAX_SLOTS;
    }

    /**
     * Copies the header and the first {@code count} records of {@code source} (any layout) into {@code target},
     * a value of {@link #lengthFor}{@code (count)} or {@code (count + 1)} bytes on the heap, or of
     * {@link #compactLength} of either: a target with spare slots gets {@code count} as its count and zeroed free
     * slots (an exact or compact target one record longer gets that record zeroed, ready for a new peer). Between a
     * compact and a full layout each record is copied field by field; a compact target takes only records that
     * {@link #fitsCompact fit} it.
     */
    static void copy(final UnsafeBuffer source, final int count, final UnsafeBuffer target)
    {
        final boolean compactSource = isCompact(source);
        final boolean compactTarget = isCompact(target);
        final int used;
        if (compactSource == compactTarget)
        {
            used = HEADER + count * recordLength(source);
            target.putBytes(0, source, 0, used);
        }
        else
        {
            // The compact page becomes a full one (a peer with an IPv6 address, or the page grows past a few
            // records), or the other way round (the caller checked fitsCompact): field by field.
            used = HEADER + count * recordLength(target);
            target.putBytes(0, source, 0, HEADER);
            target.setMemory(HEADER, used - HEADER, (byte)0);
            for (int pos = 0; pos < count; pos++)
            {
                copyRecord(source, pos, target, pos);
            }
        }
        target.setMemory(used, target.capacity() - used, (byte)0);
        if (hasSlack(target))
        {
            count(target, count);
        }
    }

    /**
     * Copies the IPv4 peer's fields of a record into a zeroed record of another layout: peer id, IPv4 address and
     * port, key, v4 last-seen and flags (a compact record has nothing else).
     */
    private static void copyRecord(final UnsafeBuffer source, final int from, final UnsafeBuffer target, final int to)
    {
        final int s = record(source, from);
        final int t = record(target, to);
        final boolean compactSource = isCompact(source);
        target.putBytes(t + PEER_ID, source, s + PEER_ID, 20);
        target.putInt(t + v4AddressAt(target), source.getInt(s + v4AddressAt(source)));
        target.putShort(t + v4PortAt(target), source.getShort(s + v4PortAt(source)));
        target.putInt(t + (compactSource ? KEY : COMPACT_KEY), source.getInt(s + (compactSource ? COMPACT_KEY : KEY)));
        target.putInt(t + (compactSource ? V4_SEEN : COMPACT_V4_SEEN),
            source.getInt(s + (compactSource ? COMPACT_V4_SEEN : V4_SEEN)));
        target.putByte(t + flagsAt(target), source.getByte(s + flagsAt(source)));
    }

    /** Offset of the record at {@code position} of a page of the full layout (a big swarm's pages all are). */
    static int record(final int position)
    {
        return HEADER + position * RECORD;
    }

    /** Offset of the record at {@code position} of {@code page}, in its layout. */
    static int record(final UnsafeBuffer page, final int position)
    {
        return HEADER + position * recordLength(page);
    }

    /** First position of bucket {@code k} (0..6; 6 gives the count). */
    static int bound(final UnsafeBuffer page, final int k)
    {
        if (k == 0)
        {
            return 0;
        }
        if (k == BUCKETS)
        {
            return count(page);
        }
        return page.getShort((k - 1) * 2) & 0xFFFF;
    }

    private static void bound(final UnsafeBuffer page, final int k, final int value)
    {
        page.putShort((k - 1) * 2, (short)value);
    }

    static int seeders(final UnsafeBuffer page)
    {
        return bound(page, LEECHERS_V4);
    }

    static int leechers(final UnsafeBuffer page)
    {
        return count(page) - bound(page, LEECHERS_V4);
    }

    static int pages(final UnsafeBuffer page0)
    {
        return Math.max(1, page0.getShort(PAGES_OFFSET) & 0xFFFF);
    }

    static void pages(final UnsafeBuffer page0, final int pages)
    {
        page0.putShort(PAGES_OFFSET, (short)pages);
    }

    static long downloaded(final UnsafeBuffer page0)
    {
        return page0.getInt(DOWNLOADED_OFFSET) & 0xFFFF_FFFFL;
    }

    static void downloaded(final UnsafeBuffer page0, final long downloaded)
    {
        page0.putInt(DOWNLOADED_OFFSET, (int)Math.min(downloaded, 0xFFFF_FFFFL));
    }

    /** A retained torrent's page 0: no peers, its downloaded count kept (see the class comment). */
    static boolean isRetained(final UnsafeBuffer page0)
    {
        return page0.capacity() == RETAINED_LENGTH;
    }

    /** The Unix second a retained torrent's last peer left. */
    static long leftAtSeconds(final UnsafeBuffer retained)
    {
        return retained.getInt(LEFT_AT_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * Writes into {@code target} ({@link #RETAINED_LENGTH} bytes) the retained page of a torrent whose page 0 is
     * {@code page0}: its downloaded count, no records, left at {@code leftAtSeconds}.
     */
    static void retained(final UnsafeBuffer page0, final UnsafeBuffer target, final long leftAtSeconds)
    {
        final int downloaded = page0.getInt(DOWNLOADED_OFFSET);
        target.setMemory(0, RETAINED_LENGTH, (byte)0);
        target.putShort(PAGES_OFFSET, (short)1);
        target.putInt(DOWNLOADED_OFFSET, downloaded);
        target.putInt(LEFT_AT_OFFSET, (int)leftAtSeconds);
    }

    static int flags(final UnsafeBuffer page, final int position)
    {
        return page.getByte(record(page, position) + flagsAt(page)) & 0xFF;
    }

    static void flags(final UnsafeBuffer page, final int position, final int flags)
    {
        page.putByte(record(page, position) + flagsAt(page), (byte)flags);
    }

    /** The bucket a record with these flags belongs in. */
    static int bucketFor(final int flags)
    {
        final boolean v4 = (flags & HAS_V4) != 0;
        final boolean v6 = (flags & HAS_V6) != 0;
        final int reach = v4 && v6 ? 1 : v4 ? 0 : 2;
        return ((flags & SEEDER) != 0 ? SEEDERS_V4 : LEECHERS_V4) + reach;
    }

    /** The bucket the record at {@code position} is in now. */
    static int bucketAt(final UnsafeBuffer page, final int position)
    {
        int k = BUCKETS - 1;
        while (k > 0 && bound(page, k) > position)
        {
            k--;
        }
        return k;
    }

    /**
     * Position of the record with this peer id, or -1: a scan comparing the first 8 bytes of each id, through the
     * half where the peer most likely is first ({@code seederFirst}: the seeders, as for an announce with
     * {@code left=0}), then the other half. Reads without per-access bounds checks: positions run below
     * {@link #count}, which the page's own length gives, so every read lies inside the page.
     */
    static int find(final UnsafeBuffer page, final UnsafeBuffer peerIdBuffer, final boolean seederFirst)
    {
        final int count = count(page);
        final int split = Math.min(bound(page, LEECHERS_V4), count);
        final byte[] base = page.byteArray();
        final long address = page.addressOffset();
        final long head = peerIdBuffer.getLong(0);
        final long middle = peerIdBuffer.getLong(8);
        final int tail = peerIdBuffer.getInt(16);
        final int stride = recordLength(page);
        final int first = seederFirst ? scan(base, address, stride, 0, split, head, middle, tail) :
            scan(base, address, stride, split, count, head, middle, tail);
        if (first >= 0)
        {
            return first;
        }
        return seederFirst ? scan(base, address, stride, split, count, head, middle, tail) :
            scan(base, address, stride, 0, split, head, middle, tail);
    }

    /** The record at {@code position} (below {@link #count}) holds this peer id: the check of an index hit. */
    static boolean hasPeerId(final UnsafeBuffer page, final int position, final UnsafeBuffer peerIdBuffer)
    {
        return scan(page.byteArray(), page.addressOffset(), recordLength(page), position, position + 1,
            peerIdBuffer.getLong(0), peerIdBuffer.getLong(8), peerIdBuffer.getInt(16)) == position;
    }

    private static int scan(final byte[] base, final long address, final int stride, final int from, final int to,
        final long head, final long middle, final int tail)
    {
        long at = address + HEADER + (long)from * stride;
        for (int p = from; p < to; p++, at += stride)
        {
            if (UnsafeApi.getLong(base, at) == head && UnsafeApi.getLong(base, at + 8) == middle &&
                UnsafeApi.getInt(base, at + 16) == tail)
            {
                return p;
            }
        }
        return -1;
    }

    /**
     * Hears of each swap of two records: before it (the processor keeps an undo image of the two records of a page
     * of the map) and after it (big swarms keep an index of positions).
     */
    interface SwapListener
    {
        void swapping(UnsafeBuffer page, int a, int b);

        void swapped(UnsafeBuffer page, int a, int b);
    }

    static void swap(final UnsafeBuffer page, final int a, final int b, final byte[] tmp, final SwapListener listener)
    {
        if (a == b)
        {
            return;
        }
        final int length = recordLength(page);
        final int ra = HEADER + a * length;
        final int rb = HEADER + b * length;
        if (listener != null)
        {
            listener.swapping(page, a, b);
        }
        page.getBytes(ra, tmp, 0, length);
        page.putBytes(ra, page, rb, length);
        page.putBytes(rb, tmp, 0, length);
        if (listener != null)
        {
            listener.swapped(page, a, b);
        }
    }

    /** Walks the record at {@code position} across bucket boundaries to bucket {@code target}; returns where it ends. */
    static int moveTo(final UnsafeBuffer page, final int position, final int target, final byte[] tmp,
        final SwapListener listener)
    {
        int p = position;
        int b = bucketAt(page, p);
        while (b < target)
        {
            // Become the last member of this bucket, then the first of the next one.
            final int last = bound(page, b + 1) - 1;
            swap(page, p, last, tmp, listener);
            p = last;
            bound(page, b + 1, last);
            b++;
        }
        while (b > target)
        {
            // Become the first member of this bucket, then the last of the previous one.
            final int first = bound(page, b);
            swap(page, p, first, tmp, listener);
            p = first;
            bound(page, b, first + 1);
            b--;
        }
        return p;
    }

    /**
     * Moves the record at {@code position} to the end of the page, ready to be cut off by shrinking the page by
     * one record; returns nothing, the record is at {@code count - 1} afterwards.
     */
    static void moveToEnd(final UnsafeBuffer page, final int position, final byte[] tmp, final SwapListener listener)
    {
        final int p = moveTo(page, position, LEECHERS_V6, tmp, listener);
        swap(page, p, count(page) - 1, tmp, listener);
    }

    /**
     * Drops the record at {@code position} from a page with {@link #hasSlack spare slots}, in place: walks it to
     * the end, uncounts it, then zeroes its slot. A death before the count changed leaves the peer in a whole page;
     * after, the page is whole without it.
     */
    static void removeInPlace(final UnsafeBuffer page, final int position, final byte[] tmp,
        final SwapListener listener)
    {
        moveToEnd(page, position, tmp, listener);
        final int last = count(page) - 1;
        count(page, last);
        VarHandle.storeStoreFence();
        page.setMemory(record(page, last), recordLength(page), (byte)0);
    }

    /**
     * Whether the page is whole: its count within its slots, bucket bounds in order and within the page, every
     * record in the bucket its flags name and reachable over some family, no peer id twice. A page an update was
     * torn in may be none of these.
     */
    static boolean isWhole(final UnsafeBuffer page)
    {
        if (hasSlack(page) && (page.getShort(page.capacity() - COUNT_LENGTH) & 0xFFFF) > slots(page))
        {
            return false;
        }
        final int count = count(page);
        int previous = 0;
        for (int k = 1; k < BUCKETS; k++)
        {
            final int b = bound(page, k);
            if (b < previous || b > count)
            {
                return false;
            }
            previous = b;
        }
        final int notHere = isCompact(page) ? HAS_V6 | PRIMARY_V6 : 0; // a compact record has no IPv6 fields
        for (int pos = 0; pos < count; pos++)
        {
            final int flags = flags(page, pos);
            if ((flags & (HAS_V4 | HAS_V6)) == 0 || (flags & notHere) != 0 || bucketFor(flags) != bucketAt(page, pos))
            {
                return false;
            }
            for (int other = 0; other < pos; other++)
            {
                if (samePeerId(page, pos, page, other))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Rebuilds a page that is not {@link #isWhole whole} into {@code target} (at least as long as its records, in
     * the exact layout: the caller writes the first n records back with {@link #copy}): keeps
     * the header's page count and downloaded count, the first record of each peer id that is reachable over some
     * family, files them by their flags and sets the bounds. Returns the records kept.
     */
    static int rebuild(final UnsafeBuffer page, final UnsafeBuffer target)
    {
        final int count = count(page);
        final int length = recordLength(page);
        // A compact record has no IPv6 fields: a torn one naming IPv6 bits keeps what it has, its IPv4 address.
        final int notHere = isCompact(page) ? HAS_V6 | PRIMARY_V6 : 0;
        target.setMemory(0, HEADER, (byte)0);
        target.putShort(PAGES_OFFSET, page.getShort(PAGES_OFFSET));
        target.putInt(DOWNLOADED_OFFSET, page.getInt(DOWNLOADED_OFFSET));
        int n = 0;
        for (int bucket = 0; bucket < BUCKETS; bucket++)
        {
            if (bucket > 0)
            {
                bound(target, bucket, n);
            }
            for (int pos = 0; pos < count; pos++)
            {
                final int flags = flags(page, pos) & ~notHere;
                if ((flags & (HAS_V4 | HAS_V6)) == 0 || bucketFor(flags) != bucket)
                {
                    continue;
                }
                boolean duplicate = false;
                for (int other = 0; other < n && !duplicate; other++)
                {
                    duplicate = samePeerId(page, pos, target, other);
                }
                if (!duplicate)
                {
                    target.putBytes(HEADER + n * length, page, HEADER + pos * length, length);
                    flags(target, n++, flags);
                }
            }
        }
        return n;
    }

    private static boolean samePeerId(final UnsafeBuffer a, final int posA, final UnsafeBuffer b, final int posB)
    {
        final int ra = record(a, posA) + PEER_ID;
        final int rb = record(b, posB) + PEER_ID;
        return a.getLong(ra) == b.getLong(rb) && a.getLong(ra + 8) == b.getLong(rb + 8) &&
            a.getInt(ra + 16) == b.getInt(rb + 16);
    }

    static boolean isV4(final int flags)
    {
        return (flags & HAS_V4) != 0;
    }
}
