package org.trackerd.engine;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to an exception an agent did not expect: it is counted in {@code agent_errors{agent="..."}} and
 * logged, and the agent goes on. Given to every {@link org.agrona.concurrent.AgentRunner} as its
 * {@link ErrorHandler} with {@link #counter()} as its error counter (the runner counts, then calls
 * {@link #onError}); an agent that catches a fault itself, to keep it to one request, calls {@link #countAndLog}.
 *
 * <p>A bug that hits every request must not turn the log into the bottleneck: the first {@value #LOGGED_IN_FULL}
 * errors are logged with their stack trace, later ones one in {@value #LOG_EVERY} as one line; the counter has
 * them all.
 *
 * <p>Thread: allocated on the launcher thread; then used only by the one thread running the agent (the counter's
 * single writer); {@link #counter()} may be read from any thread.
 */
public final class AgentErrors implements ErrorHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(AgentErrors.class);
    static final int LOGGED_IN_FULL = 20;
    static final int LOG_EVERY = 1024;

    private final String agent;
    private final AtomicCounter counter;

    public AgentErrors(final CountersManager manager, final String agent)
    {
        this.agent = agent;
        this.counter = Counters.counter(manager, "agent_errors", "agent=\"" + agent + "\"");
    }

    /** The error counter, for the agent's runner. */
    public AtomicCounter counter()
    {
        return counter;
    }

    /** A fault the agent caught itself: counts it, then logs it. */
    public void countAndLog(final Throwable error)
    {
        counter.incrementRelease();
        onError(error);
    }

    /** Logs a fault already counted (by the runner, or by {@link #countAndLog}). */
    @Override
    public void onError(final Throwable error)
    {
        final long count = counter.get();
        if (count <= LOGGED_IN_FULL)
        {
            LOG.error("{}: unexpected error ({} so far), the agent goes on", agent, count, error);
        }
        else if (count % LOG_EVERY == 0)
        {
            LOG.error("{}: unexpected error ({} so far), the agent goes on: {}", agent, count, error.toString());
        }
    }
}
