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

    /** Slots of {@link #verified}: a power of two. */
    private static final int VERIFIED_SLOTS = 1024;
    private static final int VERIFIED_MASK = VERIFIED_SLOTS - 1;
    private static final int VERIFIED_STRIDE = 4;

    private final SipHash24 mac;
    private final long lifetimeSeconds;
    /**
     * Ids verified lately, direct-mapped by the id's bits (a keyed MAC: uniform, and a client cannot aim at a slot
     * without the key): slot {@code s} holds at {@code 4s} the id, then the two address words and the
     * {@code window << 16 | port} word it was the MAC of. Only a verified id is stored, so a hit accepts exactly
     * what hashing would; a miss (another id took the slot) only costs the hash.
     */
    private final long[] verified = new long[VERIFIED_SLOTS * VERIFIED_STRIDE];

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

    /**
     * True when {@code id} was issued to this address and port in the current or the previous window. An id this
     * instance verified before for the same address, port and window is found in {@link #verified} without hashing
     * again: a client keeps its id for a minute or two and announces many torrents with it.
     */
    public boolean isValid(final long id, final byte[] address16, final int port, final long epochSeconds)
    {
        final long window = window(epochSeconds);
        final long a0 = SipHash24.readLongLe(address16, 0);
        final long a1 = SipHash24.readLongLe(address16, 8);
        final long[] memo = verified;
        final int i = ((int)(id ^ (id >>> 32)) & VERIFIED_MASK) * VERIFIED_STRIDE;
        if (memo[i] == id && memo[i + 1] == a0 && memo[i + 2] == a1)
        {
            final long tail = memo[i + 3];
            final long issuedIn = tail >> 16;
            // tail 0 is an empty slot (window 0 and port 0 are only ever hashed, never remembered)
            if (tail != 0 && (tail & 0xFFFF) == (port & 0xFFFF) && (issuedIn == window || issuedIn == window - 1))
            {
                return true;
            }
        }
        for (long w = window; w >= window - 1; w--)
        {
            final long tail = (w << 16) | (port & 0xFFFF);
            if (id == mac.hash(a0, a1, tail))
            {
                // a later check of this id skips the hash
                memo[i] = id;
                memo[i + 1] = a0;
                memo[i + 2] = a1;
                memo[i + 3] = tail;
                return true;
            }
        }
        return false;
    }
}
