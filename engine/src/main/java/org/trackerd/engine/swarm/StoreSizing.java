package org.trackerd.engine.swarm;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * How the shard files are laid out, and the byte budget they may grow to. Each shard is one Chronicle Map created
 * for {@code shardPages} entries (its first tier of segments, allocated on disk at creation) with a
 * {@code maxBloatFactor} of {@link #MAX_BLOAT}: past its first tier a segment chains extra tiers, allocated as the
 * file grows, up to a thousand times the first. The first tier is sized for the largest of: the operator's hint
 * ({@code storage.max_torrents} / {@code max_peers}), a {@link #FIRST_TIER_SHARE sixteenth} of the pages the budget
 * holds in the hint's shape (so a store at its budget is a few tiers deep, not hundreds) and a thousandth of it in
 * the smallest pages (so the budget, not Chronicle's bloat limit, is what stops growth), and 1.25 times the pages
 * the fullest shard held at the last start.
 *
 * <p>Written as one line {@code pages P average A bloat B limits L} in {@link #FILE} at creation and at every
 * resize (a line of before {@code limits} was recorded reads as limits of the files' first tier); a store of format
 * {@code trackerd-store 4} written before this file existed has none (its shards were made with a bloat factor of
 * 1.5): it is resized at its first start, which gives it one.
 *
 * <p>A start copies the files into another sizing only for a {@link #resizeReason reason}: a restart with the same
 * limits of a store that grew keeps them (the {@code limits} recorded here tell the two apart).
 *
 * <p>The budget is checked against an estimate of the bytes the entries take ({@link #usedBytes}), computed from
 * the torrent and peer counts the processor keeps anyway: no per-entry bookkeeping, no walk of the maps.
 *
 * @param shardPages   entries of a shard's first tier
 * @param averageValue the average page length in bytes Chronicle lays the tier out for
 * @param maxBloat     Chronicle's {@code maxBloatFactor}: how far past the first tier a shard may grow
 * @param limitPages   the first tier the operator's limits alone asked for (hint and budget, not what the store
 *                     held): a later start tells changed limits from a store that merely grew by it
 *
 * <p>Thread: the launcher (at open); {@link #usedBytes} on the swarm processor.
 */
record StoreSizing(long shardPages, double averageValue, double maxBloat, long limitPages)
{
    /** A sizing whose first tier is what the limits asked for (nothing held beyond them). */
    StoreSizing(final long shardPages, final double averageValue, final double maxBloat)
    {
        this(shardPages, averageValue, maxBloat, shardPages);
    }

    static final String FILE = "store-size";
    /** Chronicle's largest {@code maxBloatFactor}. */
    static final double MAX_BLOAT = 1000.0;
    /**
     * The smallest first tier: Chronicle never lets an entry span tiers, so a tier must hold a full page (255
     * peers, 960 chunks) with room to spare; 512 pages of the smallest average give a tier of 4,005 chunks (1.1 MiB
     * for the whole store).
     */
    static final long MIN_SHARD_PAGES = 512;
    /**
     * The share of the budget a first tier is laid out for: a sixteenth of the pages the budget holds in the hint's
     * shape, so a store that fills its budget in one run chains about 16 tiers (a restart re-sizes it from
     * {@link SwarmStore#DEEP_TIERS}), where a thousandth left it hundreds deep. The first tier is allocated on disk
     * at creation (measured: not sparse, {@code du} equals the length; about 220 bytes per page of two peers, 2 s
     * per 5M pages to create, 85 ms to re-open, 30 MiB more resident after a re-open), so this costs about a
     * fourteenth of the budget in disk from the first start: 909 MiB, created in 1.0 s, for the default hint and
     * budget (11.8 GiB) of a 23 GiB host, against 145 MiB before.
     */
    static final long FIRST_TIER_SHARE = 16;
    /** The bloat factor the shards of a store of before {@link #FILE} were made with. */
    static final double LEGACY_BLOAT = 1.5;

    /**
     * Bytes the store is counted to use per torrent (its key, a page header, the hash-lookup slot and the rounding
     * to 16-byte chunks) and per peer (a 60-byte record and its share of rounding). Calibrated against the files'
     * allocated length past their first tier (SwarmProcessorTest's tiny store taking 160k peers): pages of the full
     * layout, 50k torrents of two peers, took 158 bytes each in the files, counted 192; one-peer torrents about 120,
     * counted 128; a retained torrent about 56, counted 64. Compact pages (two IPv4 peers: 80k torrents grew the
     * files by 112 bytes each) take less, but a swarm's page is compact only while its peers are IPv4-only: the
     * count stays at what a page of the full layout takes, at or above what the files take whatever the peers'
     * families, so the budget bounds them.
     */
    static final long TORRENT_BYTES = 64;
    static final long PEER_BYTES = 64;

    /** The estimate of what the store's entries take, the figure the budget is checked against. */
    static long usedBytes(final long torrents, final long peers)
    {
        return torrents * TORRENT_BYTES + peers * PEER_BYTES;
    }

    /**
     * The sizing for these limits: the hint's first tier, raised to a sixteenth of the budget and to 1.25 times
     * {@code liveShardPages} (the fullest shard's entries, 0 for a new store).
     */
    static StoreSizing of(final int maxTorrents, final int maxPeers, final long budgetBytes,
        final long liveShardPages)
    {
        final long hint = SwarmStore.shardPagesFor(maxTorrents, maxPeers);
        // Chronicle's limit is a thousand tiers of the first one's entries and chunks: for the budget in pages of
        // the smallest kind (a retained torrent), with the chunks for them.
        final long smallestPages = budgetBytes / TORRENT_BYTES / SwarmStore.SHARDS;
        // A lookup walks its segment's chain of tiers: a store at its budget, in the hint's shape (torrents of its
        // average peers), should chain about FIRST_TIER_SHARE tiers, not hundreds.
        final double perTorrent = SwarmStore.peersPerTorrent(maxTorrents, maxPeers);
        final long budgetPages = (long)(budgetBytes / (TORRENT_BYTES + perTorrent * PEER_BYTES)) / SwarmStore.SHARDS;
        final long forBudget = Math.max((long)Math.ceil(smallestPages / MAX_BLOAT),
            (budgetPages + FIRST_TIER_SHARE - 1) / FIRST_TIER_SHARE);
        final long live = liveShardPages + liveShardPages / 4;
        final long limits = Math.max(MIN_SHARD_PAGES, Math.max(hint, forBudget));
        final long pages = Math.max(limits, live);
        final double hintAverage = SwarmStore.averagePageBytes(maxTorrents, maxPeers);
        // The hint's page size lays out the chunks; only a tier at its smallest is laid out for one-peer pages
        // (MIN_SHARD_PAGES of them hold 4 full pages; a larger average holds more), so small stores stay small.
        final double average = pages == MIN_SHARD_PAGES ? Math.min(hintAverage, Page.length(1)) : hintAverage;
        return new StoreSizing(pages, average, MAX_BLOAT, limits);
    }

    /**
     * Why the files of {@code current} (null: a store of before this file) are to be copied into files of this
     * sizing at this start, or null: a plain restart (same limits, a store that grew but chains fewer than
     * {@link SwarmStore#DEEP_TIERS} tiers) keeps its files and is ready in the time of an open, with no copy of
     * seconds per million pages. Copied when:
     * <ul>
     * <li>the files cannot grow to the budget (a store of before this file, bloat 1.5; or a budget raised past a
     * thousand first tiers);</li>
     * <li>the limits ask for a first tier more than twice the files' (max_torrents, max_peers or max_bytes
     * raised);</li>
     * <li>the limits were lowered to less than half of what the files were made for, and the files' first tier is
     * more than twice what the limits and the store's pages now ask for (a resize down);</li>
     * <li>a shard chains {@code depth} tiers of at least {@link SwarmStore#DEEP_TIERS} (the {@code /check} warning):
     * lookups are markedly slower than in right-sized files.</li>
     * </ul>
     */
    String resizeReason(final StoreSizing current, final long budgetBytes, final long depth)
    {
        if (current == null)
        {
            return "the files of before " + FILE + " (bloat " + LEGACY_BLOAT + ") cannot grow to the budget";
        }
        if (current.shardPages * current.maxBloat < (double)budgetBytes / TORRENT_BYTES / SwarmStore.SHARDS)
        {
            return "the files (" + current.text() + ") cannot grow to the budget of " + budgetBytes + " bytes";
        }
        if (limitPages > 2 * current.shardPages)
        {
            return "storage.max_torrents / max_peers / max_bytes ask for first tiers of " + limitPages +
                " pages a shard, the files have " + current.shardPages;
        }
        if (current.limitPages > 2 * limitPages && current.shardPages > 2 * shardPages)
        {
            return "storage.max_torrents / max_peers / max_bytes were lowered: first tiers of " + shardPages +
                " pages a shard hold the store, the files have " + current.shardPages;
        }
        if (depth >= SwarmStore.DEEP_TIERS)
        {
            return "the shards chain " + depth + " tiers (from " + SwarmStore.DEEP_TIERS + " lookups slow down; " +
                "raise storage.max_torrents / max_peers to start larger)";
        }
        return null;
    }

    /** Rough cost of the copy at start (measured on the 2-core test host): copy and the new first tiers. */
    static final long COPY_NS_PER_PAGE = 4_800;
    static final long CREATE_NS_PER_PAGE = 400;

    /** About how long a resize into this sizing takes with {@code pages} in the store, in seconds. */
    double resizeSeconds(final long pages)
    {
        return (pages * COPY_NS_PER_PAGE + shardPages * SwarmStore.SHARDS * CREATE_NS_PER_PAGE) / 1e9;
    }

    /** About what the files of this sizing allocate at creation (the first tiers of every shard). */
    long createdBytes()
    {
        final double entry = SwarmStore.KEY_LENGTH + 2 + averageValue + 2 * SwarmStore.CHUNK;
        return SwarmStore.SHARDS * ((long)(shardPages * 1.125 * entry) + (1 << 18));
    }

    String text()
    {
        return String.format(Locale.ROOT, "pages %d average %.3f bloat %.1f limits %d", shardPages, averageValue,
            maxBloat, limitPages);
    }

    /**
     * The sizing of {@code text}, or null when it is not one. A line without {@code limits} (written before they
     * were recorded) reads as limits that asked for the files' first tier.
     */
    static StoreSizing parse(final String text)
    {
        final String[] parts = text.trim().split(" ");
        if ((parts.length != 6 && parts.length != 8) || !"pages".equals(parts[0]) || !"average".equals(parts[2]) ||
            !"bloat".equals(parts[4]) || (parts.length == 8 && !"limits".equals(parts[6])))
        {
            return null;
        }
        try
        {
            final long pages = Long.parseLong(parts[1]);
            final StoreSizing sizing = new StoreSizing(pages, Double.parseDouble(parts[3]),
                Double.parseDouble(parts[5]), parts.length == 8 ? Long.parseLong(parts[7]) : pages);
            return sizing.shardPages > 0 && sizing.averageValue > 0 && sizing.maxBloat >= 1 &&
                sizing.limitPages > 0 ? sizing : null;
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
    }

    /** The sizing the store's files were made with, or null (a store of before {@link #FILE}, or unreadable). */
    static StoreSizing read(final Path directory) throws IOException
    {
        final Path file = directory.resolve(FILE);
        return Files.exists(file) ? parse(Files.readString(file, StandardCharsets.UTF_8)) : null;
    }

    /** Records the sizing of the store's files (written aside, then renamed over: never half a line). */
    void write(final Path directory) throws IOException
    {
        final Path tmp = directory.resolve(FILE + ".tmp");
        Files.writeString(tmp, text() + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, directory.resolve(FILE), StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The budget when {@code storage.max_bytes} is 0: half the physical memory (the maps are memory-mapped: a store
     * larger than memory pages in and out of the disk on every lookup), and at most half of what the storage file
     * system holds for the store (its free space plus the store's files), so the store never fills the disk.
     */
    static long defaultBudget(final Path directory, final long storeBytes) throws IOException
    {
        final long memory = physicalMemory();
        final long disk = Files.getFileStore(directory).getUsableSpace() + storeBytes;
        return Math.max(org.trackerd.engine.config.TrackerConfig.Storage.MIN_BYTES, Math.min(memory / 2, disk / 2));
    }

    /** The machine's (or container's) memory, as the JVM sees it. */
    static long physicalMemory()
    {
        final java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun)
        {
            return sun.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory() * 4;
    }
}
