package org.trackerd.io.tls;

import org.agrona.concurrent.status.CountersManager;
import org.trackerd.engine.config.TlsConfig;

import java.net.InetAddress;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;

/**
 * The TLS side of one HTTP frontend thread: opens a {@link TlsSession} for each connection its TLS listeners
 * accept (with an engine from the context in force at that moment), limits the handshakes in progress per client
 * address, and tells the frontend's sweep which handshakes ran out of time.
 *
 * <p>The handshake deadline counts from the client's connect, not from accept: with {@code TCP_DEFER_ACCEPT} the
 * kernel may have held a connection that sent nothing for {@code http.defer_accept_s} before the tracker saw it,
 * so the deadline after accept is {@code tls.handshake_timeout_ms} less that.
 *
 * <p>Thread: the frontend thread; built on the launcher thread (its counters are allocated there).
 */
public final class TlsFrontend
{
    final TlsCounters counters;
    private final TlsContextHolder holder;
    private final long handshakeBudgetNs;
    private final int maxHandshakesPerIp;
    /** Handshakes in progress per client address; touched at accept, at a handshake's end and at close. */
    private final HashMap<InetAddress, int[]> handshaking = new HashMap<>();
    /** Null: handshake tasks run on the frontend thread. */
    private final java.util.concurrent.Executor executor;
    /** Tokens of connections whose handshake task finished on a worker, for the frontend thread to move on. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Long> tasksDone =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Wakes the frontend thread from its select once a task is done; set by the frontend. */
    private volatile Runnable wakeUp = () -> { };

    public TlsFrontend(final TlsContextHolder holder, final TlsConfig config, final int deferAcceptSeconds,
        final CountersManager manager, final int thread)
    {
        this.holder = holder;
        this.counters = new TlsCounters(manager, thread);
        this.handshakeBudgetNs = TimeUnit.MILLISECONDS.toNanos(config.handshakeTimeoutMs) -
            TimeUnit.SECONDS.toNanos(deferAcceptSeconds);
        this.maxHandshakesPerIp = config.maxHandshakesPerIp;
        this.executor = holder.handshakeExecutor();
    }

    /** What a handshake worker calls after a task so the frontend's sleeping select returns. */
    public void wakeUpWith(final Runnable wakeUp)
    {
        this.wakeUp = wakeUp;
    }

    /** True while handshake tasks are done and not yet {@linkplain #pollTaskDone() polled}; any thread. */
    public boolean hasTaskDone()
    {
        return !tasksDone.isEmpty();
    }

    /** The next connection token ({@link #open}) whose handshake task is done, or {@code Long.MIN_VALUE}. */
    public long pollTaskDone()
    {
        final Long token = tasksDone.poll();
        return token == null ? Long.MIN_VALUE : token;
    }

    /**
     * Runs the engine's delegated tasks (the handshake's signature and key exchange) on a worker; the session
     * reads nothing until they are done, then the frontend is told and reads on.
     *
     * @return false when tasks run on the frontend thread instead
     */
    boolean runTasksElsewhere(final TlsSession session, final javax.net.ssl.SSLEngine engine, final long token)
    {
        if (executor == null)
        {
            return false;
        }
        session.taskRunning = true;
        executor.execute(() ->
        {
            try
            {
                for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask())
                {
                    task.run();
                }
            }
            finally
            {
                session.taskRunning = false;
                tasksDone.offer(token);
                wakeUp.run();
            }
        });
        return true;
    }

    public TlsCounters counters()
    {
        return counters;
    }

    /**
     * Starts TLS on a new connection, reusing {@code spare} (the slot's session of an earlier connection) when
     * there is one; returns null, counted, when the address already has its handshakes in progress. {@code token}
     * names the connection in {@link #pollTaskDone} (the frontend's correlation id).
     */
    public TlsSession open(final TlsSession spare, final InetAddress address, final long nowNs, final long token)
    {
        final int[] count = handshaking.computeIfAbsent(address, a -> new int[1]);
        if (count[0] >= maxHandshakesPerIp)
        {
            counters.handshakesRejectedPerIp.incrementRelease();
            return null;
        }
        count[0]++;
        final TlsContext context = holder.current();
        final TlsSession session = spare != null ? spare :
            new TlsSession(this, context.packetBufferBytes(), context.applicationBufferBytes());
        session.open(context.newEngine(), nowNs + handshakeBudgetNs, token);
        session.handshaking = address;
        return session;
    }

    /** True, counted, when the session's handshake has not finished in time: the frontend closes it. */
    public boolean handshakeExpired(final TlsSession session, final long nowNs)
    {
        if (session.handshakeDone() || nowNs - session.handshakeDeadlineNs() < 0)
        {
            return false;
        }
        counters.handshakeTimeouts.incrementRelease();
        return true;
    }

    void handshakeFinished(final TlsSession session)
    {
        release(session.handshaking);
        session.handshaking = null;
    }

    /**
     * The connection closes: close_notify if the socket still takes it, and the session's slot is free again.
     *
     * @return false when a worker still runs a task on the session's engine: the session must not be reused
     */
    public boolean close(final TlsSession session, final SocketChannel channel)
    {
        final boolean busy = session.taskRunning;
        if (channel != null && !busy)
        {
            session.closeOutbound(channel);
        }
        release(session.handshaking);
        session.release();
        return !busy;
    }

    private void release(final InetAddress address)
    {
        if (address == null)
        {
            return;
        }
        final int[] count = handshaking.get(address);
        if (count != null && --count[0] <= 0)
        {
            handshaking.remove(address);
        }
    }
}
