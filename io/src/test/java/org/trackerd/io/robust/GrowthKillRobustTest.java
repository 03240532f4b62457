package org.trackerd.io.robust;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.BencodeTestDecoder;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.e2e.TrackerProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kill -9} while the store grows and while it is resized. A child tracker started with the smallest hint
 * (16 torrents, 16 peers: first tiers of 512 pages a shard) takes a new torrent with every announce, so its shards
 * chain extra tiers all the time, and is killed at seeded random moments; between kills the hint changes, so a
 * start copies the store into resized files, and one start is killed as soon as its copy began (the
 * {@code resizing} marker appears). Every acknowledged announce must be found after each restart.
 */
class GrowthKillRobustTest
{
    private static final long SEED = Long.getLong("trackerd.kill.seed", 0x6709L);
    private static final int LOADERS = 2;
    private static final int MAX_ANNOUNCES_PER_LOADER = 20_000;
    /** Past this many torrents every shard chains extra tiers (first tiers of 512 pages, 16 shards). */
    private static final int GROWN = 12_000;

    @TempDir
    Path dir;

    private TrackerProcess child;
    /** Torrent numbers whose announce was acknowledged (one leecher each), and those attempted (a superset). */
    private final Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
    private final Set<Integer> attempted = ConcurrentHashMap.newKeySet();
    private final AtomicInteger nextTorrent = new AtomicInteger();
    /** The shard files' bytes at the first start: their first tiers. */
    private long createdBytes;

    @AfterEach
    void stop() throws InterruptedException
    {
        if (child != null)
        {
            child.close();
        }
    }

    private static byte[] hash(final int t)
    {
        return Announce.hash("growth-kill-" + t);
    }

    @Test
    void acknowledgedTorrentsSurviveKillsMidGrowthAndMidResize() throws Exception
    {
        final Path tiny = config("16", "16", "tiny.json");
        final Path large = config("200000", "400000", "large.json");
        final Path store = new TrackerHarness(dir).storagePath();
        final Random random = new Random(SEED);
        // Growth from the smallest files: killed once the shards chain extra tiers, and again under load.
        loadAndKill(tiny, random, GROWN + random.nextInt(3000));
        final long grownBytes = shardBytes(store);
        loadAndKill(tiny, random, 0);
        assertTrue(grownBytes > createdBytes * 3 / 2, "the files grew past their first tiers: " + createdBytes +
            " -> " + grownBytes + " bytes");
        // A start with other limits copies the store into resized files: killed inside the copy.
        child = TrackerProcess.start(large, dir);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(store.resolve("resizing")) && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertTrue(Files.exists(store.resolve("resizing")), () -> "the resize never started; " + describe(store) +
            "; log:\n" + child.log());
        child.kill9(15, TimeUnit.SECONDS);
        // The next start recovers, copies again, and serves; loaded and killed once more, then back to the tiny
        // hint (a resize down) and a clean stop.
        loadAndKill(large, random, 0);
        child = TrackerProcess.start(tiny, dir);
        final int port = child.awaitReady(60, TimeUnit.SECONDS);
        verify(port);
        assertEquals(0, child.terminate(30, TimeUnit.SECONDS), child::log);
        System.out.println("GrowthKillRobustTest: " + acknowledged.size() + " acknowledged torrents verified after " +
            "3 kills under growth, 1 kill mid-resize and 2 resizes");
        assertTrue(acknowledged.size() > GROWN, "acknowledged: " + acknowledged.size());
    }

    /** Starts a child, checks every acknowledged torrent, loads it with new torrents and kills it at random. */
    private void loadAndKill(final Path config, final Random random, final int atLeast) throws Exception
    {
        child = TrackerProcess.start(config, dir);
        final int port = child.awaitReady(60, TimeUnit.SECONDS);
        if (createdBytes == 0)
        {
            createdBytes = shardBytes(new TrackerHarness(dir).storagePath());
        }
        checkStart(port, child);
        verify(port);
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<Thread> loaders = new ArrayList<>();
        for (int l = 0; l < LOADERS; l++)
        {
            final Thread t = new Thread(() -> load(port, running), "loader-" + l);
            t.start();
            loaders.add(t);
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (acknowledged.size() < atLeast && System.nanoTime() < deadline && loaders.get(0).isAlive())
        {
            Thread.sleep(20);
        }
        assertTrue(acknowledged.size() >= atLeast, () -> acknowledged.size() + " acknowledged; log:\n" + child.log());
        Thread.sleep(200 + random.nextInt(800));
        child.kill9(15, TimeUnit.SECONDS);
        running.set(false);
        for (final Thread t : loaders)
        {
            t.join(15_000);
        }
    }

    private static String describe(final Path store)
    {
        try (var files = Files.list(store))
        {
            return files.map(f -> f.getFileName().toString()).sorted().toList() + ", store-size " +
                Files.readString(store.resolve("store-size")).trim();
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }

    private static long shardBytes(final Path store) throws IOException
    {
        long bytes = 0;
        for (int s = 0; s < 16; s++)
        {
            bytes += Files.size(store.resolve(String.format("swarms-%02d.dat", s)));
        }
        return bytes;
    }

    private Path config(final String maxTorrents, final String maxPeers, final String name) throws IOException
    {
        final Path written = new TrackerHarness(dir)
            .set("storage", "max_torrents", maxTorrents)
            .set("storage", "max_peers", maxPeers)
            // 16 MiB: a sixteenth of it is below the smallest first tier, so the tiny hint gets 512 pages a shard.
            .set("storage", "max_bytes", String.valueOf(16L << 20))
            .writeConfig();
        final Path file = dir.resolve(name);
        Files.copy(written, file, StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    /** One new torrent per announce, on one keep-alive connection, until stopped, the tracker dies, or the cap. */
    private void load(final int port, final AtomicBoolean running)
    {
        try (RawHttpClient client = new RawHttpClient(port))
        {
            for (int i = 0; i < MAX_ANNOUNCES_PER_LOADER && running.get(); i++)
            {
                final int t = nextTorrent.getAndIncrement();
                attempted.add(t);
                final RawHttpClient.Response r = client.exchange(
                    Announce.leecher(hash(t), Announce.peerId(t % 100_000), 1 + t % 60_000).event("started").target());
                if (r.status == 200 && !r.bencoded().containsKey("failure reason"))
                {
                    acknowledged.add(t);
                }
            }
        }
        catch (final IOException killed)
        {
            // the tracker went away under us: the answer in flight was never acknowledged
        }
    }

    /**
     * The start's counts ({@code ready:} line) are exactly the torrents found (each with its one leecher), whatever
     * the kill interrupted (an insert, a growth step: the in-flight file's plan), and no segment a kill left
     * mid-change had to be handed to Chronicle's recovery of its whole shard.
     */
    @SuppressWarnings("unchecked")
    private void checkStart(final int port, final TrackerProcess started) throws IOException
    {
        final String log = started.log();
        final long[] counts = started.readyCounts();
        final List<Integer> tried = new ArrayList<>(attempted);
        long present = 0;
        for (int from = 0; from < tried.size(); from += 74)
        {
            final List<Integer> batch = tried.subList(from, Math.min(tried.size(), from + 74));
            final byte[][] hashes = new byte[batch.size()][];
            for (int i = 0; i < hashes.length; i++)
            {
                hashes[i] = hash(batch.get(i));
            }
            final Map<String, Object> files = (Map<String, Object>)TrackerHarness.get(port,
                Announce.scrapeTarget(hashes)).get("files");
            for (int i = 0; files != null && i < hashes.length; i++)
            {
                final Map<String, Object> entry = (Map<String, Object>)files.get(BencodeTestDecoder.latin1(hashes[i]));
                present += entry == null ? 0 : ((Number)entry.get("incomplete")).longValue();
            }
        }
        final long found = present;
        assertEquals(found, counts[0], () -> "torrents at start; log:\n" + log);
        assertEquals(found, counts[1], () -> "peers at start; log:\n" + log);
        assertTrue(!log.contains("cannot be recovered alone"), () -> "segment recovery refused; log:\n" + log);
        if (log.contains("recovered segment"))
        {
            System.out.println("GrowthKillRobustTest: a start recovered the segment a kill left mid-change");
        }
    }

    /** Every acknowledged torrent has its leecher; scraped 74 at a time. */
    @SuppressWarnings("unchecked")
    private void verify(final int port) throws IOException
    {
        final List<Integer> acked = new ArrayList<>(acknowledged);
        for (int from = 0; from < acked.size(); from += 74)
        {
            final List<Integer> batch = acked.subList(from, Math.min(acked.size(), from + 74));
            final byte[][] hashes = new byte[batch.size()][];
            for (int i = 0; i < hashes.length; i++)
            {
                hashes[i] = hash(batch.get(i));
            }
            final Map<String, Object> response = TrackerHarness.get(port, Announce.scrapeTarget(hashes));
            final Map<String, Object> files = (Map<String, Object>)response.get("files");
            for (int i = 0; i < hashes.length; i++)
            {
                final Map<String, Object> entry = files == null ? null :
                    (Map<String, Object>)files.get(BencodeTestDecoder.latin1(hashes[i]));
                final long incomplete = entry == null ? 0 : ((Number)entry.get("incomplete")).longValue();
                assertEquals(1, incomplete, "acknowledged torrent " + batch.get(i) + " lost (" + acked.size() +
                    " acknowledged, " + attempted.size() + " attempted)");
            }
        }
    }
}
