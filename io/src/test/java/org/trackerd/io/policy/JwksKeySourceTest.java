package org.trackerd.io.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.policy.JwtKeys;
import org.trackerd.engine.policy.PolicyException;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A JWKS file turned into the engine's keys: signing RSA and EC P-256 keys by id, the rest skipped. */
class JwksKeySourceTest
{
    @TempDir
    Path dir;

    static String b64(final BigInteger v, final int length)
    {
        byte[] bytes = v.toByteArray();
        if (length > 0 && bytes.length != length)
        {
            final byte[] fixed = new byte[length];
            final int copy = Math.min(bytes.length, length);
            System.arraycopy(bytes, bytes.length - copy, fixed, length - copy, copy);
            bytes = fixed;
        }
        else if (bytes[0] == 0)
        {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String rsaJwk(final String kid, final String use, final RSAPublicKey key)
    {
        return "{\"kty\":\"RSA\",\"kid\":\"" + kid + "\",\"use\":\"" + use + "\",\"alg\":\"RS256\",\"n\":\"" +
            b64(key.getModulus(), 0) + "\",\"e\":\"" + b64(key.getPublicExponent(), 0) + "\"}";
    }

    static String ecJwk(final String kid, final ECPublicKey key)
    {
        return "{\"kty\":\"EC\",\"kid\":\"" + kid + "\",\"crv\":\"P-256\",\"x\":\"" + b64(key.getW().getAffineX(), 32) +
            "\",\"y\":\"" + b64(key.getW().getAffineY(), 32) + "\"}";
    }

    @Test
    void readsSigningKeysByIdAndSkipsTheRest() throws Exception
    {
        final KeyPairGenerator r = KeyPairGenerator.getInstance("RSA");
        r.initialize(2048);
        final KeyPair rsa = r.generateKeyPair();
        final KeyPair encryption = r.generateKeyPair();
        final KeyPairGenerator e = KeyPairGenerator.getInstance("EC");
        e.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair ec = e.generateKeyPair();
        final Path file = dir.resolve("jwks.json");
        Files.writeString(file, "{\"keys\":[" + rsaJwk("rsa-1", "sig", (RSAPublicKey)rsa.getPublic()) + "," +
            rsaJwk("rsa-enc", "enc", (RSAPublicKey)encryption.getPublic()) + "," +
            ecJwk("ec-1", (ECPublicKey)ec.getPublic()) + ",{\"kty\":\"oct\",\"kid\":\"hmac\",\"k\":\"c2VjcmV0\"}]}");

        final JwtKeys keys = JwksKeySource.INSTANCE.read(file);
        assertEquals(2, keys.size());
        assertEquals(rsa.getPublic(), keys.rsa("rsa-1"));
        assertEquals(rsa.getPublic(), keys.rsa(null), "the only RSA key serves a token without kid");
        assertEquals(ec.getPublic(), keys.ec("ec-1"));
        assertNull(keys.rsa("rsa-enc"), "an encryption key never verifies");
    }

    @Test
    void aBadFileIsRefusedNamingIt() throws Exception
    {
        final Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"nokeys\":1}");
        assertTrue(assertThrows(PolicyException.class, () -> JwksKeySource.INSTANCE.read(file)).getMessage()
            .contains("bad.json"));
        assertTrue(assertThrows(PolicyException.class, () -> JwksKeySource.INSTANCE.read(dir.resolve("none.json")))
            .getMessage().contains("none.json"));
    }
}
