package org.trackerd.engine.policy;

import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Map;

/**
 * The public keys of a JWKS (RFC 7517), by key id: RSA keys for RS256, EC P-256 keys for ES256. Keys of other
 * types ({@code oct}, {@code OKP}) and keys marked for encryption ({@code "use": "enc"}) are skipped.
 * A token without {@code kid} is accepted when the set has exactly one key of the type its algorithm needs.
 *
 * <p>Reading and fetching JWKS documents is a {@link KeySource}'s job.
 *
 * <p>Thread: immutable once built; read by any thread.
 */
public final class JwtKeys
{
    private static final JwtKeys EMPTY = new JwtKeys(Map.of(), Map.of());

    private final Map<String, RSAPublicKey> rsa;
    private final Map<String, ECPublicKey> ec;

    private JwtKeys(final Map<String, RSAPublicKey> rsa, final Map<String, ECPublicKey> ec)
    {
        this.rsa = rsa;
        this.ec = ec;
    }

    public static JwtKeys empty()
    {
        return EMPTY;
    }

    public int size()
    {
        return rsa.size() + ec.size();
    }

    /** The RSA key with this id (null id: the only RSA key), or null. */
    public RSAPublicKey rsa(final String keyId)
    {
        return find(rsa, keyId);
    }

    /** The EC key with this id (null id: the only EC key), or null. */
    public ECPublicKey ec(final String keyId)
    {
        return find(ec, keyId);
    }

    private static <K> K find(final Map<String, K> keys, final String keyId)
    {
        if (keyId == null)
        {
            return keys.size() == 1 ? keys.values().iterator().next() : null;
        }
        return keys.get(keyId);
    }

    /**
     * The keys of one JWKS document, by key id (an adapter reads and checks the document, see {@link KeySource}).
     * Keys without an id get ids of their own that no token names.
     */
    public static JwtKeys of(final Map<String, RSAPublicKey> rsa, final Map<String, ECPublicKey> ec)
    {
        return new JwtKeys(Map.copyOf(rsa), Map.copyOf(ec));
    }
}
