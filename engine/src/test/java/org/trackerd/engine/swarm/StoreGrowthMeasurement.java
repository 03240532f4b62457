package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.serialization.impl.ByteArraySizedReader;
import net.openhft.chronicle.map.ChronicleMap;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Measurement, not a check: how a shard behaves past the entries it was created for. Run with
 * {@code mvn -B -q -o verify -pl engine -Dtest=StoreGrowthMeasurement -Dtrackerd.measure=true
 * -Dsurefire.failIfNoSpecifiedTests=false}; it prints a table per variant.
 */
@EnabledIfSystemProperty(named = "trackerd.measure", matches = "true")
class StoreGrowthMeasurement
{
    @TempDir
    Path dir;

    private static ChronicleMap<byte[], byte[]> map(final Path file, final long entries, final double bloat)
        throws Exception
    {
        return ChronicleMap.of(byte[].class, byte[].class)
            .keyReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayDataAccess())
            .valueReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayDataAccess())
            .constantKeySizeBySample(new byte[SwarmStore.KEY_LENGTH])
            .averageValueSize(Page.length(2))
            .actualChunkSize(SwarmStore.CHUNK)
            .maxChunksPerEntry((Page.length(Page.CAPACITY) + SwarmStore.KEY_LENGTH + 8 + 15) / 16)
            .checksumEntries(false)
            .entries(entries)
            .maxBloatFactor(bloat)
            .putReturnsNull(true)
            .createPersistedTo(file.toFile());
    }

    @Test
    void geometry() throws Exception
    {
        for (final long pages : new long[] { 33, 44, 121, 500, 1000, 5000, 20000, 100000 })
        {
            for (final double avg : new double[] { 76, 616 })
            {
                try (ChronicleMap<byte[], byte[]> m = ChronicleMap.of(byte[].class, byte[].class)
                    .constantKeySizeBySample(new byte[22]).averageValueSize(avg).actualChunkSize(16)
                    .maxChunksPerEntry(960).entries(pages + pages / 8).maxBloatFactor(1000).create())
                {
                    final var h = (net.openhft.chronicle.hash.impl.VanillaChronicleHash<?, ?, ?, ?>)m;
                    System.out.println(pages + " avg " + avg + ": segments " + h.actualSegments + " chunks/tier " +
                        h.actualChunksPerSegmentTier + " maxChunks " + h.maxChunksPerEntry + " entries/hl " +
                        h.maxEntriesPerHashLookup);
                }
            }
        }
    }

    @Test
    void tiersAgainstARightSizedMap() throws Exception
    {
        final long base = Long.getLong("trackerd.measure.base", 20_000);
        final int times = Integer.getInteger("trackerd.measure.times", 32);
        run("tiers (entries " + base + ", maxBloatFactor 1000)", dir.resolve("tiers.dat"), base, 1000, base, times);
        run("right-sized (entries " + base * times + ")", dir.resolve("sized.dat"), base * times, 1, base, times);
    }

    private void run(final String name, final Path file, final long entries, final double bloat, final long window,
        final int windows) throws Exception
    {
        final long t0 = System.nanoTime();
        final ChronicleMap<byte[], byte[]> map = map(file, entries, bloat);
        System.out.printf("%s: created in %d ms, file %d KiB (%d KiB on disk)%n", name,
            (System.nanoTime() - t0) / 1_000_000, Files.size(file) >> 10, diskKiB(file));
        final SplittableRandom random = new SplittableRandom(42);
        final byte[] key = new byte[SwarmStore.KEY_LENGTH];
        final byte[] value = new byte[Page.length(2)];
        final Histogram h = new Histogram(3_600_000_000_000L, 3);
        long worst = 0;
        for (int w = 0; w < windows; w++)
        {
            h.reset();
            final long start = System.nanoTime();
            for (long i = 0; i < window; i++)
            {
                random.nextBytes(key);
                final long s = System.nanoTime();
                map.put(key, value);
                final long d = System.nanoTime() - s;
                h.recordValue(d);
            }
            final long ns = System.nanoTime() - start;
            worst = Math.max(worst, h.getMaxValue());
            if (w == 0 || w == 1 || w == 3 || w == 7 || w == 15 || w == windows - 1)
            {
                System.out.printf("  %3dx..%3dx: %.0f k inserts/s, p50 %.1f us, p99.9 %.1f us, max %.2f ms, file %d MiB%n",
                    w, w + 1, window * 1e6 / ns, h.getValueAtPercentile(50) / 1e3,
                    h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e6, Files.size(file) >> 20);
            }
        }
        // Lookups of present keys (hits) and absent ones (misses: what a new peer pays before its insert).
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
        System.out.printf("  hits %.2f M/s, misses %.2f M/s (%d), worst insert %.2f ms, file %d MiB (%d MiB on disk)%n",
            hits, misses, found, worst / 1e6, Files.size(file) >> 20, diskKiB(file) >> 10);
        map.close();
    }

    private static long diskKiB(final Path file) throws Exception
    {
        final Process du = new ProcessBuilder("du", "-k", file.toString()).start();
        final String out = new String(du.getInputStream().readAllBytes()).trim();
        du.waitFor();
        return Long.parseLong(out.split("\\s+")[0]);
    }
}
