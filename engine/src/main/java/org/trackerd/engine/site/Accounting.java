package org.trackerd.engine.site;

/**
 * What an announce counts towards, decided on the frontend thread from the torrent's freeleech state and the
 * user's tokens, and carried to the swarm processor in {@code RequestEvent.accounting}.
 */
public final class Accounting
{
    /** Uploaded bytes count towards the user's ratio. */
    public static final byte COUNT_UP = 1;
    /** Downloaded bytes count towards the user's ratio. */
    public static final byte COUNT_DOWN = 2;
    /** Downloaded bytes are charged to the user's freeleech token on this torrent instead. */
    public static final byte TOKEN = 4;

    private Accounting()
    {
    }

    public static byte of(final int freeTorrent, final boolean token)
    {
        return switch (freeTorrent)
        {
            case SiteState.Torrent.FREELEECH -> COUNT_UP;
            case SiteState.Torrent.NEUTRAL -> 0;
            default -> token ? (byte)(COUNT_UP | TOKEN) : (byte)(COUNT_UP | COUNT_DOWN);
        };
    }
}
