package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.impl.VanillaChronicleHash;
import net.openhft.chronicle.map.ChronicleMap;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Measurement, not a check (the figures in {@link SwarmStore}'s Javadoc): one shard, laid out as the store lays it
 * out, taking new one-peer torrents far past its first tier, against a shard laid out for all of them from the
 * start; and the start-up copy of a resize per million pages. Run with
 * {@code mvn -B -q -o verify -pl engine -Dtest=StoreGrowthMeasurement -Dtrackerd.measure=true
 * -Dsurefire.failIfNoSpecifiedTests=false} (optionally {@code -Dtrackerd.measure.base=N -Dtrackerd.measure.times=K}).
 */
@EnabledIfSystemProperty(named = "trackerd.measure", matches = "true")
class StoreGrowthMeasurement
{
    @TempDir
    Path dir;

    @Test
    void growthPastTheFirstTierAgainstARightSizedShard() throws Exception
    {
        final long base = Long.getLong("trackerd.measure.base", 20_000);
        final int times = Integer.getInteger("trackerd.measure.times", 64);
        run("extra tiers (first tier " + base + " pages, bloat 1000)", dir.resolve("tiers.dat"),
            new StoreSizing(base, Page.length(1), StoreSizing.MAX_BLOAT), base, times);
        // The processor's thread leaves the msync of a new tier bulk to write-back (TierBulkSync): so here.
        final Throwable[] failed = new Throwable[1];
        final Thread deferring = new Thread(() ->
        {
            try
            {
                TierBulkSync.deferOnThisThread();
                run("extra tiers, tier msync deferred (first tier " + base + " pages, bloat 1000)",
                    dir.resolve("deferred.dat"), new StoreSizing(base, Page.length(1), StoreSizing.MAX_BLOAT), base,
                    times);
            }
            catch (final Throwable ex)
            {
                failed[0] = ex;
            }
        }, "deferring");
        deferring.start();
        deferring.join();
        if (failed[0] != null)
        {
            throw new AssertionError(failed[0]);
        }
        run("right-sized (first tier " + base * times + " pages)", dir.resolve("sized.dat"),
            new StoreSizing(base * times, Page.length(1), StoreSizing.MAX_BLOAT), base, times);
    }

    @Test
    void resizeCopyPerMillionPages() throws Exception
    {
        final long pages = Long.getLong("trackerd.measure.pages", 1_000_000);
        final StoreSizing sizing = new StoreSizing(pages, Page.length(1), StoreSizing.MAX_BLOAT);
        try (ChronicleMap<byte[], byte[]> from = SwarmStore.openMap(dir.resolve("from.dat").toFile(), "from", sizing,
            false))
        {
            final SplittableRandom random = new SplittableRandom(7);
            final byte[] key = new byte[SwarmStore.KEY_LENGTH];
            final byte[] value = new byte[Page.length(1)];
            for (long i = 0; i < pages; i++)
            {
                random.nextBytes(key);
                from.put(key, value);
            }
            final long start = System.nanoTime();
            final long copied;
            try (ChronicleMap<byte[], byte[]> to = SwarmStore.openMap(dir.resolve("to.dat").toFile(), "to", sizing,
                false))
            {
                copied = StoreResize.copyEntries(from, to, StoreResize.SAME);
            }
            final long ms = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("resize copy: %d pages in %d ms (%.0f ms per million), file %d MiB%n", copied, ms,
                ms * 1e6 / copied, Files.size(dir.resolve("to.dat")) >> 20);
        }
    }

    /**
     * What a large first tier costs before anything is in it: creation and re-open time, the files' length against
     * the blocks they allocate ({@code du}), and the resident memory the process gains. Pages of the whole store
     * from {@code -Dtrackerd.measure.pages} (5M), laid out for two-peer pages.
     */
    @Test
    void emptyLargeFirstTier() throws Exception
    {
        final long pages = Long.getLong("trackerd.measure.pages", 5_000_000);
        final StoreSizing sizing = new StoreSizing(pages / SwarmStore.SHARDS, Page.length(2), StoreSizing.MAX_BLOAT);
        final Path[] files = new Path[SwarmStore.SHARDS];
        for (int s = 0; s < files.length; s++)
        {
            files[s] = dir.resolve(SwarmStore.shardFile(s));
        }
        final long rss0 = rssKiB();
        long start = System.nanoTime();
        ChronicleMap<byte[], byte[]>[] maps = SwarmStore.openMaps(files, sizing, new boolean[files.length]);
        final long createMs = (System.nanoTime() - start) / 1_000_000;
        final long rss1 = rssKiB();
        long length = 0;
        for (final Path file : files)
        {
            length += Files.size(file);
        }
        for (final ChronicleMap<byte[], byte[]> map : maps)
        {
            map.close();
        }
        start = System.nanoTime();
        maps = SwarmStore.openMaps(files, sizing, new boolean[files.length]);
        final long openMs = (System.nanoTime() - start) / 1_000_000;
        final long rss2 = rssKiB();
        for (final ChronicleMap<byte[], byte[]> map : maps)
        {
            map.close();
        }
        final Process du = new ProcessBuilder("du", "-sk", dir.toString()).redirectErrorStream(true).start();
        final String allocated = new String(du.getInputStream().readAllBytes()).trim();
        du.waitFor();
        System.out.printf("empty first tier of %d pages (%d a shard): created in %d ms, re-opened in %d ms; files " +
            "%d MiB long, du %s KiB; estimate (createdBytes) %d MiB; RSS +%d MiB after creation, +%d MiB after " +
            "re-open%n", pages, sizing.shardPages(), createMs, openMs, length >> 20, allocated.split("\\s")[0],
            sizing.createdBytes() >> 20, (rss1 - rss0) >> 10, (rss2 - rss0) >> 10);
    }

    /** A new store of the default hint and the default budget: its first tiers, as a first start makes them. */
    @Test
    void defaultStoreCreation() throws Exception
    {
        final Path store = dir.resolve("default");
        final long rss0 = rssKiB();
        long start = System.nanoTime();
        SwarmStore.open(store, 100_000, 1_000_000).close();
        final long createMs = (System.nanoTime() - start) / 1_000_000;
        final long rss1 = rssKiB();
        start = System.nanoTime();
        final SwarmStore reopened = SwarmStore.open(store, 100_000, 1_000_000);
        final long openMs = (System.nanoTime() - start) / 1_000_000;
        final long budget = reopened.budgetBytes();
        final long length = reopened.fileBytes();
        reopened.close();
        System.out.printf("default store (budget %d MiB): %s; created in %d ms, re-opened in %d ms, files %d MiB, " +
            "RSS +%d MiB%n", budget >> 20, StoreSizing.read(store).text(), createMs, openMs, length >> 20,
            (rss1 - rss0) >> 10);
    }

    /**
     * A restart of a store that grew past its first tiers (default hint and budget, {@code -Dtrackerd.measure.pages}
     * one-peer pages, 5M by default): the open after a clean close, after a {@code kill -9} with nothing in flight,
     * and after a host crash (every shard recovered; the processor's start-up scan comes on top), none of them a copy.
     */
    @Test
    void restartOfAGrownStore() throws Exception
    {
        final long pages = Long.getLong("trackerd.measure.pages", 5_000_000);
        final Path store = dir.resolve("grown");
        SwarmStore opened = SwarmStore.open(store, 100_000, 1_000_000);
        final SplittableRandom random = new SplittableRandom(11);
        final byte[] key = new byte[SwarmStore.KEY_LENGTH];
        final byte[] value = new byte[Page.length(1)];
        long start = System.nanoTime();
        for (long i = 0; i < pages; i++)
        {
            random.nextBytes(key);
            key[20] = 0;
            key[21] = 0;
            opened.map(key, 0).put(key, value);
        }
        final long fillMs = (System.nanoTime() - start) / 1_000_000;
        opened.torrents = pages;
        opened.peers = pages;
        final long depth = opened.tierDepth();
        final StoreSizing sizing = StoreSizing.read(store);
        opened.close();
        final String[] how = { "clean close", "kill -9, nothing in flight", "host crash, every shard recovered" };
        for (int i = 0; i < how.length; i++)
        {
            if (i == 1)
            {
                Files.delete(store.resolve("clean-shutdown"));
                Files.delete(store.resolve(SwarmStore.COUNTS));
            }
            if (i == 2)
            {
                Files.delete(store.resolve("clean-shutdown"));
                Files.delete(store.resolve(SwarmStore.COUNTS));
                Files.delete(store.resolve(InFlight.FILE));
            }
            start = System.nanoTime();
            opened = SwarmStore.open(store, 100_000, 1_000_000);
            final long ms = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("restart of %d pages (filled in %d ms, %d tiers deep, %s, files %d MiB) after a %s: " +
                "open %d ms, %s, recovered %d shards%n", pages, fillMs, depth, sizing.text(),
                opened.fileBytes() >> 20, how[i], ms, sizing.equals(StoreSizing.read(store)) ? "no copy" : "COPIED",
                opened.recoveredShardCount());
            opened.close();
        }
    }

    private static long rssKiB() throws java.io.IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    private void run(final String name, final Path file, final StoreSizing sizing, final long window,
        final int windows) throws Exception
    {
        final long t0 = System.nanoTime();
        final ChronicleMap<byte[], byte[]> map = SwarmStore.openMap(file.toFile(), "m", sizing, false);
        final VanillaChronicleHash<?, ?, ?, ?> hash = (VanillaChronicleHash<?, ?, ?, ?>)map;
        System.out.printf("%s: created in %d ms, file %d KiB, %d segments%n", name,
            (System.nanoTime() - t0) / 1_000_000, Files.size(file) >> 10, map.segments());
        final SplittableRandom random = new SplittableRandom(42);
        final byte[] key = new byte[SwarmStore.KEY_LENGTH];
        final byte[] value = new byte[Page.length(1)];
        final Histogram all = new Histogram(3_600_000_000_000L, 3);
        final Histogram growth = new Histogram(3_600_000_000_000L, 3);
        final Histogram window1 = new Histogram(3_600_000_000_000L, 3);
        for (int w = 0; w < windows; w++)
        {
            window1.reset();
            final long start = System.nanoTime();
            for (long i = 0; i < window; i++)
            {
                random.nextBytes(key);
                final int bulks = hash.globalMutableState().getAllocatedExtraTierBulks();
                final long s = System.nanoTime();
                map.put(key, value);
                final long d = System.nanoTime() - s;
                window1.recordValue(d);
                all.recordValue(d);
                if (hash.globalMutableState().getAllocatedExtraTierBulks() != bulks)
                {
                    growth.recordValue(d);
                }
            }
            final long ns = System.nanoTime() - start;
            if (w == 0 || w == 1 || w == 3 || w == 7 || w == 15 || w == 31 || w == windows - 1)
            {
                System.out.printf("  %3dx..%3dx: %4.0f k inserts/s, p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.2f " +
                    "ms, file %d MiB, extra tiers %d%n", w, w + 1, window * 1e6 / ns,
                    window1.getValueAtPercentile(50) / 1e3, window1.getValueAtPercentile(99) / 1e3,
                    window1.getValueAtPercentile(99.9) / 1e3, window1.getMaxValue() / 1e6, Files.size(file) >> 20,
                    hash.globalMutableState().getExtraTiersInUse());
            }
        }
        System.out.printf("  all inserts: p99 %.1f us, p99.9 %.1f us, p99.99 %.1f us, max %.2f ms; growth steps " +
            "(inserts that allocated a tier bulk): %d, p50 %.2f ms, max %.2f ms%n",
            all.getValueAtPercentile(99) / 1e3, all.getValueAtPercentile(99.9) / 1e3,
            all.getValueAtPercentile(99.99) / 1e3, all.getMaxValue() / 1e6, growth.getTotalCount(),
            growth.getValueAtPercentile(50) / 1e6, growth.getMaxValue() / 1e6);
        // Lookups of present keys (a re-announce's) and absent ones (what a new peer pays before its insert).
        final SplittableRandom replay = new SplittableRandom(42);
        final long n = window * windows;
        long start = System.nanoTime();
        long found = 0;
        for (long i = 0; i < n; i++)
        {
            replay.nextBytes(key);
            found += map.containsKey(key) ? 1 : 0;
        }
        final double hits = n * 1e3 / (System.nanoTime() - start);
        start = System.nanoTime();
        for (long i = 0; i < n; i++)
        {
            random.nextBytes(key);
            found += map.containsKey(key) ? 1 : 0;
        }
        final double misses = n * 1e3 / (System.nanoTime() - start);
        System.out.printf("  lookups: hits %.2f M/s, misses %.2f M/s (%d found), file %d MiB%n", hits, misses, found,
            Files.size(file) >> 20);
        map.close();
    }
}
