package org.trackerd.engine.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TlsConfigTest
{
    @Test
    void offByDefault()
    {
        final TlsConfig tls = TrackerConfig.defaults().tls;
        assertFalse(tls.enabled());
        assertNull(tls.certificateChainFile);
        assertEquals(10_000, tls.handshakeTimeoutMs);
        assertEquals(32, tls.maxHandshakesPerIp);
        assertEquals(10, tls.reloadCheckSeconds);
        assertEquals(14, tls.expiryWarningDays);
        assertEquals(1, tls.handshakeThreads);
    }

    @Test
    void readsEveryKey()
    {
        final TlsConfig tls = TrackerConfig.parse("{\"tls\":{\"listen\":[\"127.0.0.1:8443\",\"[::1]:8443\"]," +
            "\"certificate_chain_file\":\"/etc/t/chain.pem\",\"private_key_file\":\"/etc/t/key.pem\"," +
            "\"handshake_timeout_ms\":5000,\"max_handshakes_per_ip\":4,\"reload_check_seconds\":0," +
            "\"expiry_warning_days\":30,\"session_timeout_seconds\":600,\"handshake_threads\":0}}").tls;
        assertTrue(tls.enabled());
        assertEquals(2, tls.listen.size());
        assertEquals(Path.of("/etc/t/chain.pem"), tls.certificateChainFile);
        assertEquals(Path.of("/etc/t/key.pem"), tls.privateKeyFile);
        assertEquals(5000, tls.handshakeTimeoutMs);
        assertEquals(4, tls.maxHandshakesPerIp);
        assertEquals(0, tls.reloadCheckSeconds);
        assertEquals(30, tls.expiryWarningDays);
        assertEquals(600, tls.sessionTimeoutSeconds);
        assertEquals(0, tls.handshakeThreads);
    }

    @Test
    void listenersNeedBothFiles()
    {
        final ConfigException e = assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"tls\":{\"listen\":[\"127.0.0.1:8443\"],\"certificate_chain_file\":\"/x.pem\"}}"));
        assertTrue(e.getMessage().contains("tls.private_key_file"), e.getMessage());
    }

    @Test
    void theHandshakeTimeoutMustExceedTheDeferAcceptHold()
    {
        final ConfigException e = assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"http\":{\"defer_accept_s\":5},\"tls\":{\"listen\":[\"127.0.0.1:8443\"],\"certificate_chain_file\":" +
            "\"/x.pem\",\"private_key_file\":\"/y.pem\",\"handshake_timeout_ms\":5000}}"));
        assertTrue(e.getMessage().contains("tls.handshake_timeout_ms"), e.getMessage());
    }

    @Test
    void unknownKeysAreNamed()
    {
        final ConfigException e = assertThrows(ConfigException.class, () -> TrackerConfig.parse(
            "{\"tls\":{\"certificate_file\":\"/x.pem\"}}"));
        assertEquals("unknown config key 'tls.certificate_file'", e.getMessage());
    }
}
