package org.trackerd.engine.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrivateConfigTest
{
    @Test
    void publicByDefaultWithPrivateDefaults()
    {
        final TrackerConfig c = TrackerConfig.defaults();
        assertFalse(c.tracker.isPrivate());
        assertEquals(3000, c.privateTracker.flushIntervalMs);
        assertEquals(1000, c.privateTracker.batchSize);
        assertEquals(600, c.privateTracker.reloadIntervalSeconds);
        assertNull(c.privateTracker.journalPath);
    }

    @Test
    void privateModeNeedsADatabaseUrl()
    {
        final ConfigException ex = assertThrows(ConfigException.class,
            () -> TrackerConfig.parse("{\"tracker\": {\"mode\": \"private\"}}"));
        assertTrue(ex.getMessage().contains("'private.database_url'"), ex.getMessage());
    }

    @Test
    void siteSecretMustBeLongAndUrlSafe()
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"tracker\": {\"mode\": \"private\"}, \"private\": {\"database_url\": \"jdbc:mariadb://h/db\", " +
            "\"site_secret\": \"short\"}}"));
        assertTrue(ex.getMessage().contains("'private.site_secret'"), ex.getMessage());
        final TrackerConfig ok = TrackerConfig.parse("{\"tracker\": {\"mode\": \"private\"}, \"private\": " +
            "{\"database_url\": \"jdbc:mariadb://h/db\", \"site_secret\": \"0123456789abcdef\", \"journal_path\": \"j\"}}");
        assertTrue(ok.tracker.isPrivate());
        assertEquals("0123456789abcdef", ok.privateTracker.siteSecret);
    }

    @Test
    void unknownModeAndKeysAreNamed()
    {
        assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"tracker\": {\"mode\": \"secret\"}}"));
        final ConfigException ex = assertThrows(ConfigException.class,
            () -> TrackerConfig.parse("{\"private\": {\"flush_every\": 1}}"));
        assertTrue(ex.getMessage().contains("private.flush_every"), ex.getMessage());
    }
}
