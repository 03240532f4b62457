package org.trackerd.io.privatemode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.webtorrent.RawWebSocket;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebTorrent in private mode against a real MariaDB: a WebSocket upgraded on the passkey route announces with that
 * passkey checked on every message (a registered torrent answered, an unregistered one refused with the site's
 * reason); an unknown passkey's connection is upgraded but every announce is refused. WebRTC peers are accounted to
 * the site as BitTorrent peers are.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebTorrentPrivateE2ETest
{
    static final String ALICE = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final byte[] NORMAL = Announce.hash("webtorrent-normal");
    static final byte[] UNKNOWN = Announce.hash("webtorrent-unknown");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @RegisterExtension
    static final PrivateModeFixture FIXTURE = new PrivateModeFixture();

    @TempDir
    Path directory;

    @org.junit.jupiter.api.BeforeEach
    void emptyTables() throws Exception
    {
        try (Connection c = FIXTURE.db().connect(); java.sql.Statement s = c.createStatement())
        {
            PrivateModeFixture.truncateAll(s);
        }
    }

    @Test
    void passkeyRouteUpgradesAndEveryAnnounceIsChecked() throws Exception
    {
        try (Connection c = FIXTURE.db().connect())
        {
            MariaDbServer.insertUser(c, 1, "alice", "1", 1, ALICE);
            MariaDbServer.insertTorrent(c, 10, NORMAL, "0");
        }
        try (TrackerHarness harness = FIXTURE.harness(directory)
            .set("webtorrent", "enabled", "true")
            .set("private", "connect_timeout_ms", "500")
            .set("private", "journal_path", "\"" + directory.resolve("journal.bin") + "\"")
            .start())
        {
            try (RawWebSocket ws = new RawWebSocket(harness.port(), "/" + ALICE + "/announce"))
            {
                ws.sendText(announce(NORMAL, 'p'));
                final JsonNode ok = MAPPER.readTree(ws.read().text());
                assertEquals("announce", ok.get("action").asText(), ok.toString());
                assertEquals(1, ok.get("complete").asInt(), ok.toString());
                ws.sendText(announce(UNKNOWN, 'p'));
                final JsonNode refused = MAPPER.readTree(ws.read().text());
                assertEquals("unregistered torrent", refused.get("failure reason").asText(), refused.toString());
            }
            try (RawWebSocket ws = new RawWebSocket(harness.port(), "/" + "x".repeat(32) + "/announce"))
            {
                ws.sendText(announce(NORMAL, 'q'));
                final JsonNode refused = MAPPER.readTree(ws.read().text());
                assertEquals("passkey not found", refused.get("failure reason").asText(), refused.toString());
            }
        }
    }

    /**
     * A WebRTC peer's uploaded and downloaded are the user's, as a BitTorrent peer's: the deltas between its
     * announces land in users_main, its row in xbt_files_users, its completion in torrents.Snatched and
     * xbt_snatched; when its connection closes (no stopped message) the row goes inactive.
     */
    @Test
    void webRtcAnnouncesAreAccountedToTheSite() throws Exception
    {
        try (Connection c = FIXTURE.db().connect())
        {
            MariaDbServer.insertUser(c, 1, "alice", "1", 1, ALICE);
            MariaDbServer.insertTorrent(c, 10, NORMAL, "0");
        }
        try (TrackerHarness harness = FIXTURE.harness(directory)
            .set("webtorrent", "enabled", "true")
            .set("private", "connect_timeout_ms", "500")
            .set("private", "journal_path", "\"" + directory.resolve("journal.bin") + "\"")
            .start())
        {
            try (RawWebSocket ws = new RawWebSocket(harness.port(), "/" + ALICE + "/announce"))
            {
                announced(ws, announce(NORMAL, 'p', 0, 0, 1000, "started"));
                announced(ws, announce(NORMAL, 'p', 100, 500, 500, ""));
                final JsonNode done = announced(ws, announce(NORMAL, 'p', 300, 1000, 0, "completed"));
                assertEquals(1, done.get("complete").asInt(), done.toString());
                // a second completed of the seeder is no second snatch
                announced(ws, announce(NORMAL, 'p', 340, 1000, 0, "completed"));
                PrivateModeFixture.awaitFlushed(harness);
                assertArrayEquals(new long[] {340, 1000}, longs("SELECT Uploaded, Downloaded FROM users_main WHERE ID = 1"));
                assertArrayEquals(new long[] {1, 0, 1}, longs("SELECT Seeders, Leechers, Snatched FROM torrents WHERE ID = 10"));
                assertArrayEquals(new long[] {1, 1, 4, 1, 340, 1000, 0}, longs("SELECT uid, active, announced, " +
                    "completed, uploaded, downloaded, remaining FROM xbt_files_users WHERE fid = 10"));
                assertArrayEquals(new long[] {1}, longs("SELECT COUNT(*) FROM xbt_snatched WHERE uid = 1 AND fid = 10"));
            }
            // the socket closed: the peer leaves, and its row goes inactive with its last totals
            PrivateTrackerE2ETest.await(() -> query("SELECT active FROM xbt_files_users WHERE fid = 10")[0] == 0,
                "the closed WebRTC peer's row inactive");
            assertArrayEquals(new long[] {340, 1000}, longs("SELECT Uploaded, Downloaded FROM users_main WHERE ID = 1"));
            assertArrayEquals(new long[] {340, 1000}, longs("SELECT uploaded, downloaded FROM xbt_files_users " +
                "WHERE fid = 10"));
        }
    }

    private static JsonNode announced(final RawWebSocket ws, final String announce) throws Exception
    {
        ws.sendText(announce);
        final JsonNode answer = MAPPER.readTree(ws.read().text());
        assertEquals("announce", answer.get("action").asText(), answer.toString());
        assertTrue(answer.has("interval"), answer.toString());
        return answer;
    }

    private static String announce(final byte[] infoHash, final char peer, final long uploaded,
        final long downloaded, final long left, final String event)
    {
        return "{\"action\":\"announce\",\"info_hash\":\"" + binary(infoHash) + "\",\"peer_id\":\"" +
            String.valueOf(peer).repeat(20) + "\",\"numwant\":5,\"uploaded\":" + uploaded + ",\"downloaded\":" +
            downloaded + ",\"left\":" + left + (event.isEmpty() ? "" : ",\"event\":\"" + event + "\"") + "}";
    }

    private static long[] query(final String sql)
    {
        try
        {
            return longs(sql);
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static long[] longs(final String sql) throws Exception
    {
        try (Connection c = FIXTURE.db().connect(); java.sql.Statement s = c.createStatement();
            java.sql.ResultSet r = s.executeQuery(sql))
        {
            if (!r.next())
            {
                return new long[0];
            }
            final long[] values = new long[r.getMetaData().getColumnCount()];
            for (int i = 0; i < values.length; i++)
            {
                values[i] = r.getLong(i + 1);
            }
            return values;
        }
    }

    private static String announce(final byte[] infoHash, final char peer)
    {
        return "{\"action\":\"announce\",\"info_hash\":\"" + binary(infoHash) + "\",\"peer_id\":\"" +
            String.valueOf(peer).repeat(20) + "\",\"numwant\":5,\"uploaded\":0,\"downloaded\":0,\"left\":0," +
            "\"event\":\"started\"}";
    }

    /** 20 bytes as the JSON binary string the npm client sends (each byte one code point, escaped in JSON). */
    private static String binary(final byte[] id)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : id)
        {
            final int v = b & 0xFF;
            if (v >= 0x20 && v < 0x7F && v != '"' && v != '\\')
            {
                sb.append((char)v);
            }
            else
            {
                sb.append(String.format("\\u%04x", v));
            }
        }
        return sb.toString();
    }
}
