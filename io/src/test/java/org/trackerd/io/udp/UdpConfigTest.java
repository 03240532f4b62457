package org.trackerd.io.udp;

import org.junit.jupiter.api.Test;
import org.trackerd.engine.config.ConfigException;
import org.trackerd.engine.config.TrackerConfig;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UdpConfigTest
{
    @Test
    void defaults()
    {
        final TrackerConfig.Udp udp = TrackerConfig.defaults().udp;
        assertTrue(udp.listen.isEmpty());
        assertEquals(1, udp.threads);
        assertEquals("", udp.connectionIdSecret);
        assertEquals(300, udp.connectionIdLifetimeSeconds);
    }

    @Test
    void lifetimeBelowTwoMinutesIsRejectedByName()
    {
        final ConfigException ex = assertThrows(ConfigException.class,
            () -> TrackerConfig.parse("{\"udp\": {\"connection_id_lifetime_seconds\": 60}}"));
        assertTrue(ex.getMessage().contains("udp.connection_id_lifetime_seconds"), ex.getMessage());
        assertEquals(120, TrackerConfig.parse("{\"udp\": {\"connection_id_lifetime_seconds\": 120}}")
            .udp.connectionIdLifetimeSeconds);
    }

    @Test
    void badThreadsAndSecretTypeAreRejectedByName()
    {
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"udp\": {\"threads\": 0}}"))
            .getMessage().contains("udp.threads"));
        assertTrue(assertThrows(ConfigException.class,
            () -> TrackerConfig.parse("{\"udp\": {\"connection_id_secret\": 5}}"))
            .getMessage().contains("udp.connection_id_secret"));
    }

    @Test
    void exampleConfigListensOnDualStackUdp() throws Exception
    {
        final Path example = Path.of("..", "example_config.json");
        final TrackerConfig config = TrackerConfig.parse(Files.readString(example));
        assertEquals(1, config.udp.listen.size());
        assertEquals(6969, config.udp.listen.get(0).getPort());
        assertTrue(config.udp.listen.get(0).getAddress().isAnyLocalAddress());
    }
}
