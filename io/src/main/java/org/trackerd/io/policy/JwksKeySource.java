package org.trackerd.io.policy;

import com.auth0.jwk.InvalidPublicKeyException;
import com.auth0.jwk.Jwk;
import com.auth0.jwk.SigningKeyNotFoundException;
import com.auth0.jwk.UrlJwkProvider;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.trackerd.engine.policy.JwtKeys;
import org.trackerd.engine.policy.KeySource;
import org.trackerd.engine.policy.PolicyException;

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
 * JWKS documents (RFC 7517) read from a file or fetched over HTTP(S) with jwks-rsa, turned into the engine's
 * {@link JwtKeys}: RSA keys for RS256, EC P-256 keys for ES256. Keys of other types ({@code oct}, {@code OKP}) and
 * keys marked for encryption ({@code "use": "enc"}) are skipped.
 *
 * <p>Thread: any (stateless); {@link #fetch} blocks, so only the policy reloader calls it.
 */
public final class JwksKeySource implements KeySource
{
    public static final JwksKeySource INSTANCE = new JwksKeySource();
    private static final int FETCH_TIMEOUT_MS = 5000;

    private JwksKeySource()
    {
    }

    /** Reads a JWKS document from a file. */
    @Override
    public JwtKeys read(final Path file) throws PolicyException
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
    @Override
    public JwtKeys fetch(final String url) throws PolicyException
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

    private static JwtKeys of(final List<Jwk> jwks, final String source) throws PolicyException
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
        return JwtKeys.of(rsa, ec);
    }
}
