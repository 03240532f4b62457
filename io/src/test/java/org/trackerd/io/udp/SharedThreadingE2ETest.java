package org.trackerd.io.udp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.trackerd.engine.config.ConfigException;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.e2e.TrackerHarness;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.e2e.Announce.hash;
import static org.trackerd.io.e2e.Announce.leecher;
import static org.trackerd.io.e2e.Announce.peerId;
import static org.trackerd.io.e2e.Announce.seeder;

/**
 * {@code engine.threading = shared}: the whole tracker (HTTP and UDP frontends, swarm processor, clock tick) on one
 * thread. Boots it on loopback and checks it serves both protocols, expires peers on time without a ticker thread,
 * sleeps when idle, and stops cleanly.
 */
class SharedThreadingE2ETest
{
    private static final String SHARED_THREAD = "trackerd-shared";
    private static final int EVENT_STARTED = 2;

    @TempDir
    Path dir;

    private TrackerHarness sharedTracker(final Path directory, final String frontendIdle)
    {
        return new TrackerHarness(directory)
            .set("udp", "listen", "[\"127.0.0.1:0\"]")
            .set("tracker", "announce_interval_seconds", "1")
            .set("tracker", "min_announce_interval_seconds", "1")
            .set("tracker", "peer_lifetime_seconds", "2")
            .set("engine", "threading", "\"shared\"")
            .set("engine", "frontend_idle", "\"" + frontendIdle + "\"")
            .set("engine", "expiry_tick_ms", "20")
            .set("engine", "expiry_sweep_seconds", "1");
    }

    private static List<String> trackerThreads()
    {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
            .filter(n -> n.startsWith("trackerd-http") || n.startsWith("trackerd-udp") ||
                n.startsWith("trackerd-swarm") || n.startsWith("trackerd-ticker") || n.startsWith(SHARED_THREAD))
            .sorted().collect(Collectors.toList());
    }

    @ParameterizedTest
    @ValueSource(strings = { "block", "yield" })
    @Timeout(60)
    void oneThreadServesHttpAndUdpExpiresAndStops(final String frontendIdle) throws Exception
    {
        final TrackerHarness harness = sharedTracker(dir.resolve(frontendIdle), frontendIdle).start();
        final InetSocketAddress udp;
        final int httpPort;
        try
        {
            assertEquals(List.of(SHARED_THREAD), trackerThreads(), "one thread runs frontends and processor");
            udp = harness.tracker().udpAddresses().get(0);
            httpPort = harness.port();
            final byte[] h = hash("shared-" + frontendIdle);

            // HTTP announce and scrape
            harness.announce(seeder(h, peerId(1), 7001));
            final Map<String, Object> answer = harness.announce(leecher(h, peerId(2), 7002));
            assertEquals(1L, answer.get("complete"));
            assertEquals(1L, answer.get("incomplete"));
            Map<String, Object> scrape = harness.scrape(h);
            assertEquals(1L, scrape.get("complete"));
            assertEquals(1L, scrape.get("incomplete"));

            // UDP connect and announce into the same swarm, several round trips (each waits for its answer)
            try (UdpTrackerE2ETest.Client client = new UdpTrackerE2ETest.Client(udp))
            {
                final long connectionId = client.connect();
                for (int round = 0; round < 20; round++)
                {
                    final AnnounceResponseFlyweight a = client.announce(connectionId, h,
                        "-UD0001-000000000003".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 7003, 1000,
                        round == 0 ? EVENT_STARTED : 0, null);
                    assertEquals(1, a.seeders());
                    assertEquals(2, a.leechers());
                    assertTrue(client.peers().contains("127.0.0.1:7001"), () -> "peers: " + safePeers(client));
                }
            }
            scrape = harness.scrape(h);
            assertEquals(1L, scrape.get("complete"));
            assertEquals(2L, scrape.get("incomplete"));

            // Nobody re-announces: after the 2 s lifetime the duty cycle's own ticks expire every peer.
            final long deadlineMs = System.currentTimeMillis() + 15_000;
            while (true)
            {
                scrape = harness.scrape(h);
                if (Long.valueOf(0).equals(scrape.get("complete")) && Long.valueOf(0).equals(scrape.get("incomplete")))
                {
                    break;
                }
                final Map<String, Object> last = scrape;
                assertTrue(System.currentTimeMillis() < deadlineMs, () -> "peers never expired: " + last);
                Thread.sleep(100);
            }
            assertTrue(harness.tracker().engine().processedSequence() > 0);
        }
        finally
        {
            final long startNs = System.nanoTime();
            harness.close();
            assertTrue(System.nanoTime() - startNs < 5_000_000_000L, "stop took too long");
        }
        assertEquals(List.of(), trackerThreads(), "the shared thread ended");
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", httpPort).close());
    }

    private static String safePeers(final UdpTrackerE2ETest.Client client)
    {
        try
        {
            return client.peers().toString();
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }

    @Test
    @Timeout(60)
    void idleSharedThreadSleepsInSelect() throws Exception
    {
        try (TrackerHarness harness = sharedTracker(dir.resolve("idle"), "block").start())
        {
            harness.announce(seeder(hash("idle"), peerId(1), 7001));
            final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            final Thread shared = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(SHARED_THREAD)).findFirst().orElseThrow();
            final long beforeNs = mx.getThreadCpuTime(shared.getId());
            Thread.sleep(1000);
            final long usedNs = mx.getThreadCpuTime(shared.getId()) - beforeNs;
            // Ticks every 20 ms and a select() between them: a few ms of CPU, not a spinning core.
            assertTrue(usedNs < 200_000_000L, () -> "idle shared thread used " + usedNs / 1_000_000 + " ms of CPU in 1 s");
        }
    }

    @Test
    void sharedThreadingRejectsSeveralFrontendThreads()
    {
        final ConfigException udp = assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"udp\":{\"threads\":2},\"engine\":{\"threading\":\"shared\"}}"));
        assertTrue(udp.getMessage().contains("'udp.threads'"), udp.getMessage());
        final ConfigException http = assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"http\":{\"threads\":4},\"engine\":{\"threading\":\"shared\"}}"));
        assertTrue(http.getMessage().contains("'http.threads'"), http.getMessage());
        final ConfigException unknown = assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"engine\":{\"threading\":\"pooled\"}}"));
        assertTrue(unknown.getMessage().contains("engine.threading"), unknown.getMessage());
        // auto (the default): one thread when nothing asks for more, else a thread per frontend and processor
        assertTrue(TrackerConfig.parse("{}").engine.isShared());
        assertFalse(TrackerConfig.parse("{\"http\":{\"threads\":2}}").engine.isShared());
        assertFalse(TrackerConfig.parse("{\"engine\":{\"wait_strategy\":\"busy_spin\"}}").engine.isShared());
        assertFalse(TrackerConfig.parse("{\"engine\":{\"threading\":\"dedicated\"}}").engine.isShared());
    }

    /** The other mode, now that most end-to-end tests run on the default (shared) one. */
    @Test
    @Timeout(60)
    void dedicatedThreadsServeHttpAndUdpAndStop() throws Exception
    {
        final TrackerHarness harness = new TrackerHarness(dir.resolve("dedicated"))
            .set("udp", "listen", "[\"127.0.0.1:0\"]")
            .set("engine", "threading", "\"dedicated\"").start();
        try
        {
            final List<String> threads = trackerThreads();
            assertTrue(threads.stream().anyMatch(n -> n.startsWith("trackerd-swarm")), threads::toString);
            assertTrue(threads.stream().anyMatch(n -> n.startsWith("trackerd-udp")), threads::toString);
            assertTrue(threads.stream().noneMatch(n -> n.startsWith(SHARED_THREAD)), threads::toString);
            final byte[] h = hash("dedicated");
            harness.announce(seeder(h, peerId(1), 7101));
            try (UdpTrackerE2ETest.Client client = new UdpTrackerE2ETest.Client(harness.tracker().udpAddresses().get(0)))
            {
                final long connectionId = client.connect();
                final AnnounceResponseFlyweight a = client.announce(connectionId, h,
                    "-UD0001-000000000009".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 7102, 1000,
                    EVENT_STARTED, null);
                assertEquals(1, a.seeders());
                assertEquals(1, a.leechers());
                assertTrue(client.peers().contains("127.0.0.1:7101"), () -> "peers: " + safePeers(client));
            }
            assertEquals(1L, harness.scrape(h).get("incomplete"));
        }
        finally
        {
            harness.close();
        }
        assertTrue(trackerThreads().isEmpty(), () -> "threads left: " + trackerThreads());
    }
}
