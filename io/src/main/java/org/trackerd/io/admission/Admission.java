package org.trackerd.io.admission;

import org.agrona.DirectBuffer;
import org.trackerd.engine.RequestCounters;
import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.Status;
import org.trackerd.engine.policy.Reason;
import org.trackerd.engine.site.SiteReason;

import java.nio.charset.StandardCharsets;

/**
 * The one path by which a parsed announce or scrape of any frontend enters the engine: private mode's check,
 * then the access policy, then the request ring with explicit backpressure; and the outcome of every request
 * counted in {@code requests{protocol,action,family,outcome,thread}}, with the failure texts the clients see.
 * What differs between the wires stays in the frontends: where the passkey and the token are, and how a refusal
 * or a "busy" is written (an HTTP {@code failure reason}, a UDP error packet or a dropped datagram).
 *
 * <pre>
 *   frontend parses ─► {@link #refusal} ─► site ─► access ─► {@link #publish} ─► request ring
 *                          │ (refused: text, counted rejected)    │ (full: false, counted dropped)
 *   frontend encodes ◄── {@link #answered} (counted ok / rejected) ◄── response ring
 * </pre>
 *
 * <p>Given to its frontend at construction; the gates are no-ops ({@link AccessGate#OPEN}, {@link SiteGate#PUBLIC})
 * where a policy or a site is not configured. Nothing here allocates.
 *
 * <p>Thread: one instance per frontend thread, used only by that thread (its counters' single writer); built on
 * the launcher thread.
 */
public final class Admission
{
    /** What a client hears when the request ring is full (HTTP; UDP drops the datagram instead). */
    public static final byte[] BUSY = "tracker is busy, try again shortly".getBytes(StandardCharsets.US_ASCII);
    private static final byte[][] STATUS_REASONS = new byte[Status.values().length][];

    static
    {
        for (final Status s : Status.values())
        {
            STATUS_REASONS[s.ordinal()] = s.reason() == null ? new byte[0] : s.reason().getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final TrackerEngine engine;
    private final RequestCounters requests;
    private final AccessGate access;
    private final SiteGate site;

    public Admission(final TrackerEngine engine, final RequestCounters requests, final AccessGate access,
        final SiteGate site)
    {
        this.engine = engine;
        this.requests = requests;
        this.access = access;
        this.site = site;
    }

    /** The failure text of an answer the engine refused ({@code status} not OK), as ASCII. */
    public static byte[] reason(final Status status)
    {
        return STATUS_REASONS[status.ordinal()];
    }

    /**
     * Private mode's verdict first (an unknown passkey is not worth a JWT verification), then the access
     * policy's. Refused requests never reach the ring and are counted as {@code rejected}.
     *
     * @param passkeyOffset where the passkey is in {@code passkeyBuffer}, -1 when the request has none
     * @param tokenLength   the JWT's length in {@code tokenBuffer}, or {@code AccessChecker.NO_TOKEN}
     * @return null when the request may go on, else the failure text for the client
     */
    public byte[] refusal(final RequestEvent request, final int action, final int family,
        final DirectBuffer passkeyBuffer, final int passkeyOffset,
        final DirectBuffer tokenBuffer, final int tokenOffset, final int tokenLength)
    {
        final SiteReason denied = site.check(request, passkeyBuffer, passkeyOffset);
        if (denied != SiteReason.ALLOWED)
        {
            requests.increment(action, family, RequestCounters.OUTCOME_REJECTED);
            return denied.message;
        }
        final Reason refused = access.check(request, tokenBuffer, tokenOffset, tokenLength);
        if (refused != Reason.ALLOWED)
        {
            requests.increment(action, family, RequestCounters.OUTCOME_REJECTED);
            return refused.message;
        }
        return null;
    }

    /**
     * Copies an admitted request into the request ring, without blocking. False when the ring is full, or the
     * frontend has no room for one more request in flight ({@code room} false): the request is counted as
     * {@code dropped}, and the caller answers "busy" or drops it.
     */
    public boolean publish(final RequestEvent request, final int action, final int family, final boolean room)
    {
        if (room && engine.tryPublish(request))
        {
            return true;
        }
        requests.increment(action, family, RequestCounters.OUTCOME_DROPPED);
        return false;
    }

    /** Counts the engine's answer to a published request: {@code ok}, or {@code rejected} with a failure text. */
    public void answered(final int action, final int family, final Status status)
    {
        requests.increment(action, family, status == Status.OK ? RequestCounters.OUTCOME_OK :
            RequestCounters.OUTCOME_REJECTED);
    }

    /** Counts a request the frontend settled itself (a connect, a parse error, a malformed packet). */
    public void count(final int action, final int family, final int outcome)
    {
        requests.increment(action, family, outcome);
    }

    public RequestCounters requests()
    {
        return requests;
    }
}
