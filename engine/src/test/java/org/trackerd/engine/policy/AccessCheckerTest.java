package org.trackerd.engine.policy;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.ConfigException;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessCheckerTest
{
    private static final String SECRET = "an-hs256-secret-of-at-least-32-bytes!";
    private static final String ISSUER = "https://issuer.example";
    private static final String AUDIENCE = "trackerd";

    @TempDir
    static Path dir;

    private static KeyPair rsa;
    private static KeyPair ec;
    private static Path jwks;

    @BeforeAll
    static void keys() throws Exception
    {
        final KeyPairGenerator r = KeyPairGenerator.getInstance("RSA");
        r.initialize(2048);
        rsa = r.generateKeyPair();
        final KeyPairGenerator e = KeyPairGenerator.getInstance("EC");
        e.initialize(new ECGenParameterSpec("secp256r1"));
        ec = e.generateKeyPair();
        jwks = dir.resolve("jwks.json");
    }

    /**
     * The JWKS "file" as a key source gives it: this test's RSA and EC keys (reading JWKS documents is io's
     * {@code JwksKeySource}, tested there).
     */
    private static final KeySource KEYS = new KeySource()
    {
        @Override
        public JwtKeys read(final Path file) throws PolicyException
        {
            if (!file.equals(jwks))
            {
                throw new PolicyException("cannot read JWKS file '" + file + "'");
            }
            return JwtKeys.of(Map.of("rsa-1", (RSAPublicKey)rsa.getPublic()),
                Map.of("ec-1", (ECPublicKey)ec.getPublic()));
        }

        @Override
        public JwtKeys fetch(final String url) throws PolicyException
        {
            throw new PolicyException("no JWKS URL in this test");
        }
    };

    private static AccessPolicy policy(final String jwtJson) throws Exception
    {
        return AccessPolicy.build(TrackerConfig.parse("{\"access\":{\"jwt\":" + jwtJson + "}}").access, KEYS, null);
    }

    private static AccessPolicy hsAndJwks(final boolean scrape) throws Exception
    {
        return policy("{\"enabled\":true,\"hs256_secret\":\"" + SECRET + "\",\"jwks_file\":\"" + jwks +
            "\",\"issuer\":\"" + ISSUER + "\",\"audience\":\"" + AUDIENCE + "\",\"leeway_seconds\":30," +
            "\"require_for_scrape\":" + scrape + "}");
    }

    private static JWTCreator.Builder token(final byte[] hash)
    {
        return JWT.create().withIssuer(ISSUER).withAudience(AUDIENCE)
            .withExpiresAt(Instant.now().plusSeconds(3600)).withClaim("infohash", ListsTest.hex(hash));
    }

    private final CountersManager manager =
        new CountersManager(new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(256 * 1024)),
            new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(64 * 1024)));
    private final RequestEvent e = announce(ListsTest.hash(1));

    private static RequestEvent announce(final byte[] hash)
    {
        final RequestEvent e = new RequestEvent(4);
        e.kind = RequestEvent.KIND_ANNOUNCE;
        System.arraycopy(hash, 0, e.infoHash, 0, 20);
        System.arraycopy(ListsTest.peerId("-UT3550-"), 0, e.peerId, 0, 20);
        return e;
    }

    private Reason check(final AccessChecker checker, final AccessPolicy policy, final RequestEvent request,
        final String token)
    {
        if (token == null)
        {
            return checker.check(policy, request, null, 0, AccessChecker.NO_TOKEN, System.currentTimeMillis());
        }
        final byte[] bytes = token.getBytes(StandardCharsets.US_ASCII);
        return checker.check(policy, request, new UnsafeBuffer(bytes), 0, bytes.length, System.currentTimeMillis());
    }

    private AccessChecker checker(final AccessPolicy policy)
    {
        return new AccessChecker(new PolicyHolder(policy), 64, manager, "test", 0);
    }

    @Test
    void hs256ValidTokenIsVerifiedOnceThenServedFromCache() throws Exception
    {
        final AccessPolicy p = hsAndJwks(false);
        final AccessChecker c = checker(p);
        final String t = token(e.infoHash).sign(Algorithm.HMAC256(SECRET));
        assertEquals(Reason.ALLOWED, check(c, p, e, t));
        assertEquals(Reason.ALLOWED, check(c, p, e, t));
        assertEquals(Reason.ALLOWED, check(c, p, e, t));
        assertEquals(1, counter("access_jwt_verifications"));
        assertEquals(2, counter("access_jwt_cache_hits"));
        // A reload is a new generation: the same token is verified again under the new policy.
        final AccessPolicy reloaded = hsAndJwks(false);
        assertEquals(Reason.ALLOWED, check(c, reloaded, e, t));
        assertEquals(2, counter("access_jwt_verifications"));
        // The cached approval is for this infohash only.
        assertEquals(Reason.JWT_WRONG_INFOHASH, check(c, reloaded, announce(ListsTest.hash(2)), t));
    }

    @Test
    void percentEncodedTokenIsDecoded() throws Exception
    {
        final AccessPolicy p = hsAndJwks(false);
        final String t = token(e.infoHash).sign(Algorithm.HMAC256(SECRET)).replace(".", "%2E");
        assertEquals(Reason.ALLOWED, check(checker(p), p, e, t));
    }

    @Test
    void rs256AndEs256FromJwks() throws Exception
    {
        final AccessPolicy p = hsAndJwks(false);
        final AccessChecker c = checker(p);
        final Algorithm rs = Algorithm.RSA256((RSAPublicKey)rsa.getPublic(), (RSAPrivateKey)rsa.getPrivate());
        final Algorithm es = Algorithm.ECDSA256((ECPublicKey)ec.getPublic(), (ECPrivateKey)ec.getPrivate());
        assertEquals(Reason.ALLOWED, check(c, p, e, token(e.infoHash).withKeyId("rsa-1").sign(rs)));
        assertEquals(Reason.ALLOWED, check(c, p, e, token(e.infoHash).withKeyId("ec-1").sign(es)));
        // One key of each type: a token without kid finds it.
        assertEquals(Reason.ALLOWED, check(c, p, e, token(e.infoHash).sign(rs)));
        assertEquals(Reason.JWT_UNKNOWN_KEY, check(c, p, e, token(e.infoHash).withKeyId("rsa-2").sign(rs)));
    }

    @Test
    void everyFailureClassHasItsReason() throws Exception
    {
        final AccessPolicy p = hsAndJwks(false);
        final AccessChecker c = checker(p);
        final Algorithm hs = Algorithm.HMAC256(SECRET);
        final Instant now = Instant.now();
        assertEquals(Reason.JWT_MISSING, check(c, p, e, null));
        assertEquals(Reason.JWT_MISSING, check(c, p, e, ""));
        assertEquals(Reason.JWT_MALFORMED, check(c, p, e, "not-a-token"));
        assertEquals(Reason.JWT_MALFORMED, check(c, p, e, "abc%zz"));
        assertEquals(Reason.JWT_EXPIRED, check(c, p, e, token(e.infoHash).withExpiresAt(now.minusSeconds(120)).sign(hs)));
        assertEquals(Reason.ALLOWED, check(c, p, e, token(e.infoHash).withExpiresAt(now.minusSeconds(5)).sign(hs)),
            "within the leeway");
        assertEquals(Reason.JWT_NOT_YET_VALID, check(c, p, e, token(e.infoHash).withNotBefore(now.plusSeconds(600)).sign(hs)));
        assertEquals(Reason.JWT_WRONG_ISSUER, check(c, p, e, token(e.infoHash).withIssuer("someone-else").sign(hs)));
        assertEquals(Reason.JWT_WRONG_AUDIENCE, check(c, p, e, token(e.infoHash).withAudience("other").sign(hs)));
        assertEquals(Reason.JWT_WRONG_INFOHASH, check(c, p, e, token(ListsTest.hash(9)).sign(hs)));
        assertEquals(Reason.JWT_WRONG_INFOHASH,
            check(c, p, e, token(e.infoHash).withClaim("infohash", ListsTest.hex(e.infoHash).toUpperCase()).sign(hs)));
        assertEquals(Reason.JWT_MISSING_CLAIM, check(c, p, e, JWT.create().withIssuer(ISSUER).withAudience(AUDIENCE)
            .withClaim("infohash", ListsTest.hex(e.infoHash)).sign(hs)));
        assertEquals(Reason.JWT_BAD_SIGNATURE, check(c, p, e, token(e.infoHash).sign(Algorithm.HMAC256(SECRET + "x"))));
        final String good = token(e.infoHash).sign(hs);
        final String[] parts = good.split("\\.");
        final String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
            ("{\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\",\"exp\":" + (now.getEpochSecond() + 3600) +
                ",\"infohash\":\"" + ListsTest.hex(ListsTest.hash(2)) + "\"}").getBytes(StandardCharsets.UTF_8)) +
            "." + parts[2];
        assertEquals(Reason.JWT_BAD_SIGNATURE, check(c, p, announce(ListsTest.hash(2)), forged));
        assertEquals(Reason.JWT_ALGORITHM, check(c, p, e, token(e.infoHash).sign(Algorithm.none())));
        assertEquals(Reason.JWT_ALGORITHM, check(c, p, e, token(e.infoHash).sign(Algorithm.HMAC384(SECRET))));
        assertEquals(2, counter("access_rejected", "jwt_missing"), "counted per reason");
    }

    @Test
    void hs256IsRefusedWhenOnlyAJwksIsConfigured() throws Exception
    {
        final AccessPolicy p = policy("{\"enabled\":true,\"jwks_file\":\"" + jwks + "\"}");
        // An RSA public key must never be usable as an HMAC secret.
        assertEquals(Reason.JWT_ALGORITHM, check(checker(p), p, e, token(e.infoHash).sign(Algorithm.HMAC256(SECRET))));
    }

    @Test
    void scrapeNeedsATokenOnlyWhenConfigured() throws Exception
    {
        final RequestEvent scrape = new RequestEvent(4);
        scrape.kind = RequestEvent.KIND_SCRAPE;
        scrape.scrapeCount = 1;
        System.arraycopy(e.infoHash, 0, scrape.scrapeHashes, 0, 20);
        final AccessPolicy open = hsAndJwks(false);
        assertEquals(Reason.ALLOWED, check(checker(open), open, scrape, null));
        final AccessPolicy closed = hsAndJwks(true);
        final AccessChecker c = checker(closed);
        assertEquals(Reason.JWT_MISSING, check(c, closed, scrape, null));
        assertEquals(Reason.ALLOWED, check(c, closed, scrape, token(e.infoHash).sign(Algorithm.HMAC256(SECRET))));
        scrape.scrapeCount = 2;
        System.arraycopy(ListsTest.hash(2), 0, scrape.scrapeHashes, 20, 20);
        assertEquals(Reason.JWT_WRONG_INFOHASH, check(c, closed, scrape, token(e.infoHash).sign(Algorithm.HMAC256(SECRET))));
    }

    @Test
    void configIsValidatedNamingTheKey()
    {
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"access\":{\"jwt\":{\"enabled\":true}}}"))
            .getMessage().contains("access.jwt.enabled"));
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"access\":{\"jwt\":{\"hs256_secret\":\"short\"}}}"))
            .getMessage().contains("access.jwt.hs256_secret"));
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"access\":{\"torrent_list_mode\":\"allow\"}}"))
            .getMessage().contains("access.torrent_list_file"));
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"access\":{\"client_list_mode\":\"maybe\"}}"))
            .getMessage().contains("access.client_list_mode"));
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"access\":{\"jwt\":{\"jwks_url\":\"ftp://x/\"}}}"))
            .getMessage().contains("access.jwt.jwks_url"));
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"access\":{\"jwt\":{\"cache_entries\":100}}}"))
            .getMessage().contains("access.jwt.cache_entries"));
        assertTrue(assertThrows(ConfigException.class, () -> TrackerConfig.parse("{\"access\":{\"reload\":1}}"))
            .getMessage().contains("access.reload"));
        final TrackerConfig.Access d = TrackerConfig.defaults().access;
        assertEquals("off", d.torrentListMode);
        assertEquals("off", d.clientListMode);
        assertEquals(5, d.reloadCheckSeconds);
        assertEquals(false, d.jwt.enabled);
        assertEquals(300, d.jwt.jwksRefreshSeconds);
        assertEquals(30, d.jwt.leewaySeconds);
        assertEquals(false, d.anyEnabled());
    }

    private long counter(final String name)
    {
        return counter(name, null);
    }

    private long counter(final String name, final String reason)
    {
        final long[] total = { 0 };
        manager.forEach((id, type, key, label) ->
        {
            if (label.startsWith(name + "{") && (reason == null || label.contains("reason=\"" + reason + "\"")))
            {
                total[0] += manager.getCounterValue(id);
            }
        });
        return total[0];
    }
}
