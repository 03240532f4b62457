package org.trackerd.io.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.e2e.Announce.compactPorts;
import static org.trackerd.io.e2e.Announce.hash;
import static org.trackerd.io.e2e.Announce.leecher;
import static org.trackerd.io.e2e.Announce.peerId;
import static org.trackerd.io.e2e.Announce.seeder;
import static org.trackerd.io.e2e.HttpTrackerE2ETest.assertCounts;

/**
 * Swarm state survives a restart: a clean {@code close()}, a {@code kill -9} of a child process, and a SIGTERM
 * that must end in exit code 0 and the clean-shutdown marker.
 */
@Timeout(120)
class RestartE2ETest
{
    private static final byte[] A = hash("restart-A");
    private static final byte[] B = hash("restart-B");
    private static final String MARKER = "clean-shutdown";

    @TempDir
    Path dir;

    private TrackerHarness harness;
    private TrackerProcess child;

    @AfterEach
    void stop() throws InterruptedException
    {
        if (child != null)
        {
            child.close();
        }
        if (harness != null)
        {
            harness.close();
        }
    }

    /** Something that answers one request with a decoded dictionary: a tracker in this JVM or a child. */
    @FunctionalInterface
    interface Endpoint
    {
        Map<String, Object> get(String target) throws IOException;
    }

    /**
     * Announces the scenario; every announce is acknowledged (answered without failure) before it counts.
     * A: seeder 7001, leecher 7002 that completes, leechers 7003 and 7004 -> 2 complete, 2 incomplete, 1 download.
     * B: leechers 7101, 7102, seeder 7103, and 7104 that joins then stops -> 1 complete, 2 incomplete.
     */
    static void populate(final Endpoint tracker) throws IOException
    {
        acknowledged(tracker.get(seeder(A, peerId(1), 7001).event("started").target()));
        acknowledged(tracker.get(leecher(A, peerId(2), 7002).event("started").key("0000a002").target()));
        acknowledged(tracker.get(leecher(A, peerId(3), 7003).event("started").target()));
        acknowledged(tracker.get(leecher(A, peerId(4), 7004).event("started").target()));
        assertCounts(tracker.get(seeder(A, peerId(2), 7002).event("completed").key("0000a002").target()), 2, 2, 1);
        acknowledged(tracker.get(leecher(B, peerId(101), 7101).event("started").target()));
        acknowledged(tracker.get(leecher(B, peerId(102), 7102).event("started").target()));
        acknowledged(tracker.get(seeder(B, peerId(103), 7103).event("started").target()));
        acknowledged(tracker.get(leecher(B, peerId(104), 7104).event("started").target()));
        assertCounts(tracker.get(leecher(B, peerId(104), 7104).event("stopped").target()), 1, 2, 0);
    }

    /** Checks the scenario's state, then that the restored store takes writes on both torrents. */
    static void verify(final TrackerHarness tracker) throws IOException
    {
        assertCounts(tracker.scrape(A), 2, 2, 1);
        assertCounts(tracker.scrape(B), 1, 2, 0);

        final Map<String, Object> a = tracker.announce(leecher(A, peerId(50), 7050).numWant(50));
        assertEquals(Set.of(7001, 7002, 7003, 7004), new HashSet<>(compactPorts(a)), "every peer of A came back");
        assertCounts(a, 2, 3, 1);
        final Map<String, Object> b = tracker.announce(leecher(B, peerId(51), 7051).numWant(50));
        assertEquals(Set.of(7101, 7102, 7103), new HashSet<>(compactPorts(b)),
            "every live peer of B came back, and the stopped one did not");
        assertCounts(b, 1, 3, 0);

        // The restored peers are the same peers: completed is not counted twice, seeders stay seeders.
        assertCounts(tracker.announce(seeder(A, peerId(2), 7002).event("completed").key("0000a002")), 2, 3, 1);
        assertEquals(Set.of(7003, 7004, 7050),
            new HashSet<>(compactPorts(tracker.announce(seeder(A, peerId(1), 7001)))), "a seeder gets leechers");
        // Restored peers can leave, and a new completion counts.
        assertCounts(tracker.announce(leecher(B, peerId(101), 7101).event("stopped")), 1, 2, 0);
        assertCounts(tracker.announce(seeder(B, peerId(102), 7102).event("completed")), 2, 1, 1);
        assertCounts(tracker.scrape(B), 2, 1, 1);
    }

    @Test
    void cleanRestartKeepsSwarms() throws IOException
    {
        harness = new TrackerHarness(dir).start();
        populate(harness::get);
        harness.close();
        assertTrue(Files.exists(harness.storagePath().resolve(MARKER)), "close() writes the clean-shutdown marker");

        harness.start();
        assertFalse(Files.exists(harness.storagePath().resolve(MARKER)), "the marker is removed while open");
        verify(harness);
    }

    @Test
    void killNineLosesNoAcknowledgedPeer() throws IOException, InterruptedException
    {
        harness = new TrackerHarness(dir);
        child = TrackerProcess.start(harness.writeConfig(), dir);
        final int port = child.awaitReady(60, TimeUnit.SECONDS);
        // A tracker process started with the project's JVM flags serves HTTP on the JDK's natives (bare descriptors).
        assertTrue(child.log().contains("http io: bare descriptors"), child::log);
        populate(target -> TrackerHarness.get(port, target));

        child.kill9(15, TimeUnit.SECONDS);
        assertFalse(Files.exists(harness.storagePath().resolve(MARKER)), "a killed process leaves no marker");

        harness.start();
        verify(harness);

        // The recovered store shuts down cleanly and opens again as it was.
        harness.restart();
        assertCounts(harness.scrape(A), 2, 3, 1);
        assertCounts(harness.scrape(B), 2, 1, 1);
    }

    @Test
    void sigtermExitsZeroAndMarksTheStoreClean() throws IOException, InterruptedException
    {
        harness = new TrackerHarness(dir);
        child = TrackerProcess.start(harness.writeConfig(), dir);
        final int port = child.awaitReady(60, TimeUnit.SECONDS);
        populate(target -> TrackerHarness.get(port, target));

        final int exit = child.terminate(15, TimeUnit.SECONDS);
        assertEquals(0, exit, () -> "exit code after SIGTERM; log:\n" + child.log());
        assertTrue(Files.exists(harness.storagePath().resolve(MARKER)),
            () -> "SIGTERM leaves the clean-shutdown marker; log:\n" + child.log());
        assertTrue(child.log().contains("shutting down") && child.log().contains("stopped"), () -> child.log());

        harness.start();
        verify(harness);
    }

    private static void acknowledged(final Map<String, Object> response)
    {
        assertFalse(response.containsKey("failure reason"), () -> "announce refused: " + response);
        assertTrue(response.containsKey("peers"), () -> "announce without peers: " + response);
    }
}
