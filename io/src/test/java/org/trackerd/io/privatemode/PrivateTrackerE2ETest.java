package org.trackerd.io.privatemode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Private mode end to end against a real MariaDB: users and torrents in Gazelle's tables, announces by passkey
 * over HTTP, and the exact rows that land in users_main, torrents, xbt_files_users, xbt_snatched and
 * users_freeleeches; every refusal; site control; the database going away mid-run; a tracker restart with
 * deltas still unflushed.
 */
class PrivateTrackerE2ETest
{
    static final String ALICE = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String BOB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    static final String CAROL = "cccccccccccccccccccccccccccccccc";
    static final String SECRET = "site-secret-0123456789";
    static final byte[] NORMAL = Announce.hash("normal");
    static final byte[] FREE = Announce.hash("free");
    static final byte[] NEUTRAL = Announce.hash("neutral");
    static final byte[] TOKENED = Announce.hash("tokened");
    static final byte[] UNKNOWN = Announce.hash("unknown");

    @RegisterExtension
    static final PrivateModeFixture FIXTURE = new PrivateModeFixture();

    @TempDir
    Path directory;
    TrackerHarness harness;

    @BeforeEach
    void seed() throws Exception
    {
        try (Connection c = FIXTURE.db().connect(); Statement s = c.createStatement())
        {
            PrivateModeFixture.truncateAll(s);
            MariaDbServer.insertUser(c, 1, "alice", "1", 1, ALICE);
            MariaDbServer.insertUser(c, 2, "bob", "1", 0, BOB);
            MariaDbServer.insertUser(c, 3, "carol", "2", 1, CAROL);
            MariaDbServer.insertTorrent(c, 10, NORMAL, "0");
            MariaDbServer.insertTorrent(c, 11, FREE, "1");
            MariaDbServer.insertTorrent(c, 12, NEUTRAL, "2");
            MariaDbServer.insertTorrent(c, 13, TOKENED, "0");
            MariaDbServer.insertToken(c, 1, 13);
        }
        harness = FIXTURE.harness(directory)
            .set("udp", "listen", "[\"127.0.0.1:0\"]")
            .set("private", "connect_timeout_ms", "500")
            .set("private", "site_secret", "\"" + SECRET + "\"")
            .set("private", "journal_path", "\"" + directory.resolve("journal.bin") + "\"")
            .start();
    }

    @AfterEach
    void stop() throws Exception
    {
        if (harness != null)
        {
            harness.close();
        }
        if (FIXTURE.db() != null)
        {
            // A test that stopped it must not leave it down (start() on a running server is harmless).
            FIXTURE.db().start();
        }
    }

    // ---- helpers ----

    static String target(final String passkey, final byte[] hash, final int peer, final long up, final long down,
        final long left, final String event)
    {
        return "/" + passkey + "/announce?info_hash=" + Announce.encode(hash) + "&peer_id=" +
            Announce.encode(Announce.peerId(peer)) + "&port=" + (6000 + peer) + "&uploaded=" + up + "&downloaded=" +
            down + "&left=" + left + (event == null ? "" : "&event=" + event);
    }

    Map<String, Object> announce(final String passkey, final byte[] hash, final int peer, final long up,
        final long down, final long left, final String event) throws Exception
    {
        return harness.get(target(passkey, hash, peer, up, down, left, event));
    }

    static String failure(final Map<String, Object> response)
    {
        final Object reason = response.get("failure reason");
        return reason == null ? null : reason instanceof byte[] ?
            new String((byte[])reason, StandardCharsets.ISO_8859_1) : reason.toString();
    }

    String control(final String query) throws Exception
    {
        try (RawHttpClient client = harness.connect())
        {
            final RawHttpClient.Response r = client.exchange("/" + SECRET + "/update?" + query);
            assertEquals(200, r.status, r.toString());
            return new String(r.body, StandardCharsets.US_ASCII);
        }
    }

    long counter(final String name)
    {
        return PrivateModeFixture.counter(harness, name);
    }

    /** Waits (bounded) until every queued delta is in the database. */
    void awaitFlushed()
    {
        PrivateModeFixture.awaitFlushed(harness);
    }

    static void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.currentTimeMillis() + 20_000;
        while (!condition.getAsBoolean())
        {
            if (System.currentTimeMillis() > deadline)
            {
                throw new AssertionError("timed out waiting for " + what);
            }
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                throw new AssertionError(ex);
            }
        }
    }

    static long[] longs(final String sql) throws Exception
    {
        try (Connection c = FIXTURE.db().connect(); Statement s = c.createStatement();
            ResultSet r = s.executeQuery(sql))
        {
            if (!r.next())
            {
                return null;
            }
            final long[] values = new long[r.getMetaData().getColumnCount()];
            for (int i = 0; i < values.length; i++)
            {
                values[i] = r.getLong(i + 1);
            }
            return values;
        }
    }

    static long[] user(final int id) throws Exception
    {
        return longs("SELECT Uploaded, Downloaded FROM users_main WHERE ID = " + id);
    }

    // ---- tests ----

    @Test
    void deltasSnatchesAndCountsLandExactly() throws Exception
    {
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 0, 1000, "started")));
        assertNull(failure(announce(ALICE, NORMAL, 1, 100, 500, 500, null)));
        final Map<String, Object> done = announce(ALICE, NORMAL, 1, 300, 1000, 0, "completed");
        assertNull(failure(done));
        assertEquals(1L, done.get("complete"));
        awaitFlushed();
        assertEquals(300, user(1)[0]);
        assertEquals(1000, user(1)[1]);
        final long[] torrent = longs("SELECT Seeders, Leechers, Snatched, last_action IS NOT NULL FROM torrents WHERE ID = 10");
        assertEquals(1, torrent[0]);
        assertEquals(0, torrent[1]);
        assertEquals(1, torrent[2]);
        assertEquals(1, torrent[3]);
        final long[] peer = longs("SELECT uid, active, announced, completed, uploaded, downloaded, remaining " +
            "FROM xbt_files_users WHERE fid = 10");
        assertEquals(1, peer[0]);
        assertEquals(1, peer[1]);
        assertEquals(3, peer[2]);
        assertEquals(1, peer[3]);
        assertEquals(300, peer[4]);
        assertEquals(1000, peer[5]);
        assertEquals(0, peer[6]);
        assertEquals(1, longs("SELECT COUNT(*) FROM xbt_snatched WHERE uid = 1 AND fid = 10 AND IP = '127.0.0.1'")[0]);

        // A client whose counters went backwards restarts the baseline: max(0, new - last).
        assertNull(failure(announce(ALICE, NORMAL, 1, 50, 1000, 0, null)));
        assertNull(failure(announce(ALICE, NORMAL, 1, 80, 1000, 0, null)));
        // A second completed from the same peer is not a second snatch.
        assertNull(failure(announce(ALICE, NORMAL, 1, 80, 1000, 0, "completed")));
        // A second peer of another user leeching: counts change.
        assertNull(failure(announce(BOB, NORMAL, 2, 0, 0, 0, "started")));
        assertNull(failure(announce(ALICE, NORMAL, 1, 90, 1000, 0, "stopped")));
        awaitFlushed();
        assertEquals(330 + 10, user(1)[0]);
        assertEquals(1000, user(1)[1]);
        assertEquals(1, longs("SELECT Snatched FROM torrents WHERE ID = 10")[0]);
        assertEquals(1, longs("SELECT Seeders FROM torrents WHERE ID = 10")[0]);
        assertEquals(0, longs("SELECT active FROM xbt_files_users WHERE fid = 10 AND uid = 1")[0]);
        assertEquals(1, longs("SELECT COUNT(*) FROM xbt_snatched")[0]);
        assertEquals(0, counter("private_db_errors"));
        assertTrue(counter("private_batches_flushed") >= 2);
    }

    /** A BEP 15 announce carrying the passkey in BEP 41 URLData; returns the reply packet. */
    java.nio.ByteBuffer udpAnnounce(final java.nio.channels.DatagramChannel ch, final long connectionId,
        final String passkey, final byte[] hash, final int peer, final long up, final long down, final long left,
        final int event) throws Exception
    {
        final byte[] path = ("/" + passkey + "/announce").getBytes(StandardCharsets.US_ASCII);
        final java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(98 + 2 + path.length + 1);
        out.putLong(connectionId).putInt(1).putInt(0x5151).put(hash).put(Announce.peerId(peer))
            .putLong(down).putLong(left).putLong(up).putInt(event).putInt(0).putInt(0x1234).putInt(-1)
            .putShort((short)(6000 + peer)).put((byte)2).put((byte)path.length).put(path).put((byte)0).flip();
        ch.write(out);
        return java.nio.ByteBuffer.wrap(receive(ch));
    }

    /** One reply, waiting at most the socket timeout (the channel's own read would wait forever). */
    static byte[] receive(final java.nio.channels.DatagramChannel ch) throws Exception
    {
        final java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[2048], 2048);
        ch.socket().receive(packet);
        return java.util.Arrays.copyOf(packet.getData(), packet.getLength());
    }

    @Test
    void udpAnnouncesCarryThePasskeyInUrlData() throws Exception
    {
        try (java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open())
        {
            ch.socket().setSoTimeout(5000);
            ch.connect(harness.tracker().udpAddresses().get(0));
            final java.nio.ByteBuffer connect = java.nio.ByteBuffer.allocate(16).putLong(0x41727101980L).putInt(0)
                .putInt(7);
            ch.write(connect.flip());
            final long connectionId = java.nio.ByteBuffer.wrap(receive(ch)).getLong(8);

            java.nio.ByteBuffer r = udpAnnounce(ch, connectionId, ALICE, NORMAL, 1, 0, 0, 1000, 2);
            assertEquals(1, r.getInt(0), "announce answered, not refused");
            r = udpAnnounce(ch, connectionId, ALICE, NORMAL, 1, 250, 400, 600, 0);
            assertEquals(1, r.getInt(0));
            r = udpAnnounce(ch, connectionId, "y".repeat(32), NORMAL, 2, 0, 0, 1000, 2);
            assertEquals(3, r.getInt(0), "unknown passkey refused with an error packet");
            final byte[] text = new byte[r.remaining() - 8];
            r.position(8);
            r.get(text);
            assertEquals("passkey not found", new String(text, StandardCharsets.US_ASCII));
            awaitFlushed();
            assertEquals(250, user(1)[0]);
            assertEquals(400, user(1)[1]);
        }
    }

    @Test
    void freeleechNeutralLeechAndTokens() throws Exception
    {
        for (final byte[] hash : new byte[][] {FREE, NEUTRAL, TOKENED})
        {
            assertNull(failure(announce(ALICE, hash, 1, 0, 0, 5000, "started")));
            assertNull(failure(announce(ALICE, hash, 1, 200, 700, 4300, null)));
        }
        awaitFlushed();
        // Freeleech: upload 200 counts, download not; neutral: neither; token: upload counts, download to the token.
        assertEquals(400, user(1)[0]);
        assertEquals(0, user(1)[1]);
        assertEquals(700, longs("SELECT Downloaded FROM users_freeleeches WHERE UserID = 1 AND TorrentID = 13")[0]);
        assertEquals(1, longs("SELECT COUNT(*) FROM users_freeleeches")[0]);
        assertEquals(700, longs("SELECT downloaded FROM xbt_files_users WHERE fid = 12")[0]);
    }

    @Test
    void everyRefusalHasItsReason() throws Exception
    {
        assertEquals("passkey not found", failure(announce("x".repeat(32), NORMAL, 1, 0, 0, 10, null)));
        assertEquals("passkey not found", failure(harness.get(Announce.leecher(NORMAL, Announce.peerId(1), 7000).target())));
        assertEquals("your account is disabled", failure(announce(CAROL, NORMAL, 1, 0, 0, 10, null)));
        assertEquals("unregistered torrent", failure(announce(ALICE, UNKNOWN, 1, 0, 0, 10, null)));
        assertEquals("access denied, leeching forbidden", failure(announce(BOB, NORMAL, 2, 0, 0, 10, null)));
        assertNull(failure(announce(BOB, NORMAL, 2, 0, 0, 0, null)), "a seeder may seed without the right to leech");
        assertEquals("success", control("action=add_whitelist&peer_id=-TR"));
        assertEquals("your client is not on the whitelist", failure(announce(ALICE, NORMAL, 1, 0, 0, 10, null)));
        assertEquals("success", control("action=add_whitelist&peer_id=-E2E"));
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 0, 10, null)));
        // Scrape by passkey.
        final Map<String, Object> scrape = harness.get("/" + ALICE + "/scrape?info_hash=" + Announce.encode(NORMAL));
        assertNull(failure(scrape));
        assertEquals("passkey not found", failure(harness.get("/" + "y".repeat(32) + "/scrape?info_hash=" +
            Announce.encode(NORMAL))));
        assertEquals(2, counter("private_rejected{reason=\"unknown_passkey\",protocol=\"http\",thread=\"0\"}"));
        assertEquals(1, counter("private_rejected{reason=\"leeching_forbidden\",protocol=\"http\",thread=\"0\"}"));
    }

    @Test
    void siteControlTakesEffectAtOnce() throws Exception
    {
        try (RawHttpClient client = harness.connect())
        {
            assertEquals(404, client.exchange("/wrong-secret-0123456789/update?action=reload").status);
        }
        final String dave = "dddddddddddddddddddddddddddddddd";
        assertEquals("passkey not found", failure(announce(dave, NORMAL, 4, 0, 0, 10, null)));
        assertEquals("success", control("action=add_user&id=4&passkey=" + dave));
        assertNull(failure(announce(dave, NORMAL, 4, 0, 0, 10, null)));
        assertEquals("success", control("action=update_user&passkey=" + dave + "&can_leech=0"));
        assertEquals("access denied, leeching forbidden", failure(announce(dave, NORMAL, 4, 0, 0, 10, null)));
        final String dave2 = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
        assertEquals("success", control("action=change_passkey&oldpasskey=" + dave + "&newpasskey=" + dave2));
        assertEquals("passkey not found", failure(announce(dave, NORMAL, 4, 0, 0, 0, null)));
        assertNull(failure(announce(dave2, NORMAL, 4, 0, 0, 0, null)));
        assertEquals("success", control("action=remove_user&passkey=" + dave2));
        assertEquals("passkey not found", failure(announce(dave2, NORMAL, 4, 0, 0, 0, null)));
        assertEquals("unknown passkey", control("action=remove_user&passkey=" + dave2));

        // Torrents: add, make freeleech, tokens, delete.
        final byte[] fresh = Announce.hash("fresh");
        assertEquals("unregistered torrent", failure(announce(ALICE, fresh, 1, 0, 0, 10, null)));
        try (Connection c = FIXTURE.db().connect())
        {
            MariaDbServer.insertTorrent(c, 20, fresh, "0");
        }
        assertEquals("success", control("action=add_torrent&id=20&info_hash=" + Announce.encode(fresh) + "&freetorrent=0"));
        assertNull(failure(announce(ALICE, fresh, 1, 0, 0, 1000, "started")));
        assertEquals("success", control("action=update_torrent&info_hash=" + Announce.encode(fresh) + "&freetorrent=1"));
        assertNull(failure(announce(ALICE, fresh, 1, 0, 100, 900, null)));
        assertEquals("success", control("action=update_torrent&info_hash=" + Announce.encode(fresh) + "&freetorrent=0"));
        assertEquals("success", control("action=add_token&info_hash=" + Announce.encode(fresh) + "&userid=1"));
        assertNull(failure(announce(ALICE, fresh, 1, 0, 150, 850, null)));
        assertEquals("success", control("action=remove_token&info_hash=" + Announce.encode(fresh) + "&userid=1"));
        assertNull(failure(announce(ALICE, fresh, 1, 0, 170, 830, null)));
        awaitFlushed();
        assertEquals(20, user(1)[1], "only the download after the token went counts");
        assertEquals(50, longs("SELECT Downloaded FROM users_freeleeches WHERE UserID = 1 AND TorrentID = 20")[0]);
        assertEquals("success", control("action=delete_torrent&info_hash=" + Announce.encode(fresh)));
        assertEquals("unregistered torrent", failure(announce(ALICE, fresh, 1, 0, 170, 830, null)));
        assertEquals("unknown action", control("action=frobnicate"));
    }

    @Test
    void deltasSurviveTheDatabaseGoingAwayAndLandExactlyOnce() throws Exception
    {
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 0, 1000, "started")));
        assertNull(failure(announce(ALICE, NORMAL, 1, 100, 100, 900, null)));
        awaitFlushed();
        FIXTURE.db().stop();
        assertNull(failure(announce(ALICE, NORMAL, 1, 250, 400, 600, null)), "announces go on without the database");
        assertNull(failure(announce(ALICE, NORMAL, 1, 300, 1000, 0, "completed")));
        await(() -> counter("private_db_errors") > 0, "a failed flush");
        assertTrue(harness.tracker().privateTracker().counters().pendingRows.get() > 0);
        FIXTURE.db().start();
        awaitFlushed();
        assertEquals(300, user(1)[0]);
        assertEquals(1000, user(1)[1]);
        assertEquals(1, longs("SELECT Snatched FROM torrents WHERE ID = 10")[0]);
        assertEquals(1, longs("SELECT COUNT(*) FROM xbt_snatched")[0]);
    }

    @Test
    void aRestartWithUnflushedDeltasLosesNone() throws Exception
    {
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 0, 1000, "started")));
        awaitFlushed();
        FIXTURE.db().stop();
        assertNull(failure(announce(ALICE, NORMAL, 1, 700, 1000, 0, "completed")));
        await(() -> counter("private_db_errors") > 0, "a failed flush");
        harness.close();
        assertTrue(Files.exists(directory.resolve("journal.bin")), "unflushed deltas are journaled");
        FIXTURE.db().start();
        harness.start();
        awaitFlushed();
        await(() -> !Files.exists(directory.resolve("journal.bin")), "the journal emptied");
        assertEquals(700, user(1)[0]);
        assertEquals(1000, user(1)[1]);
        assertEquals(1, longs("SELECT COUNT(*) FROM xbt_snatched")[0]);
        assertFalse(longs("SELECT COUNT(*) FROM trackerd_batches")[0] == 0);
    }

    @Test
    void aCleanRestartKeepsEveryPeersBaseline() throws Exception
    {
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 0, 1000, "started")));
        assertNull(failure(announce(ALICE, NORMAL, 1, 100, 100, 900, null)));
        awaitFlushed();
        harness.restart();
        assertNull(failure(announce(ALICE, NORMAL, 1, 250, 400, 600, null)), "the first announce after the restart");
        awaitFlushed();
        assertEquals(250, user(1)[0]);
        assertEquals(400, user(1)[1]);
        // started still resets the baseline (a client that restarted its session counts from zero again).
        assertNull(failure(announce(ALICE, NORMAL, 1, 10, 10, 600, "started")));
        assertNull(failure(announce(ALICE, NORMAL, 1, 30, 20, 590, null)));
        awaitFlushed();
        assertEquals(270, user(1)[0]);
        assertEquals(410, user(1)[1]);
    }

    @Test
    void theSiteKnowsEachTorrentsSnatchedCount() throws Exception
    {
        try (Connection c = FIXTURE.db().connect(); Statement s = c.createStatement())
        {
            s.execute("UPDATE torrents SET Snatched = 5 WHERE ID = 10");
        }
        final org.trackerd.engine.site.SiteState state = harness.tracker().privateTracker().state();
        assertEquals(0, state.torrentByHash(NORMAL).snatched(), "loaded before the update");
        assertEquals("success", control("action=reload"));
        await(() -> state.torrentByHash(NORMAL).snatched() == 5, "Snatched loaded by the reload");
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 0, 1000, "started")));
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 1000, 0, "completed")));
        assertEquals(6, state.torrentByHash(NORMAL).snatched(), "counted at once, before any flush");
        assertEquals(6L, scrapedDownloaded(ALICE, NORMAL), "scrape reports torrents.Snatched");
        assertEquals(6L, announce(ALICE, NORMAL, 1, 0, 1000, 0, null).get("downloaded"), "so does the announce");
        assertNull(failure(announce(ALICE, NORMAL, 1, 0, 1000, 0, "stopped")));
        assertEquals(6L, scrapedDownloaded(ALICE, NORMAL), "and it outlives the swarm");
        awaitFlushed();
        assertEquals(6, longs("SELECT Snatched FROM torrents WHERE ID = 10")[0]);
        harness.tracker().privateTracker().reload();
        assertEquals(6, state.torrentByHash(NORMAL).snatched());
    }

    @SuppressWarnings("unchecked")
    private long scrapedDownloaded(final String passkey, final byte[] hash) throws Exception
    {
        final Map<String, Object> scrape = harness.get("/" + passkey + "/scrape?info_hash=" + Announce.encode(hash));
        final Map<String, Object> files = (Map<String, Object>)scrape.get("files");
        assertEquals(1, files.size(), () -> "scrape: " + scrape);
        return (Long)((Map<String, Object>)files.values().iterator().next()).get("downloaded");
    }

    static String hex(final byte[] bytes)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : bytes)
        {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }
}
