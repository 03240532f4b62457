package org.trackerd.engine.policy;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.AlgorithmMismatchException;
import com.auth0.jwt.exceptions.IncorrectClaimException;
import com.auth0.jwt.exceptions.JWTDecodeException;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.MissingClaimException;
import com.auth0.jwt.exceptions.SignatureVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.auth0.jwt.interfaces.ECDSAKeyProvider;
import com.auth0.jwt.interfaces.RSAKeyProvider;
import com.auth0.jwt.interfaces.Verification;

import java.nio.charset.StandardCharsets;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;

/**
 * Verifies one JWT with com.auth0 java-jwt: signature (HS256 with the configured secret, RS256 / ES256 with a key
 * of the JWKS chosen by {@code kid}), {@code iss}, {@code aud}, {@code exp} and {@code nbf} with leeway, and an
 * {@code infohash} claim equal to the request's infohash in lowercase hex. The cold path: it allocates and may
 * cost an RSA verification, so callers cache what it approves ({@link TokenCache}).
 *
 * <p>The token's own {@code alg} picks the verifier, and each verifier accepts exactly one algorithm with one key
 * type, so a token cannot make an RSA public key serve as an HMAC secret ({@code alg} confusion).
 *
 * <p>Thread: immutable; any thread may call {@link #verify}.
 */
public final class JwtValidator
{
    public static final String INFOHASH_CLAIM = "infohash";
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final JwtKeys keys;
    private final JWTVerifier hs256;
    private final JWTVerifier rs256;
    private final JWTVerifier es256;
    private final long leewayMs;
    private final boolean requireForScrape;

    /**
     * @param hs256Secret empty for none
     * @param keys the JWKS keys, or null when no JWKS is configured (RS256 and ES256 are then refused)
     * @param issuer empty: not checked
     * @param audience empty: not checked
     */
    public JwtValidator(final String hs256Secret, final JwtKeys keys, final String issuer, final String audience,
        final int leewaySeconds, final boolean requireForScrape)
    {
        this.keys = keys;
        this.leewayMs = leewaySeconds * 1000L;
        this.requireForScrape = requireForScrape;
        hs256 = hs256Secret.isEmpty() ? null :
            rules(Algorithm.HMAC256(hs256Secret.getBytes(StandardCharsets.UTF_8)), issuer, audience, leewaySeconds);
        if (keys == null)
        {
            rs256 = null;
            es256 = null;
        }
        else
        {
            rs256 = rules(Algorithm.RSA256(new RSAKeyProvider()
            {
                @Override
                public RSAPublicKey getPublicKeyById(final String keyId)
                {
                    return keys.rsa(keyId);
                }

                @Override
                public RSAPrivateKey getPrivateKey()
                {
                    return null;
                }

                @Override
                public String getPrivateKeyId()
                {
                    return null;
                }
            }), issuer, audience, leewaySeconds);
            es256 = rules(Algorithm.ECDSA256(new ECDSAKeyProvider()
            {
                @Override
                public ECPublicKey getPublicKeyById(final String keyId)
                {
                    return keys.ec(keyId);
                }

                @Override
                public ECPrivateKey getPrivateKey()
                {
                    return null;
                }

                @Override
                public String getPrivateKeyId()
                {
                    return null;
                }
            }), issuer, audience, leewaySeconds);
        }
    }

    private static JWTVerifier rules(final Algorithm algorithm, final String issuer, final String audience,
        final int leewaySeconds)
    {
        Verification v = JWT.require(algorithm)
            .acceptLeeway(leewaySeconds)
            .withClaimPresence("exp")
            .withClaimPresence(INFOHASH_CLAIM);
        if (!issuer.isEmpty())
        {
            v = v.withIssuer(issuer);
        }
        if (!audience.isEmpty())
        {
            v = v.withAudience(audience);
        }
        return v.build();
    }

    public boolean requireForScrape()
    {
        return requireForScrape;
    }

    /** What {@link #verify} found: the reason, and until when an approval holds. */
    public static final class Result
    {
        public Reason reason = Reason.ALLOWED;
        /** Epoch milliseconds after which the approval must not be reused ({@code exp} plus leeway). */
        public long validUntilMs;
    }

    /**
     * Verifies {@code token} for the infohash at {@code hash[hashOffset..+20]}; fills {@code out}.
     */
    public void verify(final String token, final byte[] hash, final int hashOffset, final Result out)
    {
        out.validUntilMs = 0;
        final DecodedJWT jwt;
        try
        {
            jwt = JWT.decode(token);
        }
        catch (final JWTDecodeException ex)
        {
            out.reason = Reason.JWT_MALFORMED;
            return;
        }
        final String algorithm = jwt.getAlgorithm();
        final JWTVerifier verifier;
        if ("HS256".equals(algorithm))
        {
            verifier = hs256;
        }
        else if ("RS256".equals(algorithm))
        {
            if (rs256 != null && keys.rsa(jwt.getKeyId()) == null)
            {
                out.reason = Reason.JWT_UNKNOWN_KEY;
                return;
            }
            verifier = rs256;
        }
        else if ("ES256".equals(algorithm))
        {
            if (es256 != null && keys.ec(jwt.getKeyId()) == null)
            {
                out.reason = Reason.JWT_UNKNOWN_KEY;
                return;
            }
            verifier = es256;
        }
        else
        {
            verifier = null;
        }
        if (verifier == null)
        {
            out.reason = Reason.JWT_ALGORITHM;
            return;
        }
        try
        {
            verifier.verify(jwt);
        }
        catch (final AlgorithmMismatchException ex)
        {
            out.reason = Reason.JWT_ALGORITHM;
            return;
        }
        catch (final SignatureVerificationException ex)
        {
            out.reason = Reason.JWT_BAD_SIGNATURE;
            return;
        }
        catch (final TokenExpiredException ex)
        {
            out.reason = Reason.JWT_EXPIRED;
            return;
        }
        catch (final MissingClaimException ex)
        {
            out.reason = Reason.JWT_MISSING_CLAIM;
            return;
        }
        catch (final IncorrectClaimException ex)
        {
            out.reason = switch (ex.getClaimName())
            {
                case "iss" -> Reason.JWT_WRONG_ISSUER;
                case "aud" -> Reason.JWT_WRONG_AUDIENCE;
                case "exp" -> Reason.JWT_EXPIRED;
                case "nbf", "iat" -> Reason.JWT_NOT_YET_VALID;
                default -> Reason.JWT_MALFORMED;
            };
            return;
        }
        catch (final JWTVerificationException ex)
        {
            out.reason = Reason.JWT_MALFORMED;
            return;
        }
        if (!matchesHex(jwt.getClaim(INFOHASH_CLAIM).asString(), hash, hashOffset))
        {
            out.reason = Reason.JWT_WRONG_INFOHASH;
            return;
        }
        final Instant exp = jwt.getExpiresAtAsInstant();
        out.validUntilMs = exp.toEpochMilli() + leewayMs;
        out.reason = Reason.ALLOWED;
    }

    /** True when {@code claim} is exactly the 40 lowercase hex digits of the 20 bytes at {@code hash[offset]}. */
    static boolean matchesHex(final String claim, final byte[] hash, final int offset)
    {
        if (claim == null || claim.length() != 40)
        {
            return false;
        }
        for (int i = 0; i < 20; i++)
        {
            final int b = hash[offset + i] & 0xFF;
            if (claim.charAt(2 * i) != HEX[b >>> 4] || claim.charAt(2 * i + 1) != HEX[b & 0xF])
            {
                return false;
            }
        }
        return true;
    }
}
