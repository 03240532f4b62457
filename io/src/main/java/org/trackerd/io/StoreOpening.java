package org.trackerd.io;

import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.swarm.SwarmStore;

/**
 * The store's opening ({@link SwarmStore#open}: its plan, then the shards opened or recovered on a small pool of
 * their own) on a thread of its own, started when this is made, so that the launcher builds the engine's rings and
 * the frontends meanwhile. {@link #await} gives the store, or throws what the opening threw, as a call to
 * {@link SwarmStore#open} on the launcher's thread would have.
 *
 * <p>Thread: made and awaited by the launcher's thread.
 */
final class StoreOpening
{
    private final Thread thread;
    private SwarmStore store;
    private RuntimeException failure;
    private Error error;

    StoreOpening(final TrackerConfig config)
    {
        thread = new Thread(() ->
        {
            try
            {
                store = SwarmStore.open(config.storage.path, config.storage.maxTorrents, config.storage.maxPeers,
                    config.storage.maxBytes);
            }
            catch (final RuntimeException ex)
            {
                failure = ex;
            }
            catch (final Error ex)
            {
                error = ex;
            }
        }, "store-open-main");
        thread.setDaemon(true);
        thread.start();
    }

    /** The opened store (the join publishes it); rethrows the opening's failure (a StoreException, mostly). */
    SwarmStore await()
    {
        join();
        if (error != null)
        {
            throw error;
        }
        if (failure != null)
        {
            throw failure;
        }
        return store;
    }

    /** After another failure of the start: the store if it opened (for the caller to close), else null. */
    SwarmStore awaitQuietly()
    {
        join();
        return store;
    }

    private void join()
    {
        boolean interrupted = false;
        while (true)
        {
            try
            {
                thread.join();
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true; // the opening is bounded and its files must not be left half-opened
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
