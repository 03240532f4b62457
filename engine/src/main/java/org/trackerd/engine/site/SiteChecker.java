package org.trackerd.engine.site;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.trackerd.engine.Counters;
import org.trackerd.engine.event.RequestEvent;

/**
 * The private-mode gate on a frontend thread, before a request is published: the passkey must name an enabled
 * user, the torrent must be registered, the client must be on the whitelist and a leecher must be allowed to
 * leech. On success it stamps the event with the user, the torrent and what the announce counts towards.
 *
 * <p>Thread: one instance per frontend thread (its probes are reused); the counters have that thread as writer.
 */
public final class SiteChecker
{
    private final SiteState state;
    private final ByteKey passkeyProbe = ByteKey.probe(32);
    private final ByteKey hashProbe = ByteKey.probe(20);
    private final AtomicCounter[] rejected = new AtomicCounter[SiteReason.values().length];

    public SiteChecker(final SiteState state, final CountersManager counters, final String frontend, final int thread)
    {
        this.state = state;
        for (final SiteReason reason : SiteReason.values())
        {
            if (reason != SiteReason.ALLOWED)
            {
                rejected[reason.ordinal()] = Counters.counter(counters, "private_rejected",
                    "reason=\"" + reason.label + "\",protocol=\"" + frontend + "\",thread=\"" + thread + "\"");
            }
        }
    }

    /** Checks an announce whose 32-byte passkey lies at {@code passkeyOffset} of {@code buffer}. */
    public SiteReason announce(final DirectBuffer buffer, final int passkeyOffset, final RequestEvent e)
    {
        final SiteState.User user = state.user(passkeyProbe.set(buffer, passkeyOffset));
        final SiteReason reason = check(user, e);
        if (reason != SiteReason.ALLOWED)
        {
            rejected[reason.ordinal()].incrementRelease();
        }
        return reason;
    }

    /** Checks a scrape: only the passkey matters (unknown torrents scrape as empty). */
    public SiteReason scrape(final DirectBuffer buffer, final int passkeyOffset, final RequestEvent e)
    {
        final SiteState.User user = state.user(passkeyProbe.set(buffer, passkeyOffset));
        final SiteReason reason = user == null ? SiteReason.UNKNOWN_PASSKEY :
            !user.enabled ? SiteReason.DISABLED_USER : SiteReason.ALLOWED;
        e.userId = user == null ? 0 : user.id;
        e.torrentId = 0;
        e.accounting = 0;
        if (reason != SiteReason.ALLOWED)
        {
            rejected[reason.ordinal()].incrementRelease();
        }
        return reason;
    }

    private SiteReason check(final SiteState.User user, final RequestEvent e)
    {
        e.userId = 0;
        e.torrentId = 0;
        e.accounting = 0;
        if (user == null)
        {
            return SiteReason.UNKNOWN_PASSKEY;
        }
        if (!user.enabled)
        {
            return SiteReason.DISABLED_USER;
        }
        final SiteState.Torrent torrent = state.torrent(hashProbe.set(e.infoHash, 0));
        if (torrent == null)
        {
            return SiteReason.UNREGISTERED_TORRENT;
        }
        if (!state.clientAllowed(e.peerId))
        {
            return SiteReason.CLIENT_NOT_WHITELISTED;
        }
        if (e.left > 0 && !user.canLeech && e.event != RequestEvent.EVENT_STOPPED)
        {
            return SiteReason.LEECHING_FORBIDDEN;
        }
        e.userId = user.id;
        e.torrentId = torrent.id;
        e.accounting = Accounting.of(torrent.freeTorrent, torrent.hasToken(user.id));
        return SiteReason.ALLOWED;
    }
}
