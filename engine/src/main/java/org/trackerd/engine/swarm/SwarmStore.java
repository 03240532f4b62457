package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.impl.BigSegmentHeader;
import net.openhft.chronicle.hash.impl.VanillaChronicleHash;
import net.openhft.chronicle.hash.serialization.impl.ByteArraySizedReader;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The record of swarm state: {@link #SHARDS} Chronicle Maps persisted in memory-mapped files under the storage
 * directory, so a restart or a {@code kill -9} finds the torrents and peers it had. It is also the index the swarm
 * processor works on: peers are read and written in place in the maps' pages, nothing is copied to the heap.
 *
 * <pre>
 * swarms-00.dat .. swarms-15.dat : infohash (20) + page number (u16, big-endian) -> page (see {@link Page})
 * store-size                     : the files' layout, {@code pages P average A bloat B} (see {@link StoreSizing})
 * </pre>
 *
 * <p>A swarm's pages all live in one shard, picked by the low bits of the infohash's first byte ({@link #shard}).
 *
 * <p><b>No fixed ceiling.</b> A shard's first tier is laid out for its share of the hint (storage.max_torrents /
 * max_peers, plus four standard deviations), raised to a sixteenth of the byte budget and to what the store held
 * at the last start ({@link StoreSizing}); past it the shard grows with Chronicle Map's own extra tiers
 * ({@code maxBloatFactor} 1000): the file grows, nothing else changes, nothing is copied while running, and a
 * {@code kill -9} mid-growth is one more structural change the in-flight file journals (Chronicle's recovery of
 * that shard). The store is bounded by the byte budget alone ({@code storage.max_bytes}; {@link SwarmCounts#full}),
 * at which retained torrents are evicted before a live peer is refused ({@link RetainedEviction}).
 *
 * <p>Chosen over a larger map per shard filled incrementally by the processor because it needs no second map per
 * shard in every lookup, iteration, recovery and page-cache path, and its crash safety is Chronicle's own. Its cost,
 * measured on one shard (2-core host under load, StoreGrowthMeasurement, 1.28M one-peer pages into a first tier of
 * 20k against a shard laid out for all of them): inserts past the first tier 25–190 k/s against 140–570 k/s; a
 * growth step (Chronicle maps one more tier bulk and zeroes it) median 0.67 ms, and the p99.9 of inserts past the
 * first tier 2.6 ms against 0.3 ms right-sized, on a host at load 11, since the processor's thread leaves the bulk's
 * MS_SYNC to write-back ({@link TierBulkSync}; without: median 5.3 ms, worst 112 ms, p99.9 4.9 ms); lookups at 64 tiers deep 0.10 M/s against 1.21 M/s (a lookup walks the segment's chain). So the first
 * tier is at least a sixteenth of what the budget holds (a store at its budget chains about 16 tiers), the hint should
 * be near the expected population, and a start re-sizes the files only when it must
 * ({@link StoreSizing#resizeReason}): the limits changed so that the files do not fit them, or the shards chain
 * {@link #DEEP_TIERS} tiers or more. A plain restart of a store that merely grew keeps its files and is ready in the
 * time of an open (the copy costs about 4.8 s per million pages here: 48 s at 10M, against a ready-in-2-s goal).
 * {@link StoreResize} copies into right-sized files under temporary names, then renames them, so a crash mid-resize
 * leaves the old store usable; the start logs why and about how long before it copies. A store of format
 * {@code trackerd-store 4} written before growth (bloat 1.5, no sizing file) is resized so once.
 *
 * <p>Entries are written in place by the one processor thread of the one process that has the files open, so the
 * maps are built without entry checksums (they would be stale after an in-place write).
 *
 * <p>Opening: no files give new maps; a {@code clean-shutdown} marker means the last process closed the maps and
 * they are opened as they are. Otherwise the last process died holding them: if its {@link InFlight in-flight}
 * file says it died with no update in flight, on this boot of the host, they are opened as they are too (no lock
 * can be held, no update half-done) and the counts are that file's. If it died mid-update on this boot, only the
 * shard the file names can hold a lock or a half-done change: if the file says no change of the map's structure
 * was under way (the processor was reading, or writing a page in place), that shard's segment locks are reset and
 * nothing else; inside a change of the structure in a segment the file names, that segment is recovered alone
 * ({@link SegmentRecovery}: milliseconds, against seconds for Chronicle's recovery of the shard, which runs when
 * the file names no segment or the segment cannot be recovered alone). A death in an expiry slice that had changed
 * nothing yet costs a reset of the swept shard's locks, and no scan: the counts are those of the last idle mark. Either way the others are opened as they
 * are, and the start-up scan counts that shard alone (the others' counts are the file's). After a host crash, or
 * with no readable in-flight file, every shard is recovered (in parallel, on min(shards, processors) threads) and
 * scanned. Either way the processor rebuilds the pages of the swarm that was being changed if they are torn. A store
 * of the single-file format ({@code swarms.dat}, {@code trackerd-store 3}) is migrated into the shards first. The
 * marker is deleted while the store is open.
 *
 * <p>{@link #open} decides all of that first, from the files alone, as an immutable {@link StorePlan}, then carries
 * it out (opens, recovers, unlocks, resets the in-flight file); the processor's {@link StartupScan} carries out the
 * rest of it (undo, repair, scan).
 *
 * <p>Thread: opened by the launcher (or a thread it waits for), then used only by the swarm processor; closed after
 * the processor stops.
 */
public final class SwarmStore implements AutoCloseable
{
    /**
     * The format of the store's files. 6: a page of a few IPv4-only peers may be compact (36-byte records, length
     * 1 mod 4, {@link Page}), which a tracker of format 5 would read as 60-byte records, so it must refuse these
     * files. 5: pages may carry spare record slots, which a tracker of format 4 would read as peers at 0.0.0.0:0.
     */
    static final String FORMAT = "trackerd-store 6";
    /**
     * The format before compact pages: its pages (exact and with spare slots) are valid pages of this format, read
     * as they are; the FORMAT file says {@link #FORMAT} once the open has made the store whole, before any page
     * is written compact (a start that dies before leaves it format 5, which a tracker of format 5 still reads).
     */
    static final String FORMAT_5 = "trackerd-store 5";
    /**
     * The format before spare slots: its pages (exact ones only) are valid pages of this format, so such a store
     * opens as it is (resized first when it has no {@link StoreSizing#FILE}), and its FORMAT file says
     * {@link #FORMAT} once the open has made it whole in the files it keeps: a start that dies before leaves it
     * format 4, which an older tracker still reads.
     */
    static final String PREVIOUS_FORMAT = "trackerd-store 4";
    /** The single-file store of earlier versions: migrated into shards at the first start. */
    static final String OLD_FORMAT = "trackerd-store 3";
    static final String OLD_FILE = "swarms.dat";
    static final String MIGRATED = "swarms.dat.migrated";
    /** Lengths of the map files at the last open, one {@code name length} a line: a truncation check. */
    static final String LENGTHS = "map-lengths";
    /**
     * Shards (map files), a power of two: a crash mid-update recovers one of them, a host crash recovers them all
     * in parallel. 16: measured at 1M torrents / 2M peers, more shards add open cost without a faster recovery.
     */
    public static final int SHARDS = 16;
    static final int SHARD_MASK = SHARDS - 1;
    /** Written at a clean close: {@code torrents peers leechers-v4 leechers-v6 seeders-v4 seeders-v6}. */
    static final String COUNTS = "counts";
    static final int KEY_LENGTH = 22;
    /** Bytes per allocation unit of the map: small, so a page wastes little of its last chunk. */
    static final int CHUNK = 16;

    private static final Logger LOG = LoggerFactory.getLogger(SwarmStore.class);

    private final Path directory;
    private final ChronicleMap<byte[], byte[]>[] shards;
    /** What the processor is doing, for the next start after a crash (see {@link InFlight}). */
    final InFlight inFlight;
    /** What this open found and decided: what the start-up recovers, unlocks, undoes, repairs and scans. */
    private final StorePlan plan;
    private final long openMs;
    /** The bytes the store may grow to ({@code storage.max_bytes}, or the default worked out at open). */
    private final long budgetBytes;
    /** Kept by the processor: torrents (swarms) and peers in the map. */
    long torrents;
    long peers;
    /** Kept by the processor: peers by kind and family (leechers v4, leechers v6, seeders v4, seeders v6). */
    final long[] population = new long[4];
    private boolean closed;

    private SwarmStore(final Path directory, final ChronicleMap<byte[], byte[]>[] shards, final InFlight inFlight,
        final StorePlan plan, final long openMs, final long budgetBytes)
    {
        this.budgetBytes = budgetBytes;
        this.directory = directory;
        this.shards = shards;
        this.inFlight = inFlight;
        this.plan = plan;
        this.openMs = openMs;
        // The counts the store starts from: all of them when known, else the shards' the scan does not count.
        final long[] counts = plan.counts();
        this.torrents = counts[0];
        this.peers = counts[1];
        System.arraycopy(counts, 2, population, 0, 4);
    }

    /** What this open found and decided (see {@link StorePlan}). */
    StorePlan plan()
    {
        return plan;
    }

    /** The shard of a swarm: the low bits of its infohash's first byte (infohashes are uniformly random). */
    static int shard(final byte[] infoHash, final int offset)
    {
        return infoHash[offset] & SHARD_MASK;
    }

    static String shardFile(final int shard)
    {
        return String.format("swarms-%02d.dat", shard);
    }

    /** Opens, creates or recovers the store with the default budget (see {@link StoreSizing#defaultBudget}). */
    public static SwarmStore open(final Path directory, final int maxTorrents, final int maxPeers)
    {
        return open(directory, maxTorrents, maxPeers, 0);
    }

    /**
     * Opens, creates or recovers the store, resizing its files when the limits call for another layout; fails with
     * a message an operator can act on.
     *
     * @param maxTorrents the sizing hint: torrents the files are laid out for ({@code storage.max_torrents})
     * @param maxPeers    the sizing hint: peers ({@code storage.max_peers})
     * @param maxBytes    the budget the store may grow to ({@code storage.max_bytes}), 0 for the default
     */
    public static SwarmStore open(final Path directory, final int maxTorrents, final int maxPeers,
        final long maxBytes)
    {
        final long start = System.nanoTime();
        // Before Chronicle's first class initialises: its posix API is then bound when first used, not on the way
        // to ready (and a new tier bulk's msync leaves the processor's thread).
        TierBulkSync.install();
        prepareDirectory(directory);
        final Path[] shardFiles = new Path[SHARDS];
        for (int s = 0; s < SHARDS; s++)
        {
            shardFiles[s] = directory.resolve(shardFile(s));
        }
        InFlight inFlight = null;
        ChronicleMap<byte[], byte[]>[] maps = null;
        try
        {
            // A resize an earlier start began is finished (its copy was whole) or undone first.
            final boolean copyCutShort = StoreResize.finishOrUndo(directory, shardFiles);
            final long budget = maxBytes != 0 ? maxBytes : StoreSizing.defaultBudget(directory,
                filesBytes(shardFiles));
            final StoreSizing hint = StoreSizing.of(maxTorrents, maxPeers, budget, 0);
            final boolean exists = checkFiles(directory, shardFiles, hint);
            final Path marker = directory.resolve("clean-shutdown");
            final boolean clean = Files.exists(marker);
            final String bootId = InFlight.bootId();
            final InFlight last = InFlight.read(directory);
            final StorePlan decided = StorePlan.decide(exists, clean, clean ? readCounts(directory.resolve(COUNTS)) :
                null, last, bootId);
            StorePlan plan = copyCutShort && exists ? decided.recoveringEveryShard() : decided;
            // The shard a process died changing is made whole and counted in the pool task that opened it, first,
            // while the other shards open.
            final BusyShard busy = new BusyShard(plan, shardFiles, hint);
            maps = openMaps(shardFiles, hint, plan.recovering(), busy.shard(), busy);
            plan = busy.carriedOut(plan);
            if (exists)
            {
                final StoreSizing current = StoreSizing.read(directory);
                final StoreSizing wanted = StoreSizing.of(maxTorrents, maxPeers, budget, largestShard(maps));
                final String reason = wanted.resizeReason(current, budget, tierDepth(maps));
                if (reason != null)
                {
                    checkSpace(directory, wanted, maxTorrents, maxPeers);
                    final long pages = pages(maps);
                    LOG.warn("storage.path '{}': this start resizes the store ({}): copying {} pages into first " +
                        "tiers of {} pages a shard takes about {} s before the tracker answers", directory, reason,
                        pages, wanted.shardPages(), String.format(java.util.Locale.ROOT, "%.1f",
                        wanted.resizeSeconds(pages)));
                    maps = StoreResize.resize(directory, shardFiles, maps, current, wanted, StoreResize.SAME);
                }
                else
                {
                    StoreResize.clear(directory);
                }
            }
            else
            {
                hint.write(directory);
            }
            // Only now, with the files the store keeps whole (resized if it was to be), may pages with spare
            // slots or compact pages be written: the processor writes them, after this returns.
            writeFormat(directory);
            writeLengths(directory.resolve(LENGTHS), shardFiles);
            inFlight = startInFlight(directory, plan, bootId);
            Files.deleteIfExists(directory.resolve(COUNTS));
            Files.deleteIfExists(marker);
            final long openMs = (System.nanoTime() - start) / 1_000_000;
            logOpen(directory, plan, maps, openMs);
            final SwarmStore store = new SwarmStore(directory, maps, inFlight, plan, openMs, budget);
            inFlight = null;
            maps = null;
            return store;
        }
        catch (final IOException ex)
        {
            closeQuietly(inFlight, maps);
            throw new StoreException("storage.path '" + directory + "': cannot open the store (" + ex + "); if a " +
                "map file is damaged, restore it or move the directory away to start empty");
        }
        catch (final StoreException ex)
        {
            closeQuietly(inFlight, maps);
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            closeQuietly(inFlight, maps);
            throw new StoreException("storage.path '" + directory + "': the store cannot be opened (" + ex +
                "); it may be damaged or from another version");
        }
    }

    /** The storage directory exists (created if need be), is a directory and is writable. */
    private static void prepareDirectory(final Path directory)
    {
        if (Files.exists(directory) && !Files.isDirectory(directory))
        {
            throw new StoreException("storage.path '" + directory + "' is a file, not a directory");
        }
        try
        {
            Files.createDirectories(directory);
        }
        catch (final IOException ex)
        {
            throw new StoreException("storage.path '" + directory + "': cannot create the directory (" + ex + ")");
        }
        if (!Files.isDirectory(directory))
        {
            throw new StoreException("storage.path '" + directory + "' is not a directory");
        }
        checkWritable(directory);
    }

    /**
     * Checks what the directory holds (migrating a store of the single-file format first): returns true when it
     * holds a store of this format, false when it holds none (and has room for new maps); refuses anything else.
     */
    private static boolean checkFiles(final Path directory, final Path[] shardFiles, final StoreSizing sizing)
        throws IOException
    {
        final Path formatFile = directory.resolve("FORMAT");
        final Path lengthsFile = directory.resolve(LENGTHS);
        String format = Files.exists(formatFile) ? Files.readString(formatFile, StandardCharsets.UTF_8).trim() : null;
        if (OLD_FORMAT.equals(format) && Files.exists(directory.resolve(OLD_FILE)))
        {
            migrate(directory, shardFiles, sizing);
            format = FORMAT;
        }
        if (format != null && !FORMAT.equals(format) && !FORMAT_5.equals(format) && !PREVIOUS_FORMAT.equals(format))
        {
            throw new StoreException("storage.path '" + directory + "' holds a store of format '" + format +
                "', this version reads '" + FORMAT + "': move it away or use another directory");
        }
        int present = 0;
        Path missing = null;
        for (final Path file : shardFiles)
        {
            if (Files.exists(file))
            {
                present++;
            }
            else if (missing == null)
            {
                missing = file;
            }
        }
        final boolean exists = present > 0;
        if (missing != null && format != null && (exists || Files.exists(lengthsFile)))
        {
            throw new StoreException("storage.path '" + directory + "': " + missing.getFileName() + " is " +
                "missing beside the FORMAT file of a store; restore it, or move the directory away to start empty");
        }
        else if ((exists || Files.exists(directory.resolve(OLD_FILE))) && format == null)
        {
            throw new StoreException("storage.path '" + directory + "' holds map files without a FORMAT file: " +
                "not a store of this tracker");
        }
        if (exists)
        {
            checkComplete(directory, shardFiles, lengthsFile);
        }
        else
        {
            checkSpace(directory, sizing, 0, 0);
        }
        return exists;
    }

    /**
     * Maps the in-flight file for this run and resets it: idle with the counts when they are known, else busy
     * until the start-up scan has counted; the per-shard counts are valid only while they add up to the counts.
     */
    private static InFlight startInFlight(final Path directory, final StorePlan plan, final String bootId)
        throws IOException
    {
        final InFlight inFlight = InFlight.open(directory);
        try
        {
            if (plan.created())
            {
                for (int s = 0; s < SHARDS; s++)
                {
                    inFlight.clearShardCounts(s);
                }
                inFlight.shardCountsValid(true);
            }
            else if (plan.countsKnown() && !plan.shardCountsKept())
            {
                inFlight.shardCountsValid(false); // until a full scan counts each shard
            }
            if (plan.countsKnown())
            {
                final long[] counts = plan.counts();
                inFlight.reset(bootId, InFlight.IDLE, counts[0], counts[1], Arrays.copyOfRange(counts, 2, 6));
            }
            else
            {
                // Counted by the processor's start-up scan, which marks the file idle when it is done.
                inFlight.reset(bootId, InFlight.BUSY, 0, 0, new long[4]);
            }
            return inFlight;
        }
        catch (final RuntimeException ex)
        {
            inFlight.close();
            throw ex;
        }
    }

    private static void logOpen(final Path directory, final StorePlan plan, final ChronicleMap<byte[], byte[]>[] maps,
        final long openMs)
    {
        long pages = 0;
        for (final ChronicleMap<byte[], byte[]> map : maps)
        {
            pages += map.longSize();
        }
        final int recovered = plan.recoveredShardCount();
        final String how = plan.created() ? "created" : recovered > 0 ? "recovered" : "opened";
        final String why = plan.crashedIdle() ? " (the last process died with no update in flight: no recovery)" :
            plan.crashedSweeping() ? " (the last process died in an expiry slice that had changed nothing, in shard " +
            plan.unlockedShard() + ": that shard's locks reset, no recovery, no scan)" :
            plan.recoveredSegment() >= 0 ? " (the last process died changing the structure of segment " +
            plan.recoveredSegment() + " of shard " + plan.unlockedShard() + ": that shard's locks reset, that " +
            "segment recovered alone)" :
            plan.unlockedShard() >= 0 ? " (the last process died reading or writing in place a swarm of shard " +
            plan.unlockedShard() + ": that shard's locks reset, no recovery)" :
            recovered == 1 ? " (the last process died changing the structure of shard " +
            Integer.numberOfTrailingZeros(plan.recoverShards()) + ": recovered that shard only)" :
            recovered > 1 ? " (no in-flight record this boot can trust: recovered every shard)" : "";
        LOG.info("store {} at {} in {} ms{}: {} pages in {} shards", how, directory, openMs, why, pages, SHARDS);
    }

    /** The number of shards the start-up scan counts (0: none, the counts are known). */
    public int scannedShardCount()
    {
        return plan.scannedShardCount();
    }

    /**
     * Says {@link #FORMAT} in the FORMAT file, unless it does already: written aside and renamed over, so a crash
     * leaves the old line or the new one, never an empty file that would refuse the store.
     */
    private static void writeFormat(final Path directory) throws IOException
    {
        final Path file = directory.resolve("FORMAT");
        final String was = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : null;
        if (FORMAT.equals(was))
        {
            return;
        }
        final Path tmp = directory.resolve("FORMAT.tmp");
        Files.writeString(tmp, FORMAT + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        if (PREVIOUS_FORMAT.equals(was) || FORMAT_5.equals(was))
        {
            LOG.info("storage.path '{}': the store of format '{}' is now '{}' (its pages may take spare slots and " +
                "be compact; a tracker of before refuses it)", directory, was, FORMAT);
        }
    }

    static void writeLengths(final Path lengthsFile, final Path[] shardFiles) throws IOException
    {
        final StringBuilder lengths = new StringBuilder();
        for (final Path file : shardFiles)
        {
            lengths.append(file.getFileName()).append(' ').append(Files.size(file)).append('\n');
        }
        Files.writeString(lengthsFile, lengths, StandardCharsets.UTF_8);
    }

    /**
     * A store of the single-file format ({@code swarms.dat}, {@code trackerd-store 3}): every entry is copied into
     * the shards, then the old file is renamed {@code swarms.dat.migrated} (delete it once the tracker runs well).
     * The clean-shutdown marker, counts and in-flight file stay as they were: they describe the same entries.
     * A start that dies during the migration leaves the old store as it was, and the next start migrates again.
     */
    private static void migrate(final Path directory, final Path[] shardFiles, final StoreSizing sizing)
        throws IOException
    {
        final long start = System.nanoTime();
        final Path oldFile = directory.resolve(OLD_FILE);
        LOG.info("storage.path '{}' holds a store of the single-file format '{}' ({}): migrating it into {} shard " +
            "files", directory, OLD_FORMAT, OLD_FILE, SHARDS);
        checkComplete(directory, new Path[] { oldFile }, directory.resolve(LENGTHS));
        for (final Path file : shardFiles)
        {
            Files.deleteIfExists(file); // left by a migration that did not finish
        }
        checkSpace(directory, sizing, 0, 0);
        final boolean clean = Files.exists(directory.resolve("clean-shutdown"));
        long entries = 0;
        final ChronicleMap<byte[], byte[]>[] maps = openMaps(shardFiles, sizing, new boolean[SHARDS]);
        try (ChronicleMap<byte[], byte[]> old = openMap(oldFile.toFile(), "swarms",
            new StoreSizing(sizing.shardPages() * SHARDS, sizing.averageValue(), sizing.maxBloat()), !clean))
        {
            for (int s = 0; s < old.segments(); s++)
            {
                try (var c = old.segmentContext(s))
                {
                    final long[] copied = { 0 };
                    c.forEachSegmentEntry(e ->
                    {
                        final byte[] key = e.key().get();
                        maps[shard(key, 0)].put(key, e.value().get());
                        copied[0]++;
                    });
                    entries += copied[0];
                }
            }
        }
        finally
        {
            closeQuietly(null, maps);
        }
        writeFormat(directory);
        writeLengths(directory.resolve(LENGTHS), shardFiles);
        sizing.write(directory);
        Files.move(oldFile, directory.resolve(MIGRATED), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        LOG.info("migrated {} pages from {} into {} shards in {} ms; the old file is now {}", entries, OLD_FILE,
            SHARDS, (System.nanoTime() - start) / 1_000_000, MIGRATED);
    }

    private static void closeQuietly(final InFlight inFlight, final ChronicleMap<byte[], byte[]>[] maps)
    {
        if (inFlight != null)
        {
            inFlight.close();
        }
        if (maps != null)
        {
            for (final ChronicleMap<byte[], byte[]> map : maps)
            {
                if (map != null)
                {
                    map.close();
                }
            }
        }
    }

    private static void closeQuietly(final InFlight inFlight)
    {
        if (inFlight != null)
        {
            inFlight.close();
        }
    }

    /** The counts a clean close wrote, or null when they are missing or unreadable (then the processor counts). */
    private static long[] readCounts(final Path file)
    {
        try
        {
            if (!Files.exists(file))
            {
                return null;
            }
            final String[] parts = Files.readString(file, StandardCharsets.UTF_8).trim().split(" ");
            if (parts.length != 6)
            {
                return null;
            }
            final long[] counts = new long[6];
            for (int i = 0; i < 6; i++)
            {
                counts[i] = Long.parseLong(parts[i]);
                if (counts[i] < 0)
                {
                    return null;
                }
            }
            return counts;
        }
        catch (final IOException | NumberFormatException ex)
        {
            return null;
        }
    }

    /** A probe file, not the permission bits: root ignores those, a read-only mount or immutable flag does not. */
    private static void checkWritable(final Path directory)
    {
        final Path probe = directory.resolve(".write-probe");
        try
        {
            Files.deleteIfExists(probe);
            Files.writeString(probe, "probe\n", StandardCharsets.UTF_8);
            Files.delete(probe);
        }
        catch (final IOException ex)
        {
            throw new StoreException("storage.path '" + directory + "' is not writable (" + ex + ")");
        }
    }

    /**
     * Refuses a store that lost a file or had one cut short (a copy that ran out of space, a bad restore): opened
     * as it is, Chronicle would re-create or "recover" it into an empty map and the swarms would be lost for good.
     * Map files never shrink, so each must be at least as long as at the last open.
     */
    private static void checkComplete(final Path directory, final Path[] files, final Path lengthsFile)
        throws IOException
    {
        for (final Path file : files)
        {
            if (Files.size(file) == 0)
            {
                throw new StoreException("storage.path '" + directory + "': " + file.getFileName() + " is empty " +
                    "(truncated); restore it, or move the directory away to start empty");
            }
        }
        if (!Files.exists(lengthsFile))
        {
            return;
        }
        for (final String line : Files.readAllLines(lengthsFile, StandardCharsets.UTF_8))
        {
            final String[] parts = line.trim().split(" ");
            if (parts.length != 2)
            {
                continue;
            }
            final Path file = directory.resolve(parts[0]);
            final long expected;
            try
            {
                expected = Long.parseLong(parts[1]);
            }
            catch (final NumberFormatException ex)
            {
                continue;
            }
            final long actual = Files.exists(file) ? Files.size(file) : 0;
            if (Arrays.asList(files).contains(file) && actual < expected)
            {
                throw new StoreException("storage.path '" + directory + "': " + parts[0] + " is " + actual +
                    " bytes but was " + expected + " (truncated, e.g. by a full disk or an incomplete copy); " +
                    "restore it, or move the directory away to start empty");
            }
        }
    }

    /**
     * New map files are allocated in full at once (their first tiers): fail clearly now rather than with SIGBUS or
     * ENOSPC later. {@code maxTorrents}, {@code maxPeers}: 0 unless a resize (for the message).
     */
    private static void checkSpace(final Path directory, final StoreSizing sizing, final int maxTorrents,
        final int maxPeers) throws IOException
    {
        final long needed = sizing.createdBytes();
        final long usable = Files.getFileStore(directory).getUsableSpace();
        if (usable < needed)
        {
            throw new StoreException("storage.path '" + directory + "': new map files need about " +
                (needed >> 20) + " MiB (" + sizing.shardPages() + " pages a shard, from storage.max_torrents, " +
                "storage.max_peers and storage.max_bytes" + (maxTorrents > 0 ? " " + maxTorrents + ", " + maxPeers :
                "") + ") but the file system has " + (usable >> 20) + " MiB free");
        }
    }

    /** The bytes of the shard files there are (0 when none). */
    private static long filesBytes(final Path[] shardFiles) throws IOException
    {
        long bytes = 0;
        for (final Path file : shardFiles)
        {
            bytes += Files.exists(file) ? Files.size(file) : 0;
        }
        return bytes;
    }

    /** Entries of every shard. */
    private static long pages(final ChronicleMap<byte[], byte[]>[] maps)
    {
        long pages = 0;
        for (final ChronicleMap<byte[], byte[]> map : maps)
        {
            pages += map.longSize();
        }
        return pages;
    }

    /** Entries of the fullest shard. */
    private static long largestShard(final ChronicleMap<byte[], byte[]>[] maps)
    {
        long largest = 0;
        for (final ChronicleMap<byte[], byte[]> map : maps)
        {
            largest = Math.max(largest, map.longSize());
        }
        return largest;
    }

    /** Pages the store is sized for: one per torrent, plus one per full page of peers. */
    static long pagesFor(final int maxTorrents, final int maxPeers)
    {
        return maxTorrents + maxPeers / Page.CAPACITY + 64;
    }

    /**
     * Pages one shard is sized for: its even share, plus four standard deviations of the share of uniformly
     * random infohashes (binomial), so no shard fills before the store does.
     */
    static long shardPagesFor(final int maxTorrents, final int maxPeers)
    {
        final long share = (pagesFor(maxTorrents, maxPeers) + SHARDS - 1) / SHARDS;
        return share + 4 * (long)Math.ceil(Math.sqrt(share)) + 16;
    }

    /** Average page: the header and the average number of peers per torrent, at most a full page. */
    static double averagePageBytes(final int maxTorrents, final int maxPeers)
    {
        return Page.HEADER + peersPerTorrent(maxTorrents, maxPeers) * Page.RECORD;
    }

    /** The hint's peers per torrent, 1 to a full page. */
    static double peersPerTorrent(final int maxTorrents, final int maxPeers)
    {
        return Math.min(Page.CAPACITY, Math.max(1.0, (double)maxPeers / maxTorrents));
    }

    /**
     * About what Chronicle allocates for the shards: the pages they are sized for, each with its key, size and
     * about 16 bytes of hash-lookup and chunk overhead, plus an eighth of slack and headers.
     */
    public static long estimatedBytes(final int maxTorrents, final int maxPeers)
    {
        return StoreSizing.of(maxTorrents, maxPeers, 0, 0).createdBytes();
    }

    private static net.openhft.chronicle.map.ChronicleMapBuilder<byte[], byte[]> builder(final StoreSizing sizing)
    {
        final long pages = sizing.shardPages();
        return ChronicleMap.of(byte[].class, byte[].class)
            .keyReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayDataAccess())
            .valueReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayDataAccess())
            .constantKeySizeBySample(new byte[KEY_LENGTH])
            .averageValueSize(sizing.averageValue())
            .actualChunkSize(CHUNK)
            .maxChunksPerEntry((Page.length(Page.CAPACITY) + KEY_LENGTH + 8 + CHUNK - 1) / CHUNK)
            .checksumEntries(false)
            .entries(pages + pages / 8)
            .maxBloatFactor(sizing.maxBloat())
            .putReturnsNull(true)
            .removeReturnsNull(true);
    }

    /** Opens (or creates, or recovers) one map; an existing file keeps the layout it was created with. */
    static ChronicleMap<byte[], byte[]> openMap(final File file, final String name, final StoreSizing sizing,
        final boolean recover) throws IOException
    {
        final var builder = builder(sizing).name(name);
        return recover ? builder.recoverPersistedTo(file, true) : builder.createPersistedTo(file);
    }

    /** {@link #openMap(File, String, StoreSizing, boolean)} laid out for {@code pages} of these limits. */
    static ChronicleMap<byte[], byte[]> openMap(final File file, final String name, final long pages,
        final int maxTorrents, final int maxPeers, final boolean recover) throws IOException
    {
        return openMap(file, name, new StoreSizing(pages, averagePageBytes(maxTorrents, maxPeers),
            StoreSizing.MAX_BLOAT), recover);
    }

    /**
     * Opens (creates, or recovers where {@code recover} says so) every shard, on a small pool of min(shards,
     * processors) threads joined before this returns: recoveries and opens of different files run in parallel.
     */
    static ChronicleMap<byte[], byte[]>[] openMaps(final Path[] files, final StoreSizing sizing,
        final boolean[] recover) throws IOException
    {
        return openMaps(files, sizing, recover, -1, null);
    }

    /** What is done with one shard in the pool task that opened it, before the others are all open. */
    interface AfterOpen
    {
        /** Returns the map to keep (another, when it had to be opened again). */
        ChronicleMap<byte[], byte[]> opened(int shard, ChronicleMap<byte[], byte[]> map) throws IOException;
    }

    /**
     * {@link #openMaps(Path[], StoreSizing, boolean[])}, shard {@code first} submitted before the others (after the
     * recoveries) and handed to {@code after} (when not null) in the task that opened it.
     */
    @SuppressWarnings("unchecked")
    static ChronicleMap<byte[], byte[]>[] openMaps(final Path[] files, final StoreSizing sizing,
        final boolean[] recover, final int first, final AfterOpen after) throws IOException
    {
        final ChronicleMap<byte[], byte[]>[] maps = new ChronicleMap[files.length];
        final int threads = Math.max(1, Math.min(files.length, Runtime.getRuntime().availableProcessors()));
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads,
            r ->
            {
                final Thread t = new Thread(r, "store-open");
                t.setDaemon(true);
                return t;
            });
        final java.util.List<java.util.concurrent.Future<?>> opens = new java.util.ArrayList<>();
        // Recoveries first: they are the long ones; then the shard to work on after its open.
        for (int pass = 0; pass < 3; pass++)
        {
            for (int s = 0; s < files.length; s++)
            {
                final boolean inPass = pass == 0 ? recover[s] : pass == 1 ? !recover[s] && s == first :
                    !recover[s] && s != first;
                if (!inPass)
                {
                    continue;
                }
                final int shard = s;
                opens.add(pool.submit(() ->
                {
                    maps[shard] = openMap(files[shard].toFile(), "swarms-" + shard, sizing, recover[shard]);
                    if (after != null && shard == first)
                    {
                        maps[shard] = after.opened(shard, maps[shard]);
                    }
                    return null;
                }));
            }
        }
        pool.shutdown();
        Throwable failure = null;
        for (final java.util.concurrent.Future<?> open : opens)
        {
            try
            {
                open.get();
            }
            catch (final java.util.concurrent.ExecutionException ex)
            {
                failure = failure == null ? ex.getCause() : failure;
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                failure = failure == null ? ex : failure;
            }
        }
        if (failure != null)
        {
            closeQuietly(null, maps);
            if (failure instanceof IOException io)
            {
                throw io;
            }
            if (failure instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            throw new IllegalStateException(failure);
        }
        return maps;
    }

    /**
     * Releases every segment lock of a map a dead process may have held. Only for a map whose structure that
     * process was not changing (see {@link InFlight}): its entries, hash lookup and free lists are whole.
     */
    private static void resetLocks(final ChronicleMap<byte[], byte[]> map)
    {
        final VanillaChronicleHash<?, ?, ?, ?> hash = (VanillaChronicleHash<?, ?, ?, ?>)map;
        for (int segment = 0; segment < hash.segments(); segment++)
        {
            BigSegmentHeader.INSTANCE.resetLock(hash.segmentHeaderAddress(segment));
        }
    }

    /** The shard whose locks were reset at this open (a death mid-update outside a structural change), or -1. */
    public int unlockedShard()
    {
        return plan.unlockedShard();
    }

    /** The segment of {@link #unlockedShard} recovered alone at this open ({@link SegmentRecovery}), or -1. */
    public int recoveredSegment()
    {
        return plan.recoveredSegment();
    }

    /** True when Chronicle's recovery ran on some shard at this open. */
    public boolean recovered()
    {
        return plan.recoveredShardCount() > 0;
    }

    /** True when Chronicle's recovery ran on this shard at this open. */
    public boolean recovered(final int shard)
    {
        return plan.recovers(shard);
    }

    /** How many shards Chronicle's recovery ran on at this open. */
    public int recoveredShardCount()
    {
        return plan.recoveredShardCount();
    }

    public long openMs()
    {
        return openMs;
    }

    /** The bytes the store may grow to: {@code storage.max_bytes}, or the default worked out at open. */
    public long budgetBytes()
    {
        return budgetBytes;
    }

    /**
     * The bytes the shard files take now (their first tiers and the extra tiers allocated since); any thread, for
     * the gauge (reads the files' lengths).
     */
    public long fileBytes()
    {
        long bytes = 0;
        for (int s = 0; s < SHARDS; s++)
        {
            try
            {
                bytes += Files.size(directory.resolve(shardFile(s)));
            }
            catch (final IOException ex)
            {
                // A file being renamed at open, or gone: counted as 0 this once.
            }
        }
        return bytes;
    }

    /**
     * The line {@code /check} shows from 90 % of the budget on, or null below it; any thread.
     *
     * @param usedBytes   the estimate of the bytes the entries use (gauge {@code trackerd_store_used_bytes})
     * @param budgetBytes the budget (gauge {@code trackerd_store_budget_bytes}); 0 before the processor set it
     */
    public static String budgetWarning(final long usedBytes, final long budgetBytes)
    {
        if (budgetBytes <= 0 || usedBytes * 10 < budgetBytes * 9)
        {
            return null;
        }
        final long percent = usedBytes * 100 / budgetBytes;
        return "store at " + percent + " % of its byte budget (" + usedBytes + " of " + budgetBytes +
            " bytes, storage.max_bytes): " + (usedBytes >= budgetBytes ? "new peers and torrents are refused" :
            "at 100 % new peers and torrents are refused") + "; raise storage.max_bytes (a restart resizes the " +
            "files) or lower tracker.torrent_retention_seconds";
    }

    /**
     * Tiers a segment of the most grown shard chains on average, rounded up: 1 while every shard is within its
     * first tier. A lookup walks the chain, so past a few the store is slower until a restart re-sizes it. The
     * swarm processor's thread (the maps' headers are read while they are open).
     */
    long tierDepth()
    {
        return tierDepth(shards);
    }

    /** {@link #tierDepth()} of these maps. */
    static long tierDepth(final ChronicleMap<byte[], byte[]>[] maps)
    {
        long depth = 1;
        for (final ChronicleMap<byte[], byte[]> map : maps)
        {
            final VanillaChronicleHash<?, ?, ?, ?> hash = (VanillaChronicleHash<?, ?, ?, ?>)map;
            final long segments = hash.actualSegments;
            depth = Math.max(depth, 1 + (hash.globalMutableState().getExtraTiersInUse() + segments - 1) / segments);
        }
        return depth;
    }

    /**
     * The line {@code /check} shows once a shard's segments chain {@link #DEEP_TIERS} tiers or more on average, or
     * null; any thread.
     */
    public static String tierDepthWarning(final long depth)
    {
        if (depth < DEEP_TIERS)
        {
            return null;
        }
        return "store shards grew to " + depth + " tiers a segment past the size their files were made for: " +
            "lookups walk the tiers and slow down; a restart re-sizes the files to what the store holds (raise " +
            "storage.max_torrents / max_peers to start larger)";
    }

    /** Tiers a segment chains from which {@code /check} suggests a restart (lookups about twice as slow). */
    public static final long DEEP_TIERS = 8;

    /** Torrents in the store, as the processor last counted them. */
    public long torrentCount()
    {
        return torrents;
    }

    /** Peers in the store, as the processor last counted them. */
    public long peerCount()
    {
        return peers;
    }

    /** The map of one shard. */
    ChronicleMap<byte[], byte[]> shard(final int shard)
    {
        return shards[shard];
    }

    /** The map holding the pages of this swarm. */
    ChronicleMap<byte[], byte[]> map(final byte[] infoHash, final int offset)
    {
        return shards[shard(infoHash, offset)];
    }

    /** Closes the map and marks the store clean, so the next start opens it without recovery. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final ChronicleMap<byte[], byte[]> map : shards)
        {
            map.close();
        }
        inFlight.close();
        try
        {
            Files.writeString(directory.resolve(COUNTS), torrents + " " + peers + " " + population[0] + " " +
                population[1] + " " + population[2] + " " + population[3] + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            Files.writeString(directory.resolve("clean-shutdown"), "closed cleanly\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        }
        catch (final IOException ex)
        {
            LOG.warn("could not write the clean-shutdown marker in {}: {} (the next start will run recovery)",
                directory, ex.toString());
        }
    }

    /**
     * The plan's work on the one shard a process died changing, in the pool task that opened it: its segment locks
     * reset, the segment of a structural change recovered alone ({@link SegmentRecovery}; the whole shard by
     * Chronicle when that refuses), then its pages counted ({@link ShardCount}) but for the swarm in flight.
     */
    private static final class BusyShard implements AfterOpen
    {
        private final StorePlan plan;
        private final Path[] files;
        private final StoreSizing sizing;
        private boolean refused;
        private long[] counted;

        BusyShard(final StorePlan plan, final Path[] files, final StoreSizing sizing)
        {
            this.plan = plan;
            this.files = files;
            this.sizing = sizing;
        }

        /** The shard to work on, or -1. */
        int shard()
        {
            return plan.unlockedShard() >= 0 ? plan.unlockedShard() : plan.shardToCount();
        }

        @Override
        public ChronicleMap<byte[], byte[]> opened(final int shard, final ChronicleMap<byte[], byte[]> opened)
            throws IOException
        {
            ChronicleMap<byte[], byte[]> map = opened;
            if (plan.unlockedShard() == shard)
            {
                resetLocks(map);
            }
            if (plan.recoveredSegment() >= 0 && plan.unlockedShard() == shard)
            {
                final long recoveryStart = System.nanoTime();
                final SegmentRecovery.Outcome outcome = SegmentRecovery.recover(map, plan.recoveredSegment(),
                    plan.segmentReplace());
                final long recoveryUs = (System.nanoTime() - recoveryStart) / 1000;
                if (outcome.refused() == null)
                {
                    LOG.info("recovered segment {} of shard {} alone in {} us ({}; the last process died changing " +
                        "its structure){}", plan.recoveredSegment(), shard, recoveryUs, outcome.walked(),
                        outcome.fixes().isEmpty() ? "" : ": " + String.join("; ", outcome.fixes()));
                }
                else
                {
                    LOG.warn("segment {} of shard {} cannot be recovered alone ({}): Chronicle's recovery of the " +
                        "whole shard runs", plan.recoveredSegment(), shard, outcome.refused());
                    map.close();
                    refused = true;
                    map = openMap(files[shard].toFile(), "swarms-" + shard, sizing, true);
                }
            }
            if (plan.shardToCount() == shard)
            {
                // Its pages counted here, beside the other shards' opens and the launcher's work, but for the swarm
                // it was changing (the start-up scan repairs and counts that one).
                final long countStart = System.nanoTime();
                counted = ShardCount.count(map, plan.tornSwarm());
                LOG.info("counted shard {} in {} ms at the opening: {} torrents, {} peers (the swarm in flight " +
                    "aside)", shard, (System.nanoTime() - countStart) / 1_000_000, counted[0], counted[1]);
            }
            return map;
        }

        /** The plan as carried out: the whole shard recovered if its segment could not be, its counts taken. */
        StorePlan carriedOut(final StorePlan decided)
        {
            final StorePlan recovered = refused ? decided.recoveringShardOfSegment() : decided;
            return counted != null ? recovered.countedAtOpen(counted) : recovered;
        }
    }

    /** A store that cannot be opened; the message names storage.path and what to do. */
    public static final class StoreException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        public StoreException(final String message)
        {
            super(message);
        }
    }
}
