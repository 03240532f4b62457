package org.trackerd.engine.config;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrackerConfigTest
{
    @Test
    void emptyObjectGivesDefaults() throws Exception
    {
        final TrackerConfig c = TrackerConfig.defaults();
        assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("::"), 6969)), c.http.listen);
        assertEquals(1, c.http.threads);
        assertEquals(10_000, c.http.maxConnections);
        assertEquals(8192, c.http.maxRequestBytes);
        assertEquals(64, c.http.maxHeaders);
        assertEquals(30_000, c.http.idleTimeoutMs);
        assertEquals(10_000, c.http.requestTimeoutMs);
        assertEquals(List.of(), c.udp.listen);
        assertNull(c.metrics.listen);
        assertEquals(Path.of("./data"), c.storage.path);
        assertEquals(100_000, c.storage.maxTorrents);
        assertEquals(1_000_000, c.storage.maxPeers);
        assertEquals(1800, c.tracker.announceIntervalSeconds);
        assertEquals(900, c.tracker.minAnnounceIntervalSeconds);
        assertEquals(2100, c.tracker.peerLifetimeSeconds);
        assertEquals(50, c.tracker.defaultNumWant);
        assertEquals(200, c.tracker.maxNumWant);
        assertEquals(74, c.tracker.maxScrapeHashes);
        assertFalse(c.tracker.allowIpSpoofing);
        assertEquals(16_384, c.engine.requestRingSize);
        assertEquals(1024, c.engine.responseRingSize);
        assertEquals("lite_blocking", c.engine.waitStrategy);
        assertEquals("block", c.engine.frontendIdle);
        assertEquals(100, c.engine.expiryTickMs);
        assertEquals(60, c.engine.expirySweepSeconds);
    }

    @Test
    void nullsAndEmptySectionsMeanDefaults()
    {
        final TrackerConfig c = TrackerConfig.parse("{\"http\": null, \"tracker\": {}, \"engine\": {\"wait_strategy\": null}}");
        assertEquals(1, c.http.threads);
        assertEquals(1800, c.tracker.announceIntervalSeconds);
        assertEquals(30 * 86_400, c.tracker.torrentRetentionSeconds);
        assertEquals("lite_blocking", c.engine.waitStrategy);
    }

    @Test
    void valuesAreRead() throws Exception
    {
        final TrackerConfig c = TrackerConfig.parse("""
            {
              "http": {"listen": ["127.0.0.1:8080", "[::1]:6969"], "threads": 4, "max_headers": 10},
              "udp": {"listen": ["0.0.0.0:6969"]},
              "metrics": {"listen": "localhost:9100"},
              "storage": {"path": "/tmp/x", "max_torrents": 16, "max_peers": 32},
              "tracker": {"announce_interval_seconds": 60, "min_announce_interval_seconds": 30,
                          "peer_lifetime_seconds": 90, "default_numwant": 10, "max_numwant": 20,
                          "max_scrape_hashes": 5, "allow_ip_spoofing": true, "torrent_retention_seconds": 3600},
              "engine": {"request_ring_size": 64, "response_ring_size": 128, "wait_strategy": "busy_spin",
                         "frontend_idle": "yield", "expiry_tick_ms": 5, "expiry_sweep_seconds": 2}
            }""");
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), c.http.listen.get(0));
        final InetSocketAddress v6 = c.http.listen.get(1);
        assertInstanceOf(Inet6Address.class, v6.getAddress());
        assertTrue(v6.getAddress().isLoopbackAddress());
        assertEquals(6969, v6.getPort());
        assertEquals("[::1]:6969", HostPort.format(v6));
        assertEquals("::", HostPort.compressIpv6("0:0:0:0:0:0:0:0"));
        assertEquals("2001:db8::1", HostPort.compressIpv6("2001:db8:0:0:0:0:0:1"));
        assertEquals("2001:db8::1:0:0:1", HostPort.compressIpv6("2001:db8:0:0:1:0:0:1"));
        assertEquals("2001:0:1:0:1:0:1:0", HostPort.compressIpv6("2001:0:1:0:1:0:1:0"));
        assertEquals("fe80::1%lo", HostPort.compressIpv6("fe80:0:0:0:0:0:0:1%lo"));
        assertEquals("1::", HostPort.compressIpv6("1:0:0:0:0:0:0:0"));
        assertEquals(4, c.http.threads);
        assertEquals(10, c.http.maxHeaders);
        assertEquals(6969, c.udp.listen.get(0).getPort());
        assertEquals(9100, c.metrics.listen.getPort());
        assertEquals(Path.of("/tmp/x"), c.storage.path);
        assertEquals(16, c.storage.maxTorrents);
        assertEquals(32, c.storage.maxPeers);
        assertEquals(60, c.tracker.announceIntervalSeconds);
        assertEquals(30, c.tracker.minAnnounceIntervalSeconds);
        assertEquals(90, c.tracker.peerLifetimeSeconds);
        assertEquals(10, c.tracker.defaultNumWant);
        assertEquals(20, c.tracker.maxNumWant);
        assertEquals(5, c.tracker.maxScrapeHashes);
        assertTrue(c.tracker.allowIpSpoofing);
        assertEquals(3600, c.tracker.torrentRetentionSeconds);
        assertEquals(64, c.engine.requestRingSize);
        assertEquals(128, c.engine.responseRingSize);
        assertEquals("busy_spin", c.engine.waitStrategy);
        assertEquals("yield", c.engine.frontendIdle);
        assertEquals(5, c.engine.expiryTickMs);
        assertEquals(2, c.engine.expirySweepSeconds);
    }

    /** storage.max_bytes: 0 (the store's default) unless set; set, at least 1 MiB. */
    @Test
    void storageBudget()
    {
        assertEquals(0, TrackerConfig.defaults().storage.maxBytes);
        assertEquals(1L << 30, TrackerConfig.parse("{\"storage\": {\"max_bytes\": 1073741824}}").storage.maxBytes);
        assertEquals(16, TrackerConfig.parse("{\"storage\": {\"max_torrents\": 16}}").storage.maxTorrents,
            "a sizing hint as small as 16");
        assertRejected("{\"storage\": {\"max_bytes\": 1000}}", "'storage.max_bytes': 1000 is below the smallest");
        assertRejected("{\"storage\": {\"max_bytes\": -1}}", "'storage.max_bytes'");
    }

    @Test
    void unknownRootKeyIsRejected()
    {
        assertRejected("{\"htpp\": {}}", "'htpp'");
    }

    @Test
    void unknownNestedKeyIsRejectedWithItsDottedName()
    {
        assertRejected("{\"http\": {\"foo\": 1}}", "'http.foo'");
        assertRejected("{\"tracker\": {\"announce_interval\": 60}}", "'tracker.announce_interval'");
        assertRejected("{\"engine\": {\"threads\": 2}}", "'engine.threads'");
    }

    @Test
    void badListenAddressesAreRejected()
    {
        assertRejected("{\"http\": {\"listen\": [\"0.0.0.0:70000\"]}}", "http.listen[0]");
        assertRejected("{\"http\": {\"listen\": [\"127.0.0.1:6969\", \"example.com:80\"]}}", "http.listen[1]");
        assertRejected("{\"http\": {\"listen\": [\"0.0.0.0:http\"]}}", "http.listen[0]");
        assertRejected("{\"http\": {\"listen\": [\"::1:6969\"]}}", "http.listen[0]");
        assertRejected("{\"http\": {\"listen\": [\"[::1]6969\"]}}", "http.listen[0]");
        assertRejected("{\"http\": {\"listen\": [\"\"]}}", "http.listen[0]");
        assertRejected("{\"http\": {\"listen\": [\"256.0.0.1:80\"]}}", "http.listen[0]");
        assertRejected("{\"udp\": {\"listen\": [\"6969\"]}}", "udp.listen[0]");
        assertRejected("{\"metrics\": {\"listen\": \"host:9100\"}}", "metrics.listen");
    }

    @Test
    void outOfRangeNumbersAreRejected()
    {
        assertRejected("{\"http\": {\"threads\": 0}}", "'http.threads'");
        assertRejected("{\"http\": {\"threads\": 65}}", "'http.threads'");
        assertRejected("{\"storage\": {\"max_peers\": 15}}", "'storage.max_peers'");
        assertRejected("{\"tracker\": {\"max_numwant\": 0}}", "'tracker.max_numwant'");
        assertRejected("{\"http\": {\"idle_timeout_ms\": 99999999999999999999}}", "'http.idle_timeout_ms'");
    }

    @Test
    void ringSizesMustBePowersOfTwo()
    {
        assertRejected("{\"engine\": {\"request_ring_size\": 1000}}", "'engine.request_ring_size'");
        assertRejected("{\"engine\": {\"response_ring_size\": 96}}", "'engine.response_ring_size'");
        assertRejected("{\"engine\": {\"response_ring_size\": 32}}", "'engine.response_ring_size'");
    }

    @Test
    void wrongTypesAreRejected()
    {
        assertRejected("{\"http\": {\"threads\": \"4\"}}", "'http.threads'");
        assertRejected("{\"http\": {\"threads\": 1.5}}", "'http.threads'");
        assertRejected("{\"tracker\": {\"allow_ip_spoofing\": \"yes\"}}", "'tracker.allow_ip_spoofing'");
        assertRejected("{\"http\": {\"listen\": \"0.0.0.0:6969\"}}", "'http.listen'");
        assertRejected("{\"http\": {\"listen\": [6969]}}", "'http.listen'");
        assertRejected("{\"storage\": {\"path\": 5}}", "'storage.path'");
        assertRejected("{\"http\": 5}", "'http'");
        assertRejected("{\"engine\": {\"wait_strategy\": \"fast\"}}", "'engine.wait_strategy'");
        assertRejected("{\"engine\": {\"frontend_idle\": \"sleeping\"}}", "'engine.frontend_idle'");
    }

    @Test
    void blankStoragePathIsRejected()
    {
        assertRejected("{\"storage\": {\"path\": \" \"}}", "'storage.path'");
    }

    @Test
    void crossKeyConstraintsAreChecked()
    {
        assertRejected("{\"tracker\": {\"default_numwant\": 300}}", "'tracker.default_numwant'");
        assertRejected("{\"tracker\": {\"min_announce_interval_seconds\": 2000}}",
            "'tracker.min_announce_interval_seconds'");
        assertRejected("{\"tracker\": {\"peer_lifetime_seconds\": 1000}}", "'tracker.peer_lifetime_seconds'");
        assertRejected("{\"tracker\": {\"torrent_retention_seconds\": -1}}", "'tracker.torrent_retention_seconds'");
        final TrackerConfig c = TrackerConfig.parse("{\"tracker\": {\"announce_interval_seconds\": 1, " +
            "\"min_announce_interval_seconds\": 1, \"peer_lifetime_seconds\": 1}}");
        assertEquals(1, c.tracker.peerLifetimeSeconds);
    }

    @Test
    void notJsonOrNotAnObjectIsRejected()
    {
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"http\": ")).getMessage()
            .contains("not valid JSON"));
        assertThrows(ConfigException.class, () -> TrackerConfig.parse(""));
        assertRejected("[]", "<root>");
    }

    @Test
    void hostPortParsesIpv6AndLocalhost() throws Exception
    {
        final InetSocketAddress v6 = HostPort.parse("k", "[::1]:6969");
        assertEquals(InetAddress.getByName("::1"), v6.getAddress());
        assertEquals(6969, v6.getPort());
        final InetSocketAddress any6 = HostPort.parse("k", "[::]:0");
        assertTrue(any6.getAddress().isAnyLocalAddress());
        assertEquals(0, any6.getPort());
        assertEquals(80, HostPort.parse("k", "localhost:80").getPort());
        assertEquals("10.1.2.3:65535", HostPort.format(HostPort.parse("k", "10.1.2.3:65535")));
    }

    private static void assertRejected(final String json, final String expectedInMessage)
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> TrackerConfig.parse(json), json);
        assertTrue(ex.getMessage().contains(expectedInMessage),
            "message '" + ex.getMessage() + "' should name " + expectedInMessage);
    }
}
