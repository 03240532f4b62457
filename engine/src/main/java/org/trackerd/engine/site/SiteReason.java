package org.trackerd.engine.site;

import java.nio.charset.StandardCharsets;

/**
 * Why private mode refused a request, worded as Ocelot words it so sites and users recognise the messages, or
 * {@link #ALLOWED}. Each has the text the client sees and a counter label.
 */
public enum SiteReason
{
    ALLOWED("", ""),
    UNKNOWN_PASSKEY("unknown_passkey", "passkey not found"),
    DISABLED_USER("disabled_user", "your account is disabled"),
    UNREGISTERED_TORRENT("unregistered_torrent", "unregistered torrent"),
    CLIENT_NOT_WHITELISTED("client_not_whitelisted", "your client is not on the whitelist"),
    LEECHING_FORBIDDEN("leeching_forbidden", "access denied, leeching forbidden");

    public final String label;
    public final String text;
    /** {@link #text} as ASCII, ready for the encoders. */
    public final byte[] message;

    SiteReason(final String label, final String text)
    {
        this.label = label;
        this.text = text;
        this.message = text.getBytes(StandardCharsets.US_ASCII);
    }
}
