package org.trackerd.io;

import org.slf4j.Logger;

import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * The body of a reloader's daemon thread ({@code PolicyReloader}, {@code TlsContextHolder}): sleep a tick, then run
 * it with the wall-clock time, until told to stop or interrupted. A tick that throws is logged and the loop goes on,
 * so one bad file or fetch never ends the watching.
 *
 * <p>Thread: the poller's own.
 */
public final class PollLoop
{
    private PollLoop()
    {
    }

    /**
     * @param running read before each tick; false ends the loop
     * @param tickMs  how long to sleep before each tick
     * @param tick    called with {@link System#currentTimeMillis()}
     * @param log     where a failed tick is logged, as {@code what}
     */
    public static void run(final BooleanSupplier running, final long tickMs, final LongConsumer tick,
        final Logger log, final String what)
    {
        while (running.getAsBoolean())
        {
            try
            {
                Thread.sleep(tickMs);
                tick.accept(System.currentTimeMillis());
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            catch (final RuntimeException ex)
            {
                log.error(what, ex);
            }
        }
    }
}
