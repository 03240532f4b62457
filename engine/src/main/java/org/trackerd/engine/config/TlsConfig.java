package org.trackerd.engine.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * HTTPS on the tracker itself ({@code tls} section): listeners served by the HTTP frontend threads next to the plain
 * ones, a PEM certificate chain and private key reloaded when the files change or on SIGHUP. Off unless
 * {@link #listen} names an address.
 */
public final class TlsConfig
{
    public final List<InetSocketAddress> listen;
    /** PEM: the server's certificate first, then the intermediates (the order ACME clients write fullchain.pem). */
    public final Path certificateChainFile;
    /** PEM: PKCS#8 ({@code BEGIN PRIVATE KEY}), or traditional ({@code BEGIN RSA/EC PRIVATE KEY}). */
    public final Path privateKeyFile;
    /** From accept to a finished handshake; a connection the kernel held back (TCP_DEFER_ACCEPT) spent part of it. */
    public final long handshakeTimeoutMs;
    /** Handshakes one client address may have in progress at once (per frontend thread); past it, closed at accept. */
    public final int maxHandshakesPerIp;
    /** How often the two files' modification time and size are compared; 0: only SIGHUP reloads. */
    public final int reloadCheckSeconds;
    /** A certificate closer than this to its end shows as a warning in /check. */
    public final int expiryWarningDays;
    /** How long a session (TLS 1.3 ticket, 1.2 session id) may be resumed. */
    public final int sessionTimeoutSeconds;
    /**
     * Threads that run the handshakes' cryptography (the engine's delegated tasks), so a burst of new connections
     * does not hold up the frontend thread (in shared threading, also the swarm processor); 0: on the frontend.
     */
    public final int handshakeThreads;

    TlsConfig(final ConfigReader r, final int deferAcceptSeconds)
    {
        listen = TrackerConfig.addresses(r, "listen", List.of());
        final String chain = r.stringValue("certificate_chain_file", "");
        final String key = r.stringValue("private_key_file", "");
        certificateChainFile = chain.isBlank() ? null : Path.of(chain);
        privateKeyFile = key.isBlank() ? null : Path.of(key);
        handshakeTimeoutMs = r.longValue("handshake_timeout_ms", 10_000, 500, 600_000);
        maxHandshakesPerIp = r.intValue("max_handshakes_per_ip", 32, 1, 1_000_000);
        reloadCheckSeconds = r.intValue("reload_check_seconds", 10, 0, 86_400);
        expiryWarningDays = r.intValue("expiry_warning_days", 14, 0, 3650);
        sessionTimeoutSeconds = r.intValue("session_timeout_seconds", 86_400, 0, 7 * 86_400);
        handshakeThreads = r.intValue("handshake_threads", 1, 0, 64);
        if (!listen.isEmpty() && (certificateChainFile == null || privateKeyFile == null))
        {
            throw new ConfigException("config key '" + r.key(certificateChainFile == null ? "certificate_chain_file" :
                "private_key_file") + "': needed when " + r.key("listen") + " is set");
        }
        if (!listen.isEmpty() && handshakeTimeoutMs <= deferAcceptSeconds * 1000L)
        {
            throw new ConfigException("config key '" + r.key("handshake_timeout_ms") + "': " + handshakeTimeoutMs +
                " ms does not exceed http.defer_accept_s (" + deferAcceptSeconds + " s), which the kernel may spend " +
                "of it before the tracker sees the connection");
        }
        r.rejectUnknownKeys();
    }

    public boolean enabled()
    {
        return !listen.isEmpty();
    }
}
