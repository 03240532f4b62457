package org.trackerd.engine.swarm;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.EngineCounters;
import org.trackerd.engine.ResponseQueue;
import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives a {@link SwarmProcessor} directly on the test thread: no ring threads, responses read back from the
 * frontend's response queue after each request.
 */
class SwarmProcessorTest
{
    private static final String DEFAULT_TRACKER =
        "\"announce_interval_seconds\": 1800, \"min_announce_interval_seconds\": 900, \"peer_lifetime_seconds\": 2100";

    /** Torrents forgotten with their last peer, as before {@code tracker.torrent_retention_seconds}. */
    private static final String NO_RETENTION = "{\"tracker\": {\"torrent_retention_seconds\": 0}}";
    /** A peer lifetime of 1 s and a torrent retention of 60 s. */
    private static final String RETAINED = "{\"tracker\": {\"announce_interval_seconds\": 1, " +
        "\"min_announce_interval_seconds\": 1, \"peer_lifetime_seconds\": 1, \"torrent_retention_seconds\": 60}}";

    /** The byte budget of a test store when the test sets none. */
    static final long TEST_BUDGET = 64L << 20;

    @TempDir
    Path dir;

    private final List<Harness> harnesses = new ArrayList<>();
    /**
     * The processors' wall clock, shared by every harness (a reopen goes on from the time it stopped at): tests move
     * it past a peer lifetime instead of sleeping. It starts on a whole second, as announce times are kept in whole
     * seconds.
     */
    private final CachedEpochClock clock = new CachedEpochClock();

    {
        clock.update(1_800_000_000_000L);
    }

    @AfterEach
    void closeStores()
    {
        for (final Harness h : harnesses)
        {
            h.store.close();
        }
    }

    // ---------------------------------------------------------------- membership and counts

    @Test
    void aFaultAfterTheAnswerWasClaimedSendsAnErrorAnswerNotAHalfFilledOne()
    {
        final SwarmAccounting failing = new SwarmAccounting()
        {
            @Override
            public long downloaded(final byte[] infoHash, final int offset, final long swarmDownloaded)
            {
                return swarmDownloaded;
            }

            @Override
            public void announce(final RequestEvent e, final int seeders, final int leechers, final boolean completed,
                final long nowMs)
            {
                throw new IllegalStateException("injected fault after the claim");
            }

            @Override
            public void expired(final byte[] infoHash, final byte[] identity, final int peerIdOffset,
                final int addressOffset, final int seeders, final int leechers, final long nowMs)
            {
            }
        };
        final Harness h = new Harness(TrackerConfig.parse("{}"), dir.resolve("faulty"), failing);
        harnesses.add(h);
        peer(1, 1).left(500).fill(h.request);
        assertThrows(IllegalStateException.class, () -> h.processor.onEvent(h.request, h.sequence++, true));
        final ResponseEvent[] taken = new ResponseEvent[1];
        try
        {
            h.queue.poller().poll((event, seq, endOfBatch) ->
            {
                taken[0] = event;
                return true;
            });
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
        assertNotNull(taken[0], "the claimed slot must go out");
        assertEquals(Status.SERVER_ERROR, taken[0].status);
        assertEquals(h.request.correlationId, taken[0].correlationId);
        assertEquals(0, taken[0].peerCount);
    }

    @Test
    void newPeerIsCountedAsLeecher()
    {
        final Harness h = harness("{}");
        final Reply r = h.announce(peer(1, 1).left(500));
        assertEquals(Status.OK, r.status);
        assertEquals(0, r.complete);
        assertEquals(1, r.incomplete);
        assertEquals(0, r.peers.size());
        assertEquals(1800, r.interval);
        assertEquals(900, r.minInterval);
        assertEquals(1, h.processor.torrentCount());
        assertEquals(1, h.processor.peerCount());
        assertEquals(0, h.processor.seederCount());
        // Gauges are published on clock ticks, not per announce.
        h.tick();
        assertEquals(1, h.counters.leechersIpv4.get());
        assertEquals(0, h.counters.seedersIpv4.get());
        assertEquals(1, h.counters.torrents.get());
    }

    /** Re-announces take the in-place path, and see each change of the swarm's page made by another peer. */
    @Test
    void reannouncesInPlaceSeeTheSwarmAsItIsNow()
    {
        final Harness h = harness(NO_RETENTION);
        h.announce(peer(1, 1).left(10));
        h.announce(peer(1, 2).left(10));
        h.announce(peer(1, 3).left(0));
        final long hitsBefore = h.processor.pageCacheHitsAndMisses()[0];
        Reply r = h.announce(peer(1, 1).left(10));
        assertEquals(1, h.processor.pageCacheHitsAndMisses()[0] - hitsBefore, "answered in place");
        assertEquals(1, r.complete);
        assertEquals(2, r.incomplete);
        assertEquals(2, r.peers.size());
        h.announce(peer(1, 2).left(10).event(RequestEvent.EVENT_STOPPED)); // the page shrinks (and may move)
        r = h.announce(peer(1, 1).left(10));
        assertEquals(1, r.complete);
        assertEquals(1, r.incomplete);
        assertEquals(1, r.peers.size());
        h.announce(peer(1, 1).left(10).event(RequestEvent.EVENT_STOPPED));
        h.announce(peer(1, 3).left(0).event(RequestEvent.EVENT_STOPPED)); // the swarm is gone
        assertEquals(0, h.processor.torrentCount());
        r = h.announce(peer(1, 4).left(10));
        assertEquals(0, r.complete);
        assertEquals(1, r.incomplete);
        r = h.announce(peer(1, 1).left(10)); // not a re-announce any more: a new peer of a new swarm
        assertEquals(2, r.incomplete);
        assertEquals(1, r.peers.size());
        assertEquals(2, h.processor.peerCount());
    }

    @Test
    void peerWithNothingLeftIsSeeder()
    {
        final Harness h = harness("{}");
        final Reply r = h.announce(peer(1, 1).left(0));
        assertEquals(1, r.complete);
        assertEquals(0, r.incomplete);
        assertEquals(1, h.processor.seederCount());
    }

    @Test
    void leecherThatFinishesBecomesSeederAndBack()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(10));
        h.announce(peer(1, 2).left(10));
        Reply r = h.announce(peer(1, 1).left(0));
        assertEquals(1, r.complete);
        assertEquals(1, r.incomplete);
        r = h.announce(peer(1, 1).left(5));
        assertEquals(0, r.complete);
        assertEquals(2, r.incomplete);
        assertEquals(0, h.processor.seederCount());
        assertEquals(2, h.processor.peerCount());
    }

    @Test
    void seederGetsOnlyLeechers()
    {
        final Harness h = harness("{}");
        final Set<String> leechers = new HashSet<>();
        for (int i = 0; i < 6; i++)
        {
            h.announce(peer(1, 100 + i).left(0));
        }
        for (int i = 0; i < 8; i++)
        {
            h.announce(peer(1, 200 + i).left(99));
            leechers.add(peerIdHex(200 + i));
        }
        for (int round = 0; round < 20; round++)
        {
            final Reply all = h.announce(peer(1, 100 + round % 6).left(0));
            assertEquals(leechers, new HashSet<>(all.peerIds()));
            assertEquals(8, all.peers.size());

            final Reply some = h.announce(peer(1, 100 + round % 6).left(0).numWant(3));
            assertEquals(3, some.peers.size());
            assertEquals(3, new HashSet<>(some.peerIds()).size());
            assertTrue(leechers.containsAll(some.peerIds()), "seeder got " + some.peerIds());
            assertEquals(6, some.complete);
            assertEquals(8, some.incomplete);
        }
    }

    @Test
    void leecherGetsSeedersAndLeechersButNeverItself()
    {
        final Harness h = harness("{}");
        final Set<String> everyone = new HashSet<>();
        for (int i = 0; i < 5; i++)
        {
            h.announce(peer(1, 100 + i).left(0));
            everyone.add(peerIdHex(100 + i));
        }
        for (int i = 0; i < 10; i++)
        {
            h.announce(peer(1, 200 + i).left(1));
            everyone.add(peerIdHex(200 + i));
        }
        for (int round = 0; round < 30; round++)
        {
            final int me = 200 + round % 10;
            final Reply all = h.announce(peer(1, me).left(1));
            final Set<String> expected = new HashSet<>(everyone);
            expected.remove(peerIdHex(me));
            assertEquals(14, all.peers.size());
            assertEquals(expected, new HashSet<>(all.peerIds()));

            final Reply some = h.announce(peer(1, me).left(1).numWant(6));
            assertEquals(6, some.peers.size());
            assertEquals(6, new HashSet<>(some.peerIds()).size(), "duplicates: " + some.peerIds());
            assertFalse(some.peerIds().contains(peerIdHex(me)));
            assertTrue(everyone.containsAll(some.peerIds()));

            // A leecher's sample must not disturb which peers are seeders.
            final Reply seederView = h.announce(peer(1, 100).left(0));
            assertEquals(10, seederView.peers.size());
            for (final String id : seederView.peerIds())
            {
                assertTrue(id.startsWith("c8") || id.startsWith("c9") || id.startsWith("ca") || id.startsWith("cb") ||
                    id.startsWith("cc") || id.startsWith("cd") || id.startsWith("ce") || id.startsWith("cf") ||
                    id.startsWith("d0") || id.startsWith("d1"), "seeder got non-leecher " + id);
            }
            assertEquals(5, seederView.complete);
            assertEquals(10, seederView.incomplete);
        }
    }

    @Test
    void peersCarryAddressAndPort()
    {
        final Harness h = harness("{\"tracker\": {\"peer_family\": \"both\"}}");
        h.announce(peer(1, 1).left(0).ipv4(10, 0, 0, 7).port(51413));
        final byte[] v6 = new byte[16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[15] = 9;
        h.announce(peer(1, 2).left(0).address(v6).port(6881));
        final Reply r = h.announce(peer(1, 3).left(1));
        assertEquals(2, r.peers.size());
        for (final Peer p : r.peers)
        {
            if (p.id.equals(peerIdHex(1)))
            {
                assertArrayEquals(mapped(10, 0, 0, 7), p.address);
                assertEquals(51413, p.port);
            }
            else
            {
                assertArrayEquals(v6, p.address);
                assertEquals(6881, p.port);
            }
        }
    }

    @Test
    void numWantIsRespectedAndCapped()
    {
        final Harness h = harness("{\"tracker\": {" + DEFAULT_TRACKER + ", \"default_numwant\": 4, \"max_numwant\": 7}}");
        for (int i = 0; i < 20; i++)
        {
            h.announce(peer(1, 100 + i).left(1));
        }
        assertEquals(5, h.announce(peer(1, 1).left(1).numWant(5)).peers.size());
        assertEquals(7, h.announce(peer(1, 1).left(1).numWant(7)).peers.size());
        assertEquals(7, h.announce(peer(1, 1).left(1).numWant(1000)).peers.size());
        assertEquals(7, h.announce(peer(1, 1).left(1).numWant(Integer.MAX_VALUE)).peers.size());
        assertEquals(4, h.announce(peer(1, 1).left(1).numWant(-1)).peers.size());
        assertEquals(0, h.announce(peer(1, 1).left(1).numWant(0)).peers.size());
    }

    // ---------------------------------------------------------------- events

    @Test
    void stoppedRemovesThePeerAndReturnsNoPeers()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0));
        h.announce(peer(1, 2).left(5));
        h.announce(peer(1, 3).left(5));
        final Reply r = h.announce(peer(1, 2).left(5).event(RequestEvent.EVENT_STOPPED));
        assertEquals(Status.OK, r.status);
        assertEquals(0, r.peers.size());
        assertEquals(1, r.complete);
        assertEquals(1, r.incomplete);
        assertEquals(2, h.processor.peerCount());
        assertFalse(h.announce(peer(1, 3).left(5)).peerIds().contains(peerIdHex(2)));
        assertEquals(1, h.counters.peersStopped.get());
        assertEquals(2, h.store.peerCount());
    }

    @Test
    void stoppingTheLastPeerDropsTheTorrentWithoutRetention()
    {
        final Harness h = harness(NO_RETENTION);
        h.announce(peer(1, 1).left(0));
        final Reply r = h.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_STOPPED));
        assertEquals(Status.OK, r.status);
        assertEquals(0, r.complete);
        assertEquals(0, r.incomplete);
        assertEquals(0, h.processor.torrentCount());
        assertEquals(0, h.processor.peerCount());
        assertEquals(0, h.processor.seederCount());
        assertEquals(0, h.store.torrentCount());
        assertEquals(0, h.store.peerCount());
        assertEquals(1, h.counters.torrentsRemoved.get());
    }

    // ---------------------------------------------------------------- torrents outlive their swarms

    /**
     * The last peer's {@code stopped} leaves the torrent with its downloaded count: scrape and announce answers say
     * 0 seeders, 0 leechers, N downloaded; it stays a torrent (its map entry) until the retention has passed
     * without an announce, then the sweep forgets it.
     */
    @Test
    void stoppingTheLastPeerKeepsTheDownloadedCountForTheRetention()
    {
        final Harness h = harness(RETAINED);
        h.announce(peer(1, 1).left(5));
        h.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_COMPLETED));
        h.announce(peer(1, 2).left(0).event(RequestEvent.EVENT_COMPLETED));
        h.announce(peer(1, 3).left(9));
        h.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_STOPPED));
        h.announce(peer(1, 3).left(9).event(RequestEvent.EVENT_STOPPED));
        final Reply last = h.announce(peer(1, 2).left(0).event(RequestEvent.EVENT_STOPPED));
        assertEquals(0, last.complete);
        assertEquals(0, last.incomplete);
        assertEquals(2, last.downloaded);
        assertEquals(1, h.processor.torrentCount());
        assertEquals(0, h.processor.peerCount());
        assertEquals(0, h.counters.torrentsRemoved.get());
        ScrapeReply s = h.scrape(hash(1));
        assertArrayEquals(new int[] { 0 }, s.complete);
        assertArrayEquals(new int[] { 0 }, s.incomplete);
        assertArrayEquals(new long[] { 2 }, s.downloaded);
        // A stopped of nobody changes nothing; a new peer joins the kept count.
        assertEquals(2, h.announce(peer(1, 9).left(0).event(RequestEvent.EVENT_STOPPED)).downloaded);
        final Reply back = h.announce(peer(1, 4).left(0).event(RequestEvent.EVENT_COMPLETED));
        assertEquals(1, back.complete);
        assertEquals(3, back.downloaded);
        assertEquals(0, back.peers.size());
        assertEquals(1, h.processor.torrentCount());
        h.announce(peer(1, 4).left(0).event(RequestEvent.EVENT_STOPPED));

        // Within the retention a sweep keeps it; past it without an announce the sweep forgets it.
        clock.advance(59_000);
        h.tick();
        assertArrayEquals(new long[] { 3 }, h.scrape(hash(1)).downloaded);
        assertEquals(1, h.counters.torrents.get());
        clock.advance(2_000);
        h.tick();
        s = h.scrape(hash(1));
        assertArrayEquals(new long[] { 0 }, s.downloaded);
        assertEquals(0, h.processor.torrentCount());
        assertEquals(0, h.store.torrentCount());
        assertEquals(0, h.counters.torrents.get());
        assertEquals(1, h.counters.torrentsRemoved.get());
        assertEquals(1, h.announce(peer(1, 5).left(5)).incomplete);
        assertEquals(0, h.scrape(hash(1)).downloaded[0]);
    }

    /**
     * A swarm whose last peers expire, one page or several (its completions on both), is retained the same way, and survives a clean restart
     * and a start after a crash (the scan counts it as a torrent); past the retention the scan forgets it too.
     */
    @Test
    void expiredSwarmsAreRetainedThroughRestartsUntilTheRetentionEnds()
    {
        final Harness h = harness(RETAINED);
        h.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_COMPLETED));
        for (int n = 1; n <= 300; n++)
        {
            h.announce(peer(2, n).left(n % 2).numWant(0).event(n % 50 == 0 ? RequestEvent.EVENT_COMPLETED :
                RequestEvent.EVENT_NONE));
        }
        h.announce(peer(3, 1).left(5));
        clock.advance(1_150);
        h.announce(peer(3, 1).left(5));
        h.tick();
        assertEquals(301, h.counters.peersExpired.get());
        assertEquals(3, h.processor.torrentCount());
        assertEquals(1, h.processor.peerCount());
        assertEquals(0, h.counters.torrentsRemoved.get());
        final ScrapeReply s = h.scrape(hash(1), hash(2), hash(3));
        assertArrayEquals(new int[] { 0, 0, 0 }, s.complete);
        assertArrayEquals(new int[] { 0, 0, 1 }, s.incomplete);
        assertArrayEquals(new long[] { 1, 6, 0 }, s.downloaded);

        final Harness clean = h.reopen();
        assertEquals(3, clean.processor.torrentCount());
        assertArrayEquals(new long[] { 1, 6, 0 }, clean.scrape(hash(1), hash(2), hash(3)).downloaded);
        final Harness crashed = clean.reopenAfterCrash();
        assertEquals(3, crashed.processor.torrentCount());
        assertEquals(1, crashed.processor.peerCount());
        assertArrayEquals(new long[] { 1, 6, 0 }, crashed.scrape(hash(1), hash(2), hash(3)).downloaded);

        // Past the retention: torrents 1 and 2 are forgotten; torrent 3's last peer expires with nothing to keep.
        clock.advance(60_000);
        final Harness late = crashed.reopenAfterCrash();
        assertEquals(0, late.processor.torrentCount());
        assertArrayEquals(new long[] { 0, 0, 0 }, late.scrape(hash(1), hash(2), hash(3)).downloaded);
    }

    /**
     * A {@code kill -9} with a retained torrent's page in flight (as when the process died inside the replace that
     * made it): the shard is recovered, the repair of the swarm's torn pages takes the retained page as whole (its
     * length is no page of records), and the scan counts it as a torrent with its downloaded count.
     */
    @Test
    void aRetainedTorrentInFlightAtAKillIsKept()
    {
        final Harness h = harness(RETAINED);
        h.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_COMPLETED));
        h.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_STOPPED));
        h.announce(peer(2, 1).left(5));
        final byte[] key = inFlightOn(h, 1, true);
        final Harness k;
        try (var c = h.store.map(key, 0).queryContext(key))
        {
            c.updateLock().lock();
            assertEquals(Page.RETAINED_LENGTH, c.entry().value().size());
            k = h.killedCopy();
        }
        h.store.inFlight.structuralEnd();
        assertTrue(k.store.recovered(SwarmStore.shard(hash(1), 0)));
        assertEquals(2, k.processor.torrentCount());
        assertEquals(1, k.processor.peerCount());
        final ScrapeReply s = k.scrape(hash(1), hash(2));
        assertArrayEquals(new int[] { 0, 0 }, s.complete);
        assertArrayEquals(new int[] { 0, 1 }, s.incomplete);
        assertArrayEquals(new long[] { 1, 0 }, s.downloaded);
    }

    /** A retention of 0 forgets torrents kept by a run that had one, at the first sweep. */
    @Test
    void aRetentionOfZeroForgetsRetainedTorrents()
    {
        final Harness h = harness(RETAINED);
        h.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_COMPLETED));
        h.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_STOPPED));
        h.store.close();
        harnesses.remove(h);
        final Harness zero = harness(NO_RETENTION);
        assertEquals(1, zero.processor.torrentCount());
        assertArrayEquals(new long[] { 1 }, zero.scrape(hash(1)).downloaded);
        zero.tick();
        assertEquals(0, zero.processor.torrentCount());
        assertArrayEquals(new long[] { 0 }, zero.scrape(hash(1)).downloaded);
    }

    @Test
    void stoppedFromUnknownPeerChangesNothing()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0));
        Reply r = h.announce(peer(1, 2).left(0).event(RequestEvent.EVENT_STOPPED));
        assertEquals(Status.OK, r.status);
        assertEquals(1, r.complete);
        r = h.announce(peer(2, 2).left(0).event(RequestEvent.EVENT_STOPPED));
        assertEquals(Status.OK, r.status);
        assertEquals(0, r.complete);
        assertEquals(1, h.processor.torrentCount());
        assertEquals(1, h.processor.peerCount());
    }

    @Test
    void completedCountsOncePerPeer()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(10).event(RequestEvent.EVENT_STARTED));
        Reply r = h.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_COMPLETED));
        assertEquals(1, r.downloaded);
        assertEquals(1, r.complete);
        r = h.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_COMPLETED));
        assertEquals(1, r.downloaded, "a second completed from the same peer must not count");
        r = h.announce(peer(1, 1).left(0));
        assertEquals(1, r.downloaded);
        r = h.announce(peer(1, 2).left(0).event(RequestEvent.EVENT_COMPLETED));
        assertEquals(2, r.downloaded);
        assertEquals(2, h.counters.downloadsCompleted.get());
        assertEquals(2, h.scrape(hash(1)).downloaded[0]);
    }

    // ---------------------------------------------------------------- identity

    @Test
    void reannounceFromSameAddressUpdatesTheOneEntry()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(3).port(1000).key(0x1111));
        final Reply r = h.announce(peer(1, 1).left(3).port(2000).key(0x2222));
        assertEquals(Status.OK, r.status);
        assertEquals(1, r.incomplete);
        assertEquals(0, r.complete);
        assertEquals(1, h.processor.peerCount());
        final Reply other = h.announce(peer(1, 2).left(3));
        assertEquals(1, other.peers.size());
        assertEquals(2000, other.peers.get(0).port);
        assertEquals(2, other.incomplete);
        // The new key is what proves identity from now on.
        final Reply moved = h.announce(peer(1, 1).left(3).ipv4(10, 9, 9, 9).key(0x2222));
        assertEquals(Status.OK, moved.status);
        assertEquals(Status.PEER_ID_CONFLICT, h.announce(peer(1, 1).left(3).ipv4(10, 8, 8, 8).key(0x1111)).status);
    }

    @Test
    void samePeerIdFromAnotherAddressWithoutKeyIsRefused()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(3).port(1000).ipv4(10, 0, 0, 1));
        final Reply r = h.announce(peer(1, 1).left(0).port(6666).ipv4(10, 0, 0, 2));
        assertEquals(Status.PEER_ID_CONFLICT, r.status);
        assertEquals(0, r.peers.size());
        assertEquals(1, h.counters.rejectedPeerIdConflict.get());
        // A stranger can neither take it over nor remove it.
        assertEquals(Status.PEER_ID_CONFLICT,
            h.announce(peer(1, 1).left(3).ipv4(10, 0, 0, 2).event(RequestEvent.EVENT_STOPPED)).status);
        assertEquals(Status.PEER_ID_CONFLICT,
            h.announce(peer(1, 1).left(3).ipv4(10, 0, 0, 2).key(0x1234)).status);
        assertOriginalUntouched(h);
    }

    @Test
    void samePeerIdWithWrongKeyIsRefused()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(3).port(1000).ipv4(10, 0, 0, 1).key(0xCAFE));
        assertEquals(Status.PEER_ID_CONFLICT, h.announce(peer(1, 1).left(0).ipv4(10, 0, 0, 2).key(0xBEEF)).status);
        assertEquals(Status.PEER_ID_CONFLICT, h.announce(peer(1, 1).left(0).ipv4(10, 0, 0, 2)).status);
        assertEquals(Status.PEER_ID_CONFLICT,
            h.announce(peer(1, 1).left(0).ipv4(10, 0, 0, 2).event(RequestEvent.EVENT_STOPPED).key(0xBEEF)).status);
        assertOriginalUntouched(h);
    }

    @Test
    void samePeerIdWithMatchingKeyFromNewAddressIsAccepted()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(3).port(1000).ipv4(10, 0, 0, 1).key(0xCAFE));
        final Reply r = h.announce(peer(1, 1).left(0).port(7000).ipv4(10, 0, 0, 2).key(0xCAFE));
        assertEquals(Status.OK, r.status);
        assertEquals(1, r.complete);
        assertEquals(0, r.incomplete);
        assertEquals(1, h.processor.peerCount());
        final Reply other = h.announce(peer(1, 2).left(3));
        assertEquals(1, other.peers.size());
        assertArrayEquals(mapped(10, 0, 0, 2), other.peers.get(0).address);
        assertEquals(7000, other.peers.get(0).port);
        // And the key lets it leave from either address.
        final Reply stopped = h.announce(peer(1, 1).left(0).ipv4(10, 0, 0, 3).key(0xCAFE)
            .event(RequestEvent.EVENT_STOPPED));
        assertEquals(Status.OK, stopped.status);
        assertEquals(0, stopped.complete);
    }

    @Test
    void samePeerIdInAnotherTorrentIsAnotherPeer()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(3).ipv4(10, 0, 0, 1));
        final Reply r = h.announce(peer(2, 1).left(3).ipv4(10, 0, 0, 2));
        assertEquals(Status.OK, r.status);
        assertEquals(2, h.processor.torrentCount());
        assertEquals(2, h.processor.peerCount());
    }

    private void assertOriginalUntouched(final Harness h)
    {
        final Reply view = h.announce(peer(1, 2).left(3).ipv4(10, 0, 0, 9));
        assertEquals(Status.OK, view.status);
        assertEquals(0, view.complete);
        assertEquals(2, view.incomplete);
        assertEquals(1, view.peers.size());
        assertEquals(peerIdHex(1), view.peers.get(0).id);
        assertArrayEquals(mapped(10, 0, 0, 1), view.peers.get(0).address);
        assertEquals(1000, view.peers.get(0).port);
    }

    // ---------------------------------------------------------------- scrape and limits

    @Test
    void scrapeReturnsCountsAndZerosForUnknownHashes()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0));
        h.announce(peer(1, 2).left(0).event(RequestEvent.EVENT_COMPLETED));
        h.announce(peer(1, 3).left(7));
        h.announce(peer(2, 1).left(7));
        final long peersBefore = h.processor.peerCount();
        final ScrapeReply s = h.scrape(hash(1), hash(3), hash(2), hash(1));
        assertEquals(Status.OK, s.status);
        assertEquals(4, s.count);
        assertArrayEquals(hash(1), Arrays.copyOfRange(s.hashes, 0, 20));
        assertArrayEquals(hash(3), Arrays.copyOfRange(s.hashes, 20, 40));
        assertArrayEquals(new int[] { 2, 0, 0, 2 }, s.complete);
        assertArrayEquals(new int[] { 1, 0, 1, 1 }, s.incomplete);
        assertArrayEquals(new long[] { 1, 0, 0, 1 }, s.downloaded);
        assertEquals(peersBefore, h.processor.peerCount(), "a scrape never changes membership");
        assertEquals(2, h.processor.torrentCount());
        assertEquals(1, h.counters.scrapes.get());
    }

    /**
     * At the byte budget new peers are refused with the tracker-full reason and counted, known peers are served,
     * and a departure makes room: the budget, not a count of peers, is the limit.
     */
    @Test
    void atTheByteBudgetNewPeersAreRefusedButKnownOnesServed()
    {
        final long budget = TrackerConfig.Storage.MIN_BYTES;
        final Harness h = harness("{\"storage\": {\"max_bytes\": " + budget + ", \"max_torrents\": 16, " +
            "\"max_peers\": 16}, \"tracker\": {" + DEFAULT_TRACKER + "}}");
        int accepted = 0;
        Reply full = null;
        for (int i = 0; i < 100_000 && full == null; i++)
        {
            final Reply r = h.announce(peer(1 + i % 3, i).left(1));
            if (r.status == Status.OK)
            {
                accepted++;
            }
            else
            {
                full = r;
            }
        }
        assertNotNull(full, "the budget was never reached");
        assertEquals(Status.TRACKER_FULL, full.status);
        assertEquals(0, full.peers.size());
        // Exactly what the estimate allows: 3 torrents, and peers until their bytes reach the budget.
        assertEquals((budget - 3 * StoreSizing.TORRENT_BYTES + StoreSizing.PEER_BYTES - 1) / StoreSizing.PEER_BYTES,
            accepted);
        assertTrue(accepted > 16, "far more than the old max_peers");
        assertEquals(Status.TRACKER_FULL, h.announce(peer(9, 1).left(1)).status, "a new torrent too");
        assertEquals(2, h.counters.rejectedFull.get());
        assertEquals(accepted, h.processor.peerCount());
        assertEquals(3, h.processor.torrentCount());
        h.tick();
        assertEquals(budget, h.counters.storeBudgetBytes.get());
        assertTrue(h.counters.storeUsedBytes.get() >= budget, () -> "used " + h.counters.storeUsedBytes.get());
        assertNotNull(SwarmStore.budgetWarning(h.counters.storeUsedBytes.get(), budget));
        // Known peers still announce, and a departure makes room.
        assertEquals(Status.OK, h.announce(peer(1, 0).left(0)).status);
        assertEquals(Status.OK, h.announce(peer(1, 0).left(0).event(RequestEvent.EVENT_STOPPED)).status);
        assertEquals(Status.OK, h.announce(peer(1, 1_000_000).left(1)).status);
        assertEquals(Status.TRACKER_FULL, h.announce(peer(1, 1_000_001).left(1)).status);
        assertEquals(3, h.counters.rejectedFull.get());
    }

    /** /check's line: from 90 % of the budget, none below. */
    @Test
    void budgetWarningFromNinetyPercent()
    {
        assertEquals(null, SwarmStore.budgetWarning(899, 1000));
        assertTrue(SwarmStore.budgetWarning(900, 1000).startsWith("store at 90 % of its byte budget"));
        assertTrue(SwarmStore.budgetWarning(1000, 1000).contains("are refused"));
        assertEquals(null, SwarmStore.budgetWarning(5, 0), "no budget published yet");
    }

    // ---------------------------------------------------------------- growth, resize, retained eviction

    /** The smallest hint, with a budget (16 MiB) whose sixteenth is below the smallest first tier. */
    private static final String TINY = "{\"storage\": {\"max_torrents\": 16, \"max_peers\": 16, \"max_bytes\": " +
        (16 << 20) + "}, \"tracker\": {" +
        DEFAULT_TRACKER + "}}";
    private static final String LARGE = "{\"storage\": {\"max_torrents\": 50000, \"max_peers\": 100000}, " +
        "\"tracker\": {" + DEFAULT_TRACKER + "}}";

    /**
     * A store started with the smallest hint (16 torrents, 16 peers: files of {@link StoreSizing#MIN_SHARD_PAGES}
     * pages a shard) takes 100k peers over 50k torrents with no refusal, its files growing as it goes; a restart
     * finds everything and re-sizes the files to what the store holds.
     */
    @Test
    void aStoreStartedTinyTakes160kPeersWithoutRefusal() throws Exception
    {
        final Harness h = harness(TINY);
        final long createdBytes = h.store.fileBytes();
        // 80k torrents of two peers: compact pages take few chunks, so a shard chains past DEEP_TIERS only with
        // more than 4 600 pages over its first tiers of 512.
        final int torrents = 80_000;
        int refused = 0;
        for (int t = 0; t < torrents; t++)
        {
            refused += h.announce(peer(t, 0).left(1)).status == Status.OK ? 0 : 1;
            refused += h.announce(peer(t, 1).left(0)).status == Status.OK ? 0 : 1;
        }
        assertEquals(0, refused);
        assertEquals(0, h.counters.rejectedFull.get());
        assertEquals(torrents, h.processor.torrentCount());
        assertEquals(2L * torrents, h.processor.peerCount());
        final long grownBytes = h.store.fileBytes();
        assertTrue(grownBytes > 4 * createdBytes, () -> "files " + createdBytes + " -> " + grownBytes);
        // The count the budget is held against covers what the files grew by (StoreSizing's calibration).
        final long counted = StoreSizing.usedBytes(torrents, 2L * torrents);
        assertTrue(grownBytes - createdBytes <= counted && grownBytes - createdBytes > counted / 2,
            () -> "files grew by " + (grownBytes - createdBytes) + ", counted " + counted);
        assertSample(h, torrents);
        h.tick();
        final long depth = h.counters.storeTierDepth.get();
        assertTrue(depth >= SwarmStore.DEEP_TIERS, "5000 pages a shard over first tiers of 512: depth " + depth);
        assertNotNull(SwarmStore.tierDepthWarning(depth));
        final StoreSizing first = StoreSizing.read(h.storeDir);
        assertEquals(StoreSizing.MIN_SHARD_PAGES, first.shardPages());

        final Harness again = h.reopen();
        final StoreSizing resized = StoreSizing.read(again.storeDir);
        assertTrue(resized.shardPages() >= torrents / SwarmStore.SHARDS, resized::text);
        assertEquals(torrents, again.processor.torrentCount());
        assertEquals(2L * torrents, again.processor.peerCount());
        assertSample(again, torrents);
        again.tick();
        assertEquals(1, again.counters.storeTierDepth.get(), "the resized files hold it all in their first tier");
        assertEquals(null, SwarmStore.tierDepthWarning(1));
        assertEquals(Status.OK, again.announce(peer(torrents, 0).left(1)).status);
    }

    /** Torrents 0..n-1 each hold a seeder and a leecher (a sample of them, scraped). */
    private static void assertSample(final Harness h, final int n)
    {
        for (int t = 0; t < n; t += n / 37)
        {
            final ScrapeReply s = h.scrape(hash(t));
            assertEquals(1, s.complete[0], "torrent " + t);
            assertEquals(1, s.incomplete[0], "torrent " + t);
        }
    }

    /**
     * Retained torrents cannot starve live swarms: at the budget they are evicted before a new peer is refused, and
     * the first refusal comes only when none is left.
     */
    @Test
    void retainedTorrentsAreEvictedBeforeALivePeerIsRefused()
    {
        final long budget = TrackerConfig.Storage.MIN_BYTES;
        final Harness h = harness("{\"storage\": {\"max_bytes\": " + budget + ", \"max_torrents\": 16, " +
            "\"max_peers\": 16}, \"tracker\": {\"announce_interval_seconds\": 1, " +
            "\"min_announce_interval_seconds\": 1, \"peer_lifetime_seconds\": 1, \"torrent_retention_seconds\": 60}}");
        final int retained = 8000; // 73 % of the budget
        for (int t = 0; t < retained; t++)
        {
            h.announce(peer(t, 1).left(0).event(RequestEvent.EVENT_COMPLETED));
            h.announce(peer(t, 1).left(0).event(RequestEvent.EVENT_STOPPED));
        }
        assertEquals(retained, h.processor.torrentCount());
        assertEquals(0, h.processor.peerCount());
        int live = 0;
        Reply refused = null;
        for (int t = retained; t < retained + 20_000 && refused == null; t++)
        {
            final Reply r = h.announce(peer(t, 2).left(1));
            if (r.status == Status.OK)
            {
                live++;
            }
            else
            {
                refused = r;
            }
        }
        assertNotNull(refused, "the budget was never reached");
        assertEquals(Status.TRACKER_FULL, refused.status);
        assertEquals(retained, h.counters.retainedEvicted.get(), "every retained torrent went before a refusal");
        assertEquals(1, h.counters.rejectedFull.get());
        final long perLive = StoreSizing.TORRENT_BYTES + StoreSizing.PEER_BYTES;
        assertEquals((budget + perLive - 1) / perLive, live, "the whole budget went to live torrents");
        assertEquals(live, h.processor.torrentCount());
        assertArrayEquals(new long[] { 0, 0 }, h.scrape(hash(0), hash(retained - 1)).downloaded);
    }

    /**
     * The budget lays out first tiers for a sixteenth of the pages it holds in the hint's shape, so a store at its
     * budget chains about 16 tiers (a thousandth left it about a thousand deep), and 5M torrents of two peers a
     * few; the files' first tiers take a small share of the budget; small budgets keep the smallest tier.
     */
    @Test
    void theBudgetLaysOutFirstTiersForASixteenthOfIt()
    {
        final long budget = 12L << 30;
        final StoreSizing sizing = StoreSizing.of(100_000, 1_000_000, budget, 0);
        final long pagesAtBudget = budget / (StoreSizing.TORRENT_BYTES + 10 * StoreSizing.PEER_BYTES);
        final long tiersAtBudget = pagesAtBudget / (sizing.shardPages() * SwarmStore.SHARDS);
        assertTrue(tiersAtBudget >= 15 && tiersAtBudget <= 16, () -> sizing.text() + ": " + tiersAtBudget);
        assertTrue(sizing.createdBytes() < budget / 10, () -> sizing.createdBytes() + " of " + budget);
        final long issue = 5_000_000 / SwarmStore.SHARDS; // pages a shard of 5M torrents
        assertTrue(issue <= 5 * sizing.shardPages(), () -> sizing.text() + " for " + issue + " pages a shard");
        final StoreSizing twoPeers = StoreSizing.of(5_000, 10_000, budget, 0);
        assertTrue(budget / (StoreSizing.TORRENT_BYTES + 2 * StoreSizing.PEER_BYTES) <=
            16 * twoPeers.shardPages() * SwarmStore.SHARDS, twoPeers::text);
        assertEquals(StoreSizing.MIN_SHARD_PAGES, StoreSizing.of(16, 16, 16 << 20, 0).shardPages());
    }

    /**
     * A restart with the same limits of a store that outgrew its first tiers but chains fewer than
     * {@link SwarmStore#DEEP_TIERS} keeps its files, after a clean stop and after a {@code kill -9}: no copy (the
     * same files, by inode, and the same sizing), everything found. The rule before copied it (its fullest shard's
     * pages and a quarter were more than twice the first tier).
     */
    @Test
    void aRestartOfAGrownStoreBelowTheWarningDepthKeepsItsFiles() throws Exception
    {
        final Path store = dir.resolve("grown");
        final Harness h = harness(TINY, store);
        final int torrents = 20_000;
        for (int t = 0; t < torrents; t++)
        {
            assertEquals(Status.OK, h.announce(peer(t, 0).left(1)).status);
            assertEquals(Status.OK, h.announce(peer(t, 1).left(0)).status);
        }
        h.tick();
        final long depth = h.counters.storeTierDepth.get();
        assertTrue(depth >= 2 && depth < SwarmStore.DEEP_TIERS, "grown past the first tier, below the warning: " +
            depth);
        final StoreSizing sizing = StoreSizing.read(store);
        assertEquals(StoreSizing.MIN_SHARD_PAGES, sizing.shardPages());
        assertTrue((torrents / SwarmStore.SHARDS) * 5 / 4 > 2 * sizing.shardPages(), "the old rule would copy");

        // kill -9: the files as they are, opened with the same limits.
        final Path killed = h.filesCopy();
        final Object[] killedInodes = inodes(killed);
        final Harness afterKill = harness(TINY, killed);
        assertEquals(sizing, StoreSizing.read(killed));
        assertArrayEquals(killedInodes, inodes(killed), "no file was replaced");
        assertEquals(torrents, afterKill.processor.torrentCount());
        assertSample(afterKill, torrents);
        assertNoResizeLeftovers(killed);

        // A clean stop and start.
        final Object[] before = inodes(store);
        final Harness again = h.reopen();
        assertEquals(sizing, StoreSizing.read(store));
        assertArrayEquals(before, inodes(store), "no file was replaced");
        assertEquals(torrents, again.processor.torrentCount());
        assertEquals(2L * torrents, again.processor.peerCount());
        assertSample(again, torrents);
        again.tick();
        assertEquals(depth, again.counters.storeTierDepth.get());

        // Other limits still resize: a larger hint asks for first tiers more than twice the files'.
        final Harness larger = again.reopenWith(LARGE);
        assertTrue(StoreSizing.read(store).shardPages() > 2 * sizing.shardPages(), StoreSizing.read(store)::text);
        assertNotEquals(before[0], inodes(store)[0], "the files were copied");
        assertSample(larger, torrents);
    }

    /** The inode of every shard file. */
    private static Object[] inodes(final Path store) throws java.io.IOException
    {
        final Object[] inodes = new Object[SwarmStore.SHARDS];
        for (int s = 0; s < SwarmStore.SHARDS; s++)
        {
            inodes[s] = java.nio.file.Files.getAttribute(store.resolve(SwarmStore.shardFile(s)), "unix:ino");
        }
        return inodes;
    }

    /** Starting with other limits than the files' copies the store into files of the new size, down and up. */
    @Test
    void startingWithOtherLimitsResizesDownAndUpKeepingEverything() throws Exception
    {
        final Path store = dir.resolve("resized");
        final Harness large = harness(LARGE, store);
        fillMixed(large);
        final long largePages = StoreSizing.read(store).shardPages();
        final long largeBytes = large.store.fileBytes();
        large.store.close();
        harnesses.remove(large);

        final Harness small = harness(TINY, store);
        assertEquals(StoreSizing.MIN_SHARD_PAGES, StoreSizing.read(store).shardPages());
        assertTrue(small.store.fileBytes() < largeBytes / 2, () -> small.store.fileBytes() + " vs " + largeBytes);
        assertMixed(small);
        assertNoResizeLeftovers(store);
        small.store.close();
        harnesses.remove(small);

        final Harness up = harness(LARGE, store);
        assertEquals(largePages, StoreSizing.read(store).shardPages());
        assertMixed(up);
        // Killed, then started with other limits: recovered and resized in one start.
        final Harness killed = up.killedCopy(TINY);
        assertEquals(StoreSizing.MIN_SHARD_PAGES, StoreSizing.read(killed.storeDir).shardPages());
        assertMixed(killed);
    }

    /**
     * A store of the format before spare slots, {@code trackerd-store 4} with shards of the bloat factor 1.5 and no
     * sizing file, opens, is copied into growable files, keeps everything, and says format 5 after.
     */
    @Test
    void aStoreOfFormatFourIsMigratedWithNothingLost() throws Exception
    {
        final Path store = dir.resolve("format4");
        final Harness h = harness("{}", store);
        fillMixed(h);
        h.store.close();
        harnesses.remove(h);
        // The files as the code before growth made them: the same builder with maxBloatFactor 1.5, no store-size.
        final StoreSizing legacy = new StoreSizing(SwarmStore.shardPagesFor(1000, 10_000),
            SwarmStore.averagePageBytes(1000, 10_000), StoreSizing.LEGACY_BLOAT);
        final Path[] files = new Path[SwarmStore.SHARDS];
        for (int s = 0; s < SwarmStore.SHARDS; s++)
        {
            files[s] = store.resolve(SwarmStore.shardFile(s));
            final Path legacyFile = store.resolve("legacy.tmp");
            try (var from = SwarmStore.openMap(files[s].toFile(), "swarms-" + s, legacy, false);
                var to = SwarmStore.openMap(legacyFile.toFile(), "swarms-" + s, legacy, false))
            {
                StoreResize.copyEntries(from, to, StoreResize.SAME);
            }
            java.nio.file.Files.move(legacyFile, files[s], java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        java.nio.file.Files.delete(store.resolve(StoreSizing.FILE));
        SwarmStore.writeLengths(store.resolve(SwarmStore.LENGTHS), files);
        java.nio.file.Files.writeString(store.resolve("FORMAT"), "trackerd-store 4\n");

        final Harness migrated = harness("{}", store);
        assertNotNull(StoreSizing.read(store));
        assertEquals(StoreSizing.MAX_BLOAT, StoreSizing.read(store).maxBloat());
        assertEquals("trackerd-store 6", java.nio.file.Files.readString(store.resolve("FORMAT")).trim());
        assertMixed(migrated);
        assertNoResizeLeftovers(store);
    }

    /**
     * A store of format 4 as the growing code wrote it (growable files with a sizing file, exact pages) opens as it
     * is, keeps everything and says format 5; a start that dies copying a format-4 store into resized files leaves
     * it format 4 (an older tracker still reads it), and the next start finishes the job.
     */
    @Test
    void aGrowableStoreOfFormatFourOpensAsItIsAndSaysFormatFive() throws Exception
    {
        final Path store = dir.resolve("format4grown");
        final Harness h = harness("{}", store);
        fillMixed(h);
        h.store.close();
        harnesses.remove(h);
        java.nio.file.Files.writeString(store.resolve("FORMAT"), "trackerd-store 4\n");
        final StoreSizing sizing = StoreSizing.read(store);
        // Killed mid-copy of a resize: the marker is there, the FORMAT file is untouched.
        java.nio.file.Files.writeString(store.resolve(StoreResize.RESIZING), "pages 512 average 76 bloat 1000\n");
        java.nio.file.Files.writeString(StoreResize.newFile(store.resolve(SwarmStore.shardFile(0))), "half");
        assertEquals("trackerd-store 4", java.nio.file.Files.readString(store.resolve("FORMAT")).trim());

        final Harness reopened = harness("{}", store);
        assertEquals(sizing, StoreSizing.read(store), "same limits: the files are kept");
        assertEquals("trackerd-store 6", java.nio.file.Files.readString(store.resolve("FORMAT")).trim());
        assertMixed(reopened);
        assertNoResizeLeftovers(store);
    }

    /** A FORMAT of a later version, or not a format at all, is refused and the files are left as they are. */
    @Test
    void aStoreOfALaterOrUnknownFormatIsRefused() throws Exception
    {
        for (final String format : new String[] { "trackerd-store 7", "garbage", "" })
        {
            final Path store = dir.resolve("format-" + format.hashCode());
            final Harness h = harness("{}", store);
            fillMixed(h);
            h.store.close();
            harnesses.remove(h);
            java.nio.file.Files.writeString(store.resolve("FORMAT"), format + "\n");
            final long length = java.nio.file.Files.size(store.resolve(SwarmStore.shardFile(0)));
            final SwarmStore.StoreException refused = assertThrows(SwarmStore.StoreException.class,
                () -> SwarmStore.open(store, 1000, 10_000));
            assertTrue(refused.getMessage().contains("format '" + format + "'"), refused::getMessage);
            assertEquals(format, java.nio.file.Files.readString(store.resolve("FORMAT")).trim());
            assertEquals(length, java.nio.file.Files.size(store.resolve(SwarmStore.shardFile(0))));
        }
    }

    /**
     * A {@code kill -9} while a resize copies: the old files are the store, with a read lock of the copy held in one
     * of them that no in-flight record names. The next start recovers every shard, drops the half copy, resizes
     * again and finds everything.
     */
    @Test
    void aKillWhileAResizeCopiesLeavesTheOldStore() throws Exception
    {
        final Path store = dir.resolve("cut");
        final Harness h = harness(LARGE, store);
        fillMixed(h);
        h.store.close();
        harnesses.remove(h);
        final Path killed;
        final StoreSizing sizing = StoreSizing.read(store);
        try (var shard = SwarmStore.openMap(store.resolve(SwarmStore.shardFile(3)).toFile(), "swarms-3", sizing,
            false); var c = shard.queryContext(Arrays.copyOf(hash(3), SwarmStore.KEY_LENGTH)))
        {
            c.updateLock().lock();
            java.nio.file.Files.writeString(store.resolve(StoreResize.RESIZING), "pages 512 average 76 bloat 1000\n");
            java.nio.file.Files.writeString(StoreResize.newFile(store.resolve(SwarmStore.shardFile(0))), "half");
            killed = filesCopyOf(store);
        }
        final Harness restarted = harness(TINY, killed);
        assertEquals(SwarmStore.SHARDS, restarted.store.recoveredShardCount());
        assertEquals(StoreSizing.MIN_SHARD_PAGES, StoreSizing.read(killed).shardPages());
        assertMixed(restarted);
        assertNoResizeLeftovers(killed);
        for (int t = 0; t < 64; t++)
        {
            assertEquals(Status.OK, restarted.announce(peer(t, 77).left(3)).status, "writes to every shard");
        }
    }

    /** A {@code kill -9} after the copy was whole, mid-renames: the next start finishes the renames. */
    @Test
    void aKillMidRenamesIsFinishedAtTheNextStart() throws Exception
    {
        final Path store = dir.resolve("renames");
        final Harness h = harness(LARGE, store);
        fillMixed(h);
        h.store.close();
        harnesses.remove(h);
        final StoreSizing current = StoreSizing.read(store);
        final StoreSizing small = new StoreSizing(StoreSizing.MIN_SHARD_PAGES, Page.length(1), StoreSizing.MAX_BLOAT);
        for (int s = 0; s < SwarmStore.SHARDS; s++)
        {
            final Path file = store.resolve(SwarmStore.shardFile(s));
            try (var from = SwarmStore.openMap(file.toFile(), "swarms-" + s, current, false);
                var to = SwarmStore.openMap(StoreResize.newFile(file).toFile(), "swarms-" + s, small, false))
            {
                StoreResize.copyEntries(from, to, StoreResize.SAME);
            }
        }
        java.nio.file.Files.writeString(store.resolve(StoreResize.RESIZING), small.text() + "\n");
        java.nio.file.Files.writeString(store.resolve(StoreResize.RESIZED), small.text() + "\n");
        for (int s = 0; s < SwarmStore.SHARDS / 2; s++) // died after half the renames
        {
            final Path file = store.resolve(SwarmStore.shardFile(s));
            java.nio.file.Files.move(StoreResize.newFile(file), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        final Harness restarted = harness(TINY, store);
        assertEquals(0, restarted.store.recoveredShardCount(), "closed cleanly before the resize");
        assertEquals(small, StoreSizing.read(store));
        assertMixed(restarted);
        assertNoResizeLeftovers(store);
    }

    /** One-page swarms, a big swarm, a retained torrent: what {@link #assertMixed} checks. */
    private void fillMixed(final Harness h)
    {
        for (int t = 0; t < 300; t++)
        {
            h.announce(peer(t, 0).left(1));
            h.announce(peer(t, 1).left(0).event(RequestEvent.EVENT_COMPLETED));
        }
        for (int p = 0; p < Page.CAPACITY + 40; p++)
        {
            h.announce(peer(1000, p).left(5));
        }
        h.announce(peer(1001, 1).left(0).event(RequestEvent.EVENT_COMPLETED));
        h.announce(peer(1001, 1).left(0).event(RequestEvent.EVENT_STOPPED));
        assertMixed(h);
    }

    private void assertMixed(final Harness h)
    {
        assertEquals(302, h.processor.torrentCount());
        assertEquals(600 + Page.CAPACITY + 40, h.processor.peerCount());
        for (int t = 0; t < 300; t += 7)
        {
            final ScrapeReply s = h.scrape(hash(t));
            assertEquals(1, s.complete[0]);
            assertEquals(1, s.incomplete[0]);
            assertEquals(1, s.downloaded[0]);
        }
        final ScrapeReply big = h.scrape(hash(1000), hash(1001));
        assertArrayEquals(new int[] { Page.CAPACITY + 40, 0 }, big.incomplete);
        assertArrayEquals(new long[] { 0, 1 }, big.downloaded);
    }

    private static void assertNoResizeLeftovers(final Path store) throws java.io.IOException
    {
        try (var files = java.nio.file.Files.list(store))
        {
            final List<String> names = files.map(f -> f.getFileName().toString()).toList();
            assertTrue(names.stream().noneMatch(n -> n.endsWith(StoreResize.NEW_SUFFIX) ||
                n.equals(StoreResize.RESIZING) || n.equals(StoreResize.RESIZED)), names::toString);
        }
    }

    private Path filesCopyOf(final Path store) throws java.io.IOException
    {
        final Path copy = dir.resolve("killed-" + System.nanoTime());
        java.nio.file.Files.createDirectories(copy);
        try (var files = java.nio.file.Files.list(store))
        {
            for (final Path f : (Iterable<Path>)files::iterator)
            {
                java.nio.file.Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        return copy;
    }

    // ---------------------------------------------------------------- address families and dual stack

    @Test
    void sameFamilyPolicyHandsOutOnlyReachablePeers()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0).ipv4(10, 0, 0, 1));
        h.announce(peer(1, 2).left(5).ipv4(10, 0, 0, 2));
        h.announce(peer(1, 3).left(0).address(v6(3)));
        h.announce(peer(1, 4).left(5).address(v6(4)));
        assertEquals(Set.of(peerIdHex(1), peerIdHex(2)), Set.copyOf(h.announce(peer(1, 5).left(5)).peerIds()));
        assertEquals(Set.of(peerIdHex(3), peerIdHex(4)),
            Set.copyOf(h.announce(peer(1, 6).left(5).address(v6(6))).peerIds()));
        // A seeder gets leechers of its family only.
        assertEquals(Set.of(peerIdHex(4), peerIdHex(6)),
            Set.copyOf(h.announce(peer(1, 7).left(0).address(v6(7))).peerIds()));
        assertEquals(Set.of(peerIdHex(2), peerIdHex(5)), Set.copyOf(h.announce(peer(1, 8).left(0)).peerIds()));
        final Reply counts = h.announce(peer(1, 5).left(5));
        assertEquals(4, counts.complete);
        assertEquals(4, counts.incomplete);
    }

    @Test
    void bothPolicyHandsOutBothFamiliesExceptToOneFamilyTransports()
    {
        final Harness h = harness("{\"tracker\": {\"peer_family\": \"both\"}}");
        h.announce(peer(1, 1).left(0).ipv4(10, 0, 0, 1));
        h.announce(peer(1, 2).left(5).address(v6(2)));
        assertEquals(Set.of(peerIdHex(1), peerIdHex(2)), Set.copyOf(h.announce(peer(1, 3).left(5)).peerIds()));
        assertEquals(Set.of(peerIdHex(2), peerIdHex(3)),
            Set.copyOf(h.announce(peer(1, 4).left(0).address(v6(4))).peerIds()));
        // UDP carries one family: the engine fills the list with reachable peers instead of wasting it.
        assertEquals(Set.of(peerIdHex(1), peerIdHex(3)),
            Set.copyOf(h.announce(peer(1, 5).left(5).oneFamily()).peerIds()));
    }

    @Test
    void dualStackedPeerIsOneClientReachableTwoWays()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0).port(4000).ipv4(10, 0, 0, 1).key(0xD0A1));
        final Reply second = h.announce(peer(1, 1).left(0).port(6000).address(v6(1)).key(0xD0A1));
        assertEquals(Status.OK, second.status);
        assertEquals(1, second.complete);
        assertEquals(0, second.incomplete);
        assertEquals(1, h.processor.peerCount());
        assertEquals(1, h.store.peerCount());

        final Reply v4 = h.announce(peer(1, 2).left(5).ipv4(10, 0, 0, 2));
        assertEquals(1, v4.peers.size());
        assertArrayEquals(mapped(10, 0, 0, 1), v4.peers.get(0).address);
        assertEquals(4000, v4.peers.get(0).port);
        final Reply v6 = h.announce(peer(1, 3).left(5).address(v6(3)));
        assertEquals(1, v6.peers.size());
        assertArrayEquals(v6(1), v6.peers.get(0).address);
        assertEquals(6000, v6.peers.get(0).port);
        assertEquals(1, v6.complete);
        assertEquals(2, v6.incomplete);
        final ScrapeReply s = h.scrape(hash(1));
        assertEquals(1, s.complete[0]);
        assertEquals(2, s.incomplete[0]);

        // Either address may re-announce without the key (it is a known address), and stop the client as a whole.
        assertEquals(Status.OK, h.announce(peer(1, 1).left(0).port(6000).address(v6(1))).status);
        assertEquals(3, h.processor.peerCount());
        final Reply stopped = h.announce(peer(1, 1).left(0).address(v6(1)).key(0xD0A1).event(RequestEvent.EVENT_STOPPED));
        assertEquals(0, stopped.complete);
        assertEquals(2, h.processor.peerCount());
        h.tick();
        assertEquals(0, h.counters.seedersIpv4.get());
        assertEquals(1, h.counters.leechersIpv4.get());
        assertEquals(1, h.counters.leechersIpv6.get());
    }

    @Test
    void otherFamilyWithoutMatchingKeyIsRefused()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(3).ipv4(10, 0, 0, 1).key(0xCAFE));
        assertEquals(Status.PEER_ID_CONFLICT, h.announce(peer(1, 1).left(3).address(v6(1))).status);
        assertEquals(Status.PEER_ID_CONFLICT, h.announce(peer(1, 1).left(3).address(v6(1)).key(0xBEEF)).status);
        h.announce(peer(1, 2).left(3).ipv4(10, 0, 0, 2));
        assertEquals(Status.PEER_ID_CONFLICT, h.announce(peer(1, 2).left(3).address(v6(2))).status);
        assertEquals(0, h.announce(peer(1, 3).left(3).address(v6(3))).peers.size());
    }

    @Test
    void alternateAddressFromTheRequestMakesAPeerDualStacked()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0).ipv4(10, 0, 0, 1).port(1000).alt(v6(1), 2000));
        final Reply v6 = h.announce(peer(1, 2).left(5).address(v6(2)));
        assertEquals(1, v6.peers.size());
        assertArrayEquals(v6(1), v6.peers.get(0).address);
        assertEquals(2000, v6.peers.get(0).port);
        assertArrayEquals(mapped(10, 0, 0, 1), h.announce(peer(1, 3).left(5)).peers.stream()
            .filter(p -> p.id.equals(peerIdHex(1))).findFirst().orElseThrow().address);
    }

    @Test
    void dualStackedPeersSurviveARestart()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0).port(4000).ipv4(10, 0, 0, 1).key(7));
        h.announce(peer(1, 1).left(0).port(6000).address(v6(1)).key(7));
        final Harness r = h.reopen();
        assertEquals(1, r.processor.peerCount());
        final Reply v6 = r.announce(peer(1, 3).left(5).address(v6(3)));
        assertArrayEquals(v6(1), v6.peers.get(0).address);
        assertEquals(6000, v6.peers.get(0).port);
        final Reply v4 = r.announce(peer(1, 4).left(5));
        assertEquals(Set.of(peerIdHex(1)), Set.copyOf(v4.peerIds()));
        assertEquals(Status.OK, r.announce(peer(1, 1).left(0).address(v6(1))).status);
    }

    @Test
    void eachAddressOfADualStackedPeerExpiresOnItsOwn()
    {
        final Harness h = harness("{\"tracker\": {\"announce_interval_seconds\": 1, " +
            "\"min_announce_interval_seconds\": 1, \"peer_lifetime_seconds\": 1}}");
        h.announce(peer(1, 1).left(0).ipv4(10, 0, 0, 1).key(7));
        h.announce(peer(1, 1).left(0).address(v6(1)).key(7));
        h.announce(peer(2, 1).left(0).ipv4(10, 0, 0, 1).key(7));
        h.announce(peer(2, 1).left(0).address(v6(1)).key(7));
        clock.advance(1_150);
        // Torrent 1 hears only from its IPv6 address (the second one), torrent 2 only from its IPv4 address.
        h.announce(peer(1, 1).left(0).address(v6(1)));
        h.announce(peer(2, 1).left(0).ipv4(10, 0, 0, 1));
        h.tick();
        assertEquals(2, h.processor.peerCount());
        assertEquals(0, h.counters.peersExpired.get());
        assertEquals(0, h.announce(peer(1, 2).left(5).ipv4(10, 0, 0, 2)).peers.size());
        assertEquals(1, h.announce(peer(1, 3).left(5).address(v6(3))).peers.size());
        assertEquals(1, h.announce(peer(2, 2).left(5).ipv4(10, 0, 0, 2)).peers.size());
        assertEquals(0, h.announce(peer(2, 3).left(5).address(v6(3))).peers.size());
        h.tick();
        assertEquals(1, h.counters.seedersIpv6.get());
        assertEquals(1, h.counters.seedersIpv4.get());
    }

    /**
     * A request for compact peers (UDP, HTTP compact=1) gets the same peers as the dictionary form, written in wire
     * form by family: through the plain window and through the preferred-subnet path, for IPv4 and IPv6 requesters.
     */
    @Test
    void compactAnswersCarryTheSamePeersInWireForm()
    {
        final String[] configs = { "{}",
            "{\"tracker\": {\"preferred_subnet\": {\"ipv4_prefix\": 24, \"ipv6_prefix\": 64}}}" };
        for (int c = 0; c < configs.length; c++)
        {
            final Harness h = harness(configs[c], dir.resolve("compact-" + c));
            for (int p = 1; p <= 6; p++)
            {
                h.announce(peer(1, p).left(p % 2).port(7000 + p));
            }
            for (int p = 7; p <= 9; p++)
            {
                h.announce(peer(1, p).left(5).address(v6(p)).port(7000 + p));
            }
            for (final PeerSpec requester : List.of(peer(1, 20).left(5), peer(1, 30).left(5).address(v6(30))))
            {
                final Reply full = h.announce(requester);
                final Reply compact = h.announce(requester.compact());
                assertFalse(full.peers.isEmpty());
                assertEquals(full.peers.size(), compact.peers.size());
                assertEquals(full.endpoints(), compact.endpoints(), "config " + configs[c]);
                assertEquals(full.complete, compact.complete);
                assertEquals(full.incomplete, compact.incomplete);
            }
        }
    }

    /**
     * The compact IPv4 answer copies runs of consecutive records (PeerSelection's branch-free path): over a big swarm
     * of mixed kinds and families, every answer holds numwant distinct peers the requester may get, never itself,
     * and windows from random starts, wrapping and split around the requester's own record reach every such peer.
     */
    @Test
    void compactIpv4WindowsAreDistinctNeverTheRequesterAndReachEveryone()
    {
        final Harness h = harness("{}");
        final int peers = 420; // two pages
        final java.util.Map<String, Boolean> seederByEndpoint = new java.util.HashMap<>();
        for (int p = 1; p <= peers; p++)
        {
            final PeerSpec spec = peer(1, p).left(p % 3 == 0 ? 0 : 5).port(10_000 + p);
            if (p % 7 == 0)
            {
                spec.alt(v6(p), 20_000 + p); // dual-stacked: still handed out over IPv4
            }
            assertEquals(Status.OK, h.announce(spec).status);
            seederByEndpoint.put(hex(mapped(192, 168, p >> 8 & 0xFF, p & 0xFF)) + ":" + (10_000 + p), p % 3 == 0);
        }
        for (int p = 1; p <= 5; p++)
        {
            assertEquals(Status.OK, h.announce(peer(1, 1000 + p).left(5).address(v6(1000 + p))).status); // IPv6 only
        }
        for (final int requester : new int[] { 4, 9 }) // a leecher, a seeder
        {
            final boolean seeder = requester % 3 == 0;
            final String own = hex(mapped(192, 168, 0, requester)) + ":" + (10_000 + requester);
            final java.util.Set<String> seen = new java.util.HashSet<>();
            for (int round = 0; round < 300; round++)
            {
                final Reply r = h.announce(peer(1, requester).left(seeder ? 0 : 5).port(10_000 + requester)
                    .numWant(37).compact());
                assertEquals(Status.OK, r.status);
                assertEquals(37, r.peers.size());
                final java.util.Set<String> answer = new java.util.HashSet<>(r.endpoints());
                assertEquals(37, answer.size(), "distinct");
                assertFalse(answer.contains(own), "never the requester");
                for (final String endpoint : answer)
                {
                    final Boolean isSeeder = seederByEndpoint.get(endpoint);
                    assertTrue(isSeeder != null, "an IPv4 peer of the swarm: " + endpoint);
                    assertTrue(!seeder || !isSeeder, "a seeder gets leechers only");
                }
                seen.addAll(answer);
            }
            final long eligible = seederByEndpoint.entrySet().stream()
                .filter(x -> !x.getKey().equals(own) && (!seeder || !x.getValue())).count();
            assertEquals(eligible, seen.size(), "every peer the requester may get is handed out");
        }
    }

    @Test
    void preferredSubnetPeersComeFirst()
    {
        final String config = "{\"tracker\": {\"preferred_subnet\": {\"ipv4_prefix\": 24, \"ipv6_prefix\": 64}}}";
        final Harness h = harness(config);
        final Harness off = harness("{}", dir.resolve("off"));
        for (final Harness x : List.of(h, off))
        {
            for (int i = 1; i <= 60; i++)
            {
                x.announce(peer(1, i).left(0).ipv4(10, 0, i, 1));
            }
            for (int i = 61; i <= 65; i++)
            {
                x.announce(peer(1, i).left(0).ipv4(192, 168, 7, i));
            }
            for (int i = 66; i <= 90; i++)
            {
                x.announce(peer(1, i).left(0).address(v6(i)));
            }
            for (int i = 91; i <= 93; i++)
            {
                final byte[] local = v6(i);
                local[7] = 0x77;
                x.announce(peer(1, i).left(0).address(local));
            }
        }
        final Set<String> local4 = Set.of(peerIdHex(61), peerIdHex(62), peerIdHex(63), peerIdHex(64), peerIdHex(65));
        final Reply r = h.announce(peer(1, 100).left(5).ipv4(192, 168, 7, 200).numWant(7));
        assertEquals(7, r.peers.size());
        assertEquals(local4, Set.copyOf(r.peerIds().subList(0, 5)));
        final byte[] me = v6(100);
        me[7] = 0x77;
        final Reply r6 = h.announce(peer(1, 101).left(5).address(me).numWant(3));
        assertEquals(Set.of(peerIdHex(91), peerIdHex(92), peerIdHex(93)), Set.copyOf(r6.peerIds()));
        int allLocal = 0;
        for (int i = 0; i < 20; i++)
        {
            if (Set.copyOf(off.announce(peer(1, 102).left(5).ipv4(192, 168, 7, 201).numWant(5)).peerIds()).equals(local4))
            {
                allLocal++;
            }
        }
        assertTrue(allLocal < 2, "without preference the local peers are not singled out");
    }

    @Test
    void familySamplesStayWithinTheirBucketsUnderChurn()
    {
        final Harness h = harness("{}");
        final java.util.Random random = new java.util.Random(42);
        final java.util.Map<Integer, int[]> state = new java.util.HashMap<>(); // peer -> {family bits, seeder}
        for (int step = 0; step < 1500; step++)
        {
            final int n = 1 + random.nextInt(40);
            final int action = random.nextInt(10);
            final boolean seeder = random.nextBoolean();
            if (action == 0)
            {
                h.announce(peer(1, n).left(0).key(n).event(RequestEvent.EVENT_STOPPED));
                h.announce(peer(1, n).left(0).key(n).address(v6(n)).event(RequestEvent.EVENT_STOPPED));
                state.remove(n);
                continue;
            }
            final boolean ipv6 = action < 5;
            final PeerSpec spec = peer(1, n).left(seeder ? 0 : 5).key(n);
            final Reply r = h.announce(ipv6 ? spec.address(v6(n)) : spec.ipv4(10, 0, n >> 8, n));
            assertEquals(Status.OK, r.status);
            final int[] s = state.computeIfAbsent(n, k -> new int[2]);
            s[0] |= ipv6 ? 2 : 1;
            s[1] = seeder ? 1 : 0;
            // Wanting everything must give exactly the reachable peers, each once.
            assertAnswerMatchesModel(h, state, n, ipv6, seeder);
        }
    }

    /**
     * Announces peer {@code n} of torrent 1 wanting 200 peers and checks the answer and a scrape against the model
     * ({@code state}: peer -> {family bits 1 = IPv4, 2 = IPv6; seeder 0/1}): only peers reachable over the
     * requester's family (leechers only for a seeder), never the requester, each once, all of them when they are
     * no more than 200, and the counts.
     */
    private static void assertAnswerMatchesModel(final Harness h, final java.util.Map<Integer, int[]> state,
        final int n, final boolean ipv6, final boolean seeder)
    {
        final Set<String> expected = new HashSet<>();
        for (final java.util.Map.Entry<Integer, int[]> e : state.entrySet())
        {
            if (e.getKey() != n && (e.getValue()[0] & (ipv6 ? 2 : 1)) != 0 && !(seeder && e.getValue()[1] == 1))
            {
                expected.add(peerIdHex(e.getKey()));
            }
        }
        final Reply all = h.announce((ipv6 ? peer(1, n).address(v6(n)) : peer(1, n).ipv4(10, 0, n >> 8, n))
            .left(seeder ? 0 : 5).key(n).numWant(200));
        assertEquals(Math.min(200, expected.size()), all.peers.size());
        assertEquals(all.peers.size(), Set.copyOf(all.peerIds()).size(), "distinct");
        assertTrue(expected.containsAll(all.peerIds()), "only reachable peers, never the requester");
        int seeders = 0;
        for (final int[] v : state.values())
        {
            seeders += v[1];
        }
        assertEquals(seeders, all.complete);
        assertEquals(state.size() - seeders, all.incomplete);
        final ScrapeReply scrape = h.scrape(hash(1));
        assertEquals(seeders, scrape.complete[0]);
        assertEquals(state.size() - seeders, scrape.incomplete[0]);
    }

    /**
     * Swarms that outgrow one page (255 peers) and shrink back, across restarts: every answer holds only reachable
     * peers, distinct, never the requester, and the counts match a model of the swarm.
     */
    @Test
    void bigSwarmsStayConsistentUnderChurnAndRestarts()
    {
        Harness h = harness("{}");
        final java.util.Random random = new java.util.Random(7);
        final java.util.Map<Integer, int[]> state = new java.util.HashMap<>(); // peer -> {family bits, seeder}
        for (int step = 0; step < 3000; step++)
        {
            if (step % 1000 == 999)
            {
                h = h.reopen();
                assertEquals(state.size(), h.processor.peerCount());
            }
            // Grow for the first half, then mostly shrink.
            final int n = 1 + random.nextInt(600);
            final int action = random.nextInt(10);
            final boolean seeder = random.nextBoolean();
            if (action == 0 || (step > 1500 && action < 7))
            {
                h.announce(peer(1, n).left(0).key(n).event(RequestEvent.EVENT_STOPPED));
                h.announce(peer(1, n).left(0).key(n).address(v6(n)).event(RequestEvent.EVENT_STOPPED));
                state.remove(n);
                assertEquals(state.size(), h.processor.peerCount());
                continue;
            }
            final boolean ipv6 = action < 5;
            final PeerSpec spec = peer(1, n).left(seeder ? 0 : 5).key(n);
            final Reply r = h.announce(ipv6 ? spec.address(v6(n)) : spec.ipv4(10, 0, n >> 8, n));
            assertEquals(Status.OK, r.status);
            final int[] s = state.computeIfAbsent(n, k -> new int[2]);
            s[0] |= ipv6 ? 2 : 1;
            s[1] = seeder ? 1 : 0;
            assertEquals(state.size(), h.processor.peerCount());
            assertAnswerMatchesModel(h, state, n, ipv6, seeder);
        }
        h.tick();
        assertEquals(state.isEmpty() ? 0 : 1, h.processor.torrentCount());
    }

    /** A big swarm's peers expire like any others, and the swarm goes back to one page, then away. */
    @Test
    void bigSwarmPeersExpire()
    {
        final Harness h = harness("{\"tracker\": {\"announce_interval_seconds\": 1, " +
            "\"min_announce_interval_seconds\": 1, \"peer_lifetime_seconds\": 1}}");
        for (int n = 1; n <= 400; n++)
        {
            h.announce(peer(1, n).left(n % 3 == 0 ? 0 : 5).numWant(0));
        }
        assertEquals(400, h.processor.peerCount());
        clock.advance(1_150);
        for (int n = 1; n <= 10; n++)
        {
            h.announce(peer(1, n).left(5).numWant(0));
        }
        h.tick();
        assertEquals(10, h.processor.peerCount());
        assertEquals(390, h.counters.peersExpired.get());
        final Reply r = h.announce(peer(1, 11).left(5).numWant(200));
        assertEquals(10, r.peers.size());
        assertEquals(11, r.incomplete);
        final Harness reopened = h.reopen();
        assertEquals(11, reopened.processor.peerCount());
        assertEquals(1, reopened.processor.torrentCount());
    }

    private static byte[] v6(final int n)
    {
        final byte[] address = new byte[16];
        address[0] = 0x20;
        address[1] = 0x01;
        address[2] = 0x0d;
        address[3] = (byte)0xb8;
        address[14] = (byte)(n >> 8);
        address[15] = (byte)n;
        return address;
    }

    // ---------------------------------------------------------------- spare slots: churn in place

    /** A page of a swarm as it lies in its map: a copy of its bytes and where it lay (null when there is none). */
    private record MappedPage(UnsafeBuffer page, long address)
    {
    }

    private static MappedPage mappedPage(final Harness h, final int torrent, final int pageNo)
    {
        final byte[] key = Arrays.copyOf(hash(torrent), SwarmStore.KEY_LENGTH);
        key[20] = (byte)(pageNo >> 8);
        key[21] = (byte)pageNo;
        try (var c = h.store.map(key, 0).queryContext(key))
        {
            c.readLock().lock();
            final var entry = c.entry();
            if (entry == null)
            {
                return null;
            }
            final var value = entry.value();
            final long address = value.bytes().addressForRead(value.offset());
            final byte[] copy = new byte[(int)value.size()];
            new UnsafeBuffer(address, copy.length).getBytes(0, copy);
            return new MappedPage(new UnsafeBuffer(copy), address);
        }
    }

    /**
     * New peers join a swarm and leave it through every growth step of its page: a page of fewer than 5 records has
     * no spare slot (a swarm of one or two peers costs what it did); past that, a new peer is written in place into a
     * free slot (the page stays where it lies in the map) until the page is full, which grows it by about a quarter;
     * leaving peers are dropped in place until fewer than half the slots are used. Every step the page is whole
     * (buckets partitioned, count within its slots) and the answers and counts match the swarm.
     */
    @Test
    void newAndLeavingPeersAreWrittenInPlaceAcrossGrowthSteps()
    {
        final Harness h = harness("{}");
        int inPlace = 0;
        int grown = 0;
        MappedPage before = null;
        for (int n = 1; n <= Page.CAPACITY - 1; n++)
        {
            final Reply r = h.announce(peer(1, n).left(n % 3 == 0 ? 0 : 5).port(10_000 + n).numWant(0));
            assertEquals(Status.OK, r.status);
            assertEquals(n, r.complete + r.incomplete);
            final MappedPage after = mappedPage(h, 1, 0);
            assertEquals(n, Page.count(after.page()));
            assertTrue(Page.isWhole(after.page()), "buckets partitioned after peer " + n);
            assertEquals(n >= Page.SLACK_FROM, Page.hasSlack(after.page()), "spare slots from 5 records: " + n);
            if (n < Page.SLACK_FROM)
            {
                assertEquals(Page.compactLength(n), after.page().capacity(),
                    "a small swarm of IPv4 peers is a compact page of exactly its records");
            }
            if (before != null && Page.hasRoom(before.page()))
            {
                assertEquals(before.address(), after.address(), "a free slot takes the new peer in place: " + n);
                assertEquals(before.page().capacity(), after.page().capacity());
                inPlace++;
            }
            else if (before != null)
            {
                assertEquals(n < Page.SLACK_FROM ? Page.compactLength(n) : Page.lengthFor(n),
                    after.page().capacity(), "a full page grows: " + n);
                grown++;
            }
            before = after;
        }
        assertEquals(Page.CAPACITY - 1, h.processor.peerCount());
        assertTrue(inPlace > 200, "most new peers were written in place: " + inPlace);
        assertTrue(grown < 25, "growth steps are geometric: " + grown);
        assertEquals(Page.MAX_SLOTS, Page.slots(before.page()));

        // The page is full: one more opens page 1 of a big swarm, with room for 64 (and it takes the next in place).
        assertTrue(Page.isFull(before.page()));
        h.announce(peer(1, Page.CAPACITY).left(5).numWant(0));
        assertEquals(Page.MAX_SLOTS, Page.count(mappedPage(h, 1, 0).page()));
        final MappedPage later = mappedPage(h, 1, 1);
        assertEquals(64, Page.slots(later.page()));
        assertEquals(1, Page.count(later.page()));
        h.announce(peer(1, Page.CAPACITY + 1).left(5).numWant(0));
        assertEquals(later.address(), mappedPage(h, 1, 1).address());
        assertEquals(2, Page.count(mappedPage(h, 1, 1).page()));
        h.announce(peer(1, Page.CAPACITY + 1).left(5).event(RequestEvent.EVENT_STOPPED));
        h.announce(peer(1, Page.CAPACITY).left(5).event(RequestEvent.EVENT_STOPPED));
        assertEquals(Page.CAPACITY - 1, h.processor.peerCount());
        assertNull(mappedPage(h, 1, 1));

        int shrunk = 0;
        before = mappedPage(h, 1, 0);
        for (int n = Page.CAPACITY - 1; n >= 1; n--)
        {
            final Reply r = h.announce(peer(1, n).left(n % 3 == 0 ? 0 : 5).event(RequestEvent.EVENT_STOPPED));
            assertEquals(Status.OK, r.status);
            assertEquals(n - 1, h.processor.peerCount());
            if (n == 1)
            {
                break;
            }
            assertEquals(n - 1, r.complete + r.incomplete);
            final MappedPage after = mappedPage(h, 1, 0);
            assertEquals(n - 1, Page.count(after.page()));
            assertTrue(Page.isWhole(after.page()), "buckets partitioned after peer " + n + " left");
            if (after.address() == before.address() && after.page().capacity() == before.page().capacity())
            {
                assertTrue(2 * (n - 1) >= Page.slots(after.page()) && n - 1 >= Page.SLACK_FROM,
                    "dropped in place only while at least half the slots are used: " + n);
            }
            else
            {
                assertEquals(n - 1 < Page.SLACK_FROM ? Page.compactLength(n - 1) : Page.lengthFor(n - 1),
                    after.page().capacity(), "shrunk to its records (compact below 5 IPv4 peers): " + n);
                shrunk++;
            }
            before = after;
        }
        assertTrue(shrunk < 15, "shrinking is geometric: " + shrunk);
        assertNull(mappedPage(h, 1, 0));
        assertEquals(0, h.processor.torrentCount());
    }

    /** The answers of a swarm churning through its page's growth steps match a model of it, across restarts. */
    @Test
    void churnThroughSpareSlotsMatchesTheModelAcrossRestarts()
    {
        Harness h = harness(NO_RETENTION);
        final java.util.Random random = new java.util.Random(19);
        final java.util.Map<Integer, int[]> state = new java.util.HashMap<>(); // peer -> {family bits, seeder}
        for (int step = 0; step < 2500; step++)
        {
            if (step % 700 == 699)
            {
                h = step % 1400 == 699 ? h.reopen() : h.killedCopy();
                assertEquals(state.size(), h.processor.peerCount());
            }
            // Waves: grow to about 120 peers, shrink to a handful, grow again.
            final int wave = (step / 400) % 2;
            final int n = 1 + random.nextInt(130);
            final boolean leave = wave == 0 ? random.nextInt(10) == 0 : random.nextInt(10) < 7;
            if (leave)
            {
                h.announce(peer(1, n).left(0).key(n).event(RequestEvent.EVENT_STOPPED));
                h.announce(peer(1, n).left(0).key(n).address(v6(n)).event(RequestEvent.EVENT_STOPPED));
                state.remove(n);
                assertEquals(state.size(), h.processor.peerCount());
                final MappedPage page = mappedPage(h, 1, 0);
                assertTrue(page == null || Page.isWhole(page.page()));
                continue;
            }
            final boolean ipv6 = random.nextInt(3) == 0;
            final boolean seeder = random.nextBoolean();
            final PeerSpec spec = peer(1, n).left(seeder ? 0 : 5).key(n);
            assertEquals(Status.OK, h.announce(ipv6 ? spec.address(v6(n)) : spec.ipv4(10, 0, n >> 8, n)).status);
            final int[] s = state.computeIfAbsent(n, k -> new int[2]);
            s[0] |= ipv6 ? 2 : 1;
            s[1] = seeder ? 1 : 0;
            assertTrue(Page.isWhole(mappedPage(h, 1, 0).page()));
            assertAnswerMatchesModel(h, state, n, ipv6, seeder);
        }
    }

    /**
     * Big swarms keep every page whole and dense under churn: a peer leaving an earlier page is replaced, in place,
     * by the last page's last record; the index keeps up (every peer re-announces as itself), and the counts too.
     */
    @Test
    void bigSwarmPagesStayWholeAndDenseUnderChurn()
    {
        final Harness h = harness("{}");
        final int peers = 3 * Page.CAPACITY + 40;
        for (int n = 1; n <= peers; n++)
        {
            assertEquals(Status.OK, h.announce(peer(1, n).left(n % 4 == 0 ? 0 : 5).port(n).numWant(0)).status);
        }
        final java.util.Random random = new java.util.Random(3);
        final Set<Integer> present = new java.util.TreeSet<>();
        for (int n = 1; n <= peers; n++)
        {
            present.add(n);
        }
        for (int step = 0; step < 900; step++)
        {
            final int n = 1 + random.nextInt(peers);
            if (present.remove(n))
            {
                h.announce(peer(1, n).left(n % 4 == 0 ? 0 : 5).port(n).event(RequestEvent.EVENT_STOPPED));
            }
            else
            {
                present.add(n);
                assertEquals(Status.OK, h.announce(peer(1, n).left(n % 4 == 0 ? 0 : 5).port(n).numWant(0)).status);
            }
            assertEquals(present.size(), h.processor.peerCount());
        }
        int total = 0;
        int pages = 0;
        for (int p = 0; ; p++)
        {
            final MappedPage page = mappedPage(h, 1, p);
            if (page == null)
            {
                break;
            }
            assertTrue(Page.isWhole(page.page()), "page " + p);
            final int count = Page.count(page.page());
            total += count;
            pages++;
            if (mappedPage(h, 1, p + 1) != null)
            {
                assertEquals(Page.MAX_SLOTS, count, "every page but the last is full");
                assertTrue(Page.isFull(page.page()));
            }
        }
        assertEquals(present.size(), total);
        assertEquals((present.size() + Page.MAX_SLOTS - 1) / Page.MAX_SLOTS, pages);
        int seeders = 0;
        for (final int n : present)
        {
            final Reply r = h.announce(peer(1, n).left(n % 4 == 0 ? 0 : 5).port(n).numWant(0));
            assertEquals(Status.OK, r.status, "peer " + n + " re-announces as itself");
            seeders += n % 4 == 0 ? 1 : 0;
        }
        assertEquals(present.size(), h.processor.peerCount());
        final ScrapeReply s = h.scrape(hash(1));
        assertEquals(seeders, s.complete[0]);
        assertEquals(present.size() - seeders, s.incomplete[0]);
        final Harness k = h.killedCopy();
        assertEquals(present.size(), k.processor.peerCount());
    }

    /**
     * A store of today's format holds pages of the exact layout of any length: they are read as they are, the
     * first new peer of a full one grows it into the layout with spare slots, and nothing is lost.
     */
    @Test
    void pagesOfTheExactLayoutOpenAsTheyAreAndGrowIntoSpareSlots()
    {
        final Harness h = harness("{}");
        for (int n = 1; n <= 40; n++)
        {
            h.announce(peer(1, n).left(n % 2 == 0 ? 0 : 5).port(n));
        }
        // Write the swarm's page back in the exact layout, as a store of trackerd-store 4 holds it.
        final byte[] key = Arrays.copyOf(hash(1), SwarmStore.KEY_LENGTH);
        final UnsafeBuffer page = mappedPage(h, 1, 0).page();
        final byte[] exact = new byte[Page.length(40)];
        page.getBytes(0, exact, 0, exact.length);
        h.store.map(key, 0).put(key, exact);
        final Harness old = h.reopen();
        final UnsafeBuffer opened = mappedPage(old, 1, 0).page();
        assertFalse(Page.hasSlack(opened));
        assertEquals(40, Page.count(opened));
        assertEquals(40, old.processor.peerCount());
        final Reply all = old.announce(peer(1, 41).left(5).numWant(200));
        assertEquals(40, all.peers.size());
        assertEquals(20, all.complete);
        assertEquals(21, all.incomplete);
        final UnsafeBuffer grown = mappedPage(old, 1, 0).page();
        assertTrue(Page.hasSlack(grown));
        assertEquals(41, Page.count(grown));
        assertTrue(Page.isWhole(grown));
        for (int n = 1; n <= 40; n++)
        {
            assertEquals(Status.OK, old.announce(peer(1, n).left(n % 2 == 0 ? 0 : 5).port(n)).status);
        }
        assertEquals(41, old.processor.peerCount());
    }

    /**
     * A {@code kill -9} in the middle of adding a peer in place: its record written into the free slot but the page
     * not yet counting it leaves the swarm as it was; counted but not yet walked to its bucket (a seeder among the
     * leechers), the next start repairs the page and keeps the peer. Either way the page is whole and writable.
     */
    @Test
    void killInTheMiddleOfAnInPlaceAddLeavesAWholePage()
    {
        for (final boolean counted : new boolean[] { false, true })
        {
            final Harness h = harness("{}", dir.resolve("add-" + counted));
            for (int n = 1; n <= 9; n++) // 9 records in 10 slots
            {
                h.announce(peer(1, n).left(5).port(n));
            }
            final Harness k = killMidChange(h, page ->
            {
                assertTrue(Page.hasRoom(page));
                final int count = Page.count(page);
                // Peer 11, a seeder, written whole into the free slot (the record of peer 1, another id and port).
                page.putBytes(Page.record(count), page, Page.record(0), Page.RECORD);
                page.putBytes(Page.record(count), peerId(11));
                page.putShort(Page.record(count) + Page.V4_PORT, (short)11);
                Page.flags(page, count, Page.flags(page, 0) | Page.SEEDER);
                if (counted)
                {
                    Page.count(page, count + 1);
                }
            });
            assertEquals(counted ? 10 : 9, k.processor.peerCount());
            final UnsafeBuffer page = mappedPage(k, 1, 0).page();
            assertTrue(Page.isWhole(page));
            assertEquals(counted ? 1 : 0, Page.seeders(page));
            final Reply r = k.announce(peer(1, 12).left(5).numWant(200));
            assertEquals(Status.OK, r.status);
            assertEquals(counted ? 10 : 9, r.peers.size());
            assertEquals(counted ? 1 : 0, r.complete);
            assertEquals(counted ? 11 : 10, k.processor.peerCount());
        }
    }

    /**
     * A {@code kill -9} in the middle of dropping a peer in place: walked to the end of the page but still counted,
     * the peer is still there after the start; uncounted, it is gone. The page is whole either way.
     */
    @Test
    void killInTheMiddleOfAnInPlaceRemovalLeavesAWholePage()
    {
        for (final boolean uncounted : new boolean[] { false, true })
        {
            final Harness h = harness("{}", dir.resolve("remove-" + uncounted));
            for (int n = 1; n <= 10; n++)
            {
                h.announce(peer(1, n).left(n <= 3 ? 0 : 5).port(n));
            }
            final Harness k = killMidChange(h, page ->
            {
                final int pos = Page.find(page, new UnsafeBuffer(peerId(2)), true);
                Page.moveToEnd(page, pos, new byte[Page.RECORD], null);
                if (uncounted)
                {
                    Page.count(page, Page.count(page) - 1);
                }
            });
            assertEquals(uncounted ? 9 : 10, k.processor.peerCount());
            final UnsafeBuffer page = mappedPage(k, 1, 0).page();
            assertTrue(Page.isWhole(page));
            assertEquals(uncounted ? 2 : 3, Page.seeders(page));
            final Reply r = k.announce(peer(1, 11).left(5).numWant(200));
            assertEquals(uncounted ? 9 : 10, r.peers.size());
            assertEquals(uncounted ? 2 : 3, r.complete);
        }
    }

    /**
     * A {@code kill -9} in the middle of writing a big swarm's last record over a leaving peer's (journaled as a swap
     * of the record with itself): the record is half another peer's id; the next start puts the old record back.
     */
    @Test
    void killInTheMiddleOfAnOverwriteIsUndoneFromTheInFlightFile()
    {
        final Harness h = harness("{}");
        for (int n = 1; n <= 10; n++)
        {
            h.announce(peer(1, n).left(5).port(7000 + n));
        }
        final byte[] key = Arrays.copyOf(hash(1), SwarmStore.KEY_LENGTH);
        final Harness k = killMidChange(h, page ->
        {
            final int pos = Page.find(page, new UnsafeBuffer(peerId(2)), false);
            h.store.inFlight.swapping(key, page, pos, pos);
            page.putBytes(Page.record(pos), peerId(99), 0, 12); // torn inside the peer id
        });
        h.store.inFlight.swapped();
        assertEquals(10, k.processor.peerCount());
        final Reply r = k.announce(peer(1, 11).left(5).numWant(200));
        final Set<String> got = new HashSet<>();
        for (final Peer p : r.peers)
        {
            got.add(p.id() + ":" + p.port());
        }
        final Set<String> expected = new HashSet<>();
        for (int n = 1; n <= 10; n++)
        {
            expected.add(peerIdHex(n) + ":" + (7000 + n));
        }
        assertEquals(expected, got);
    }

    /**
     * Changes swarm 1's page 0 in place as the processor would mid-update (busy, swarm recorded, entry locked), then
     * opens a copy of the store as a {@code kill -9} at that moment leaves it.
     */
    private Harness killMidChange(final Harness h, final java.util.function.Consumer<UnsafeBuffer> change)
    {
        final byte[] key = inFlightOn(h, 1, false);
        try (var c = h.store.map(key, 0).queryContext(key))
        {
            c.updateLock().lock();
            final var value = c.entry().value();
            change.accept(new UnsafeBuffer(value.bytes().addressForRead(value.offset()), (int)value.size()));
            return h.killedCopy();
        }
    }

    // ---------------------------------------------------------------- compact pages: small IPv4-only swarms

    /**
     * A new swarm of IPv4 peers is a compact page (36-byte records, length 1 mod 4) while it has fewer than
     * {@link Page#SLACK_FROM} peers; the fifth makes it a page of the full layout with spare slots, and leaving peers
     * make it compact again. Every step the page is whole, each peer is answered with its own address and port, and
     * a restart reads it as it is.
     */
    @Test
    void smallSwarmsOfIpv4PeersAreCompactPagesUntilTheyGrow()
    {
        final Harness h = harness("{}");
        for (int n = 1; n < Page.SLACK_FROM; n++)
        {
            assertEquals(Status.OK, h.announce(peer(1, n).left(n % 2 == 0 ? 0 : 5).port(7000 + n).key(n)).status);
            final UnsafeBuffer page = mappedPage(h, 1, 0).page();
            assertTrue(Page.isCompact(page), "a swarm of " + n + " IPv4 peers is compact");
            assertEquals(Page.compactLength(n), page.capacity());
            assertTrue(Page.isPageLength(page.capacity()));
            assertEquals(n, Page.count(page));
            assertTrue(Page.isWhole(page));
        }
        assertEquals(Status.OK, h.announce(peer(1, 3).left(5).port(7003).event(RequestEvent.EVENT_COMPLETED)).status);
        assertCompactSwarm(h, 4);
        assertEquals(1, h.scrape(hash(1)).downloaded[0]);

        // The fifth peer: the page takes the full layout with spare slots.
        h.announce(peer(1, 5).left(5).port(7005));
        final UnsafeBuffer full = mappedPage(h, 1, 0).page();
        assertFalse(Page.isCompact(full));
        assertTrue(Page.hasSlack(full));
        assertEquals(5, Page.count(full));
        assertTrue(Page.isWhole(full));
        assertEquals(5, h.announce(peer(1, 9).left(5).numWant(200)).peers.size());
        h.announce(peer(1, 9).left(5).event(RequestEvent.EVENT_STOPPED));

        // Down to four IPv4-only peers again: compact again, nothing lost.
        h.announce(peer(1, 5).left(5).event(RequestEvent.EVENT_STOPPED));
        assertTrue(Page.isCompact(mappedPage(h, 1, 0).page()));
        assertCompactSwarm(h, 4);
        assertEquals(1, h.scrape(hash(1)).downloaded[0]);

        final Harness reopened = h.reopen();
        assertEquals(4, reopened.processor.peerCount());
        assertCompactSwarm(reopened, 4);
        final Harness crashed = reopened.reopenAfterCrash();
        assertEquals(4, crashed.processor.peerCount());
        assertCompactSwarm(crashed, 4);

        // Down to one peer, compact all the way.
        for (int n = 1; n <= 3; n++)
        {
            crashed.announce(peer(1, n).left(5).event(RequestEvent.EVENT_STOPPED));
            final UnsafeBuffer page = mappedPage(crashed, 1, 0).page();
            assertTrue(Page.isCompact(page));
            assertEquals(4 - n, Page.count(page));
            assertTrue(Page.isWhole(page));
        }
        assertEquals(1, crashed.processor.peerCount());
    }

    /** Each of peers 1..n of swarm 1 re-announces and gets the others, each with its own address and port. */
    private static void assertCompactSwarm(final Harness h, final int n)
    {
        for (int asker = 1; asker <= n; asker++)
        {
            for (final boolean compact : new boolean[] { false, true })
            {
                final PeerSpec spec = peer(1, asker).left(asker % 2 == 0 ? 0 : 5).port(7000 + asker).key(asker)
                    .numWant(200);
                final Reply r = h.announce(compact ? spec.compact() : spec);
                assertEquals(Status.OK, r.status);
                final Set<String> got = new HashSet<>();
                for (final Peer p : r.peers)
                {
                    got.add(Arrays.toString(p.address) + ":" + p.port);
                }
                final Set<String> expected = new HashSet<>();
                for (int other = 1; other <= n; other++)
                {
                    final boolean seeder = other % 2 == 0;
                    if (other != asker && !(seeder && asker % 2 == 0))
                    {
                        expected.add(Arrays.toString(mapped(192, 168, 0, other)) + ":" + (7000 + other));
                    }
                }
                assertEquals(expected, got, "asker " + asker + (compact ? " (compact answer)" : ""));
                assertEquals(n / 2, r.complete);
                assertEquals(n - n / 2, r.incomplete);
            }
        }
        final UnsafeBuffer page = mappedPage(h, 1, 0).page();
        assertTrue(Page.isCompact(page));
        assertTrue(Page.isWhole(page));
        assertEquals(n, Page.count(page));
    }

    /**
     * A compact page becomes a page of the full layout when an IPv6 address comes: a known peer's own (from the page
     * cache, and from the map's path), an alternative address of a new peer, or a new IPv6 peer; the last IPv6 peer
     * leaving makes it compact again. The IPv4 peers keep their addresses, ports, keys and kinds through each step.
     */
    @Test
    void anIpv6AddressMakesACompactPageFullAndItsLeavingCompactAgain()
    {
        final Harness h = harness("{}");
        // A known peer's own IPv6 address (proved by its key) makes it dual-stacked.
        h.announce(peer(1, 1).left(0).port(4000).ipv4(10, 0, 0, 1).key(7));
        h.announce(peer(1, 2).left(5).port(4002));
        assertTrue(Page.isCompact(mappedPage(h, 1, 0).page()));
        assertEquals(Status.OK, h.announce(peer(1, 1).left(0).port(6000).address(v6(1)).key(7)).status);
        UnsafeBuffer page = mappedPage(h, 1, 0).page();
        assertFalse(Page.isCompact(page));
        assertEquals(Page.length(2), page.capacity());
        assertTrue(Page.isWhole(page));
        assertEquals(2, h.processor.peerCount());
        final Reply v6 = h.announce(peer(1, 3).left(5).address(v6(3)));
        assertEquals(1, v6.peers.size());
        assertArrayEquals(v6(1), v6.peers.get(0).address);
        assertEquals(6000, v6.peers.get(0).port);
        final Reply v4 = h.announce(peer(1, 2).left(5).port(4002));
        assertEquals(1, v4.peers.size(), "the IPv4 leecher gets the seeder; the IPv6-only leecher it cannot reach");
        assertArrayEquals(mapped(10, 0, 0, 1), v4.peers.get(0).address);
        assertEquals(4000, v4.peers.get(0).port);
        // The IPv6 peers leave: peer 1 stops (both addresses), peer 3 stops; left: peer 2, IPv4 only.
        h.announce(peer(1, 3).left(5).address(v6(3)).event(RequestEvent.EVENT_STOPPED));
        h.announce(peer(1, 1).left(0).address(v6(1)).event(RequestEvent.EVENT_STOPPED));
        assertEquals(1, h.processor.peerCount());
        page = mappedPage(h, 1, 0).page();
        assertTrue(Page.isCompact(page), "one IPv4 peer left: compact again");
        assertEquals(1, Page.count(page));

        // The same from the map's path (the page cache does not know the swarm after a restart).
        h.announce(peer(2, 1).left(0).port(4000).ipv4(10, 0, 0, 1).key(9));
        final Harness r = h.reopen();
        assertTrue(Page.isCompact(mappedPage(r, 2, 0).page()));
        assertEquals(Status.OK, r.announce(peer(2, 1).left(0).port(6000).address(v6(1)).key(9)).status);
        assertFalse(Page.isCompact(mappedPage(r, 2, 0).page()));
        assertEquals(Set.of(peerIdHex(1)), Set.copyOf(r.announce(peer(2, 5).left(5)).peerIds()));
        assertArrayEquals(v6(1), r.announce(peer(2, 6).left(5).address(v6(6))).peers.get(0).address);

        // A new peer with an IPv6 alternative address, and a new IPv6 peer, each make a compact page full.
        r.announce(peer(3, 1).left(0).port(1000));
        r.announce(peer(3, 2).left(5).ipv4(10, 0, 0, 2).port(1000).alt(v6(2), 2000));
        page = mappedPage(r, 3, 0).page();
        assertFalse(Page.isCompact(page));
        assertTrue(Page.isWhole(page));
        r.announce(peer(4, 1).left(0).port(1000));
        r.announce(peer(4, 2).left(5).address(v6(2)));
        assertFalse(Page.isCompact(mappedPage(r, 4, 0).page()));
        assertEquals(2, r.scrape(hash(4)).incomplete[0] + r.scrape(hash(4)).complete[0]);
        final Reply seederOf3 = r.announce(peer(3, 1).left(0).port(1000).numWant(200));
        assertEquals(1, seederOf3.peers.size());
        assertArrayEquals(mapped(10, 0, 0, 2), seederOf3.peers.get(0).address);
        final Harness again = r.reopen();
        assertEquals(r.processor.peerCount(), again.processor.peerCount());
        assertFalse(Page.isCompact(mappedPage(again, 4, 0).page()));
    }

    /**
     * A {@code kill -9} in the middle of making a compact page full: before the replace (the structural word set,
     * the map not yet changed) the next start recovers the shard and finds the compact page; after it, the full one.
     * Either way every peer is there with its own address and port, and an IPv6 announce goes on from there.
     */
    @Test
    void killInTheMiddleOfMakingACompactPageFullLeavesOneOrTheOther()
    {
        for (final boolean replaced : new boolean[] { false, true })
        {
            final Harness h = harness("{}", dir.resolve("make-full-" + replaced));
            h.announce(peer(1, 1).left(0).port(7001).key(1));
            h.announce(peer(1, 2).left(5).port(7002).key(2));
            h.announce(peer(1, 3).left(5).port(7003).key(3));
            final byte[] key = inFlightOn(h, 1, true);
            final Harness k;
            try (var c = h.store.map(key, 0).queryContext(key))
            {
                c.updateLock().lock();
                final var entry = c.entry();
                final var value = entry.value();
                final UnsafeBuffer page = new UnsafeBuffer(value.bytes().addressForRead(value.offset()),
                    (int)value.size());
                assertTrue(Page.isCompact(page));
                if (replaced)
                {
                    final byte[] full = new byte[Page.length(3)];
                    Page.copy(page, 3, new UnsafeBuffer(full));
                    entry.doReplaceValue(c.wrapValueAsData(full));
                }
                k = h.killedCopy();
            }
            h.store.inFlight.structuralEnd();
            assertTrue(k.store.recovered(SwarmStore.shard(hash(1), 0)));
            final UnsafeBuffer page = mappedPage(k, 1, 0).page();
            assertEquals(!replaced, Page.isCompact(page));
            assertTrue(Page.isWhole(page));
            assertEquals(3, k.processor.peerCount());
            assertCompactSwarmPorts(k, 1, 2, 3);
            assertEquals(Status.OK, k.announce(peer(1, 2).left(5).address(v6(2)).port(8002).key(2)).status);
            assertFalse(Page.isCompact(mappedPage(k, 1, 0).page()));
            assertEquals(3, k.processor.peerCount());
            final Reply v6 = k.announce(peer(1, 9).left(5).address(v6(9)));
            assertEquals(1, v6.peers.size());
            assertArrayEquals(v6(2), v6.peers.get(0).address);
            assertEquals(8002, v6.peers.get(0).port);
        }
    }

    /** Peer 9 of swarm 1, a leecher, gets {@code peers} each with its own port 7000 + n (and leaves again). */
    private static void assertCompactSwarmPorts(final Harness h, final int... peers)
    {
        final Reply r = h.announce(peer(1, 9).left(5).numWant(200));
        assertEquals(Status.OK, r.status);
        final Set<String> expected = new HashSet<>();
        for (final int p : peers)
        {
            expected.add(peerIdHex(p) + ":" + (7000 + p));
        }
        final Set<String> got = new HashSet<>();
        for (final Peer p : r.peers)
        {
            got.add(p.id() + ":" + p.port());
        }
        assertEquals(expected, got);
        h.announce(peer(1, 9).left(5).event(RequestEvent.EVENT_STOPPED));
    }

    /**
     * A {@code kill -9} in the middle of dropping a peer from a compact page: walked to the end by journaled swaps
     * (a swap torn in its middle is undone from the in-flight file) but not yet cut off, the peer is still there
     * after the start, the page whole and compact; a death in the middle of such a swap leaves every peer with its
     * own port.
     */
    @Test
    void killInTheMiddleOfARemovalFromACompactPageLeavesAWholePage()
    {
        for (final boolean tornSwap : new boolean[] { false, true })
        {
            final Harness h = harness("{}", dir.resolve("compact-remove-" + tornSwap));
            h.announce(peer(1, 1).left(0).port(7001));
            h.announce(peer(1, 2).left(5).port(7002));
            h.announce(peer(1, 3).left(0).port(7003));
            h.announce(peer(1, 4).left(5).port(7004));
            final byte[] key = Arrays.copyOf(hash(1), SwarmStore.KEY_LENGTH);
            final Harness k = killMidChange(h, page ->
            {
                assertTrue(Page.isCompact(page));
                final int pos = Page.find(page, new UnsafeBuffer(peerId(1)), true);
                if (tornSwap)
                {
                    // The first swap of the walk, torn after the peer id: journaled, so it is undone.
                    final int last = Page.bound(page, Page.LEECHERS_V4) - 1;
                    h.store.inFlight.swapping(key, page, pos, last);
                    page.putBytes(Page.record(page, pos) + 20, page, Page.record(page, last) + 20,
                        Page.recordLength(page) - 20);
                }
                else
                {
                    Page.moveToEnd(page, pos, new byte[Page.RECORD], null);
                }
            });
            h.store.inFlight.swapped();
            final UnsafeBuffer page = mappedPage(k, 1, 0).page();
            assertTrue(Page.isCompact(page));
            assertTrue(Page.isWhole(page));
            assertEquals(4, k.processor.peerCount());
            assertEquals(2, Page.seeders(page));
            assertCompactSwarmPorts(k, 1, 2, 3, 4);
            k.announce(peer(1, 1).left(0).event(RequestEvent.EVENT_STOPPED));
            assertEquals(3, k.processor.peerCount());
            assertCompactSwarmPorts(k, 2, 3, 4);
            assertTrue(Page.isCompact(mappedPage(k, 1, 0).page()));
        }
    }

    /**
     * A store of format 5 (pages of the full layout only, a few peers each) opens with nothing lost and says format
     * 6; its pages are read as they are, and a page that is copied anyway (it grows or shrinks) becomes compact
     * when its peers are IPv4-only.
     */
    @Test
    void aStoreOfFormatFiveOpensAsItIsAndItsSmallPagesBecomeCompactAsTheyChange() throws Exception
    {
        final Path store = dir.resolve("format5");
        final Harness h = harness("{}", store);
        fillMixed(h);
        // Every compact page written back in the full layout, as a tracker of format 5 wrote it.
        int rewritten = 0;
        for (int s = 0; s < SwarmStore.SHARDS; s++)
        {
            final var map = h.store.shard(s);
            for (final var e : new java.util.ArrayList<>(map.entrySet()))
            {
                final UnsafeBuffer page = new UnsafeBuffer(e.getValue());
                if (Page.isCompact(page))
                {
                    final byte[] full = new byte[Page.length(Page.count(page))];
                    Page.copy(page, Page.count(page), new UnsafeBuffer(full));
                    map.put(e.getKey(), full);
                    rewritten++;
                }
            }
        }
        assertEquals(300, rewritten);
        h.store.close();
        harnesses.remove(h);
        java.nio.file.Files.writeString(store.resolve("FORMAT"), "trackerd-store 5\n");

        final Harness opened = harness("{}", store);
        assertEquals("trackerd-store 6", java.nio.file.Files.readString(store.resolve("FORMAT")).trim());
        assertMixed(opened);
        final UnsafeBuffer old = mappedPage(opened, 5, 0).page();
        assertFalse(Page.isCompact(old));
        assertEquals(Page.length(2), old.capacity());
        final Reply r = opened.announce(peer(5, 2).left(5).numWant(200));
        assertEquals(2, r.peers.size());
        final UnsafeBuffer grown = mappedPage(opened, 5, 0).page();
        assertTrue(Page.isCompact(grown), "copied anyway to grow: compact");
        assertEquals(3, Page.count(grown));
        assertTrue(Page.isWhole(grown));
        assertEquals(2, opened.announce(peer(5, 0).left(1).numWant(200)).peers.size());
        opened.announce(peer(5, 2).left(5).event(RequestEvent.EVENT_STOPPED));
        assertTrue(Page.isCompact(mappedPage(opened, 5, 0).page()));
        assertEquals(Page.length(2), mappedPage(opened, 6, 0).page().capacity(), "a page not copied stays as it is");
        assertMixed(opened.reopen());
    }

    // ---------------------------------------------------------------- expiry and persistence

    @Test
    void expiredPeersAreDroppedByTicksAndAtRestart()
    {
        final String config = "{\"tracker\": {\"announce_interval_seconds\": 1, \"min_announce_interval_seconds\": 1, " +
            "\"peer_lifetime_seconds\": 1, \"torrent_retention_seconds\": 0}}";
        final Harness ticked = harness(config, dir.resolve("ticked"));
        final Harness restarted = harness(config, dir.resolve("restarted"));
        for (final Harness h : List.of(ticked, restarted))
        {
            h.announce(peer(1, 1).left(0));
            h.announce(peer(1, 2).left(5));
            h.announce(peer(2, 1).left(5));
            h.announce(peer(2, 2).left(0).event(RequestEvent.EVENT_COMPLETED));
        }
        // Announce times are kept in whole seconds and the lifetime is 1 s: past it, the first announces have
        // expired and the fresh ones, a second younger, stay alive through the ticks and the reopen.
        clock.advance(1_150);
        for (final Harness h : List.of(ticked, restarted))
        {
            h.announce(peer(1, 3).left(5));
        }

        ticked.tick();
        assertEquals(1, ticked.processor.torrentCount());
        assertEquals(1, ticked.processor.peerCount());
        assertEquals(0, ticked.processor.seederCount());
        assertEquals(4, ticked.counters.peersExpired.get());
        assertEquals(1, ticked.counters.torrents.get());
        assertEquals(1, ticked.store.peerCount());
        assertEquals(1, ticked.store.torrentCount());
        final ScrapeReply s = ticked.scrape(hash(1), hash(2));
        assertArrayEquals(new int[] { 0, 0 }, s.complete);
        assertArrayEquals(new int[] { 1, 0 }, s.incomplete);

        // A clean restart starts from the counts the shutdown wrote; the first sweep drops what expired.
        final Harness reopened = restarted.reopen();
        assertEquals(2, reopened.processor.torrentCount());
        reopened.tick();
        assertEquals(1, reopened.processor.torrentCount());
        assertEquals(1, reopened.processor.peerCount());
        assertEquals(1, reopened.store.peerCount());
        assertEquals(1, reopened.store.torrentCount());
        final Reply r = reopened.announce(peer(1, 4).left(5));
        assertEquals(List.of(peerIdHex(3)), r.peerIds());
    }

    /**
     * After a crash the in-flight file cannot vouch for (here: it is gone, as after a power loss) the start-up scan
     * counts the map and drops the expired at once.
     */
    @Test
    void expiredPeersAreDroppedAtAStartAfterACrash()
    {
        final String config = "{\"tracker\": {\"announce_interval_seconds\": 1, \"min_announce_interval_seconds\": 1, " +
            "\"peer_lifetime_seconds\": 1, \"torrent_retention_seconds\": 0}}";
        final Harness h = harness(config);
        h.announce(peer(1, 1).left(0));
        h.announce(peer(1, 2).left(5));
        h.announce(peer(2, 1).left(5).address(v6(1)));
        for (int n = 1; n <= 300; n++)
        {
            h.announce(peer(3, n).left(n % 2).numWant(0));
        }
        // Announce times are kept in whole seconds and the lifetime is 1 s: past it, the first announces have
        // expired and the fresh ones, a second younger, stay alive through the reopen.
        clock.advance(1_150);
        h.announce(peer(1, 3).left(5));
        h.announce(peer(3, 7).left(0).numWant(0));
        final Harness reopened = h.reopenAfterCrash();
        assertEquals(2, reopened.processor.torrentCount());
        assertEquals(2, reopened.processor.peerCount());
        assertEquals(1, reopened.counters.leechersIpv4.get());
        assertEquals(1, reopened.counters.seedersIpv4.get());
        assertEquals(0, reopened.counters.leechersIpv6.get());
        assertEquals(List.of(peerIdHex(7)), reopened.announce(peer(3, 8).left(5)).peerIds());
    }

    /**
     * A {@code kill -9} while the processor is idle: the next start opens the map as it is, with no recovery and
     * no scan (the counts are the in-flight file's), and every swarm, the big one too, is there and writable.
     */
    @Test
    void killWithNothingInFlightOpensWithoutRecoveryOrScan()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0));
        h.announce(peer(1, 2).left(5).address(v6(2)));
        for (int n = 1; n <= Page.CAPACITY + 20; n++)
        {
            h.announce(peer(2, n).left(n % 3).numWant(0));
        }
        final Harness k = h.killedCopy();
        assertFalse(k.store.recovered(), "no recovery after a crash with nothing in flight");
        assertTrue(k.store.plan().countsKnown(), "no scan: the counts are the in-flight file's");
        assertEquals(2, k.processor.torrentCount());
        assertEquals(Page.CAPACITY + 22, k.processor.peerCount());
        assertEquals(1 + (Page.CAPACITY + 20) / 3, k.counters.seedersIpv4.get());
        assertEquals(Page.CAPACITY + 20 - (Page.CAPACITY + 20) / 3, k.counters.leechersIpv4.get());
        assertEquals(1, k.counters.leechersIpv6.get());
        final ScrapeReply s = k.scrape(hash(1), hash(2));
        assertArrayEquals(new int[] { 1, (Page.CAPACITY + 20) / 3 }, s.complete);
        assertEquals(Status.OK, k.announce(peer(1, 3).left(5)).status);
        assertEquals(Status.OK, k.announce(peer(2, 999).left(5)).status);
        assertEquals(Page.CAPACITY + 24, k.processor.peerCount());
        k.tick();
        assertEquals(Page.CAPACITY + 24, k.processor.peerCount());
    }

    /** The in-flight file of another boot of the host (power loss: writes may be lost) is not trusted. */
    @Test
    void inFlightFileOfAnotherBootIsNotTrusted()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0));
        h.announce(peer(1, 2).left(5));
        h.store.inFlight.reset("another-boot", InFlight.IDLE, 7, 7, new long[] { 7, 0, 0, 0 });
        final Harness k = h.killedCopy();
        assertTrue(k.store.recovered());
        assertEquals(SwarmStore.SHARDS, k.store.recoveredShardCount(), "another boot: every shard is recovered");
        assertEquals(SwarmStore.SHARDS, k.store.scannedShardCount());
        assertFalse(k.store.plan().countsKnown());
        assertEquals(1, k.processor.torrentCount());
        assertEquals(2, k.processor.peerCount());
    }

    /**
     * A {@code kill -9} while the processor held a swarm's entry locked in the middle of an in-place swap: the
     * next start resets that shard's locks (no recovery: the map's structure was not being changed; writing that
     * swarm does not block), rebuilds the torn page from what is whole in it (never serves its bucket bounds or a
     * duplicated record) and counts it.
     */
    @Test
    void killInTheMiddleOfAnInPlaceUpdateResetsTheLocksAndRepairsTheTornPage()
    {
        killInTheMiddleOfAnUpdate(false);
    }

    /**
     * A {@code kill -9} in the middle of a swap of two records, torn inside one record: peer 2's record has peer 2's
     * id over peer 3's address, port and flags (a page no check can tell is torn). The in-flight file kept both
     * records before the swap: the next start puts them back, and every peer is there with its own port.
     */
    @Test
    void killInTheMiddleOfASwapIsUndoneFromTheInFlightFile()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0).port(7001));
        h.announce(peer(1, 2).left(5).port(7002));
        h.announce(peer(1, 3).left(5).port(7003));
        final byte[] key = inFlightOn(h, 1, false);
        final Harness k;
        try (var c = h.store.map(key, 0).queryContext(key))
        {
            c.updateLock().lock();
            final var value = c.entry().value();
            final UnsafeBuffer page = new UnsafeBuffer(value.bytes().addressForRead(value.offset()),
                (int)value.size());
            final int p2 = Page.find(page, new UnsafeBuffer(peerId(2)), false);
            final int p3 = Page.find(page, new UnsafeBuffer(peerId(3)), false);
            assertTrue(p2 >= 0 && p3 >= 0);
            h.store.inFlight.swapping(key, page, p2, p3);
            // Torn after the peer id: record p2 is peer 2's id with peer 3's address, port and flags.
            page.putBytes(Page.record(page, p2) + 20, page, Page.record(page, p3) + 20, Page.recordLength(page) - 20);
            assertTrue(Page.isWhole(page), "no check of the page can tell");
            k = h.killedCopy();
        }
        h.store.inFlight.swapped();
        assertEquals(3, k.processor.peerCount());
        final Reply r = k.announce(peer(1, 4).left(5));
        assertEquals(Status.OK, r.status);
        final Set<String> expected = Set.of(peerIdHex(1) + ":7001", peerIdHex(2) + ":7002", peerIdHex(3) + ":7003");
        final Set<String> got = new java.util.HashSet<>();
        for (final Peer p : r.peers)
        {
            got.add(p.id() + ":" + p.port());
        }
        assertEquals(expected, got, "each peer id with its own port, none lost or duplicated");
    }

    /** The same death inside a change of the map's structure: Chronicle's recovery runs on that shard alone. */
    @Test
    void killInTheMiddleOfAStructuralChangeRecoversTheShard()
    {
        killInTheMiddleOfAnUpdate(true);
    }

    private void killInTheMiddleOfAnUpdate(final boolean structural)
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0));
        h.announce(peer(1, 2).left(5));
        h.announce(peer(1, 3).left(5));
        h.announce(peer(2, 1).left(5));
        final byte[] key = inFlightOn(h, 1, false);
        if (structural)
        {
            h.store.inFlight.structuralBegin(InFlight.NO_SEGMENT); // a change the file names no segment of
        }
        final Harness k;
        try (var c = h.store.map(key, 0).queryContext(key))
        {
            c.updateLock().lock();
            final var value = c.entry().value();
            final UnsafeBuffer page = new UnsafeBuffer(value.bytes().addressForRead(value.offset()),
                (int)value.size());
            assertEquals(3, Page.count(page));
            // Half a swap: record 2 copied over record 1 (peer 2 gone, peer 3 twice), the bounds not yet moved,
            // and a bound written past the page.
            page.putBytes(Page.record(page, 1), page, Page.record(page, 2), Page.recordLength(page));
            page.putShort(4, (short)200);
            k = h.killedCopy();
        }
        if (structural)
        {
            h.store.inFlight.structuralEnd();
            assertTrue(k.store.recovered());
            assertEquals(1, k.store.recoveredShardCount(), "only the shard of the swarm in flight is recovered");
            assertTrue(k.store.recovered(SwarmStore.shard(hash(1), 0)));
            assertEquals(-1, k.store.unlockedShard());
        }
        else
        {
            assertFalse(k.store.recovered(), "nothing structural was in flight: no recovery");
            assertEquals(SwarmStore.shard(hash(1), 0), k.store.unlockedShard());
        }
        assertEquals(0, k.store.scannedShardCount(), "no scan: that shard is counted at the opening");
        assertEquals(SwarmStore.shard(hash(1), 0), k.store.plan().countedShard(),
            "only that shard is counted (the torn swarm by the start-up scan), the others' counts are kept");
        assertNotEquals(SwarmStore.shard(hash(1), 0), SwarmStore.shard(hash(2), 0));
        assertEquals(2, k.processor.torrentCount());
        assertEquals(3, k.processor.peerCount(), "peer 1, peer 3 once, and swarm 2's peer");
        final ScrapeReply s = k.scrape(hash(1), hash(2));
        assertArrayEquals(new int[] { 1, 0 }, s.complete);
        assertArrayEquals(new int[] { 1, 1 }, s.incomplete);
        final Reply r = k.announce(peer(1, 4).left(5));
        assertEquals(Status.OK, r.status);
        assertEquals(Set.of(peerIdHex(1), peerIdHex(3)), Set.copyOf(r.peerIds()));
        assertEquals(4, k.processor.peerCount());
    }

    /**
     * A {@code kill -9} while an expiry sweep held segments of a shard locked (between two entries no swarm is
     * being changed): the in-flight file names the shard, the next start resets that shard's locks, opens the
     * others as they are, and every swarm is intact and writable (a lock left held would block a write 60 s).
     */
    @Test
    void killDuringASweepResetsOnlyTheSweptShardsLocks()
    {
        final Harness h = harness("{}");
        for (int t = 1; t <= 40; t++)
        {
            h.announce(peer(t, 1).left(0));
            h.announce(peer(t, 2).left(5));
        }
        final int swept = SwarmStore.shard(hash(3), 0);
        final Harness k;
        h.store.inFlight.busy();
        h.store.inFlight.swarm(hash(4), 0); // the last swarm recorded is of another shard
        h.store.inFlight.shard(swept);
        // The segment of swarm 3 locked, as forEachSegmentEntry holds it.
        try (var c = h.store.map(hash(3), 0).queryContext(Arrays.copyOf(hash(3), SwarmStore.KEY_LENGTH)))
        {
            c.updateLock().lock();
            k = h.killedCopy();
        }
        h.store.inFlight.idle(h.store.torrents, h.store.peers, h.store.population);
        assertEquals(0, k.store.recoveredShardCount(), "a sweep between entries changes no structure");
        assertEquals(swept, k.store.unlockedShard());
        assertFalse(k.store.plan().countsKnown(), "a crash mid-update: that shard is counted afresh");
        assertEquals(40, k.processor.torrentCount());
        assertEquals(80, k.processor.peerCount());
        for (int t = 1; t <= 40; t++)
        {
            final Reply r = k.announce(peer(t, 3).left(5));
            assertEquals(Status.OK, r.status);
            assertEquals(Set.of(peerIdHex(1), peerIdHex(2)), Set.copyOf(r.peerIds()), "swarm " + t);
        }
        assertEquals(120, k.processor.peerCount());
        k.tick();
        assertEquals(120, k.processor.peerCount());

        // Again, mid-update on another shard: the per-shard counts the first crashed start kept add up.
        final int other = SwarmStore.shard(hash(6), 0);
        k.store.inFlight.busy();
        k.store.inFlight.shard(other);
        final Harness k2 = k.killedCopy();
        k.store.inFlight.idle(k.store.torrents, k.store.peers, k.store.population);
        assertEquals(other, k2.store.unlockedShard());
        assertEquals(0, k2.store.scannedShardCount());
        assertEquals(other, k2.store.plan().countedShard());
        assertEquals(40, k2.processor.torrentCount());
        assertEquals(120, k2.processor.peerCount());
        assertEquals(40, k2.counters.seedersIpv4.get());
        assertEquals(80, k2.counters.leechersIpv4.get());
        assertEquals(Status.OK, k2.announce(peer(6, 4).left(5)).status);
        assertEquals(121, k2.processor.peerCount());
        final Harness r = k2.reopen();
        assertEquals(121, r.processor.peerCount());
        assertEquals(0, r.store.scannedShardCount());
    }

    /**
     * A {@code kill -9} in an expiry slice before it changed anything (the in-flight state {@link InFlight#SWEEPING},
     * as the slice leaves it from its start to its first change), a segment of the swept shard locked: the next
     * start resets that shard's locks, recovers nothing and scans nothing (the counts are the last idle mark's),
     * and every swarm is there and writable. A slice that did change (its first change marks the file busy) is
     * counted by the scan, as any death mid-update; a tick that expired nothing leaves the file idle.
     */
    @Test
    void killInASweepThatChangedNothingNeedsNoScan()
    {
        final Harness h = harness("{}");
        for (int t = 1; t <= 40; t++)
        {
            h.announce(peer(t, 1).left(0));
            h.announce(peer(t, 2).left(5).address(v6(t)));
        }
        h.tick();
        assertTrue(InFlightState.idle(h), "a tick that expired nothing leaves the file idle");
        final int swept = SwarmStore.shard(hash(3), 0);
        final Harness k;
        h.store.inFlight.busy();
        h.store.inFlight.sweeping();
        h.store.inFlight.shard(swept);
        h.store.inFlight.swarm(hash(3), 0);
        try (var c = h.store.map(hash(3), 0).queryContext(Arrays.copyOf(hash(3), SwarmStore.KEY_LENGTH)))
        {
            c.updateLock().lock();
            k = h.killedCopy();
        }
        assertTrue(k.store.plan().crashedSweeping());
        assertEquals(0, k.store.recoveredShardCount());
        assertEquals(swept, k.store.unlockedShard());
        assertEquals(0, k.store.scannedShardCount(), "no scan: the counts are the last idle mark's");
        assertEquals(40, k.processor.torrentCount());
        assertEquals(80, k.processor.peerCount());
        assertEquals(40, k.counters.seedersIpv4.get());
        assertEquals(40, k.counters.leechersIpv6.get());
        for (int t = 1; t <= 40; t++)
        {
            assertEquals(Status.OK, k.announce(peer(t, 3).left(5)).status, "swarm " + t);
        }
        assertEquals(120, k.processor.peerCount());

        // The slice changed something: busy, the swept shard counted afresh.
        h.store.inFlight.changing();
        final Harness k2 = h.killedCopy();
        h.store.inFlight.idle(h.store.torrents, h.store.peers, h.store.population);
        assertFalse(k2.store.plan().crashedSweeping());
        assertEquals(swept, k2.store.unlockedShard());
        assertEquals(swept, k2.store.plan().countedShard());
        assertEquals(80, k2.processor.peerCount());
    }

    /**
     * The shard a process died changing is counted at the opening, off its pages ({@link ShardCount}), but for the
     * swarm in flight, which the start-up scan repairs and counts: the counts are those a full recovery and scan of
     * every shard finds, with one-page swarms of IPv4, IPv6 and both, a retained torrent and a swarm of several pages
     * in that shard, the big one in flight; and the in-flight file's per-shard counts add up to them.
     */
    @Test
    void aShardCountedAtTheOpeningCountsAsAFullScanWould() throws Exception
    {
        final Harness h = harness(RETAINED);
        final int shard = SwarmStore.shard(hash(1), 0);
        for (int i = 0; i < 12; i++)
        {
            final int t = 1 + 16 * i; // all in one shard
            h.announce(peer(t, 1).left(0));
            h.announce(peer(t, 2).left(5).address(v6(t)));
            h.announce(peer(t + 1, 1).left(i % 2)); // and another shard
        }
        final int retained = 1 + 16 * 20;
        h.announce(peer(retained, 1).left(0).event(RequestEvent.EVENT_COMPLETED));
        h.announce(peer(retained, 1).left(0).event(RequestEvent.EVENT_STOPPED));
        final int big = 1 + 16 * 21;
        assertEquals(shard, SwarmStore.shard(hash(big), 0));
        for (int n = 1; n <= Page.CAPACITY + 20; n++)
        {
            h.announce(peer(big, n).left(n % 3).numWant(0));
        }
        inFlightOn(h, big, false);
        final Harness k = h.killedCopy();
        h.store.inFlight.idle(h.store.torrents, h.store.peers, h.store.population);
        assertEquals(shard, k.store.plan().countedShard());
        assertEquals(0, k.store.scannedShardCount());
        final long[] counted = { k.processor.torrentCount(), k.processor.peerCount(), k.counters.leechersIpv4.get(),
            k.counters.leechersIpv6.get(), k.counters.seedersIpv4.get(), k.counters.seedersIpv6.get() };
        final InFlight file = InFlight.read(k.storeDir);
        final long[] sum = new long[6];
        for (int s = 0; s < SwarmStore.SHARDS; s++)
        {
            for (int i = 0; i < 6; i++)
            {
                sum[i] += file.shardCounts(s)[i];
            }
        }
        assertTrue(file.shardCountsValid());
        assertArrayEquals(counted, sum, "the per-shard counts add up to the counts");
        final Harness full = k.reopenAfterCrash();
        assertEquals(SwarmStore.SHARDS, full.store.scannedShardCount());
        assertArrayEquals(new long[] { full.processor.torrentCount(), full.processor.peerCount(),
            full.counters.leechersIpv4.get(), full.counters.leechersIpv6.get(), full.counters.seedersIpv4.get(),
            full.counters.seedersIpv6.get() }, counted);
        assertEquals(12 * 2 + 1 + 1, counted[0]);
    }

    /** Reads the state word of a harness's in-flight file as the next start would. */
    private static final class InFlightState
    {
        static boolean idle(final Harness h)
        {
            try
            {
                return InFlight.read(h.storeDir).idle();
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        }
    }

    /**
     * A store of the single-file format ({@code trackerd-store 3}, {@code swarms.dat}) is migrated into the
     * shards at the first start, after a clean shutdown (its counts are kept) or a crash (recovered and counted);
     * the old file is kept as {@code swarms.dat.migrated}, and every swarm, the big one too, is there.
     */
    @Test
    void singleFileStoreIsMigratedIntoShards() throws Exception
    {
        for (final boolean clean : new boolean[] { true, false })
        {
            final Path storeDir = dir.resolve("old-" + clean);
            final Harness h = harness("{}", storeDir);
            h.announce(peer(1, 1).left(0));
            h.announce(peer(1, 2).left(5));
            for (int n = 1; n <= Page.CAPACITY + 20; n++)
            {
                h.announce(peer(2, n).left(n % 3).numWant(0));
            }
            for (int t = 3; t <= 30; t++)
            {
                h.announce(peer(t, 1).left(5));
            }
            h.store.close();
            harnesses.remove(h);
            toSingleFile(storeDir, 1000, 10_000);
            if (!clean)
            {
                java.nio.file.Files.delete(storeDir.resolve("clean-shutdown"));
                java.nio.file.Files.delete(storeDir.resolve("counts"));
            }
            final Harness m = harness("{}", storeDir);
            assertEquals(clean, m.store.plan().countsKnown());
            assertFalse(java.nio.file.Files.exists(storeDir.resolve("swarms.dat")));
            assertTrue(java.nio.file.Files.exists(storeDir.resolve("swarms.dat.migrated")));
            assertEquals(SwarmStore.FORMAT, java.nio.file.Files.readString(storeDir.resolve("FORMAT")).trim());
            assertEquals(30, m.processor.torrentCount());
            assertEquals(Page.CAPACITY + 22 + 28, m.processor.peerCount());
            final ScrapeReply s = m.scrape(hash(1), hash(2), hash(17));
            assertArrayEquals(new int[] { 1, (Page.CAPACITY + 20) / 3, 0 }, s.complete);
            assertArrayEquals(new int[] { 1, Page.CAPACITY + 20 - (Page.CAPACITY + 20) / 3, 1 }, s.incomplete);
            assertEquals(Set.of(peerIdHex(1), peerIdHex(2)), Set.copyOf(m.announce(peer(1, 3).left(5)).peerIds()));
            assertEquals(Status.OK, m.announce(peer(2, 999).left(5)).status);
            final Harness again = m.reopen();
            assertEquals(30, again.processor.torrentCount());
            assertEquals(Page.CAPACITY + 24 + 28, again.processor.peerCount());
        }
    }

    /** Rewrites a closed sharded store as a store of the single-file format ({@code trackerd-store 3}). */
    private static void toSingleFile(final Path storeDir, final int maxTorrents, final int maxPeers)
        throws java.io.IOException
    {
        final Path old = storeDir.resolve(SwarmStore.OLD_FILE);
        try (var single = SwarmStore.openMap(old.toFile(), "swarms", SwarmStore.pagesFor(maxTorrents, maxPeers),
            maxTorrents, maxPeers, false))
        {
            for (int shard = 0; shard < SwarmStore.SHARDS; shard++)
            {
                final Path file = storeDir.resolve(SwarmStore.shardFile(shard));
                try (var map = SwarmStore.openMap(file.toFile(), "swarms-" + shard,
                    SwarmStore.shardPagesFor(maxTorrents, maxPeers), maxTorrents, maxPeers, false))
                {
                    for (final var e : map.entrySet())
                    {
                        single.put(e.getKey(), e.getValue());
                    }
                }
                java.nio.file.Files.delete(file);
            }
        }
        java.nio.file.Files.writeString(storeDir.resolve("FORMAT"), SwarmStore.OLD_FORMAT + "\n");
        java.nio.file.Files.writeString(storeDir.resolve(SwarmStore.LENGTHS), SwarmStore.OLD_FILE + " " +
            java.nio.file.Files.size(old) + "\n");
        java.nio.file.Files.deleteIfExists(storeDir.resolve(InFlight.FILE));
    }

    @Test
    void tickWithNothingExpiredKeepsEverything()
    {
        final Harness h = harness("{}");
        h.announce(peer(1, 1).left(0));
        h.announce(peer(2, 1).left(3));
        h.tick();
        assertEquals(2, h.processor.torrentCount());
        assertEquals(2, h.processor.peerCount());
        assertEquals(0, h.counters.peersExpired.get());
        assertEquals(1, h.counters.seedersIpv4.get());
        assertEquals(1, h.counters.leechersIpv4.get());
    }

    @Test
    void swarmsSurviveARestart()
    {
        final Harness h = harness(NO_RETENTION);
        h.announce(peer(1, 1).left(0).port(1111).ipv4(10, 0, 0, 1));
        h.announce(peer(1, 2).left(0).port(2222).event(RequestEvent.EVENT_COMPLETED).key(0xABCD));
        h.announce(peer(1, 3).left(9).port(3333));
        h.announce(peer(2, 1).left(9).port(4444).event(RequestEvent.EVENT_COMPLETED));
        h.announce(peer(3, 1).left(9));
        h.announce(peer(3, 1).left(9).event(RequestEvent.EVENT_STOPPED));

        final Harness r = h.reopen();
        assertEquals(2, r.processor.torrentCount());
        assertEquals(4, r.processor.peerCount());
        assertEquals(2, r.processor.seederCount());
        assertEquals(2, r.counters.seedersIpv4.get());
        assertEquals(2, r.counters.leechersIpv4.get());
        final ScrapeReply s = r.scrape(hash(1), hash(2), hash(3));
        assertArrayEquals(new int[] { 2, 0, 0 }, s.complete);
        assertArrayEquals(new int[] { 1, 1, 0 }, s.incomplete);
        assertArrayEquals(new long[] { 1, 1, 0 }, s.downloaded);

        final Reply view = r.announce(peer(1, 9).left(9));
        assertEquals(3, view.peers.size());
        for (final Peer p : view.peers)
        {
            final int n = Integer.parseInt(p.id.substring(2, 4), 16);
            assertEquals(1111 * n, p.port);
        }
        assertArrayEquals(mapped(10, 0, 0, 1), view.peers.stream().filter(p -> p.id.equals(peerIdHex(1)))
            .findFirst().orElseThrow().address);

        // Restored peers are found again (no double count), keep their completed flag and their key.
        Reply again = r.announce(peer(1, 2).left(0).event(RequestEvent.EVENT_COMPLETED).key(0xABCD));
        assertEquals(1, again.downloaded);
        assertEquals(2, again.complete);
        assertEquals(2, again.incomplete);
        again = r.announce(peer(1, 2).left(0).ipv4(10, 7, 7, 7).key(0xABCD));
        assertEquals(Status.OK, again.status);
        assertEquals(Status.PEER_ID_CONFLICT, r.announce(peer(1, 1).left(0).ipv4(10, 7, 7, 7)).status);
        assertEquals(5, r.processor.peerCount());
    }

    // ---------------------------------------------------------------- harness

    private Harness harness(final String json)
    {
        return harness(json, dir.resolve("store"));
    }

    private Harness harness(final String json, final Path storeDir)
    {
        final Harness h = new Harness(TrackerConfig.parse(json), storeDir);
        h.json = json;
        harnesses.add(h);
        return h;
    }

    private final class Harness
    {
        final TrackerConfig config;
        final Path storeDir;
        final SwarmStore store;
        final ResponseQueue queue;
        final EngineCounters counters;
        final SwarmProcessor processor;
        final RequestEvent request;
        long sequence;
        String json = "{}";

        Harness(final TrackerConfig config, final Path storeDir)
        {
            this(config, storeDir, SwarmAccounting.NONE);
        }

        Harness(final TrackerConfig config, final Path storeDir, final SwarmAccounting accounting)
        {
            this.config = config;
            this.storeDir = storeDir;
            // Test stores stay small: the default hint becomes 1000 torrents / 10k peers, the default budget 64 MiB.
            final boolean defaultHint = config.storage.maxTorrents == 100_000 && config.storage.maxPeers == 1_000_000;
            store = SwarmStore.open(storeDir, defaultHint ? 1000 : config.storage.maxTorrents,
                defaultHint ? 10_000 : config.storage.maxPeers,
                config.storage.maxBytes == 0 ? TEST_BUDGET : config.storage.maxBytes);
            final CountersManager countersManager = new CountersManager(
                new UnsafeBuffer(ByteBuffer.allocateDirect(1024 * CountersReader.METADATA_LENGTH)),
                new UnsafeBuffer(ByteBuffer.allocateDirect(1024 * CountersReader.COUNTER_LENGTH)));
            final TrackerEngine engine = new TrackerEngine(config, store, countersManager);
            queue = engine.addFrontend(() ->
            {
            });
            counters = engine.counters();
            processor = new SwarmProcessor(config, store, new ResponseQueue[] { queue }, counters, 0x5EED,
                accounting, clock, SystemNanoClock.INSTANCE);
            processor.loadFromStore();
            request = new RequestEvent(config.tracker.maxScrapeHashes);
        }

        /**
         * Closes this store, removes what a clean close leaves and the in-flight file, and opens it again: the start
         * after a crash nothing vouches for (a host crash), with recovery and the start-up scan.
         */
        Harness reopenAfterCrash()
        {
            return reopen("clean-shutdown", "counts", InFlight.FILE);
        }

        /**
         * The start after a {@code kill -9} at this very moment: the store's files are copied as they are (the
         * page cache is what a killed process leaves) while this store stays open, and a new store and processor
         * open the copy.
         */
        Harness killedCopy()
        {
            return harness(json, filesCopy());
        }

        /** The start after a {@code kill -9} at this very moment, with another configuration. */
        Harness killedCopy(final String otherJson)
        {
            return harness(otherJson, filesCopy());
        }

        /** The store's files copied as they are now into a new directory (what a {@code kill -9} leaves). */
        Path filesCopy()
        {
            final Path copy = dir.resolve("killed-" + System.nanoTime());
            try
            {
                java.nio.file.Files.createDirectories(copy);
                try (var files = java.nio.file.Files.list(storeDir))
                {
                    for (final Path f : (Iterable<Path>)files::iterator)
                    {
                        java.nio.file.Files.copy(f, copy.resolve(f.getFileName()));
                    }
                }
            }
            catch (final java.io.IOException ex)
            {
                throw new AssertionError(ex);
            }
            return copy;
        }

        /** Closes this store cleanly and opens a new store and processor over the same directory. */
        /** Closes this store cleanly and opens it with another configuration. */
        Harness reopenWith(final String otherJson)
        {
            store.close();
            harnesses.remove(this);
            return harness(otherJson, storeDir);
        }

        Harness reopen(final String... dropFiles)
        {
            store.close();
            for (final String file : dropFiles)
            {
                try
                {
                    java.nio.file.Files.delete(storeDir.resolve(file));
                }
                catch (final java.io.IOException ex)
                {
                    throw new AssertionError(ex);
                }
            }
            harnesses.remove(this);
            final Harness h = new Harness(config, storeDir);
            harnesses.add(h);
            return h;
        }

        Reply announce(final PeerSpec spec)
        {
            spec.fill(request);
            final ResponseEvent r = process();
            assertEquals(RequestEvent.KIND_ANNOUNCE, r.kind);
            assertEquals(request.correlationId, r.correlationId);
            return new Reply(r, request.compactPeers);
        }

        ScrapeReply scrape(final byte[]... hashes)
        {
            request.kind = RequestEvent.KIND_SCRAPE;
            request.frontendId = queue.id();
            request.correlationId++;
            request.scrapeCount = hashes.length;
            for (int i = 0; i < hashes.length; i++)
            {
                System.arraycopy(hashes[i], 0, request.scrapeHashes, i * 20, 20);
            }
            final ResponseEvent r = process();
            assertEquals(RequestEvent.KIND_SCRAPE, r.kind);
            return new ScrapeReply(r);
        }

        void tick()
        {
            request.kind = RequestEvent.KIND_TICK;
            request.scrapeCount = 0;
            processor.onBatchStart(1, 0);
            processor.onEvent(request, sequence++, true);
            assertFalse(queue.hasPending(), "a tick answers nobody");
        }

        private ResponseEvent process()
        {
            processor.onBatchStart(1, 0);
            processor.onEvent(request, sequence++, true);
            final ResponseEvent[] taken = new ResponseEvent[1];
            try
            {
                queue.poller().poll((event, seq, endOfBatch) ->
                {
                    assertTrue(taken[0] == null, "one request, one response");
                    taken[0] = event;
                    return true;
                });
            }
            catch (final Exception ex)
            {
                throw new AssertionError(ex);
            }
            assertTrue(taken[0] != null, "no response published");
            // The slot stays readable until the ring wraps around, long after the copy the caller makes.
            return taken[0];
        }
    }

    private static PeerSpec peer(final int torrent, final int peer)
    {
        return new PeerSpec(torrent, peer);
    }

    private static final class PeerSpec
    {
        private final int torrent;
        private final int peer;
        private byte[] address = mapped(192, 168, 1, 1);
        private int port = 6881;
        private long left;
        private byte event = RequestEvent.EVENT_NONE;
        private int numWant = 50;
        private boolean hasKey;
        private int key;
        private byte[] alt;
        private int altPort;
        private boolean oneFamily;
        private boolean compact;

        PeerSpec(final int torrent, final int peer)
        {
            this.torrent = torrent;
            this.peer = peer;
            this.address = mapped(192, 168, peer >> 8 & 0xFF, peer & 0xFF);
        }

        PeerSpec left(final long left)
        {
            this.left = left;
            return this;
        }

        PeerSpec port(final int port)
        {
            this.port = port;
            return this;
        }

        PeerSpec event(final byte event)
        {
            this.event = event;
            return this;
        }

        PeerSpec numWant(final int numWant)
        {
            this.numWant = numWant;
            return this;
        }

        PeerSpec key(final int key)
        {
            this.hasKey = true;
            this.key = key;
            return this;
        }

        PeerSpec ipv4(final int a, final int b, final int c, final int d)
        {
            this.address = mapped(a, b, c, d);
            return this;
        }

        PeerSpec alt(final byte[] address, final int port)
        {
            this.alt = address.clone();
            this.altPort = port;
            return this;
        }

        PeerSpec oneFamily()
        {
            this.oneFamily = true;
            return this;
        }

        /** Asks for compact peers only, as UDP and HTTP {@code compact=1} do. */
        PeerSpec compact()
        {
            this.compact = true;
            return this;
        }

        PeerSpec address(final byte[] address)
        {
            this.address = address.clone();
            return this;
        }

        void fill(final RequestEvent e)
        {
            e.kind = RequestEvent.KIND_ANNOUNCE;
            e.frontendId = 0;
            e.correlationId++;
            e.context = 3;
            System.arraycopy(hash(torrent), 0, e.infoHash, 0, 20);
            System.arraycopy(peerId(peer), 0, e.peerId, 0, 20);
            System.arraycopy(address, 0, e.address, 0, 16);
            e.port = port;
            e.uploaded = 0;
            e.downloaded = 0;
            e.left = left;
            e.event = event;
            e.numWant = numWant;
            e.hasKey = hasKey;
            e.key = key;
            e.hasAltAddress = alt != null;
            if (alt != null)
            {
                System.arraycopy(alt, 0, e.altAddress, 0, 16);
            }
            e.altPort = altPort;
            e.oneFamily = oneFamily;
            e.compactPeers = compact;
            e.wantPeerIds = !compact;
            e.scrapeCount = 0;
        }
    }

    /**
     * Marks the in-flight file busy on page 0 of torrent {@code n}, as the processor does before changing it (and
     * structural when {@code structural}), so a test can stop "in the middle" of a change; returns the page's key.
     */
    private static byte[] inFlightOn(final Harness h, final int n, final boolean structural)
    {
        h.store.inFlight.busy();
        h.store.inFlight.swarm(hash(n), 0);
        if (structural)
        {
            h.store.inFlight.structuralBegin(InFlight.NO_SEGMENT);
        }
        return Arrays.copyOf(hash(n), SwarmStore.KEY_LENGTH);
    }

    private static byte[] hash(final int n)
    {
        final byte[] h = new byte[20];
        Arrays.fill(h, (byte)0x11);
        h[0] = (byte)n;
        h[19] = (byte)(n >> 8);
        if (n >= 1 << 16)
        {
            h[18] = (byte)(n >> 16); // below 65536 as it always was (0x11): every other test's shards unchanged
        }
        return h;
    }

    /** Peer ids whose first byte is the peer number, so a hex id starts with it. */
    private static byte[] peerId(final int n)
    {
        final byte[] id = new byte[20];
        Arrays.fill(id, (byte)'-');
        id[0] = (byte)n;
        id[1] = (byte)n;
        id[19] = (byte)(n >> 8);
        return id;
    }

    private static String peerIdHex(final int n)
    {
        return hex(peerId(n));
    }

    private static String hex(final byte[] bytes)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : bytes)
        {
            sb.append(String.format("%02x", b & 0xFF));
        }
        return sb.toString();
    }

    private static byte[] mapped(final int a, final int b, final int c, final int d)
    {
        final byte[] address = new byte[16];
        RequestEvent.putIpv4Mapped(address, 0, new byte[] { (byte)a, (byte)b, (byte)c, (byte)d }, 0);
        return address;
    }

    private record Peer(String id, byte[] address, int port)
    {
    }

    /** A copy of an announce response, taken before the ring slot is reused. */
    private static final class Reply
    {
        final Status status;
        final int complete;
        final int incomplete;
        final long downloaded;
        final int interval;
        final int minInterval;
        final List<Peer> peers = new ArrayList<>();

        /** @param compact the request asked for compact peers: the answer holds them in wire form only */
        Reply(final ResponseEvent r, final boolean compact)
        {
            status = r.status;
            complete = r.complete;
            incomplete = r.incomplete;
            downloaded = r.downloaded;
            interval = r.intervalSeconds;
            minInterval = r.minIntervalSeconds;
            if (compact)
            {
                // Wire form: no peer ids; IPv4 entries back to their IPv4-mapped form.
                assertEquals(r.peerCount, r.compact4Count + r.compact6Count);
                final java.nio.ByteBuffer v4 = java.nio.ByteBuffer.wrap(r.compact4);
                for (int i = 0; i < r.compact4Count; i++)
                {
                    final byte[] address = new byte[16];
                    RequestEvent.putIpv4Mapped(address, 0, r.compact4, i * ResponseEvent.COMPACT4);
                    peers.add(new Peer("", address, v4.getShort(i * ResponseEvent.COMPACT4 + 4) & 0xFFFF));
                }
                final java.nio.ByteBuffer v6 = java.nio.ByteBuffer.wrap(r.compact6);
                for (int i = 0; i < r.compact6Count; i++)
                {
                    final int at = i * ResponseEvent.COMPACT6;
                    peers.add(new Peer("", Arrays.copyOfRange(r.compact6, at, at + 16), v6.getShort(at + 16) & 0xFFFF));
                }
                return;
            }
            for (int i = 0; i < r.peerCount; i++)
            {
                peers.add(new Peer(hex(Arrays.copyOfRange(r.peerIds, i * 20, i * 20 + 20)),
                    Arrays.copyOfRange(r.peerAddrs, i * 16, i * 16 + 16), r.peerPorts[i]));
            }
        }

        /** Address and port of every peer, as "hex(address):port", for comparing forms. */
        Set<String> endpoints()
        {
            final Set<String> out = new java.util.HashSet<>();
            for (final Peer p : peers)
            {
                out.add(hex(p.address) + ":" + p.port);
            }
            return out;
        }

        List<String> peerIds()
        {
            final List<String> ids = new ArrayList<>();
            for (final Peer p : peers)
            {
                ids.add(p.id);
            }
            return ids;
        }
    }

    private static final class ScrapeReply
    {
        final Status status;
        final int count;
        final byte[] hashes;
        final int[] complete;
        final int[] incomplete;
        final long[] downloaded;

        ScrapeReply(final ResponseEvent r)
        {
            status = r.status;
            count = r.scrapeCount;
            hashes = Arrays.copyOf(r.scrapeHashes, count * 20);
            complete = Arrays.copyOf(r.scrapeComplete, count);
            incomplete = Arrays.copyOf(r.scrapeIncomplete, count);
            downloaded = Arrays.copyOf(r.scrapeDownloaded, count);
        }
    }
}
