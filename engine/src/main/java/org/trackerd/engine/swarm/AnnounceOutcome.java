package org.trackerd.engine.swarm;

/**
 * How an announce ended in the part that handled it, so the processor knows what to do next: nothing more
 * ({@link #DONE}: refused, the answer says why), tell the accounting ({@link #ANSWERED}), or hand the announce to
 * {@link BigSwarms} because the swarm is one page too small ({@link #PROMOTE}) or already spans several pages
 * that have no index yet ({@link #INDEX}).
 */
final class AnnounceOutcome
{
    /** Refused (full, peer id owned by another client): the answer carries the status, nothing to account. */
    static final int DONE = 0;
    /** The swarm took the announce and the answer is complete. */
    static final int ANSWERED = 1;
    /** A new peer for a full page: the swarm becomes a big swarm, which takes the announce. */
    static final int PROMOTE = 2;
    /** Page 0 says the swarm spans several pages, not indexed since the start: index it, then announce to it. */
    static final int INDEX = 3;
    /** The page cache's page cannot answer in place: the announce takes the map's path. */
    static final int MISSED = -1;

    private AnnounceOutcome()
    {
    }
}
