package org.trackerd.io.agent;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;

import java.util.List;

/**
 * The last agent of a frontend thread's duty cycle: once {@link #requestStop} was called and every frontend on the
 * thread has answered what it had in flight, it ends the duty cycle (an expected
 * {@link AgentTerminationException}), and the runner closes the agents on their own thread. Placed after the
 * swarm processor in shared mode, so the processor keeps answering while the frontends drain.
 *
 * <p>Thread: {@link #doWork} on the agent's thread; {@link #requestStop} from any thread.
 */
public final class StopWhenDrained implements Agent
{
    private final FrontendAgent[] frontends;
    private volatile boolean stopRequested;

    public StopWhenDrained(final List<? extends FrontendAgent> frontends)
    {
        this.frontends = frontends.toArray(new FrontendAgent[0]);
    }

    /** Asks every frontend of the thread to drain, and the thread to end once they have; any thread. */
    public void requestStop()
    {
        stopRequested = true;
        for (final FrontendAgent frontend : frontends)
        {
            frontend.requestStop();
        }
    }

    @Override
    public int doWork()
    {
        if (!stopRequested)
        {
            return 0;
        }
        for (final FrontendAgent frontend : frontends)
        {
            if (!frontend.isDrained())
            {
                return 0;
            }
        }
        throw new AgentTerminationException("stopped", true);
    }

    @Override
    public String roleName()
    {
        return "stop-when-drained";
    }
}
