package org.trackerd.io.robust;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.trackerd.engine.config.ConfigException;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.e2e.TrackerProcess;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of invalid value (ports, addresses, durations, sizes, paths, types, unknown keys) stops start-up with
 * a message naming the key; through {@code TrackerMain} that is exit status 2 with the message on stderr.
 */
@Timeout(60)
class ConfigErrorRobustTest
{
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        // ports
        "http.listen | [\"127.0.0.1:70000\"] | http.listen[0]",
        "http.listen | [\"127.0.0.1:-1\"] | http.listen[0]",
        "http.listen | [\"127.0.0.1:http\"] | http.listen[0]",
        "udp.listen | [\"127.0.0.1\"] | udp.listen[0]",
        "metrics.listen | \"127.0.0.1:99999\" | metrics.listen",
        // addresses
        "http.listen | [\"999.1.1.1:6969\"] | http.listen[0]",
        "http.listen | [\"[::1:6969\"] | http.listen[0]",
        "udp.listen | [\"[zz::1]:6969\"] | udp.listen[0]",
        "http.listen | [\"tracker.example.com:6969\"] | http.listen[0]",
        "http.listen | \"127.0.0.1:6969\" | http.listen",
        "http.listen | [6969] | http.listen",
        "metrics.listen | \":\" | metrics.listen",
        // durations
        "http.idle_timeout_ms | -5 | http.idle_timeout_ms",
        "http.request_timeout_ms | \"10s\" | http.request_timeout_ms",
        "http.request_timeout_ms | 1.5 | http.request_timeout_ms",
        "http.idle_timeout_ms | 99999999999999999999 | http.idle_timeout_ms",
        "tracker.announce_interval_seconds | 0 | tracker.announce_interval_seconds",
        "tracker.peer_lifetime_seconds | 10 | tracker.peer_lifetime_seconds",
        "engine.expiry_tick_ms | true | engine.expiry_tick_ms",
        "udp.connection_id_lifetime_seconds | 60 | udp.connection_id_lifetime_seconds",
        // sizes and counts
        "http.max_request_bytes | 100 | http.max_request_bytes",
        "http.max_connections | 0 | http.max_connections",
        "http.max_connections_per_ip | 0 | http.max_connections_per_ip",
        "http.max_connections_per_ip | -1 | http.max_connections_per_ip",
        "http.threads | 1000 | http.threads",
        "storage.max_peers | \"lots\" | storage.max_peers",
        "storage.max_torrents | 1 | storage.max_torrents",
        "engine.request_ring_size | 1000 | engine.request_ring_size",
        "engine.response_ring_size | 32 | engine.response_ring_size",
        "tracker.max_numwant | 0 | tracker.max_numwant",
        // paths
        "storage.path | \"\" | storage.path",
        "storage.path | \"   \" | storage.path",
        "storage.path | 5 | storage.path",
        "storage.path | [\"a\"] | storage.path",
        // choices and booleans
        "engine.wait_strategy | \"spin\" | engine.wait_strategy",
        "tracker.allow_ip_spoofing | \"yes\" | tracker.allow_ip_spoofing",
        // unknown keys
        "http.max_conections | 5 | http.max_conections",
    })
    void invalidValueIsRejectedWithItsKey(final String key, final String json, final String named)
    {
        final int dot = key.indexOf('.');
        final String config = "{\"" + key.substring(0, dot) + "\": {\"" + key.substring(dot + 1) + "\": " + json + "}}";
        final ConfigException ex = assertThrows(ConfigException.class, () -> TrackerConfig.parse(config), config);
        assertTrue(ex.getMessage().contains("'" + named + "'"), () -> "message does not name " + named + ": " +
            ex.getMessage());
    }

    @Test
    void sectionOfTheWrongTypeAndBrokenJsonAreRejected()
    {
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"http\": 5}")).getMessage()
            .contains("'http'"));
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"http\": {")).getMessage()
            .contains("not valid JSON"));
    }

    @Test
    void trackerMainExitsTwoWithTheKeyOnStderr() throws Exception
    {
        final Path config = dir.resolve("bad.json");
        Files.writeString(config, "{\"http\": {\"listen\": [\"127.0.0.1:0\"], \"idle_timeout_ms\": \"soon\"}, " +
            "\"storage\": {\"path\": \"" + dir.resolve("store") + "\"}}", StandardCharsets.UTF_8);
        try (TrackerProcess child = TrackerProcess.start(config, dir))
        {
            assertEquals(2, child.awaitExit(60, TimeUnit.SECONDS), child::log);
            assertTrue(child.log().contains("'http.idle_timeout_ms'"), child::log);
        }
        assertFalse(Files.exists(dir.resolve("store")), "nothing created for a config that was refused");
    }
}
