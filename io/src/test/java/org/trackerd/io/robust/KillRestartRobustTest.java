package org.trackerd.io.robust;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.e2e.TrackerProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
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
 * A child tracker is killed with SIGKILL at a seeded random moment under load, three times, then stopped with
 * SIGTERM under load. After every restart each peer whose announce was acknowledged before the stop is in its
 * swarm (it comes back in an announce's peer list), and scrape counts lie between what was acknowledged and what
 * was attempted. SIGTERM ends with exit 0 and the clean-shutdown marker. Half the peers go to swarms of a few
 * peers each (three, and the verifier: compact pages, changed by a replace per new peer), the other half to eight
 * swarms that grow past a page.
 */
@Timeout(120)
class KillRestartRobustTest
{
    private static final long SEED = Long.getLong("trackerd.kill.seed", 0x6b111L);
    /** SIGKILL cycles before the final SIGTERM; scripts/soak-robust.sh raises it. */
    private static final int KILLS = Integer.getInteger("trackerd.kill.cycles", 3);
    private static final int HASHES = 8;
    private static final int LOADERS = 2;
    private static final int MAX_ANNOUNCES_PER_LOADER = Math.min(150, 3000 / (KILLS + 1));
    private static final int VERIFIER_PORT = 1;
    /** Swarms of three peers (and the verifier) are numbered from here: compact pages all their life. */
    private static final int SMALL_HASHES_FROM = 1000;

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

    /** Acknowledged peers: hash index -> ports; attempted ones likewise (a superset). */
    private final Map<Integer, Set<Integer>> acknowledged = new ConcurrentHashMap<>();
    private final Map<Integer, Set<Integer>> attempted = new ConcurrentHashMap<>();
    private final AtomicInteger nextPeer = new AtomicInteger(10);

    private static byte[] hash(final int h)
    {
        return Announce.hash("kill-restart-" + h);
    }

    @Test
    void acknowledgedPeersSurviveKillNineAndSigtermUnderLoad() throws Exception
    {
        final TrackerHarness config = new TrackerHarness(dir).set("tracker", "max_numwant", "1000");
        final Path configFile = config.writeConfig();
        final Random random = new Random(SEED);
        for (int cycle = 0; cycle <= KILLS; cycle++)
        {
            child = TrackerProcess.start(configFile, dir);
            final int port = child.awaitReady(60, TimeUnit.SECONDS);
            final long[] expected = verify(port);
            checkStart(child, expected);
            final AtomicBoolean running = new AtomicBoolean(true);
            final Thread[] loaders = new Thread[LOADERS];
            for (int l = 0; l < LOADERS; l++)
            {
                loaders[l] = new Thread(() -> load(port, running), "loader-" + l);
                loaders[l].start();
            }
            Thread.sleep(200 + random.nextInt(600));
            final boolean last = cycle == KILLS;
            if (last)
            {
                final int exit = child.terminate(30, TimeUnit.SECONDS);
                assertEquals(0, exit, () -> "exit after SIGTERM under load; log:\n" + child.log());
                assertTrue(Files.exists(config.storagePath().resolve("clean-shutdown")),
                    () -> "SIGTERM marks the store clean; log:\n" + child.log());
            }
            else
            {
                child.kill9(15, TimeUnit.SECONDS);
            }
            running.set(false);
            for (final Thread t : loaders)
            {
                t.join(15_000);
            }
        }
        // The last check in this JVM: a child start costs a JVM boot, and the store is the same.
        try (TrackerHarness restarted = config.start())
        {
            verify(restarted.port()); // (its counts are checked at the child starts: this start logs elsewhere)
        }
        final int total = acknowledged.values().stream().mapToInt(Set::size).sum();
        System.out.println("KillRestartRobustTest: " + total + " acknowledged peers verified after " + KILLS +
            " kills and a SIGTERM");
        assertTrue(total > 50, "the load actually ran: " + total);
        assertTrue(total <= 1000 * HASHES, "numwant 1000 sees every peer of a swarm");
        final long small = acknowledged.keySet().stream().filter(h -> h >= SMALL_HASHES_FROM).count();
        assertTrue(small > 10, "small swarms (compact pages) were written: " + small);
    }

    /** Announces new leechers on one keep-alive connection until stopped, the tracker dies, or the cap. */
    private void load(final int port, final AtomicBoolean running)
    {
        try (RawHttpClient client = new RawHttpClient(port))
        {
            for (int i = 0; i < MAX_ANNOUNCES_PER_LOADER && running.get(); i++)
            {
                final int peer = nextPeer.getAndIncrement();
                // Odd peers: three to a small swarm (peers 6s+1, 6s+3, 6s+5); even ones: the eight big swarms.
                final int h = peer % 2 == 1 ? SMALL_HASHES_FROM + peer / 6 : peer / 2 % HASHES;
                attempted.computeIfAbsent(h, k -> ConcurrentHashMap.newKeySet()).add(peer);
                final RawHttpClient.Response r = client.exchange(
                    Announce.leecher(hash(h), Announce.peerId(peer), peer).event("started").target());
                if (r.status == 200 && !r.bencoded().containsKey("failure reason"))
                {
                    acknowledged.computeIfAbsent(h, k -> ConcurrentHashMap.newKeySet()).add(peer);
                }
            }
        }
        catch (final IOException killed)
        {
            // the tracker went away under us: the answer in flight was never acknowledged
        }
    }

    /**
     * The start's counts (its {@code ready:} line) are exactly what the store held, whatever the kill interrupted
     * (an insert, a growth step, a sweep: the in-flight file's plan); and no segment a kill left mid-change had to
     * be handed to Chronicle's recovery of its whole shard.
     */
    private static void checkStart(final TrackerProcess started, final long[] expected)
    {
        final String log = started.log();
        final long[] counts = started.readyCounts();
        assertEquals(expected[0], counts[0], () -> "torrents at start; log:\n" + log);
        assertEquals(expected[1], counts[1], () -> "peers at start; log:\n" + log);
        assertTrue(!log.contains("cannot be recovered alone"), () -> "segment recovery refused; log:\n" + log);
        if (log.contains("recovered segment"))
        {
            System.out.println("KillRestartRobustTest: a start recovered the segment a kill left mid-change");
        }
    }

    /** Hashes the verifier announced to: its peer is in their swarms from then on. */
    private final Set<Integer> verified = new HashSet<>();

    /**
     * Checks every swarm; returns the torrents and peers the store held before this check's own announces (the
     * peers found, and the verifier's peer in the swarms it announced to before).
     */
    private long[] verify(final int port) throws IOException
    {
        long torrents = 0;
        long peers = 0;
        final Set<Integer> hashes = new java.util.TreeSet<>(attempted.keySet());
        for (int h = 0; h < HASHES; h++)
        {
            hashes.add(h);
        }
        for (final int h : hashes)
        {
            final Set<Integer> acked = acknowledged.getOrDefault(h, Set.of());
            final Set<Integer> tried = attempted.getOrDefault(h, Set.of());
            final Map<String, Object> r = TrackerHarness.get(port,
                Announce.leecher(hash(h), Announce.peerId(1), VERIFIER_PORT).numWant(1000).target());
            final Set<Integer> present = new HashSet<>(Announce.compactPorts(r));
            present.remove(VERIFIER_PORT);
            final boolean verifierThere = !verified.add(h);
            peers += present.size() + (verifierThere ? 1 : 0);
            torrents += present.isEmpty() && !verifierThere ? 0 : 1;
            for (final int peer : acked)
            {
                assertTrue(present.contains(peer), "acknowledged peer " + peer + " of hash " + h + " lost; present " +
                    present.size() + ", acknowledged " + acked.size());
            }
            assertTrue(tried.containsAll(present), "only attempted peers are present");
            final Map<String, Object> scrape = TrackerHarness.scrape(port, hash(h));
            final long incomplete = ((Number)scrape.get("incomplete")).longValue() - 1; // minus the verifier
            assertTrue(incomplete >= acked.size() && incomplete <= tried.size(),
                "scrape of hash " + h + ": " + incomplete + " leechers, acknowledged " + acked.size() + ", attempted " +
                    tried.size());
            assertEquals(present.size(), incomplete, "scrape agrees with the peer list");
        }
        return new long[] { torrents, peers };
    }
}
