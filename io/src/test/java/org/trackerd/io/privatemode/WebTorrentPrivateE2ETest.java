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

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * WebTorrent in private mode against a real MariaDB: a WebSocket upgraded on the passkey route announces with that
 * passkey checked on every message (a registered torrent answered, an unregistered one refused with the site's
 * reason); an unknown passkey's connection is upgraded but every announce is refused.
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
