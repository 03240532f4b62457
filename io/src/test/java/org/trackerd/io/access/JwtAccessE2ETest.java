package org.trackerd.io.access;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.Tracker;
import org.trackerd.io.e2e.Announce;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.access.AccessE2ESupport.assertOk;
import static org.trackerd.io.access.AccessE2ESupport.assertRefused;
import static org.trackerd.io.access.AccessE2ESupport.counter;
import static org.trackerd.io.access.AccessE2ESupport.hex;
import static org.trackerd.io.access.AccessE2ESupport.httpAnnounce;
import static org.trackerd.io.access.AccessE2ESupport.peerId;
import static org.trackerd.io.access.AccessE2ESupport.peersInSwarm;

/**
 * JWT approval end to end: the whole tracker on loopback (HTTP and UDP), real tokens signed in the test with an
 * HS256 secret and with an RSA key whose JWKS a loopback HTTP server publishes, and the tracker fetching that JWKS
 * with jwks-rsa. Every refusal must be answered with its own text and must leave the swarm untouched.
 */
class JwtAccessE2ETest
{
    private static final String SECRET = "e2e-hs256-secret-that-is-long-enough";
    private static final String ISSUER = "https://auth.e2e.test";
    private static final String AUDIENCE = "trackerd-e2e";
    private static final AtomicInteger NAMES = new AtomicInteger();

    @TempDir
    static Path dataDir;

    private static HttpServer jwksServer;
    private static volatile String jwksDocument;
    private static KeyPair rsa1;
    private static KeyPair rsa2;
    private static Tracker tracker;

    @BeforeAll
    static void boot() throws Exception
    {
        final KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        rsa1 = g.generateKeyPair();
        rsa2 = g.generateKeyPair();
        jwksDocument = "{\"keys\":[" + rsaJwk("k1", (RSAPublicKey)rsa1.getPublic()) + "]}";
        jwksServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwksServer.createContext("/jwks.json", exchange ->
        {
            final byte[] body = jwksDocument.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(body);
            }
        });
        jwksServer.start();
        final String json = """
            {
              "http": { "listen": ["127.0.0.1:0"] },
              "udp": { "listen": ["127.0.0.1:0"] },
              "storage": { "path": "%s", "max_torrents": 1000, "max_peers": 10000 },
              "access": {
                "jwt": {
                  "enabled": true,
                  "hs256_secret": "%s",
                  "jwks_url": "http://127.0.0.1:%d/jwks.json",
                  "issuer": "%s",
                  "audience": "%s",
                  "leeway_seconds": 5,
                  "require_for_scrape": true
                }
              }
            }
            """.formatted(dataDir.toString().replace("\\", "\\\\"), SECRET, jwksServer.getAddress().getPort(),
            ISSUER, AUDIENCE);
        tracker = new Tracker(TrackerConfig.parse(json)).start();
    }

    @AfterAll
    static void shutdown()
    {
        if (tracker != null)
        {
            tracker.close();
        }
        if (jwksServer != null)
        {
            jwksServer.stop(0);
        }
    }

    static String rsaJwk(final String kid, final RSAPublicKey key)
    {
        return "{\"kty\":\"RSA\",\"kid\":\"" + kid + "\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"" +
            b64(key.getModulus()) + "\",\"e\":\"" + b64(key.getPublicExponent()) + "\"}";
    }

    private static String b64(final BigInteger v)
    {
        byte[] bytes = v.toByteArray();
        if (bytes[0] == 0)
        {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static byte[] newHash()
    {
        return Announce.hash("jwt-e2e-" + NAMES.incrementAndGet());
    }

    private static JWTCreator.Builder claims(final byte[] hash)
    {
        return JWT.create().withIssuer(ISSUER).withAudience(AUDIENCE)
            .withExpiresAt(Instant.now().plusSeconds(600)).withClaim("infohash", hex(hash));
    }

    private static Algorithm rs(final KeyPair pair)
    {
        return Algorithm.RSA256((RSAPublicKey)pair.getPublic(), (RSAPrivateKey)pair.getPrivate());
    }

    private static String rsToken(final byte[] hash)
    {
        return claims(hash).withKeyId("k1").sign(rs(rsa1));
    }

    private static String tampered(final String token)
    {
        // Flip a character in the middle of the signature (the last one may carry only padding bits).
        final int i = token.lastIndexOf('.') + 10;
        final char c = token.charAt(i);
        return token.substring(0, i) + (c == 'A' ? 'B' : 'A') + token.substring(i + 1);
    }

    @Test
    void validTokensAreAcceptedOverHttpAndReannouncesHitTheCache() throws Exception
    {
        final byte[] hash = newHash();
        final String token = rsToken(hash);
        final long verified = counter(tracker, "access_jwt_verifications", "protocol=\"http\"");
        final long hits = counter(tracker, "access_jwt_cache_hits", "protocol=\"http\"");
        assertOk(httpAnnounce(tracker, hash, peerId("-UT3550-", 1), 7001, token));
        assertOk(httpAnnounce(tracker, hash, peerId("-UT3550-", 1), 7001, token));
        assertOk(httpAnnounce(tracker, hash, peerId("-UT3550-", 2), 7002, token));
        assertEquals(verified + 1, counter(tracker, "access_jwt_verifications", "protocol=\"http\""),
            "one RSA verification for three announces");
        assertEquals(hits + 2, counter(tracker, "access_jwt_cache_hits", "protocol=\"http\""));
        // HS256 with the configured secret works beside the JWKS keys.
        assertOk(httpAnnounce(tracker, hash, peerId("-TR2940-", 3), 7003, claims(hash).sign(Algorithm.HMAC256(SECRET))));
        assertEquals(3, peersInSwarm(tracker, hash, token));
    }

    @Test
    void everyBadTokenIsRefusedWithItsOwnTextOverHttpAndNeverJoinsTheSwarm() throws Exception
    {
        final byte[] hash = newHash();
        final byte[] peer = peerId("-UT3550-", 10);
        final long refusedBefore = counter(tracker, "requests", "outcome=\"rejected\"");
        final Instant now = Instant.now();
        assertRefused(httpAnnounce(tracker, hash, peer, 7010, null), "missing jwt");
        assertRefused(httpAnnounce(tracker, hash, peer, 7010,
            claims(hash).withKeyId("k1").withExpiresAt(now.minusSeconds(60)).sign(rs(rsa1))), "invalid jwt: expired");
        assertRefused(httpAnnounce(tracker, hash, peer, 7010,
            claims(hash).withKeyId("k1").withAudience("someone-else").sign(rs(rsa1))), "invalid jwt: wrong audience");
        assertRefused(httpAnnounce(tracker, hash, peer, 7010,
            claims(hash).withKeyId("k1").withIssuer("https://evil.test").sign(rs(rsa1))), "invalid jwt: wrong issuer");
        assertRefused(httpAnnounce(tracker, hash, peer, 7010, rsToken(newHash())),
            "invalid jwt: infohash does not match");
        assertRefused(httpAnnounce(tracker, hash, peer, 7010, tampered(rsToken(hash))), "invalid jwt: bad signature");
        assertRefused(httpAnnounce(tracker, hash, peer, 7010, claims(hash).sign(Algorithm.HMAC256(SECRET + "!"))),
            "invalid jwt: bad signature");
        assertRefused(httpAnnounce(tracker, hash, peer, 7010, "garbage"), "invalid jwt: malformed");
        assertTrue(counter(tracker, "requests", "outcome=\"rejected\"") >= refusedBefore + 8);
        assertTrue(counter(tracker, "access_rejected", "reason=\"jwt_expired\",protocol=\"http\"") >= 1);
        assertTrue(counter(tracker, "access_rejected", "reason=\"jwt_missing\",protocol=\"http\"") >= 1);
        assertEquals(0, peersInSwarm(tracker, hash, rsToken(hash)), "refused announces must not create peers");
        // Scrape requires a token here (require_for_scrape).
        assertRefused(AccessE2ESupport.httpScrape(tracker, hash, null), "missing jwt");
        assertRefused(AccessE2ESupport.httpScrape(tracker, hash, rsToken(newHash())),
            "invalid jwt: infohash does not match");
    }

    @Test
    void udpCarriesTheTokenInUrlData() throws Exception
    {
        final byte[] hash = newHash();
        final String token = rsToken(hash);
        final long refused = counter(tracker, "requests",
            "protocol=\"udp\",action=\"announce\",family=\"ipv4\",outcome=\"rejected\"");
        try (AccessE2ESupport.UdpClient udp = new AccessE2ESupport.UdpClient(tracker.udpAddresses().get(0)))
        {
            // A token is ~600 characters: several URLData options joined in order.
            assertTrue(token.length() > 255);
            udp.announce(hash, peerId("-UT3550-", 20), 7020, "/announce?jwt=" + token);
            assertEquals(1, udp.action, () -> "refused: " + udp.error);
            udp.announce(hash, peerId("-UT3550-", 21), 7021, "/announce?foo=bar&jwt=" + token + "&x=1");
            assertEquals(1, udp.action, () -> "refused: " + udp.error);
            assertEquals(2, udp.leechers);

            final byte[] other = newHash();
            udp.announce(other, peerId("-UT3550-", 22), 7022, null);
            assertEquals(3, udp.action);
            assertEquals("missing jwt", udp.error);
            udp.announce(other, peerId("-UT3550-", 22), 7022, "/announce");
            assertEquals("missing jwt", udp.error);
            udp.announce(other, peerId("-UT3550-", 22), 7022,
                "/announce?jwt=" + claims(other).withKeyId("k1").withExpiresAt(Instant.now().minusSeconds(60)).sign(rs(rsa1)));
            assertEquals("invalid jwt: expired", udp.error);
            udp.announce(other, peerId("-UT3550-", 22), 7022, "/announce?jwt=" + token);
            assertEquals("invalid jwt: infohash does not match", udp.error);
            udp.announce(other, peerId("-UT3550-", 22), 7022, "/announce?jwt=" + tampered(rsToken(other)));
            assertEquals("invalid jwt: bad signature", udp.error);
            udp.announce(other, peerId("-UT3550-", 22), 7022,
                "/announce?jwt=" + claims(other).withKeyId("k1").withAudience("nope").sign(rs(rsa1)));
            assertEquals("invalid jwt: wrong audience", udp.error);
            udp.announce(other, peerId("-UT3550-", 22), 7022,
                "/announce?jwt=" + claims(other).withKeyId("k1").withIssuer("nope").sign(rs(rsa1)));
            assertEquals("invalid jwt: wrong issuer", udp.error);
            assertEquals(0, peersInSwarm(tracker, other, rsToken(other)));
        }
        assertEquals(refused + 7, counter(tracker, "requests",
            "protocol=\"udp\",action=\"announce\",family=\"ipv4\",outcome=\"rejected\""));
        assertEquals(2, peersInSwarm(tracker, hash, token));
    }

    @Test
    void rotatedKeyIsAcceptedAfterAReloadAndPeersStay() throws Exception
    {
        final byte[] hash = newHash();
        assertOk(httpAnnounce(tracker, hash, peerId("-UT3550-", 30), 7030, rsToken(hash)));
        final String rotated = claims(hash).withKeyId("k2").sign(rs(rsa2));
        assertRefused(httpAnnounce(tracker, hash, peerId("-UT3550-", 31), 7031, rotated),
            "invalid jwt: unknown signing key");
        jwksDocument = "{\"keys\":[" + rsaJwk("k1", (RSAPublicKey)rsa1.getPublic()) + "," +
            rsaJwk("k2", (RSAPublicKey)rsa2.getPublic()) + "]}";
        assertTrue(tracker.reloadPolicy(), "reload (as on SIGHUP) re-fetches the JWKS");
        assertOk(httpAnnounce(tracker, hash, peerId("-UT3550-", 31), 7031, rotated));
        assertEquals(2, peersInSwarm(tracker, hash, rotated), "the peer announced before the reload is still there");
    }
}
