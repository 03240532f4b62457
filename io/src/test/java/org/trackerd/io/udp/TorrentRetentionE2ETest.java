package org.trackerd.io.udp;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.TrackerHarness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.e2e.Announce.hash;
import static org.trackerd.io.e2e.Announce.leecher;
import static org.trackerd.io.e2e.Announce.peerId;
import static org.trackerd.io.e2e.Announce.seeder;

/**
 * Torrents outlive their swarms ({@code tracker.torrent_retention_seconds}), over real sockets: right after the last
 * peer stops, an HTTP and a UDP scrape report complete 0, incomplete 0, downloaded N; the count survives a clean
 * restart; with a short retention the expiry sweep forgets the torrent once that long has passed without an
 * announce, and not before.
 */
@Timeout(120)
class TorrentRetentionE2ETest
{
    private static final byte[] KEPT = hash("retention-kept");
    private static final byte[] SHORT = hash("retention-short");
    private static final int SHORT_RETENTION_SECONDS = 3;

    @TempDir
    Path dir;

    private TrackerHarness harness;

    @AfterEach
    void stop()
    {
        if (harness != null)
        {
            harness.close();
        }
    }

    @Test
    void theDownloadedCountOutlivesTheSwarmForTheRetention() throws IOException
    {
        harness = new TrackerHarness(dir)
            .set("udp", "listen", "[\"127.0.0.1:0\"]")
            .set("tracker", "torrent_retention_seconds", "3600")
            .set("engine", "expiry_sweep_seconds", "1")
            .start();

        // Two completions, then every peer leaves.
        harness.announce(leecher(KEPT, peerId(1), 7001).event("started"));
        harness.announce(seeder(KEPT, peerId(1), 7001).event("completed"));
        harness.announce(seeder(KEPT, peerId(2), 7002).event("completed"));
        harness.announce(leecher(KEPT, peerId(3), 7003).event("started"));
        harness.announce(seeder(KEPT, peerId(1), 7001).event("stopped"));
        harness.announce(leecher(KEPT, peerId(3), 7003).event("stopped"));
        assertCounts(harness.announce(seeder(KEPT, peerId(2), 7002).event("stopped")), 0, 0, 2);
        assertCounts(harness.scrape(KEPT), 0, 0, 2);
        assertUdpScrape(KEPT, 0, 0, 2);

        // Kept in the store: a clean restart brings it back.
        harness.restart();
        assertCounts(harness.scrape(KEPT), 0, 0, 2);
        assertUdpScrape(KEPT, 0, 0, 2);

        // A short retention: a torrent that empties now is kept that long, then forgotten by the sweep; KEPT, last
        // announced longer ago than that by then, goes too.
        harness.set("tracker", "torrent_retention_seconds", Integer.toString(SHORT_RETENTION_SECONDS)).restart();
        harness.announce(seeder(SHORT, peerId(4), 7004).event("completed"));
        final long stoppedAtNs = System.nanoTime();
        assertCounts(harness.announce(seeder(SHORT, peerId(4), 7004).event("stopped")), 0, 0, 1);
        assertUdpScrape(SHORT, 0, 0, 1);
        awaitForgotten(SHORT);
        final long keptForMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAtNs);
        // Times are whole seconds: forgotten no earlier than retention - 1 s after the stop.
        assertTrue(keptForMs >= (SHORT_RETENTION_SECONDS - 1) * 1000L, "forgotten after only " + keptForMs + " ms");
        assertCounts(harness.scrape(KEPT), 0, 0, 0);
        assertUdpScrape(SHORT, 0, 0, 0);
        assertUdpScrape(KEPT, 0, 0, 0);
    }

    /**
     * Waits, bounded, for the sweep to forget the torrent: each round is one real scrape over HTTP; until it is
     * forgotten the scrape must still say downloaded 1.
     */
    private void awaitForgotten(final byte[] infoHash) throws IOException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(SHORT_RETENTION_SECONDS + 30);
        while (System.nanoTime() < deadlineNs)
        {
            final Map<String, Object> entry = harness.scrape(infoHash);
            if (entry.get("downloaded").equals(0L))
            {
                assertCounts(entry, 0, 0, 0);
                return;
            }
            assertCounts(entry, 0, 0, 1);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        throw new AssertionError("the torrent was not forgotten within the retention and 30 s of sweeps");
    }

    private void assertUdpScrape(final byte[] infoHash, final int seeders, final int leechers, final int completed)
        throws IOException
    {
        final InetSocketAddress udp = harness.tracker().udpAddresses().get(0);
        try (UdpTrackerE2ETest.Client client = new UdpTrackerE2ETest.Client(udp))
        {
            final ScrapeResponseFlyweight s = client.scrape(client.connect(), infoHash);
            assertEquals(seeders, s.seeders(0), "UDP seeders");
            assertEquals(completed, s.completed(0), "UDP completed");
            assertEquals(leechers, s.leechers(0), "UDP leechers");
        }
    }

    private static void assertCounts(final Map<String, Object> m, final long complete, final long incomplete,
        final long downloaded)
    {
        assertNull(m.get("failure reason"), () -> "unexpected failure: " + m);
        assertEquals(complete, m.get("complete"), () -> "complete in " + m);
        assertEquals(incomplete, m.get("incomplete"), () -> "incomplete in " + m);
        assertEquals(downloaded, m.get("downloaded"), () -> "downloaded in " + m);
    }
}
