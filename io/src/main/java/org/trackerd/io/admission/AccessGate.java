package org.trackerd.io.admission;

import org.agrona.DirectBuffer;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.policy.AccessChecker;
import org.trackerd.engine.policy.AccessPolicy;
import org.trackerd.engine.policy.Reason;

/**
 * The access policy (torrent and client lists, JWT approval) as {@link Admission} asks it: one verdict per parsed
 * request. {@link #OPEN} when no policy is installed at all, so no frontend checks for null on every request.
 *
 * <p>Thread: one gate per frontend thread (its checker keeps a per-thread token cache), called only there.
 */
public interface AccessGate
{
    /** No access control: everything is allowed. */
    AccessGate OPEN = (request, tokenBuffer, tokenOffset, tokenLength) -> Reason.ALLOWED;

    /**
     * @param tokenBuffer where the request's JWT is, read in place (null with {@link AccessChecker#NO_TOKEN})
     * @param tokenLength the token's length, or {@link AccessChecker#NO_TOKEN} when the request carries none
     */
    Reason check(RequestEvent request, DirectBuffer tokenBuffer, int tokenOffset, int tokenLength);

    /** The policy {@code checker} holds, read afresh per request (a reload swaps it atomically). */
    static AccessGate of(final AccessChecker checker)
    {
        return (request, tokenBuffer, tokenOffset, tokenLength) ->
        {
            final AccessPolicy policy = checker.policy();
            if (!policy.enabled())
            {
                return Reason.ALLOWED;
            }
            return checker.check(policy, request, tokenBuffer, tokenOffset, tokenLength, System.currentTimeMillis());
        };
    }
}
