package org.trackerd.io.access;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.Tracker;
import org.trackerd.io.e2e.Announce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.access.AccessE2ESupport.assertOk;
import static org.trackerd.io.access.AccessE2ESupport.assertRefused;
import static org.trackerd.io.access.AccessE2ESupport.await;
import static org.trackerd.io.access.AccessE2ESupport.counter;
import static org.trackerd.io.access.AccessE2ESupport.failure;
import static org.trackerd.io.access.AccessE2ESupport.hex;
import static org.trackerd.io.access.AccessE2ESupport.httpAnnounce;
import static org.trackerd.io.access.AccessE2ESupport.peerId;
import static org.trackerd.io.access.AccessE2ESupport.peersInSwarm;

/**
 * Torrent and client lists end to end, and live reloads: by a file change picked up by the poller, and by
 * {@link Tracker#reloadPolicy} (what SIGHUP calls). Peers announced before a reload must still be there after it,
 * and a broken list must leave the old policy in force.
 */
class ListAccessE2ETest
{
    private static final byte[] ALLOWED = Announce.hash("allowed");
    private static final byte[] LATER = Announce.hash("allowed-later");
    private static final byte[] OTHER = Announce.hash("never-listed");

    @TempDir
    Path dir;

    private Path torrents;
    private Path clients;
    private Tracker tracker;

    @BeforeEach
    void boot() throws IOException
    {
        torrents = dir.resolve("torrents.txt");
        clients = dir.resolve("clients.txt");
        Files.writeString(torrents, "# allowed torrents\n" + hex(ALLOWED) + "\n");
        Files.writeString(clients, "-BC-      # BitComet\nX\n");
        tracker = new Tracker(TrackerConfig.parse(config("allow", "deny", 1))).start();
    }

    private String config(final String torrentMode, final String clientMode, final int reloadCheckSeconds)
    {
        return """
            {
              "http": { "listen": ["127.0.0.1:0"] },
              "udp": { "listen": ["127.0.0.1:0"] },
              "storage": { "path": "%s", "max_torrents": 1000, "max_peers": 10000 },
              "access": {
                "torrent_list_mode": "%s",
                "torrent_list_file": "%s",
                "client_list_mode": "%s",
                "client_list_file": "%s",
                "reload_check_seconds": %d
              }
            }
            """.formatted(esc(dir.resolve("data")), torrentMode, esc(torrents), clientMode, esc(clients),
            reloadCheckSeconds);
    }

    private static String esc(final Path p)
    {
        return p.toString().replace("\\", "\\\\");
    }

    @AfterEach
    void shutdown()
    {
        if (tracker != null)
        {
            tracker.close();
        }
    }

    /** Rewrites a list file so the poller sees it change even within one timestamp tick. */
    private static void rewrite(final Path file, final String content) throws IOException
    {
        final FileTime before = Files.getLastModifiedTime(file);
        Files.writeString(file, content);
        if (Files.getLastModifiedTime(file).equals(before))
        {
            Files.setLastModifiedTime(file, FileTime.from(before.toInstant().plusSeconds(1)));
        }
    }

    @Test
    void torrentAllowListOverHttpAndUdp() throws Exception
    {
        assertOk(httpAnnounce(tracker, ALLOWED, peerId("-UT3550-", 1), 6001, null));
        assertRefused(httpAnnounce(tracker, OTHER, peerId("-UT3550-", 2), 6002, null), "torrent not allowed");
        assertRefused(AccessE2ESupport.httpScrape(tracker, OTHER, null), "torrent not allowed");
        try (AccessE2ESupport.UdpClient udp = new AccessE2ESupport.UdpClient(tracker.udpAddresses().get(0)))
        {
            udp.announce(ALLOWED, peerId("-UT3550-", 3), 6003, null);
            assertEquals(1, udp.action, () -> "refused: " + udp.error);
            udp.announce(OTHER, peerId("-UT3550-", 4), 6004, null);
            assertEquals(3, udp.action);
            assertEquals("torrent not allowed", udp.error);
        }
        assertEquals(2, peersInSwarm(tracker, ALLOWED, null));
        assertEquals(3, counter(tracker, "access_rejected", "reason=\"torrent_not_allowed\""));
        assertEquals(1, counter(tracker, "requests", "protocol=\"udp\",action=\"announce\",family=\"ipv4\",outcome=\"rejected\""));
    }

    @Test
    void clientDenyListByAzureusCodeAndShadowChar() throws Exception
    {
        assertRefused(httpAnnounce(tracker, ALLOWED, peerId("-BC0150-", 1), 6001, null), "client is banned");
        assertRefused(httpAnnounce(tracker, ALLOWED, peerId("X1234---", 2), 6002, null), "client is banned");
        assertOk(httpAnnounce(tracker, ALLOWED, peerId("-qB4250-", 3), 6003, null));
        assertOk(httpAnnounce(tracker, ALLOWED, peerId("T03I----", 4), 6004, null));
        assertEquals(2, peersInSwarm(tracker, ALLOWED, null));
        assertEquals(2, counter(tracker, "access_rejected", "reason=\"client_banned\""));
    }

    @Test
    void listFileChangeIsPickedUpWithoutRestartAndPeersStay() throws Exception
    {
        assertOk(httpAnnounce(tracker, ALLOWED, peerId("-UT3550-", 1), 6001, null));
        assertOk(httpAnnounce(tracker, ALLOWED, peerId("-UT3550-", 2), 6002, null));
        assertRefused(httpAnnounce(tracker, LATER, peerId("-UT3550-", 3), 6003, null), "torrent not allowed");

        rewrite(torrents, hex(ALLOWED) + "\n" + hex(LATER) + "\n");
        await("the poller to reload the torrent list", 10_000, () ->
        {
            try
            {
                return failure(httpAnnounce(tracker, LATER, peerId("-UT3550-", 3), 6003, null)) == null;
            }
            catch (final IOException ex)
            {
                throw new AssertionError(ex);
            }
        });
        assertEquals(2, peersInSwarm(tracker, ALLOWED, null), "peers announced before the reload are still there");
        assertEquals(1, peersInSwarm(tracker, LATER, null));

        // Client list: ban qBittorrent by rewriting the file, picked up the same way.
        rewrite(clients, "-BC-\n-qB-\n");
        await("the poller to reload the client list", 10_000, () ->
        {
            try
            {
                return "client is banned".equals(
                    failure(httpAnnounce(tracker, LATER, peerId("-qB4250-", 9), 6009, null)));
            }
            catch (final IOException ex)
            {
                throw new AssertionError(ex);
            }
        });
        assertEquals(2, peersInSwarm(tracker, ALLOWED, null), "a reload drops no peer");
    }

    @Test
    void reloadPolicyTakesEffectAtOnceAndABrokenListKeepsTheOldPolicy() throws Exception
    {
        tracker.close();
        // No polling here: only explicit reloads (as SIGHUP does) may change the policy.
        tracker = new Tracker(TrackerConfig.parse(config("allow", "deny", 0))).start();
        assertOk(httpAnnounce(tracker, ALLOWED, peerId("-UT3550-", 1), 6001, null));
        assertOk(httpAnnounce(tracker, ALLOWED, peerId("-UT3550-", 2), 6002, null));

        Files.writeString(torrents, hex(ALLOWED) + "\n" + hex(LATER) + "\n");
        assertTrue(tracker.reloadPolicy());
        assertOk(httpAnnounce(tracker, LATER, peerId("-UT3550-", 3), 6003, null));
        assertEquals(2, peersInSwarm(tracker, ALLOWED, null));

        // A half-written file: refused as a whole, the old lists stay.
        Files.writeString(torrents, hex(ALLOWED) + "\nnot-a-hash\n");
        assertFalse(tracker.reloadPolicy());
        assertOk(httpAnnounce(tracker, LATER, peerId("-UT3550-", 4), 6004, null));
        assertRefused(httpAnnounce(tracker, OTHER, peerId("-UT3550-", 5), 6005, null), "torrent not allowed");
        Files.delete(torrents);
        assertFalse(tracker.reloadPolicy());
        assertOk(httpAnnounce(tracker, LATER, peerId("-UT3550-", 6), 6006, null));

        // A new access section (as SIGHUP after editing the config): the list becomes a deny list.
        Files.writeString(torrents, hex(OTHER) + "\n");
        assertTrue(tracker.reloadPolicy(TrackerConfig.parse(config("deny", "off", 0)).access));
        assertRefused(httpAnnounce(tracker, OTHER, peerId("-UT3550-", 7), 6007, null), "torrent is banned");
        assertOk(httpAnnounce(tracker, Announce.hash("anything-else"), peerId("-BC0150-", 8), 6008, null));
        assertEquals(2, peersInSwarm(tracker, ALLOWED, null));
        assertEquals(3, peersInSwarm(tracker, LATER, null));
    }

    @Test
    void aBrokenListFileStopsStartUpNamingIt() throws Exception
    {
        tracker.close();
        tracker = null;
        Files.writeString(torrents, "zzzz\n");
        final TrackerConfig config = TrackerConfig.parse(config("allow", "off", 0));
        final RuntimeException ex = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
            () -> new Tracker(config).start());
        assertTrue(ex.getMessage().contains("torrents.txt:1"), ex.getMessage());
    }
}
