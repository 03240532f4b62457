package org.trackerd.engine;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * Requests of one frontend thread by action, address family and outcome: the
 * {@code requests{protocol,action,family,outcome,thread}} family. All combinations are allocated up front so that
 * counting is one array index and one ordered increment.
 *
 * <p>Thread: allocated on the launcher thread; incremented only by the owning frontend thread.
 */
public final class RequestCounters
{
    public static final int ACTION_CONNECT = 0;
    public static final int ACTION_ANNOUNCE = 1;
    public static final int ACTION_SCRAPE = 2;
    public static final int ACTION_OTHER = 3;
    private static final String[] ACTIONS = { "connect", "announce", "scrape", "other" };

    public static final int FAMILY_IPV4 = 0;
    public static final int FAMILY_IPV6 = 1;
    private static final String[] FAMILIES = { "ipv4", "ipv6" };

    public static final int OUTCOME_OK = 0;
    /** The client's mistake, answered with a protocol error. */
    public static final int OUTCOME_CLIENT_ERROR = 1;
    /** Refused by policy or capacity (tracker full, peer id conflict, later access control). */
    public static final int OUTCOME_REJECTED = 2;
    /** Not served because a ring or queue was full (backpressure). */
    public static final int OUTCOME_DROPPED = 3;
    /** Not a valid request of the protocol at all. */
    public static final int OUTCOME_MALFORMED = 4;
    private static final String[] OUTCOMES = { "ok", "client_error", "rejected", "dropped", "malformed" };

    private final AtomicCounter[] counters = new AtomicCounter[ACTIONS.length * FAMILIES.length * OUTCOMES.length];

    public RequestCounters(final CountersManager manager, final String protocol, final int thread)
    {
        for (int a = 0; a < ACTIONS.length; a++)
        {
            for (int f = 0; f < FAMILIES.length; f++)
            {
                for (int o = 0; o < OUTCOMES.length; o++)
                {
                    counters[index(a, f, o)] = Counters.counter(manager, "requests", "protocol=\"" + protocol +
                        "\",action=\"" + ACTIONS[a] + "\",family=\"" + FAMILIES[f] + "\",outcome=\"" + OUTCOMES[o] +
                        "\",thread=\"" + thread + "\"");
                }
            }
        }
    }

    private static int index(final int action, final int family, final int outcome)
    {
        return (action * FAMILIES.length + family) * OUTCOMES.length + outcome;
    }

    public void increment(final int action, final int family, final int outcome)
    {
        counters[index(action, family, outcome)].incrementRelease();
    }

    public long get(final int action, final int family, final int outcome)
    {
        return counters[index(action, family, outcome)].get();
    }

    public static String actionName(final int action)
    {
        return ACTIONS[action];
    }
}
