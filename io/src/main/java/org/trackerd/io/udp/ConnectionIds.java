package org.trackerd.io.udp;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Stateless BEP 15 connection ids: SipHash-2-4, keyed with the tracker's secret, of the client's address, port
 * and the current time window ({@code epochSeconds / lifetimeSeconds}). Nothing is stored per client, so a
 * flood of connects costs no memory, and ids survive a restart when the secret is configured.
 *
 * <p>An id is accepted in the window it was issued in and the one after, so it lives between one and two
 * lifetimes: at least the two minutes BEP 15 asks for when the lifetime is at least 120 seconds.
 * <pre>
 *   hash input (24 bytes, little-endian words):
 *   0                   8                   16            18                24
 *   +-------------------+-------------------+-------------+------------------+
 *   | address[0..8)     | address[8..16)    | port (u16)  | window (48 bits) |
 *   +-------------------+-------------------+-------------+------------------+
 * </pre>
 *
 * <p>Thread: not thread-safe; one instance per frontend thread (they share the key, not the state).
 */
public final class ConnectionIds
{
    public static final int KEY_LENGTH = 16;

    private final SipHash24 mac;
    private final long lifetimeSeconds;

    public ConnectionIds(final byte[] key, final long lifetimeSeconds)
    {
        if (key.length != KEY_LENGTH)
        {
            throw new IllegalArgumentException("connection id key must be " + KEY_LENGTH + " bytes");
        }
        if (lifetimeSeconds <= 0)
        {
            throw new IllegalArgumentException("lifetime must be positive");
        }
        this.mac = new SipHash24(key, 0);
        this.lifetimeSeconds = lifetimeSeconds;
    }

    /** The key for a configured secret: the first 16 bytes of SHA-256 of its UTF-8 text. */
    public static byte[] keyFromSecret(final String secret)
    {
        try
        {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return java.util.Arrays.copyOf(digest, KEY_LENGTH);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 is missing from this JVM", ex);
        }
    }

    public static byte[] randomKey()
    {
        final byte[] key = new byte[KEY_LENGTH];
        new SecureRandom().nextBytes(key);
        return key;
    }

    public long window(final long epochSeconds)
    {
        return epochSeconds / lifetimeSeconds;
    }

    /** The id for a client in the window of {@code epochSeconds}. */
    public long issue(final byte[] address16, final int port, final long epochSeconds)
    {
        return forWindow(address16, port, window(epochSeconds));
    }

    /** The id for a client in a given window (tests use it to make ids of windows long past). */
    public long forWindow(final byte[] address16, final int port, final long window)
    {
        return mac.hash(SipHash24.readLongLe(address16, 0), SipHash24.readLongLe(address16, 8),
            (window << 16) | (port & 0xFFFF));
    }

    /** True when {@code id} was issued to this address and port in the current or the previous window. */
    public boolean isValid(final long id, final byte[] address16, final int port, final long epochSeconds)
    {
        final long window = window(epochSeconds);
        return id == forWindow(address16, port, window) || id == forWindow(address16, port, window - 1);
    }
}
