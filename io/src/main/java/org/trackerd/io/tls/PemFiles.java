package org.trackerd.io.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads the PEM files ACME clients and openssl write, with the JDK alone: a certificate chain
 * ({@code BEGIN CERTIFICATE} blocks, leaf first) and a private key, PKCS#8 ({@code BEGIN PRIVATE KEY}) or
 * traditional ({@code BEGIN RSA PRIVATE KEY}, PKCS#1; {@code BEGIN EC PRIVATE KEY}, SEC 1), RSA or ECDSA.
 * A traditional key is wrapped into PKCS#8 here (a few DER bytes around it) so the JDK's {@link KeyFactory}
 * reads it; that is all BouncyCastle would have been for. Encrypted keys are refused with a clear reason.
 *
 * <p>Thread: stateless; any thread.
 */
public final class PemFiles
{
    /** rsaEncryption, 1.2.840.113549.1.1.1, as a DER AlgorithmIdentifier with NULL parameters. */
    private static final byte[] RSA_ALGORITHM = {
        0x30, 0x0d, 0x06, 0x09, 0x2a, (byte)0x86, 0x48, (byte)0x86, (byte)0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
    /** id-ecPublicKey, 1.2.840.10045.2.1, as a DER OID. */
    private static final byte[] EC_PUBLIC_KEY_OID = {
        0x06, 0x07, 0x2a, (byte)0x86, 0x48, (byte)0xce, 0x3d, 0x02, 0x01 };
    private static final byte[] VERSION_0 = { 0x02, 0x01, 0x00 };

    private PemFiles()
    {
    }

    /** One PEM block: its label ({@code CERTIFICATE}, {@code PRIVATE KEY}, ...) and decoded bytes. */
    record Block(String label, byte[] der, boolean encryptedHeaders)
    {
    }

    public static List<X509Certificate> readChain(final Path file) throws IOException, GeneralSecurityException
    {
        final List<X509Certificate> chain = new ArrayList<>();
        final CertificateFactory factory = CertificateFactory.getInstance("X.509");
        for (final Block b : blocks(Files.readString(file, StandardCharsets.US_ASCII)))
        {
            if ("CERTIFICATE".equals(b.label))
            {
                chain.add((X509Certificate)factory.generateCertificate(new ByteArrayInputStream(b.der)));
            }
        }
        if (chain.isEmpty())
        {
            throw new CertificateException(file + ": no BEGIN CERTIFICATE block");
        }
        return chain;
    }

    public static PrivateKey readKey(final Path file) throws IOException, GeneralSecurityException
    {
        for (final Block b : blocks(Files.readString(file, StandardCharsets.US_ASCII)))
        {
            if (b.encryptedHeaders || "ENCRYPTED PRIVATE KEY".equals(b.label))
            {
                throw new GeneralSecurityException(file + ": the private key is encrypted; the tracker needs it " +
                    "unencrypted (openssl pkey -in key.pem -out plain.pem), readable only by its user");
            }
            switch (b.label)
            {
                case "PRIVATE KEY" ->
                {
                    return pkcs8(file, b.der);
                }
                case "RSA PRIVATE KEY" ->
                {
                    return KeyFactory.getInstance("RSA").generatePrivate(
                        new PKCS8EncodedKeySpec(sequence(VERSION_0, RSA_ALGORITHM, octetString(b.der))));
                }
                case "EC PRIVATE KEY" ->
                {
                    final byte[] algorithm = sequence(EC_PUBLIC_KEY_OID, curveOf(file, b.der));
                    return KeyFactory.getInstance("EC").generatePrivate(
                        new PKCS8EncodedKeySpec(sequence(VERSION_0, algorithm, octetString(b.der))));
                }
                default ->
                {
                    // EC PARAMETERS before the key (openssl ecparam -genkey), certificates in a combined file
                }
            }
        }
        throw new GeneralSecurityException(file + ": no BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block");
    }

    private static PrivateKey pkcs8(final Path file, final byte[] der) throws GeneralSecurityException
    {
        final PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (final String algorithm : new String[] { "RSA", "EC", "RSASSA-PSS", "Ed25519" })
        {
            try
            {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            }
            catch (final GeneralSecurityException notThisOne)
            {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException(file + ": the PKCS#8 key is neither RSA nor EC (or is damaged)");
    }

    /**
     * The named curve of a SEC 1 ECPrivateKey: {@code SEQUENCE { INTEGER 1, OCTET STRING key, [0] OID curve, ... }}.
     * PKCS#8 wants it in the algorithm identifier, where the traditional form kept it inside the key.
     */
    private static byte[] curveOf(final Path file, final byte[] der) throws GeneralSecurityException
    {
        final Der d = new Der(der);
        d.enter(0x30);
        d.skip(0x02);
        d.skip(0x04);
        if (d.peek() != 0xa0)
        {
            throw new GeneralSecurityException(file + ": the EC private key names no curve (explicit parameters " +
                "are not supported; write it with openssl ec -param_enc named_curve)");
        }
        d.enter(0xa0);
        return d.element(0x06);
    }

    static List<Block> blocks(final String text) throws GeneralSecurityException
    {
        final List<Block> result = new ArrayList<>();
        int from = 0;
        for (int guard = 0; guard < 1000; guard++)
        {
            final int begin = text.indexOf("-----BEGIN ", from);
            if (begin < 0)
            {
                return result;
            }
            final int labelEnd = text.indexOf("-----", begin + 11);
            if (labelEnd < 0)
            {
                throw new GeneralSecurityException("PEM: unterminated BEGIN line");
            }
            final String label = text.substring(begin + 11, labelEnd);
            final String endLine = "-----END " + label + "-----";
            final int end = text.indexOf(endLine, labelEnd);
            if (end < 0)
            {
                throw new GeneralSecurityException("PEM: no " + endLine);
            }
            final String body = text.substring(labelEnd + 5, end);
            final boolean encrypted = body.contains("Proc-Type:") && body.contains("ENCRYPTED");
            final StringBuilder base64 = new StringBuilder(body.length());
            for (final String line : body.split("\n"))
            {
                if (line.indexOf(':') < 0)
                {
                    base64.append(line.trim());
                }
            }
            try
            {
                result.add(new Block(label, Base64.getDecoder().decode(base64.toString()), encrypted));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new GeneralSecurityException("PEM: " + label + " block is not valid base64");
            }
            from = end + endLine.length();
        }
        throw new GeneralSecurityException("PEM: too many blocks");
    }

    private static byte[] sequence(final byte[]... parts)
    {
        return tagged(0x30, concat(parts));
    }

    private static byte[] octetString(final byte[] content)
    {
        return tagged(0x04, content);
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] p : parts)
        {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** A DER element: tag, definite length (short or long form), content. */
    private static byte[] tagged(final int tag, final byte[] content)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        final int n = content.length;
        if (n < 0x80)
        {
            out.write(n);
        }
        else if (n < 0x100)
        {
            out.write(0x81);
            out.write(n);
        }
        else if (n < 0x10000)
        {
            out.write(0x82);
            out.write(n >>> 8);
            out.write(n);
        }
        else
        {
            out.write(0x83);
            out.write(n >>> 16);
            out.write(n >>> 8);
            out.write(n);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    /** Just enough of a DER reader to walk a SEC 1 key: enter a constructed element, skip one, take one whole. */
    private static final class Der
    {
        private final byte[] der;
        private int position;

        Der(final byte[] der)
        {
            this.der = der;
        }

        int peek() throws GeneralSecurityException
        {
            if (position >= der.length)
            {
                throw new GeneralSecurityException("DER: truncated");
            }
            return der[position] & 0xff;
        }

        /** Reads tag and length; returns the content length and leaves the position at the content. */
        private int header(final int tag) throws GeneralSecurityException
        {
            if (peek() != tag)
            {
                throw new GeneralSecurityException("DER: expected tag " + Integer.toHexString(tag) + ", got " +
                    Integer.toHexString(peek()));
            }
            position++;
            int length = peek();
            position++;
            if (length >= 0x80)
            {
                final int bytes = length & 0x7f;
                if (bytes == 0 || bytes > 3)
                {
                    throw new GeneralSecurityException("DER: unsupported length");
                }
                length = 0;
                for (int i = 0; i < bytes; i++)
                {
                    length = (length << 8) | peek();
                    position++;
                }
            }
            if (position + length > der.length)
            {
                throw new GeneralSecurityException("DER: truncated");
            }
            return length;
        }

        void enter(final int tag) throws GeneralSecurityException
        {
            header(tag);
        }

        void skip(final int tag) throws GeneralSecurityException
        {
            final int length = header(tag); // not 'position += header(tag)': that adds to the position before the call
            position += length;
        }

        byte[] element(final int tag) throws GeneralSecurityException
        {
            final int start = position;
            final int length = header(tag);
            position += length;
            return java.util.Arrays.copyOfRange(der, start, position);
        }
    }
}
