package org.trackerd.engine.policy;

import java.nio.charset.StandardCharsets;

/**
 * Why the access policy refused a request, or {@link #ALLOWED}. Each refusal has the text the client sees
 * ({@code failure reason} over HTTP, the error packet over UDP) and the label of its
 * {@code access_rejected{reason}} counter. Missing and invalid tokens read differently, and each main class of
 * invalid token has its own text, so a client operator can tell what to fix.
 */
public enum Reason
{
    ALLOWED("", ""),
    TORRENT_NOT_ALLOWED("torrent_not_allowed", "torrent not allowed"),
    TORRENT_BANNED("torrent_banned", "torrent is banned"),
    CLIENT_NOT_ALLOWED("client_not_allowed", "client not allowed"),
    CLIENT_BANNED("client_banned", "client is banned"),
    JWT_MISSING("jwt_missing", "missing jwt"),
    JWT_MALFORMED("jwt_malformed", "invalid jwt: malformed"),
    JWT_ALGORITHM("jwt_algorithm", "invalid jwt: algorithm not accepted"),
    JWT_UNKNOWN_KEY("jwt_unknown_key", "invalid jwt: unknown signing key"),
    JWT_BAD_SIGNATURE("jwt_bad_signature", "invalid jwt: bad signature"),
    JWT_EXPIRED("jwt_expired", "invalid jwt: expired"),
    JWT_NOT_YET_VALID("jwt_not_yet_valid", "invalid jwt: not yet valid"),
    JWT_WRONG_ISSUER("jwt_wrong_issuer", "invalid jwt: wrong issuer"),
    JWT_WRONG_AUDIENCE("jwt_wrong_audience", "invalid jwt: wrong audience"),
    JWT_WRONG_INFOHASH("jwt_wrong_infohash", "invalid jwt: infohash does not match"),
    JWT_MISSING_CLAIM("jwt_missing_claim", "invalid jwt: missing claim");

    /** Label value of the {@code access_rejected} counter. */
    public final String label;
    /** What the client is told. */
    public final String text;
    /** {@link #text} as ASCII bytes, ready for the encoders. */
    public final byte[] message;

    Reason(final String label, final String text)
    {
        this.label = label;
        this.text = text;
        this.message = text.getBytes(StandardCharsets.US_ASCII);
    }

    private static final Reason[] VALUES = values();

    public static Reason of(final int ordinal)
    {
        return VALUES[ordinal];
    }
}
