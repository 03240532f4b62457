package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/**
 * The in-memory index of one torrent's peers, derived from the persisted maps and kept for fast selection.
 *
 * <p>Peers live in fixed-size slots of one byte array; a slot keeps its index while the peer lives, and free
 * slots form a list threaded through the {@code POSITION} field. Three small structures point at slots:
 * <ul>
 *   <li>{@code table}: open addressing (linear probing, backward-shift delete) from peer id to slot + 1;</li>
 *   <li>{@code members}: every live slot, seeders in {@code [0, seeders)} then leechers in
 *       {@code [seeders, count)}, so "leechers only" and "everyone" are both one contiguous range and a random
 *       sample is a partial Fisher-Yates shuffle inside that range.</li>
 * </ul>
 *
 * <pre>
 * Slot (64 bytes):
 *  0                   20                  36     38     39     40     44         48             56     60     64
 *  +-------------------+-------------------+------+------+------+------+----------+--------------+------+------+
 *  | peer id (20)      | address (16)      | port | flags| pad  | key  | position | last seen ms | hash |origin|
 *  +-------------------+-------------------+------+------+------+------+----------+--------------+------+------+
 * </pre>
 *
 * <p>{@code origin} is scratch for {@link #sample}: the position a picked member was swapped from, so the shuffle
 * can be undone and the seeder|leecher partition survives a sample that spans both ranges.
 *
 * <p>Thread: owned by the swarm processor; never touched by any other thread.
 */
final class Swarm
{
    static final int SLOT_LENGTH = 64;
    static final int PEER_ID_OFFSET = 0;
    static final int ADDRESS_OFFSET = 20;
    static final int PORT_OFFSET = 36;
    static final int FLAGS_OFFSET = 38;
    static final int KEY_OFFSET = 40;
    static final int POSITION_OFFSET = 44;
    static final int LAST_SEEN_OFFSET = 48;
    static final int HASH_OFFSET = 56;
    static final int SAMPLE_ORIGIN_OFFSET = 60;

    static final byte FLAG_SEEDER = 1;
    /** This peer's {@code completed} has been counted: count it once per peer. */
    static final byte FLAG_COMPLETED = 2;
    static final byte FLAG_HAS_KEY = 4;

    private static final int INITIAL_CAPACITY = 2;

    final InfoHashKey key;
    /** Position in the registry's dense list, for sweeping. */
    int registryIndex;
    long downloaded;

    private int seeders;
    private int count;
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
        return seeders;
    }

    int leechers()
    {
        return count - seeders;
    }

    int size()
    {
        return count;
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
     * the rest of the slot and calls {@link #seeder(int, boolean)} if it is a seeder.
     */
    int add(final byte[] peerId, final int hash)
    {
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
        insertIntoTable(slot, hash);
        members[count] = slot;
        slots.putInt(base + POSITION_OFFSET, count);
        count++;
        return slot;
    }

    void remove(final int slot)
    {
        if (isSeeder(slot))
        {
            seeder(slot, false);
        }
        swap(position(slot), count - 1);
        count--;
        removeFromTable(slot);
        slots.putInt(offset(slot) + POSITION_OFFSET, freeHead);
        slots.putByte(offset(slot) + FLAGS_OFFSET, (byte)0);
        freeHead = slot;
        if (count == 0)
        {
            // An empty swarm is about to be dropped; nothing to compact.
            highWater = 0;
            freeHead = -1;
        }
    }

    /** Moves a peer between the seeder and leecher ranges, keeping the partition of {@code members}. */
    void seeder(final int slot, final boolean seeder)
    {
        final int base = offset(slot);
        final byte flags = slots.getByte(base + FLAGS_OFFSET);
        final boolean was = (flags & FLAG_SEEDER) != 0;
        if (was == seeder)
        {
            return;
        }
        if (seeder)
        {
            swap(position(slot), seeders);
            seeders++;
            slots.putByte(base + FLAGS_OFFSET, (byte)(flags | FLAG_SEEDER));
        }
        else
        {
            swap(position(slot), seeders - 1);
            seeders--;
            slots.putByte(base + FLAGS_OFFSET, (byte)(flags & ~FLAG_SEEDER));
        }
    }

    /**
     * Picks up to {@code want} distinct random members from {@code [from, to)}, skipping {@code exclude}
     * (a slot, or -1), and hands each slot to {@code sink}. Returns how many were picked. Leaves {@code members}
     * in the order it found it, so a range spanning seeders and leechers keeps the partition.
     */
    int sample(final int from, final int to, final int exclude, final int want, final java.util.SplittableRandom random,
        final SlotSink sink)
    {
        int end = to;
        int parkedFrom = -1;
        if (exclude >= 0)
        {
            final int p = position(exclude);
            if (p >= from && p < to)
            {
                // Park the requester at the end of the range, then sample the rest of it.
                swap(p, to - 1);
                end = to - 1;
                parkedFrom = p;
            }
        }
        final int available = end - from;
        final int n = Math.min(want, available);
        if (n == available)
        {
            for (int i = from; i < end; i++)
            {
                sink.accept(this, members[i]);
            }
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                final int pick = from + i + random.nextInt(available - i);
                swap(from + i, pick);
                final int slot = members[from + i];
                slots.putInt(offset(slot) + SAMPLE_ORIGIN_OFFSET, pick);
                sink.accept(this, slot);
            }
            // Undo the swaps in reverse: a range spanning seeders and leechers would otherwise lose its partition.
            for (int i = n - 1; i >= 0; i--)
            {
                swap(from + i, slots.getInt(offset(members[from + i]) + SAMPLE_ORIGIN_OFFSET));
            }
        }
        if (parkedFrom >= 0)
        {
            swap(parkedFrom, to - 1);
        }
        return n;
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
        if (a == b)
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
            for (int p = 0; p < count; p++)
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
