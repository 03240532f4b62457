package org.trackerd.io.robust;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.BencodeTestDecoder;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.e2e.TrackerProcess;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child tracker is stopped inside a change of its map's structure (the insert of a new torrent's page, its
 * segment locked, the in-flight file saying "structural, this segment": the test hook
 * {@code trackerd.test.pauseInsideStructuralChange}) and killed there with SIGKILL. The next start recovers that
 * segment alone (no shard by Chronicle's recovery), counts the shard at its opening with no scan, starts with
 * exactly the acknowledged torrents, answers every one of them by scrape, and takes the interrupted torrent's
 * announce again at once (no lock left held).
 */
@Timeout(120)
class StructuralKillTest
{
    private static final int PAUSE_AT = 40;

    @TempDir
    Path dir;

    private TrackerProcess child;

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
        return Announce.hash("structural-kill-" + t);
    }

    @Test
    void aKillInsideAnInsertRecoversItsSegmentAloneAndCountsExactly() throws Exception
    {
        final Path config = new TrackerHarness(dir).writeConfig();
        final List<String> flags = new ArrayList<>(TrackerProcess.JVM_FLAGS);
        flags.add("-Dtrackerd.test.pauseInsideStructuralChange=" + PAUSE_AT);
        child = TrackerProcess.start(config, dir, flags);
        final int port = child.awaitReady(60, TimeUnit.SECONDS);
        final AtomicInteger acknowledged = new AtomicInteger();
        final Thread announcer = new Thread(() ->
        {
            try (RawHttpClient client = new RawHttpClient(port))
            {
                for (int t = 0; t < PAUSE_AT + 10; t++)
                {
                    final RawHttpClient.Response r = client.exchange(
                        Announce.leecher(hash(t), Announce.peerId(t), 1000 + t).event("started").target());
                    if (r.status == 200 && !r.bencoded().containsKey("failure reason"))
                    {
                        acknowledged.incrementAndGet();
                    }
                }
            }
            catch (final IOException stuckOrKilled)
            {
                // the announce in flight at the pause is never answered
            }
        }, "announcer");
        announcer.start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!child.log().contains("paused inside structural change") && System.nanoTime() < deadline)
        {
            Thread.sleep(10);
        }
        assertTrue(child.log().contains("paused inside structural change " + PAUSE_AT), child::log);
        child.kill9(15, TimeUnit.SECONDS);
        announcer.join(15_000);
        final int acked = acknowledged.get();
        assertEquals(PAUSE_AT - 1, acked, "one insert per new torrent: the torrent of the paused one is not acknowledged");

        child = TrackerProcess.start(config, dir);
        final int again = child.awaitReady(60, TimeUnit.SECONDS);
        final String log = child.log();
        assertTrue(log.contains("recovered segment") && log.contains("alone"), () -> "segment recovery; log:\n" + log);
        assertFalse(log.contains("cannot be recovered alone"), () -> log);
        assertTrue(log.contains("counted at the opening"), () -> "the shard counted at the opening; log:\n" + log);
        assertTrue(log.contains("(0 of 16 shards scanned"), () -> "no shard scanned; log:\n" + log);
        final long[] counts = child.readyCounts();
        assertEquals(acked, counts[0], "torrents at start");
        assertEquals(acked, counts[1], "peers at start");
        for (int t = 0; t < acked; t++)
        {
            assertEquals(1, incomplete(again, t), "acknowledged torrent " + t);
        }
        assertEquals(0, incomplete(again, acked), "the torrent whose insert was interrupted");
        try (RawHttpClient client = new RawHttpClient(again))
        {
            final RawHttpClient.Response r = client.exchange(
                Announce.leecher(hash(acked), Announce.peerId(acked), 1000 + acked).event("started").target());
            assertEquals(200, r.status);
            assertFalse(r.bencoded().containsKey("failure reason"));
        }
        assertEquals(1, incomplete(again, acked));
    }

    @SuppressWarnings("unchecked")
    private static long incomplete(final int port, final int t) throws IOException
    {
        final Map<String, Object> files = (Map<String, Object>)TrackerHarness.get(port,
            Announce.scrapeTarget(hash(t))).get("files");
        final Map<String, Object> entry = files == null ? null : (Map<String, Object>)files.get(
            BencodeTestDecoder.latin1(hash(t)));
        return entry == null ? 0 : ((Number)entry.get("incomplete")).longValue();
    }
}
