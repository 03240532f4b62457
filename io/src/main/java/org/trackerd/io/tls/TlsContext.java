package org.trackerd.io.tls;

import org.trackerd.engine.config.TlsConfig;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One loaded certificate chain and key as a server {@link SSLContext}, with the protocols and suites the tracker
 * offers: TLS 1.3 and 1.2 only, AEAD suites with forward secrecy only. Immutable; a reload builds a new one, and
 * handshakes begun before keep theirs. Sessions (and TLS 1.3 tickets) resume only within one context, so a new
 * certificate costs each client one full handshake.
 *
 * <p>Thread: built on the reloader's (or the launcher's) thread; {@link #newEngine} from the frontend threads.
 */
public final class TlsContext
{
    static
    {
        // Read once by the JDK when its TLS classes load: refuse a TLS 1.2 client's renegotiation outright (an old
        // way to make a server do handshake work over and over). The frontend also closes on one (see TlsSession).
        System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
    }

    static final String[] PROTOCOLS = { "TLSv1.3", "TLSv1.2" };
    /** Preference order: TLS 1.3 suites, then TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305 for either key type. */
    static final String[] SUITES = {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" };

    private final SSLContext context;
    private final SSLParameters parameters;
    private final List<X509Certificate> chain;
    private final int packetBufferBytes;
    private final int applicationBufferBytes;

    private TlsContext(final SSLContext context, final SSLParameters parameters, final List<X509Certificate> chain)
    {
        this.context = context;
        this.parameters = parameters;
        this.chain = chain;
        final SSLEngine probe = newEngine();
        this.packetBufferBytes = probe.getSession().getPacketBufferSize();
        this.applicationBufferBytes = probe.getSession().getApplicationBufferSize();
    }

    /**
     * Reads and checks the pair: the key must belong to the first certificate (a signature made with it verifies
     * with the certificate's key), so a half-renewed pair is refused rather than served.
     */
    public static TlsContext load(final TlsConfig config) throws IOException, GeneralSecurityException
    {
        final List<X509Certificate> chain = PemFiles.readChain(config.certificateChainFile);
        final PrivateKey key = PemFiles.readKey(config.privateKeyFile);
        checkPair(key, chain.get(0));
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        final char[] password = "trackerd".toCharArray(); // the store lives in memory only
        store.setKeyEntry("server", key, password, chain.toArray(new X509Certificate[0]));
        final KeyManagerFactory keys = KeyManagerFactory.getInstance("SunX509");
        keys.init(store, password);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        context.getServerSessionContext().setSessionTimeout(config.sessionTimeoutSeconds);
        final SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(PROTOCOLS);
        final List<String> supported = Arrays.asList(context.getSupportedSSLParameters().getCipherSuites());
        final List<String> suites = new ArrayList<>();
        for (final String s : SUITES)
        {
            if (supported.contains(s))
            {
                suites.add(s);
            }
        }
        parameters.setCipherSuites(suites.toArray(new String[0]));
        parameters.setUseCipherSuitesOrder(true);
        parameters.setNeedClientAuth(false);
        return new TlsContext(context, parameters, List.copyOf(chain));
    }

    private static void checkPair(final PrivateKey key, final X509Certificate leaf) throws GeneralSecurityException
    {
        final String algorithm = switch (key.getAlgorithm())
        {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> null;
        };
        if (algorithm == null)
        {
            throw new GeneralSecurityException("the private key is " + key.getAlgorithm() +
                "; RSA or EC (ECDSA) expected");
        }
        final byte[] probe = "trackerd key check".getBytes(StandardCharsets.US_ASCII);
        final Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(probe);
        final byte[] signature = signer.sign();
        final Signature verifier = Signature.getInstance(algorithm);
        try
        {
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            if (verifier.verify(signature))
            {
                return;
            }
        }
        catch (final GeneralSecurityException mismatch)
        {
            // an RSA key with an EC certificate, or the other way round: the same verdict
        }
        throw new GeneralSecurityException("the private key does not belong to the first certificate of the chain (" +
            leaf.getSubjectX500Principal().getName() + ")");
    }

    /** A server engine for one new connection, with the tracker's protocols and suites. */
    public SSLEngine newEngine()
    {
        final SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        engine.setSSLParameters(parameters);
        return engine;
    }

    public X509Certificate leaf()
    {
        return chain.get(0);
    }

    public long notAfterMs()
    {
        return leaf().getNotAfter().getTime();
    }

    int packetBufferBytes()
    {
        return packetBufferBytes;
    }

    int applicationBufferBytes()
    {
        return applicationBufferBytes;
    }

    @Override
    public String toString()
    {
        final X509Certificate leaf = leaf();
        return leaf.getSubjectX500Principal().getName() + " (" + leaf.getPublicKey().getAlgorithm() + ", serial " +
            leaf.getSerialNumber().toString(16) + ", valid until " + leaf.getNotAfter().toInstant() + ", chain of " +
            chain.size() + ")";
    }
}
