package org.trackerd.engine.policy;

import java.nio.file.Path;

/**
 * Where JWT verification keys come from: a JWKS document (RFC 7517) in a file or at a URL. The engine holds only
 * the keys ({@link JwtKeys}); reading and fetching the documents is an adapter's job (io's {@code JwksKeySource},
 * over jwks-rsa), so the engine depends on no HTTP client.
 *
 * <p>Thread: the thread that builds a policy (start-up, the policy reloader); both calls may block.
 */
public interface KeySource
{
    /** No keys can be had: a policy that names a JWKS file fails to build. */
    KeySource NONE = new KeySource()
    {
        @Override
        public JwtKeys read(final Path file) throws PolicyException
        {
            throw new PolicyException("cannot read JWKS file '" + file + "': no key source");
        }

        @Override
        public JwtKeys fetch(final String url) throws PolicyException
        {
            throw new PolicyException("cannot fetch JWKS from " + url + ": no key source");
        }
    };

    /** Reads a JWKS document from a file. */
    JwtKeys read(Path file) throws PolicyException;

    /** Fetches a JWKS document over HTTP(S). Blocking: never on a frontend or the processor's thread. */
    JwtKeys fetch(String url) throws PolicyException;
}
