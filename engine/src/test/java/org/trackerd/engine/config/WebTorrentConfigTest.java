package org.trackerd.engine.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code webtorrent} section: off by default, its bounds, and the ping/idle rule. */
class WebTorrentConfigTest
{
    @Test
    void offByDefaultWithTheDocumentedDefaults()
    {
        final TrackerConfig.WebTorrent w = TrackerConfig.defaults().webtorrent;
        assertFalse(w.enabled);
        assertEquals(65536, w.maxMessageBytes);
        assertEquals(10, w.maxOffers);
        assertEquals(30_000, w.pingIntervalMs);
        assertEquals(120_000, w.idleTimeoutMs);
        assertEquals(64, w.maxConnectionsPerIp);
        assertEquals(120, w.announceIntervalSeconds);
        assertEquals(1000, w.maxPeersPerTorrent);
        assertEquals(100_000, w.maxTorrents);
        assertEquals(8, w.maxUnsolicitedAnswers);
        assertEquals(50, w.maxMessagesPerSecond);
    }

    @Test
    void keysAreRead()
    {
        final TrackerConfig.WebTorrent w = TrackerConfig.parse(
            "{\"webtorrent\": {\"enabled\": true, \"max_offers\": 3, \"max_message_bytes\": 16384}}").webtorrent;
        assertTrue(w.enabled);
        assertEquals(3, w.maxOffers);
        assertEquals(16384, w.maxMessageBytes);
    }

    @Test
    void badValuesNameTheirKey()
    {
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"webtorrent\": {\"max_offers\": 17}}")).getMessage().contains("webtorrent.max_offers"));
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"webtorrent\": {\"max_message_bytes\": 2000000}}")).getMessage().contains("webtorrent.max_message_bytes"));
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"webtorrent\": {\"enabled\": true, \"ping_interval_ms\": 5000, \"idle_timeout_ms\": 5000}}"))
            .getMessage().contains("webtorrent.ping_interval_ms"));
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"webtorrent\": {\"offers\": 1}}")).getMessage().contains("webtorrent.offers"));
    }
}
