package org.trackerd.engine.policy;

import com.auth0.jwk.InvalidPublicKeyException;
import com.auth0.jwk.Jwk;
import com.auth0.jwk.SigningKeyNotFoundException;
import com.auth0.jwk.UrlJwkProvider;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The public keys of a JWKS (RFC 7517), by key id: RSA keys for RS256, EC P-256 keys for ES256. Keys of other
 * types ({@code oct}, {@code OKP}) and keys marked for encryption ({@code "use": "enc"}) are skipped.
 * A token without {@code kid} is accepted when the set has exactly one key of the type its algorithm needs.
 *
 * <p>Thread: immutable once built; read by any thread.
 */
public final class JwtKeys
{
    private static final JwtKeys EMPTY = new JwtKeys(Map.of(), Map.of());
    private static final int FETCH_TIMEOUT_MS = 5000;

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

    /** Reads a JWKS document from a file. */
    public static JwtKeys read(final Path file) throws PolicyException
    {
        final JsonNode tree;
        try
        {
            tree = new ObjectMapper().readTree(Files.readString(file));
        }
        catch (final IOException ex)
        {
            throw new PolicyException("cannot read JWKS file '" + file + "': " + ex.getMessage(), ex);
        }
        final JsonNode keys = tree == null ? null : tree.get("keys");
        if (keys == null || !keys.isArray())
        {
            throw new PolicyException("JWKS file '" + file + "': expected an object with a \"keys\" array");
        }
        final List<Jwk> jwks = new ArrayList<>();
        final ObjectMapper mapper = new ObjectMapper();
        for (final JsonNode key : keys)
        {
            try
            {
                @SuppressWarnings("unchecked")
                final Map<String, Object> values = mapper.convertValue(key, Map.class);
                jwks.add(Jwk.fromValues(values));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new PolicyException("JWKS file '" + file + "': bad key " + key + ": " + ex.getMessage(), ex);
            }
        }
        return of(jwks, "JWKS file '" + file + "'");
    }

    /** Fetches a JWKS document over HTTP(S) with jwks-rsa. Blocking: call it on the reload thread only. */
    public static JwtKeys fetch(final String url) throws PolicyException
    {
        final List<Jwk> jwks;
        try
        {
            jwks = new UrlJwkProvider(URI.create(url).toURL(), FETCH_TIMEOUT_MS, FETCH_TIMEOUT_MS).getAll();
        }
        catch (final SigningKeyNotFoundException | MalformedURLException | RuntimeException ex)
        {
            throw new PolicyException("cannot fetch JWKS from " + url + ": " + ex.getMessage(), ex);
        }
        return of(jwks, "JWKS at " + url);
    }

    static JwtKeys of(final List<Jwk> jwks, final String source) throws PolicyException
    {
        final Map<String, RSAPublicKey> rsa = new HashMap<>();
        final Map<String, ECPublicKey> ec = new HashMap<>();
        int anonymous = 0;
        for (final Jwk jwk : jwks)
        {
            if ("enc".equals(jwk.getUsage()) || !("RSA".equals(jwk.getType()) || "EC".equals(jwk.getType())))
            {
                continue;
            }
            final PublicKey key;
            try
            {
                key = jwk.getPublicKey();
            }
            catch (final InvalidPublicKeyException | RuntimeException ex)
            {
                throw new PolicyException(source + ": key '" + jwk.getId() + "' is not a valid public key: " +
                    ex.getMessage(), ex);
            }
            final String id = jwk.getId() == null ? "\u0000anonymous-" + anonymous++ : jwk.getId();
            if (key instanceof RSAPublicKey r)
            {
                rsa.put(id, r);
            }
            else if (key instanceof ECPublicKey e)
            {
                ec.put(id, e);
            }
        }
        return new JwtKeys(Map.copyOf(rsa), Map.copyOf(ec));
    }
}
