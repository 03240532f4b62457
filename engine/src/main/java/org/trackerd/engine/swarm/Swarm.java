package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;

import org.trackerd.engine.event.RequestEvent;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The in-memory index of one torrent's peers, derived from the persisted maps and kept for fast selection.
 *
 * <p>Peers live in fixed-size slots of one byte array; a slot keeps its index while the peer lives, and free
 * slots form a list threaded through the {@code POSITION} field. Two small structures point at slots:
 * <ul>
 *   <li>{@code table}: open addressing (linear probing, backward-shift delete) from peer id to slot + 1;</li>
 *   <li>{@code members}: every live slot, partitioned into six buckets by kind and reachable families:
 *   <pre>
 *   | seeders v4 only | seeders dual | seeders v6 only | leechers v4 only | leechers dual | leechers v6 only |
 *   0                 b1             b2               b3 = seeders        b4              b5                count
 *   </pre>
 *   so "leechers an IPv4 client can reach" ({@code [b3, b5)}), "seeders an IPv6 client can reach"
 *   ({@code [b1, b3)}), "everyone" ({@code [0, count)}) are each one contiguous range, and a family-filtered
 *   random sample is a partial Fisher-Yates shuffle over at most two ranges: no scan, no wasted draws, however
 *   lopsided the families are. Moving a peer between buckets costs at most five swaps.</li>
 * </ul>
 *
 * <pre>
 * Slot (96 bytes):
 *  0                   20                  36     38     39     40     44         48             56     60     64
 *  +-------------------+-------------------+------+------+------+------+----------+--------------+------+------+
 *  | peer id (20)      | address (16)      | port | flags|bucket| key  | position | last seen ms | hash |origin|
 *  +-------------------+-------------------+------+------+------+------+----------+--------------+------+------+
 *  64                  80     82           88                 96
 *  +-------------------+------+------------+------------------+
 *  | alt address (16)  | port | pad (6)    | alt last seen ms |
 *  +-------------------+------+------------+------------------+
 * </pre>
 *
 * <p>{@code address} is the address the peer first announced from (or moved to within that family); the
 * {@code alt} fields, valid when {@link #FLAG_DUAL} is set, hold its address in the other family: a dual-stacked
 * client is one peer reachable two ways, and each address expires on its own.
 *
 * <p>{@code origin} is scratch for {@link #sample}: the position a picked member was swapped from, so the shuffle
 * can be undone and the bucket partition survives a sample that spans several buckets.
 *
 * <p>Thread: owned by the swarm processor; never touched by any other thread.
 */
final class Swarm
{
    static final int SLOT_LENGTH = 96;
    static final int PEER_ID_OFFSET = 0;
    static final int ADDRESS_OFFSET = 20;
    static final int PORT_OFFSET = 36;
    static final int FLAGS_OFFSET = 38;
    static final int BUCKET_OFFSET = 39;
    static final int KEY_OFFSET = 40;
    static final int POSITION_OFFSET = 44;
    static final int LAST_SEEN_OFFSET = 48;
    static final int HASH_OFFSET = 56;
    static final int SAMPLE_ORIGIN_OFFSET = 60;
    static final int ALT_ADDRESS_OFFSET = 64;
    static final int ALT_PORT_OFFSET = 80;
    static final int ALT_LAST_SEEN_OFFSET = 88;

    static final byte FLAG_SEEDER = 1;
    /** This peer's {@code completed} has been counted: count it once per peer. */
    static final byte FLAG_COMPLETED = 2;
    static final byte FLAG_HAS_KEY = 4;
    /** The alt address fields hold the peer's address in the other family. */
    static final byte FLAG_DUAL = 8;

    /** Buckets of {@code members}, in order; a family's members of one kind are two adjacent buckets. */
    static final int SEEDERS_V4 = 0;
    static final int SEEDERS_DUAL = 1;
    static final int SEEDERS_V6 = 2;
    static final int LEECHERS_V4 = 3;
    static final int LEECHERS_DUAL = 4;
    static final int LEECHERS_V6 = 5;
    private static final int BUCKETS = 6;

    private static final int INITIAL_CAPACITY = 2;

    final InfoHashKey key;
    /** Position in the registry's dense list, for sweeping. */
    int registryIndex;
    long downloaded;

    /** Bucket k is {@code members[bounds[k], bounds[k + 1])}; {@code bounds[6]} is the peer count. */
    private final int[] bounds = new int[BUCKETS + 1];
    private int[] members = new int[INITIAL_CAPACITY];
    final UnsafeBuffer slots = new UnsafeBuffer(new byte[INITIAL_CAPACITY * SLOT_LENGTH]);
    private int capacity = INITIAL_CAPACITY;
    private int highWater;
    private int freeHead = -1;
    private int[] table = new int[PeerHash.tableSizeFor(INITIAL_CAPACITY)];

    Swarm(final InfoHashKey key)
    {
        this.key = key;
    }

    int seeders()
    {
        return bounds[LEECHERS_V4];
    }

    int leechers()
    {
        return bounds[BUCKETS] - bounds[LEECHERS_V4];
    }

    int size()
    {
        return bounds[BUCKETS];
    }

    /** First member position of bucket {@code k} (0..6; 6 gives the count). */
    int bound(final int k)
    {
        return bounds[k];
    }

    int memberAt(final int position)
    {
        return members[position];
    }

    static int offset(final int slot)
    {
        return slot * SLOT_LENGTH;
    }

    boolean isSeeder(final int slot)
    {
        return (slots.getByte(offset(slot) + FLAGS_OFFSET) & FLAG_SEEDER) != 0;
    }

    byte flags(final int slot)
    {
        return slots.getByte(offset(slot) + FLAGS_OFFSET);
    }

    void flags(final int slot, final byte flags)
    {
        slots.putByte(offset(slot) + FLAGS_OFFSET, flags);
    }

    long lastSeenMs(final int slot)
    {
        return slots.getLong(offset(slot) + LAST_SEEN_OFFSET);
    }

    /** Slot of the peer with this id, or -1. */
    int find(final byte[] peerId, final int hash)
    {
        final int mask = table.length - 1;
        int i = hash & mask;
        int entry;
        while ((entry = table[i]) != 0)
        {
            final int slot = entry - 1;
            if (slots.getInt(offset(slot) + HASH_OFFSET) == hash && peerIdEquals(slot, peerId))
            {
                return slot;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private boolean peerIdEquals(final int slot, final byte[] peerId)
    {
        final byte[] raw = slots.byteArray();
        final int base = offset(slot);
        return Arrays.equals(raw, base, base + 20, peerId, 0, 20);
    }

    /**
     * Takes a free slot for a new peer, records its id and hash and indexes it as a leecher. The caller fills
     * the rest of the slot and then calls {@link #seeder(int, boolean)}, which files it in its bucket.
     */
    int add(final byte[] peerId, final int hash)
    {
        final int count = bounds[BUCKETS];
        if (count == capacity)
        {
            grow();
        }
        final int slot;
        if (freeHead >= 0)
        {
            slot = freeHead;
            freeHead = slots.getInt(offset(slot) + POSITION_OFFSET);
        }
        else
        {
            slot = highWater++;
        }
        final int base = offset(slot);
        slots.putBytes(base + PEER_ID_OFFSET, peerId, 0, 20);
        slots.putInt(base + HASH_OFFSET, hash);
        slots.putByte(base + FLAGS_OFFSET, (byte)0);
        slots.putByte(base + BUCKET_OFFSET, (byte)LEECHERS_V6);
        insertIntoTable(slot, hash);
        members[count] = slot;
        slots.putInt(base + POSITION_OFFSET, count);
        bounds[BUCKETS] = count + 1;
        return slot;
    }

    void remove(final int slot)
    {
        moveTo(slot, LEECHERS_V6);
        final int last = bounds[BUCKETS] - 1;
        swap(position(slot), last);
        bounds[BUCKETS] = last;
        removeFromTable(slot);
        slots.putInt(offset(slot) + POSITION_OFFSET, freeHead);
        slots.putByte(offset(slot) + FLAGS_OFFSET, (byte)0);
        freeHead = slot;
        if (last == 0)
        {
            // An empty swarm is about to be dropped; nothing to compact.
            highWater = 0;
            freeHead = -1;
            java.util.Arrays.fill(bounds, 0);
        }
    }

    /** Sets or clears the seeder flag and files the peer in the bucket its flags and addresses call for. */
    void seeder(final int slot, final boolean seeder)
    {
        final int base = offset(slot);
        final byte flags = slots.getByte(base + FLAGS_OFFSET);
        slots.putByte(base + FLAGS_OFFSET, (byte)(seeder ? flags | FLAG_SEEDER : flags & ~FLAG_SEEDER));
        reindex(slot);
    }

    /** Files the peer in its bucket after its flags or addresses changed. */
    void reindex(final int slot)
    {
        final int base = offset(slot);
        final byte flags = slots.getByte(base + FLAGS_OFFSET);
        final int reach = (flags & FLAG_DUAL) != 0 ? 1 :
            RequestEvent.isIpv4Mapped(slots.byteArray(), base + ADDRESS_OFFSET) ? 0 : 2;
        moveTo(slot, ((flags & FLAG_SEEDER) != 0 ? SEEDERS_V4 : LEECHERS_V4) + reach);
    }

    /** Walks a member across bucket boundaries, one swap per boundary. */
    private void moveTo(final int slot, final int target)
    {
        final int base = offset(slot);
        int b = slots.getByte(base + BUCKET_OFFSET);
        while (b < target)
        {
            // Become the first member of the next bucket.
            swap(position(slot), bounds[b + 1] - 1);
            bounds[b + 1]--;
            b++;
        }
        while (b > target)
        {
            // Become the last member of the previous bucket.
            swap(position(slot), bounds[b]);
            bounds[b]++;
            b--;
        }
        slots.putByte(base + BUCKET_OFFSET, (byte)target);
    }

    int bucket(final int slot)
    {
        return slots.getByte(offset(slot) + BUCKET_OFFSET);
    }

    /** {@link #sample(int, int, int, int, int, int, SplittableRandom, SlotSink)} over one range. */
    int sample(final int from, final int to, final int exclude, final int want, final SplittableRandom random,
        final SlotSink sink)
    {
        return sample(from, to, 0, 0, exclude, want, random, sink);
    }

    /**
     * Picks up to {@code want} distinct random members from the union of {@code [fromA, toA)} and
     * {@code [fromB, toB)} (disjoint), skipping {@code exclude} (a slot, or -1), and hands each slot to
     * {@code sink}. Returns how many were picked. Leaves {@code members} in the order it found it, so the bucket
     * partition survives.
     */
    int sample(final int fromA, final int toA, final int fromB, final int toB, final int exclude, final int want,
        final SplittableRandom random, final SlotSink sink)
    {
        int endA = toA;
        int endB = toB;
        int parkedFrom = -1;
        int parkedTo = -1;
        if (exclude >= 0)
        {
            final int p = position(exclude);
            if (p >= fromA && p < toA)
            {
                // Park the requester at the end of its range, then sample the rest of it.
                parkedFrom = p;
                parkedTo = --endA;
            }
            else if (p >= fromB && p < toB)
            {
                parkedFrom = p;
                parkedTo = --endB;
            }
            swap(parkedFrom, parkedTo);
        }
        final int lengthA = Math.max(0, endA - fromA);
        final int available = lengthA + Math.max(0, endB - fromB);
        final int n = Math.min(want, available);
        if (n == available)
        {
            for (int i = 0; i < n; i++)
            {
                sink.accept(this, members[at(i, fromA, lengthA, fromB)]);
            }
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                final int pick = i + random.nextInt(available - i);
                final int here = at(i, fromA, lengthA, fromB);
                swap(here, at(pick, fromA, lengthA, fromB));
                final int slot = members[here];
                slots.putInt(offset(slot) + SAMPLE_ORIGIN_OFFSET, pick);
                sink.accept(this, slot);
            }
            // Undo the swaps in reverse: the buckets would otherwise lose their partition.
            for (int i = n - 1; i >= 0; i--)
            {
                final int here = at(i, fromA, lengthA, fromB);
                swap(here, at(slots.getInt(offset(members[here]) + SAMPLE_ORIGIN_OFFSET), fromA, lengthA, fromB));
            }
        }
        if (parkedFrom >= 0)
        {
            swap(parkedFrom, parkedTo);
        }
        return n;
    }

    /**
     * Picks up to {@code want} members from the union of {@code [fromA, toA)} and {@code [fromB, toB)} as one
     * window of consecutive members starting at a random position (wrapping), skipping {@code exclude}; all of
     * them when there are no more than {@code want}. Distinct, never the requester, and read-only: no swaps, so
     * the cost is the copying of the picked peers, read in memory order. The window is random per request and
     * the member order churns as peers come and go, which is the selection opentracker makes too.
     */
    int sampleWindow(final int fromA, final int toA, final int fromB, final int toB, final int exclude,
        final int want, final SplittableRandom random, final SlotSink sink)
    {
        final int lengthA = Math.max(0, toA - fromA);
        final int available = lengthA + Math.max(0, toB - fromB);
        int candidates = available;
        if (exclude >= 0)
        {
            final int p = position(exclude);
            if ((p >= fromA && p < toA) || (p >= fromB && p < toB))
            {
                candidates--;
            }
        }
        final int n = Math.min(want, candidates);
        if (n <= 0)
        {
            return 0;
        }
        int i = n == candidates ? 0 : random.nextInt(available);
        int taken = 0;
        while (taken < n)
        {
            final int slot = members[at(i, fromA, lengthA, fromB)];
            if (slot != exclude)
            {
                sink.accept(this, slot);
                taken++;
            }
            if (++i == available)
            {
                i = 0;
            }
        }
        return n;
    }

    /** Position of the {@code i}-th member of the two ranges seen as one. */
    private static int at(final int i, final int fromA, final int lengthA, final int fromB)
    {
        return i < lengthA ? fromA + i : fromB + (i - lengthA);
    }

    /** Receives picked slots; implemented by the processor, which copies them into the response. */
    @FunctionalInterface
    interface SlotSink
    {
        void accept(Swarm swarm, int slot);
    }

    private int position(final int slot)
    {
        return slots.getInt(offset(slot) + POSITION_OFFSET);
    }

    private void swap(final int a, final int b)
    {
        if (a == b || a < 0)
        {
            return;
        }
        final int sa = members[a];
        final int sb = members[b];
        members[a] = sb;
        members[b] = sa;
        slots.putInt(offset(sb) + POSITION_OFFSET, a);
        slots.putInt(offset(sa) + POSITION_OFFSET, b);
    }

    private void insertIntoTable(final int slot, final int hash)
    {
        final int mask = table.length - 1;
        int i = hash & mask;
        while (table[i] != 0)
        {
            i = (i + 1) & mask;
        }
        table[i] = slot + 1;
    }

    private void removeFromTable(final int slot)
    {
        final int mask = table.length - 1;
        int i = slots.getInt(offset(slot) + HASH_OFFSET) & mask;
        while (table[i] != slot + 1)
        {
            i = (i + 1) & mask;
        }
        // Backward-shift deletion: pull later entries of the same probe run into the hole.
        int hole = i;
        int j = (hole + 1) & mask;
        while (table[j] != 0)
        {
            final int home = slots.getInt(offset(table[j] - 1) + HASH_OFFSET) & mask;
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                table[hole] = table[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        table[hole] = 0;
    }

    private void grow()
    {
        final int newCapacity = capacity * 2;
        final byte[] newSlab = Arrays.copyOf(slots.byteArray(), newCapacity * SLOT_LENGTH);
        slots.wrap(newSlab);
        members = Arrays.copyOf(members, newCapacity);
        capacity = newCapacity;
        final int tableSize = PeerHash.tableSizeFor(newCapacity);
        if (tableSize != table.length)
        {
            table = new int[tableSize];
            for (int p = 0; p < bounds[BUCKETS]; p++)
            {
                final int slot = members[p];
                insertIntoTable(slot, slots.getInt(offset(slot) + HASH_OFFSET));
            }
        }
    }

    /** Memory this swarm holds on the heap, for the memory budget figure. */
    long footprintBytes()
    {
        return 64L + capacity * (long)SLOT_LENGTH + members.length * 4L + table.length * 4L + 3 * 16L;
    }
}
