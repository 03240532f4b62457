package org.trackerd.io.tls;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority made at test time with the {@code openssl} command: its certificate is what the tests'
 * clients trust (curl's {@code --cacert}, aria2c's {@code --ca-certificate}, Transmission's {@code CURL_CA_BUNDLE},
 * a Java {@link SSLContext}), and it signs server certificates for 127.0.0.1, ::1 and localhost with keys of each
 * kind and PEM form the tracker reads.
 */
public final class TestCa
{
    /** Key kinds and PEM forms of a server key. */
    public enum KeyKind
    {
        /** {@code BEGIN EC PRIVATE KEY} (SEC 1), as {@code openssl ecparam -genkey} writes it. */
        EC_TRADITIONAL,
        /** {@code BEGIN PRIVATE KEY} with an EC key. */
        EC_PKCS8,
        /** {@code BEGIN RSA PRIVATE KEY} (PKCS#1). */
        RSA_TRADITIONAL,
        /** {@code BEGIN PRIVATE KEY} with an RSA key. */
        RSA_PKCS8
    }

    private final Path dir;
    public final Path caCertificate;
    private final Path caKey;
    private int serial;

    private TestCa(final Path dir)
    {
        this.dir = dir;
        this.caCertificate = dir.resolve("ca.pem");
        this.caKey = dir.resolve("ca.key");
    }

    public static boolean available()
    {
        return new java.io.File("/usr/bin/openssl").canExecute();
    }

    public static TestCa create(final Path dir) throws IOException
    {
        Files.createDirectories(dir);
        final TestCa ca = new TestCa(dir);
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca.caKey.toString(), "-out", ca.caCertificate.toString(), "-days", "30",
            "-subj", "/CN=trackerd test CA");
        return ca;
    }

    /** A server pair: {@code chain} holds the server certificate then the CA's; {@code key} the private key. */
    public record Pair(Path chain, Path key, String serialHex)
    {
    }

    public Pair server(final String name, final KeyKind kind, final int days) throws IOException
    {
        final Path key = dir.resolve(name + ".key");
        final Path csr = dir.resolve(name + ".csr");
        final Path cert = dir.resolve(name + ".crt");
        final Path chain = dir.resolve(name + ".chain.pem");
        switch (kind)
        {
            case EC_TRADITIONAL -> openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-out", key.toString());
            case EC_PKCS8 -> openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", key.toString());
            case RSA_TRADITIONAL -> openssl(dir, "genrsa", "-traditional", "-out", key.toString(), "2048");
            case RSA_PKCS8 -> openssl(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", key.toString());
        }
        openssl(dir, "req", "-new", "-key", key.toString(), "-subj", "/CN=127.0.0.1", "-out", csr.toString());
        final Path ext = dir.resolve(name + ".ext");
        Files.writeString(ext, "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\n" +
            "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
        final String serialHex = String.format("%08x", ++serial + (int)(System.nanoTime() & 0xffffff) * 16);
        openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", caCertificate.toString(), "-CAkey",
            caKey.toString(), "-set_serial", "0x" + serialHex, "-days", String.valueOf(days), "-extfile",
            ext.toString(), "-out", cert.toString());
        Files.writeString(chain, Files.readString(cert) + Files.readString(caCertificate));
        return new Pair(chain, key, serialHex.replaceFirst("^0+", ""));
    }

    /** A client context that trusts this CA only. */
    public SSLContext clientContext() throws Exception
    {
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caCertificate))
        {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    static String openssl(final Path dir, final String... args) throws IOException
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add("/usr/bin/openssl");
        cmd.addAll(List.of(args));
        final Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        final String out;
        try
        {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
            {
                throw new IOException("openssl " + String.join(" ", args) + " failed: " + out);
            }
        }
        catch (final InterruptedException ex)
        {
            p.destroyForcibly();
            throw new IOException("interrupted", ex);
        }
        return out;
    }
}
