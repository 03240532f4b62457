package org.trackerd.engine.event;

/**
 * Outcome of a request as decided by the swarm processor. Texts are what the client sees in a
 * {@code failure reason}; they only ever describe the client's own situation, never our internals.
 */
public enum Status
{
    OK(null),
    TRACKER_FULL("tracker is at capacity, try again later"),
    PEER_ID_CONFLICT("peer_id is already in use by a peer at another address"),
    /** The processor failed on this request (a bug, counted as {@code agent_errors}); the client may retry. */
    SERVER_ERROR("tracker could not process this request, try again later");

    private final String reason;

    Status(final String reason)
    {
        this.reason = reason;
    }

    public String reason()
    {
        return reason;
    }

    private static final Status[] VALUES = values();

    public static Status of(final int ordinal)
    {
        return VALUES[ordinal];
    }
}
