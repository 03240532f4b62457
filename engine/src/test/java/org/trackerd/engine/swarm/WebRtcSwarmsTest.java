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
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WebRTC peer sets through the real swarm processor (the single writer): offer targets, answers relayed only
 * for offers actually sent, counts combined with the BitTorrent swarm in announces and scrapes of any protocol,
 * stop by the owning connection only, expiry by the clock, and the configured bounds.
 */
class WebRtcSwarmsTest
{
    private static final int FRONTEND = 0;

    @TempDir
    Path dir;

    private final CachedEpochClock clock = new CachedEpochClock();
    private SwarmStore store;
    private ResponseQueue queue;
    private EngineCounters counters;
    private SwarmProcessor processor;
    private final RequestEvent request = new RequestEvent(8);
    private long sequence;

    private WebRtcStore webRtcStore;

    private void open(final String json)
    {
        open(json, false);
    }

    /** {@code persisted}: with a {@link WebRtcStore} in the store directory, as the launcher opens it. */
    private void open(final String json, final boolean persisted)
    {
        if (clock.time() == 0)
        {
            clock.update(1_800_000_000_000L);
        }
        final TrackerConfig config = TrackerConfig.parse(json);
        store = SwarmStore.open(dir.resolve("store"), 1000, 10_000);
        webRtcStore = persisted ? WebRtcStore.open(dir.resolve("store"), 1000, 100) : null;
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(1024 * CountersReader.METADATA_LENGTH)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(1024 * CountersReader.COUNTER_LENGTH)));
        final TrackerEngine engine = new TrackerEngine(config, store, manager);
        queue = engine.addFrontend(() ->
        {
        });
        counters = engine.counters();
        processor = new SwarmProcessor(config, store, webRtcStore, new ResponseQueue[] { queue }, counters, 0x5EED,
            SwarmAccounting.NONE, clock, SystemNanoClock.INSTANCE);
        processor.loadFromStore();
    }

    @AfterEach
    void close()
    {
        if (store != null)
        {
            store.close();
            store = null;
        }
        if (webRtcStore != null)
        {
            webRtcStore.close();
            webRtcStore = null;
        }
    }

    /**
     * webrtc.dat: a new processor on the reopened files has the peers and the completed count; the reloaded peers
     * are detached (no offer goes to them) until one announces on a new connection; an emptied torrent keeps its
     * completed count for the retention, then is forgotten, in the file too.
     */
    @Test
    void peersAndCompletionsAreReloadedDetached()
    {
        final String json = "{\"tracker\": {\"torrent_retention_seconds\": 3600, \"peer_lifetime_seconds\": 2100, " +
            "\"announce_interval_seconds\": 1800, \"min_announce_interval_seconds\": 900}}";
        open(json, true);
        announce('t', 'a', 101, 0, 0);
        announce('t', 'b', 102, 100, 0);
        webRtc(RequestEvent.KIND_WEBRTC_ANNOUNCE, 't', 'b', 102, 0, RequestEvent.EVENT_COMPLETED, 0);
        webRtc(RequestEvent.KIND_WEBRTC_ANNOUNCE, 't', 'b', 102, 0, RequestEvent.EVENT_COMPLETED, 0);
        close();

        open(json, true);
        assertEquals(2, counters.webRtc.peers.get(), "both reloaded");
        final ResponseEvent c = announce('t', 'c', 301, 100, 2);
        assertEquals(2, c.complete);
        assertEquals(1, c.incomplete);
        assertEquals(1, c.downloaded, "one completion (the repeated completed of a seeder is none)");
        assertEquals(0, c.relayCount, "the reloaded peers have no connection to relay to");
        announce('t', 'a', 201, 0, 0); // a reconnects
        final ResponseEvent again = announce('t', 'c', 301, 100, 2);
        assertEquals(1, again.relayCount, "only the re-attached peer gets an offer");
        assertEquals(201, again.relayCorrelation[0]);

        // everyone leaves: the torrent is kept (file and heap) for its completed count, then forgotten
        webRtc(RequestEvent.KIND_WEBRTC_ANNOUNCE, 't', 'a', 201, 0, RequestEvent.EVENT_STOPPED, 0);
        webRtc(RequestEvent.KIND_WEBRTC_ANNOUNCE, 't', 'c', 301, 0, RequestEvent.EVENT_STOPPED, 0);
        clock.update(clock.time() + 2_200_000); // past b's lifetime
        tick();
        assertEquals(0, counters.webRtc.peers.get());
        close();
        open(json, true);
        assertEquals(1, scrapeDownloaded('t'), "retained across the restart");
        assertEquals(1, webRtcStore.size(), "the torrent's entry");
        clock.update(clock.time() + 3_700_000);
        tick();
        assertEquals(0, scrapeDownloaded('t'), "retention over");
        assertEquals(0, webRtcStore.size(), "forgotten in webrtc.dat too");
    }

    private void tick()
    {
        request.kind = RequestEvent.KIND_TICK;
        processor.onBatchStart(1, 0);
        processor.onEvent(request, sequence++, true);
    }

    private long scrapeDownloaded(final char torrent)
    {
        request.kind = RequestEvent.KIND_SCRAPE;
        request.frontendId = FRONTEND;
        request.scrapeCount = 1;
        System.arraycopy(id(torrent), 0, request.scrapeHashes, 0, 20);
        System.arraycopy(id(torrent), 0, request.infoHash, 0, 20);
        return process().scrapeDownloaded[0];
    }

    private static byte[] id(final char c)
    {
        final byte[] id = new byte[20];
        Arrays.fill(id, (byte)c);
        return id;
    }

    private ResponseEvent webRtc(final byte kind, final char torrent, final char peer, final long connection,
        final long left, final byte event, final int offers)
    {
        request.kind = kind;
        request.frontendId = FRONTEND;
        request.correlationId = connection;
        System.arraycopy(id(torrent), 0, request.infoHash, 0, 20);
        System.arraycopy(id(peer), 0, request.peerId, 0, 20);
        request.left = left;
        request.event = event;
        request.numWant = 50;
        request.offerCount = offers;
        for (int i = 0; i < offers; i++)
        {
            System.arraycopy(id((char)('0' + i)), 0, request.offerIds, i * 20, 20);
        }
        request.scrapeCount = 0;
        return process();
    }

    private ResponseEvent announce(final char torrent, final char peer, final long connection, final long left,
        final int offers)
    {
        return webRtc(RequestEvent.KIND_WEBRTC_ANNOUNCE, torrent, peer, connection, left, RequestEvent.EVENT_STARTED,
            offers);
    }

    private ResponseEvent answer(final char torrent, final char peer, final long connection, final char toPeer,
        final char offerId)
    {
        System.arraycopy(id(toPeer), 0, request.toPeerId, 0, 20);
        System.arraycopy(id(offerId), 0, request.offerId, 0, 20);
        return webRtc(RequestEvent.KIND_WEBRTC_ANSWER, torrent, peer, connection, 0, RequestEvent.EVENT_NONE, 0);
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
                taken[0] = event;
                return true;
            });
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
        assertTrue(taken[0] != null, "no response published");
        return taken[0];
    }

    @Test
    void offersGoToOtherWebRtcPeersAndAnswersOnlyBackForOffersSent()
    {
        open("{}");
        assertEquals(0, announce('t', 'a', 101, 0, 5).relayCount, "alone: nobody to offer to");
        assertEquals(0, announce('t', 'b', 102, 0, 0).relayCount);
        final ResponseEvent r = announce('t', 'c', 103, 100, 5);
        assertEquals(2, r.complete);
        assertEquals(1, r.incomplete);
        assertEquals(2, r.relayCount, "two other peers, five offers: two relayed");
        final Set<Long> targets = new HashSet<>();
        for (int i = 0; i < r.relayCount; i++)
        {
            assertEquals(FRONTEND, r.relayFrontend[i]);
            targets.add(r.relayCorrelation[i]);
        }
        assertEquals(Set.of(101L, 102L), targets, "never the announcer, never twice");
        final long firstTarget = r.relayCorrelation[0];
        final char firstPeer = firstTarget == 101 ? 'a' : 'b';
        final long otherTarget = r.relayCorrelation[1];
        final char otherPeer = otherTarget == 101 ? 'a' : 'b';

        // offer '0' went to firstPeer, offer '1' to otherPeer
        final ResponseEvent wrongOffer = answer('t', firstPeer, firstTarget, 'c', '1');
        assertEquals(0, wrongOffer.relayCount, "offer 1 was sent to the other peer");
        final ResponseEvent wrongConnection = answer('t', firstPeer, 999, 'c', '0');
        assertEquals(0, wrongConnection.relayCount, "the peer id from another connection");
        final ResponseEvent ok = answer('t', firstPeer, firstTarget, 'c', '0');
        assertEquals(1, ok.relayCount);
        assertEquals(103, ok.relayCorrelation[0], "back to the offering connection");
        assertEquals(0, answer('t', firstPeer, firstTarget, 'c', '0').relayCount, "answered once");
        assertEquals(1, answer('t', otherPeer, otherTarget, 'c', '1').relayCount);
        assertEquals(2, counters.webRtc.answersRelayed.get());
        assertEquals(3, counters.webRtc.answersUnsolicited.get());
        assertEquals(2, counters.webRtc.offersRelayed.get());
    }

    @Test
    void offersTimeOut()
    {
        open("{}");
        announce('t', 'a', 101, 0, 0);
        announce('t', 'c', 103, 100, 1);
        clock.update(clock.time() + WebRtcSwarms.OFFER_TIMEOUT_MS + 1000);
        assertEquals(0, answer('t', 'a', 101, 'c', '0').relayCount);
    }

    @Test
    void countsCombineWithTheBitTorrentSwarmInEveryAnswer()
    {
        open("{}");
        // a BitTorrent seeder of torrent 't' over HTTP/UDP
        request.kind = RequestEvent.KIND_ANNOUNCE;
        request.frontendId = FRONTEND;
        request.correlationId = 1;
        System.arraycopy(id('t'), 0, request.infoHash, 0, 20);
        System.arraycopy(id('B'), 0, request.peerId, 0, 20);
        request.address[10] = (byte)0xFF;
        request.address[11] = (byte)0xFF;
        request.address[12] = 10;
        request.address[15] = 1;
        request.port = 6881;
        request.left = 0;
        request.event = RequestEvent.EVENT_STARTED;
        request.numWant = 50;
        request.compactPeers = true;
        request.scrapeCount = 0;
        final ResponseEvent first = process();
        assertEquals(1, first.complete);

        final ResponseEvent w = announce('t', 'w', 201, 100, 0);
        assertEquals(1, w.complete, "the BitTorrent seeder");
        assertEquals(1, w.incomplete, "the WebRTC leecher itself");
        assertEquals(0, w.relayCount, "a BitTorrent peer is never an offer target");

        request.kind = RequestEvent.KIND_ANNOUNCE;
        System.arraycopy(id('B'), 0, request.peerId, 0, 20);
        request.correlationId = 2;
        request.left = 0;
        request.event = RequestEvent.EVENT_NONE;
        final ResponseEvent again = process();
        assertEquals(1, again.complete);
        assertEquals(1, again.incomplete, "the HTTP answer counts the WebRTC leecher");
        assertEquals(0, again.compact4Count, "and never hands it out as a peer");

        request.kind = RequestEvent.KIND_SCRAPE;
        request.scrapeCount = 1;
        System.arraycopy(id('t'), 0, request.scrapeHashes, 0, 20);
        final ResponseEvent scrape = process();
        assertEquals(1, scrape.scrapeComplete[0]);
        assertEquals(1, scrape.scrapeIncomplete[0]);
    }

    @Test
    void onlyTheOwningConnectionStopsAPeerAndSilenceExpiresIt()
    {
        open("{\"tracker\": {\"announce_interval_seconds\": 60, \"min_announce_interval_seconds\": 30, " +
            "\"peer_lifetime_seconds\": 90}}");
        announce('t', 'a', 101, 0, 0);
        announce('t', 'b', 102, 0, 0);
        webRtc(RequestEvent.KIND_WEBRTC_ANNOUNCE, 't', 'a', 999, 0, RequestEvent.EVENT_STOPPED, 0);
        assertEquals(2, counters.webRtc.peers.get(), "another connection cannot stop peer a");
        final ResponseEvent stopped = webRtc(RequestEvent.KIND_WEBRTC_ANNOUNCE, 't', 'a', 101, 0,
            RequestEvent.EVENT_STOPPED, 0);
        assertEquals(1, stopped.complete);
        assertEquals(1, counters.webRtc.peers.get());
        clock.update(clock.time() + 91_000);
        request.kind = RequestEvent.KIND_TICK;
        processor.onBatchStart(1, 0);
        processor.onEvent(request, sequence++, true);
        assertEquals(0, counters.webRtc.peers.get(), "b expired");
        assertEquals(1, counters.webRtc.peersExpired.get());
        assertFalse(queue.hasPending());
    }

    @Test
    void aPeerIdMovesToANewConnectionOnlyFromItsOwnAddress()
    {
        open("{}");
        announce('t', 'a', 101, 0, 0);
        announce('t', 'c', 103, 100, 0);
        request.address[15] = 7; // another client address
        assertEquals(Status.PEER_ID_CONFLICT, announce('t', 'a', 999, 0, 0).status);
        assertEquals(1, counters.webRtc.rejectedPeerIdConflict.get());
        assertEquals(101, announce('t', 'c', 103, 100, 1).relayCorrelation[0], "offers still go to a's connection");
        request.address[15] = 0;
        assertEquals(Status.OK, announce('t', 'a', 102, 0, 0).status, "a reconnect from its own address");
        request.address[15] = 0;
        assertEquals(102, announce('t', 'c', 103, 100, 1).relayCorrelation[0], "offers follow the new connection");
    }

    @Test
    void boundsRefuseWithTrackerFull()
    {
        open("{\"webtorrent\": {\"max_peers_per_torrent\": 2, \"max_torrents\": 1}}");
        assertEquals(Status.OK, announce('t', 'a', 101, 0, 0).status);
        assertEquals(Status.OK, announce('t', 'b', 102, 0, 0).status);
        assertEquals(Status.TRACKER_FULL, announce('t', 'c', 103, 0, 0).status);
        assertEquals(Status.TRACKER_FULL, announce('u', 'd', 104, 0, 0).status);
        assertEquals(Status.OK, announce('t', 'a', 101, 0, 0).status, "a known peer re-announces");
        assertEquals(2, counters.webRtc.rejectedFull.get());
    }
}
