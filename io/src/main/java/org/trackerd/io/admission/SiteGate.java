package org.trackerd.io.admission;

import org.agrona.DirectBuffer;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.site.SiteChecker;
import org.trackerd.engine.site.SiteReason;

/**
 * Private mode's check as {@link Admission} asks it: the passkey, the user, the torrent, the client, the right to
 * leech. {@link #PUBLIC} in public mode, so no frontend checks for null on every request.
 *
 * <p>Thread: one gate per frontend thread, called only there.
 */
public interface SiteGate
{
    /** Public mode: no site, everything is allowed. */
    SiteGate PUBLIC = (request, buffer, passkeyOffset) -> SiteReason.ALLOWED;

    /**
     * @param buffer        where the request's passkey is, read in place
     * @param passkeyOffset its offset in {@code buffer}, or -1 when the request carries none (refused)
     */
    SiteReason check(RequestEvent request, DirectBuffer buffer, int passkeyOffset);

    static SiteGate of(final SiteChecker checker)
    {
        return (request, buffer, passkeyOffset) ->
        {
            if (passkeyOffset < 0)
            {
                return SiteReason.UNKNOWN_PASSKEY;
            }
            return request.kind == RequestEvent.KIND_ANNOUNCE ? checker.announce(buffer, passkeyOffset, request) :
                checker.scrape(buffer, passkeyOffset, request);
        };
    }
}
