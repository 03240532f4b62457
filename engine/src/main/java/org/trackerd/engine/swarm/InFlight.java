package org.trackerd.engine.swarm;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A small memory-mapped file ({@code in-flight}) that tells the next start what the swarm processor was doing when
 * its process died. The processor marks itself busy before it touches the map and idle, with its counts, after it
 * closed every map context of the event; in between it records the infohash of the swarm it works on.
 *
 * <pre>
 *  0        8       12        16              64                         112           132     133   136     140
 *  +--------+-------+---------+---------------+--------------------------+-------------+-------+-----+-------+
 *  | magic  | state | version | boot id (48)  | counts: torrents, peers, | swarm (20)  | has   |     | shard |
 *  |        |       |         |               | population[4] (6 x i64)  |             | swarm |     | (i32) |
 *  +--------+-------+---------+---------------+--------------------------+-------------+-------+-----+-------+
 *  140: per-shard counts valid (i32); 144: structural (i32); 148: segment of the structural change (i32)
 * </pre>
 *
 * <p>Structural: 1 while a change of the map's own structure is under way (an entry inserted, removed or
 * replaced by one of another size: Chronicle's hash lookup, free list, tiers and segment counters change), 0 while
 * the processor only reads entries or writes a page in place. A process that died mid-update with the word at 0
 * left the map whole but for the locks it held, all of one shard: the next start resets that shard's segment locks
 * instead of running Chronicle's recovery (which reads every entry of the shard); with the word at 1 it recovers
 * the shard's segment the change was in (version 4 records it at 148 before the change: {@link SegmentRecovery}), or
 * the whole shard (an older file, or a segment not recorded).
 *
 * <p>State {@link #SWEEPING} (version 4): busy in an expiry slice that has changed nothing yet. The slice sets it
 * when it starts and sets {@link #BUSY} before its first change; a process that died in it held segment locks of
 * the recorded shard and nothing else: its counts are those of the last idle mark, and the next start resets that
 * shard's locks without recovery nor scan.
 *
 * <p>From offset 1024, the undo image of a swap of two records in place (valid i32, a i32, b i32, the page's key
 * (22), then both records as they were (2 x 60; a compact page's 36-byte record at the start of its 60) at 1064): set before the swap, cleared after it. A death in the
 * middle of a swap can leave a record half one peer and half another, which no check of the page can tell; the
 * next start puts both records back first, then repairs what else is torn.
 *
 * <p>The shard ({@link SwarmStore#shard}) is the one whose map the processor may hold a lock of: it is written
 * with the swarm, and on its own before an expiry sweep opens a segment of a shard (between two entries of the
 * sweep the segment stays locked). -1: none yet.
 *
 * <p>From offset 256: the counts of each shard (6 x i64 each, as the global counts), kept by the processor as it
 * changes a shard (after each event and each swept segment), valid when the word at 140 is 1. After a crash
 * mid-update only the recorded shard's counts may be stale: the next start counts that shard alone (off its pages
 * at the opening, {@link ShardCount}, and the swarm in flight in the start-up scan) and takes the
 * others' counts from here.
 *
 * <p>A {@code kill -9} (or any death of the process alone) loses no write to a shared mapping: the page cache
 * holds every store the dead process made, to the map and to this file alike. So if this file says idle and the
 * host has not rebooted since (the boot id is the one the file was written under), the map has no lock held and
 * no update half-done, and the counts are those of the map: the next start opens it as it is, without Chronicle's
 * recovery nor a scan. Busy, or another boot (power loss, kernel crash: writes may be lost in any order), or no
 * readable file: Chronicle's recovery runs and the swarm that was being changed is rebuilt (it may be torn). Busy
 * on this boot: only the recorded shard can hold a lock or a half-done change, so only that shard is recovered;
 * another boot, or no readable file: every shard is.
 *
 * <p>Ordering: each mark is a plain store behind a store-store fence; the map's lock operations are full fences
 * of their own. A mark the compiler drops because the next one overwrites it only leaves the file busy: the
 * conservative side.
 *
 * <p>Thread: the swarm processor (and the launcher before it starts, {@link SwarmStore#open}).
 */
final class InFlight implements AutoCloseable
{
    static final String FILE = "in-flight";
    static final long MAGIC = 0x5452_4B44_494E_464CL; // "TRKDINFL"
    /**
     * 4: the segment of the structural change and the state {@link #SWEEPING}. 3: the structural word (a file of
     * version 2 mid-update is recovered as if structural; one of version 3 structural recovers its whole shard).
     */
    static final int VERSION = 4;
    static final int IDLE = 0;
    static final int BUSY = 1;
    /** Busy in an expiry slice that has changed nothing yet (see the class comment). */
    static final int SWEEPING = 2;
    /** {@link #structuralSegment}: no segment recorded. */
    static final int NO_SEGMENT = -1;
    /**
     * Or'ed into the segment of {@link #structuralBegin}: the change is a replace by a value of another size, which
     * may move the entry to another tier of its segment (a death in the middle may leave the key in both).
     */
    static final int REPLACE = 1 << 30;

    private static final int LENGTH = 4096;
    private static final int MAGIC_OFFSET = 0;
    private static final int STATE_OFFSET = 8;
    private static final int VERSION_OFFSET = 12;
    private static final int BOOT_OFFSET = 16;
    private static final int BOOT_LENGTH = 48;
    private static final int COUNTS_OFFSET = 64;
    private static final int SWARM_OFFSET = 112;
    private static final int HAS_SWARM_OFFSET = 132;
    private static final int SHARD_OFFSET = 136;
    private static final int SHARD_COUNTS_VALID_OFFSET = 140;
    private static final int STRUCTURAL_OFFSET = 144;
    private static final int SEGMENT_OFFSET = 148;
    /** The undo image of the swap of two records under way (see {@link #swapping}). */
    private static final int UNDO_OFFSET = 1024;
    private static final int UNDO_A = UNDO_OFFSET + 4;
    private static final int UNDO_B = UNDO_OFFSET + 8;
    private static final int UNDO_KEY = UNDO_OFFSET + 12;
    private static final int UNDO_RECORDS = UNDO_OFFSET + 40;
    private static final int SHARD_COUNTS_OFFSET = 256;
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");
    /**
     * Tests only: the processor stops inside its N-th change of the map's structure of this run, its segment locked
     * and the file saying so, for a test to {@code kill -9} it there (0, the default: never; a constant the JIT
     * folds away).
     */
    private static final long PAUSE_INSIDE_STRUCTURAL = Long.getLong("trackerd.test.pauseInsideStructuralChange", 0);

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    /** Structural changes begun in this run (counted only for {@link #PAUSE_INSIDE_STRUCTURAL}). */
    private long structuralChanges;

    private InFlight(final MappedByteBuffer mapped, final UnsafeBuffer buffer)
    {
        this.mapped = mapped;
        this.buffer = buffer;
    }

    /**
     * A copy of {@code directory/in-flight} as the last process left it, changing nothing on disk; all zero (not
     * {@link #valid}) when the file is missing or not of this length.
     */
    static InFlight read(final Path directory) throws IOException
    {
        final Path file = directory.resolve(FILE);
        final byte[] bytes = Files.exists(file) && Files.size(file) == LENGTH ? Files.readAllBytes(file) :
            new byte[LENGTH];
        return new InFlight(null, new UnsafeBuffer(bytes.length == LENGTH ? bytes : new byte[LENGTH]));
    }

    /** Maps {@code directory/in-flight} for this run, creating it (all zero: not {@link #valid}) when missing. */
    static InFlight open(final Path directory) throws IOException
    {
        try (FileChannel channel = FileChannel.open(directory.resolve(FILE), StandardOpenOption.CREATE,
            StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, LENGTH);
            return new InFlight(mapped, new UnsafeBuffer(mapped));
        }
    }

    /** The id of this boot of the host, or "" when the system does not tell (then no crash is ever trusted). */
    static String bootId()
    {
        try
        {
            final String id = Files.readString(BOOT_ID, StandardCharsets.US_ASCII).trim();
            return id.length() <= BOOT_LENGTH ? id : "";
        }
        catch (final IOException | RuntimeException ex)
        {
            return "";
        }
    }

    /** The file of some version of this tracker (version 1 had no shard: its swarm is still readable). */
    boolean magic()
    {
        return buffer.getLong(MAGIC_OFFSET) == MAGIC;
    }

    /**
     * Of this version, or of version 3 (no segment word, no {@link #SWEEPING} state) or 2 (no structural word
     * either): the same layout for what they wrote.
     */
    boolean valid()
    {
        final int version = version();
        return buffer.getLong(MAGIC_OFFSET) == MAGIC && (version == VERSION || version == 3 || version == 2);
    }

    int version()
    {
        return buffer.getInt(VERSION_OFFSET);
    }

    boolean idle()
    {
        return buffer.getInt(STATE_OFFSET) == IDLE;
    }

    String storedBootId()
    {
        final byte[] bytes = new byte[BOOT_LENGTH];
        buffer.getBytes(BOOT_OFFSET, bytes);
        int n = 0;
        while (n < BOOT_LENGTH && bytes[n] != 0)
        {
            n++;
        }
        return new String(bytes, 0, n, StandardCharsets.US_ASCII);
    }

    /**
     * True when the last process died (or closed) with no update in flight, on this boot of the host: the map
     * needs neither recovery nor a scan, and {@link #counts} are its counts.
     */
    boolean trustworthy(final String bootId)
    {
        return valid() && idle() && !bootId.isEmpty() && bootId.equals(storedBootId());
    }

    /**
     * The shard the last process may have died holding a lock of or changing, when it died mid-update on this
     * boot of the host; -1 otherwise (then every shard must be recovered).
     */
    int busyShard(final String bootId)
    {
        if (!valid() || idle() || bootId.isEmpty() || !bootId.equals(storedBootId()))
        {
            return -1;
        }
        final int shard = buffer.getInt(SHARD_OFFSET);
        return shard >= 0 && shard < SwarmStore.SHARDS ? shard : -1;
    }

    /**
     * True unless the file says its process was not changing the map's structure (only reading, or writing a
     * page in place) when it died: a file of an older version, or not valid, counts as structural.
     */
    boolean diedStructural()
    {
        return !valid() || version() == 2 || buffer.getInt(STRUCTURAL_OFFSET) != 0;
    }

    /**
     * True when the last process died, on this boot, in an expiry slice that had changed nothing yet: it held
     * segment locks of {@link #busyShard}'s shard, nothing else, and {@link #counts} are the map's.
     */
    boolean diedSweepingUnchanged(final String bootId)
    {
        return busyShard(bootId) >= 0 && version() == VERSION && buffer.getInt(STATE_OFFSET) == SWEEPING &&
            buffer.getInt(STRUCTURAL_OFFSET) == 0;
    }

    /**
     * The segment (of {@link #busyShard}'s map) of the structural change the last process died in, when this
     * version recorded it; {@link #NO_SEGMENT} otherwise (then its whole shard is recovered).
     */
    int structuralSegment()
    {
        final int segment = buffer.getInt(SEGMENT_OFFSET);
        return valid() && version() == VERSION && buffer.getInt(STRUCTURAL_OFFSET) != 0 && segment != NO_SEGMENT ?
            segment & ~REPLACE : NO_SEGMENT;
    }

    /** The structural change of {@link #structuralSegment} was a replace ({@link #REPLACE}), or is not known. */
    boolean diedInReplace()
    {
        return version() != VERSION || (buffer.getInt(SEGMENT_OFFSET) & REPLACE) != 0;
    }

    /**
     * Before a change of the map's structure (insert, remove, replace by another size) in {@code segment} of the
     * recorded shard's map ({@link #NO_SEGMENT} when not known; or'ed with {@link #REPLACE} for a replace): every
     * store after it. The segment is written
     * before the word that makes it count, in order (a release store).
     */
    void structuralBegin(final int segment)
    {
        buffer.putInt(SEGMENT_OFFSET, segment);
        buffer.putIntRelease(STRUCTURAL_OFFSET, 1);
        VarHandle.storeStoreFence();
        if (PAUSE_INSIDE_STRUCTURAL > 0 && ++structuralChanges == PAUSE_INSIDE_STRUCTURAL)
        {
            pauseForTest(segment);
        }
    }

    /** See {@link #PAUSE_INSIDE_STRUCTURAL}: says so on stderr, then waits (ten minutes at most) to be killed. */
    private void pauseForTest(final int segment)
    {
        System.err.println("in-flight: paused inside structural change " + structuralChanges + " (segment " +
            (segment & ~REPLACE) + " of shard " + buffer.getInt(SHARD_OFFSET) + ") for a test");
        final long until = System.nanoTime() + 600_000_000_000L;
        while (System.nanoTime() < until)
        {
            try
            {
                Thread.sleep(100);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** After the change returned: every store of it before this one. */
    void structuralEnd()
    {
        VarHandle.storeStoreFence();
        buffer.putInt(STRUCTURAL_OFFSET, 0);
    }

    /**
     * Before the swap of records {@code a} and {@code b} of a page of the map (in place): keeps the page's key
     * and both records as they are, so a death in the middle of the swap, which may leave one record half one
     * peer and half another (a peer id with another peer's address), can be undone exactly at the next start.
     */
    void swapping(final byte[] key, final UnsafeBuffer page, final int a, final int b)
    {
        buffer.putInt(UNDO_A, a);
        buffer.putInt(UNDO_B, b);
        buffer.putBytes(UNDO_KEY, key, 0, SwarmStore.KEY_LENGTH);
        // A compact page's records are shorter: each keeps its place of a full record's length in the image.
        final int length = Page.recordLength(page);
        buffer.putBytes(UNDO_RECORDS, page, Page.record(page, a), length);
        buffer.putBytes(UNDO_RECORDS + Page.RECORD, page, Page.record(page, b), length);
        VarHandle.storeStoreFence();
        buffer.putInt(UNDO_OFFSET, 1);
        VarHandle.storeStoreFence();
    }

    /** After the swap: every store of it before this one. */
    void swapped()
    {
        VarHandle.storeStoreFence();
        buffer.putInt(UNDO_OFFSET, 0);
    }

    /** The key (infohash + page number) of the page a swap was under way in when the process died, or null. */
    byte[] undoKey()
    {
        if (!valid() || idle() || version() == 2 || buffer.getInt(UNDO_OFFSET) != 1)
        {
            return null;
        }
        final byte[] key = new byte[SwarmStore.KEY_LENGTH];
        buffer.getBytes(UNDO_KEY, key);
        return key;
    }

    /** Positions a and b of the swap {@link #undoKey} names, and their records as they were before it. */
    int undoA()
    {
        return buffer.getInt(UNDO_A);
    }

    int undoB()
    {
        return buffer.getInt(UNDO_B);
    }

    byte[] undoRecords()
    {
        final byte[] records = new byte[2 * Page.RECORD];
        buffer.getBytes(UNDO_RECORDS, records);
        return records;
    }

    /** True when the per-shard counts are kept (a full scan or a clean run set them). */
    boolean shardCountsValid()
    {
        return valid() && buffer.getInt(SHARD_COUNTS_VALID_OFFSET) == 1;
    }

    void shardCountsValid(final boolean valid)
    {
        buffer.putInt(SHARD_COUNTS_VALID_OFFSET, valid ? 1 : 0);
        VarHandle.storeStoreFence();
    }

    /** torrents, peers, population[4] of one shard. */
    long[] shardCounts(final int shard)
    {
        final long[] counts = new long[6];
        for (int i = 0; i < 6; i++)
        {
            counts[i] = buffer.getLong(SHARD_COUNTS_OFFSET + shard * 48 + i * 8);
        }
        return counts;
    }

    /** Adds a change of the counts to one shard's (called once the shard's map is whole again). */
    void addShardCounts(final int shard, final long torrents, final long peers, final long[] population)
    {
        final int at = SHARD_COUNTS_OFFSET + shard * 48;
        buffer.putLong(at, buffer.getLong(at) + torrents);
        buffer.putLong(at + 8, buffer.getLong(at + 8) + peers);
        for (int i = 0; i < 4; i++)
        {
            buffer.putLong(at + 16 + i * 8, buffer.getLong(at + 16 + i * 8) + population[i]);
        }
        VarHandle.storeStoreFence();
    }

    void clearShardCounts(final int shard)
    {
        buffer.setMemory(SHARD_COUNTS_OFFSET + shard * 48, 48, (byte)0);
    }

    /** torrents, peers, population[4] as of the last idle mark. */
    long[] counts()
    {
        final long[] counts = new long[6];
        for (int i = 0; i < 6; i++)
        {
            counts[i] = buffer.getLong(COUNTS_OFFSET + i * 8);
        }
        return counts;
    }

    /** The swarm the processor was changing when the file was last marked busy, or null. */
    byte[] swarm()
    {
        if (buffer.getByte(HAS_SWARM_OFFSET) == 0)
        {
            return null;
        }
        final byte[] infoHash = new byte[20];
        buffer.getBytes(SWARM_OFFSET, infoHash);
        return infoHash;
    }

    /**
     * Rewrites the header for this run: this boot, these counts, the given state; keeps the recorded swarm when
     * busy (a start that dies before it dropped that swarm must still drop it next time).
     */
    void reset(final String bootId, final int state, final long torrents, final long peers, final long[] population)
    {
        buffer.putLong(MAGIC_OFFSET, MAGIC);
        buffer.putInt(VERSION_OFFSET, VERSION);
        buffer.setMemory(BOOT_OFFSET, BOOT_LENGTH, (byte)0);
        final byte[] boot = bootId.getBytes(StandardCharsets.US_ASCII);
        buffer.putBytes(BOOT_OFFSET, boot, 0, Math.min(boot.length, BOOT_LENGTH));
        if (state == IDLE)
        {
            buffer.putByte(HAS_SWARM_OFFSET, (byte)0);
            buffer.putInt(SHARD_OFFSET, -1);
        }
        writeCounts(torrents, peers, population);
        buffer.putInt(STRUCTURAL_OFFSET, 0);
        buffer.putInt(SEGMENT_OFFSET, NO_SEGMENT);
        if (state == IDLE)
        {
            buffer.putInt(UNDO_OFFSET, 0); // busy: kept until the processor has undone that swap
        }
        VarHandle.fullFence();
        buffer.putInt(STATE_OFFSET, state);
        VarHandle.fullFence();
    }

    /** Before the processor touches the map: every later store to the map is ordered after this one. */
    void busy()
    {
        buffer.putInt(STATE_OFFSET, BUSY);
        VarHandle.storeStoreFence();
    }

    /**
     * At the start of an expiry slice (after {@link #busy}): nothing changed yet. {@link #changing} before the
     * slice's first change, and {@link #busy} at its end (what runs after it in the same event may change).
     */
    void sweeping()
    {
        buffer.putInt(STATE_OFFSET, SWEEPING);
        VarHandle.storeStoreFence();
    }

    /** Before the first change of an expiry slice: from here its death needs what any busy one needs. */
    void changing()
    {
        if (buffer.getInt(STATE_OFFSET) == SWEEPING)
        {
            buffer.putInt(STATE_OFFSET, BUSY);
            VarHandle.storeStoreFence();
        }
    }

    /** The swarm about to be read or changed, and so its shard (called before its entry is locked). */
    void swarm(final byte[] infoHash, final int offset)
    {
        buffer.putInt(SHARD_OFFSET, SwarmStore.shard(infoHash, offset));
        buffer.putBytes(SWARM_OFFSET, infoHash, offset, 20);
        buffer.putByte(HAS_SWARM_OFFSET, (byte)1);
        VarHandle.storeStoreFence();
    }

    /** The shard whose segment is about to be locked by a sweep (called before the segment context opens). */
    void shard(final int shard)
    {
        buffer.putInt(SHARD_OFFSET, shard);
        VarHandle.storeStoreFence();
    }

    /** After the processor closed every map context of the event: the map is whole and these are its counts. */
    void idle(final long torrents, final long peers, final long[] population)
    {
        writeCounts(torrents, peers, population);
        VarHandle.storeStoreFence();
        buffer.putInt(STATE_OFFSET, IDLE);
    }

    /**
     * {@link #idle(long, long, long[])} for an event that changed no count: the file holds them already (the last
     * idle wrote them), so only the state word is stored, not the six counts (most announces are re-announces).
     */
    void markIdle()
    {
        VarHandle.storeStoreFence();
        buffer.putInt(STATE_OFFSET, IDLE);
    }

    private void writeCounts(final long torrents, final long peers, final long[] population)
    {
        buffer.putLong(COUNTS_OFFSET, torrents);
        buffer.putLong(COUNTS_OFFSET + 8, peers);
        for (int i = 0; i < 4; i++)
        {
            buffer.putLong(COUNTS_OFFSET + 16 + i * 8, population[i]);
        }
    }

    @Override
    public void close()
    {
        if (mapped != null)
        {
            mapped.force(); // a clean close leaves the per-shard counts on disk, should the host crash next
            IoUtil.unmap(mapped);
        }
    }
}
