package org.trackerd.io.tls;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The TLS layer of one connection: what the HTTP frontend reads and writes goes through here as plain bytes, and
 * records go to and from the socket. It drives the handshake inside {@link #read}, and classifies everything
 * hostile into {@link TlsCounters} before it closes. The handshake's cryptography (the engine's delegated tasks,
 * about 2 ms of CPU for a full handshake) runs on a handshake worker ({@code tls.handshake_threads}), so the
 * frontend thread, which in shared threading is also the swarm processor's, only moves records; with no worker it
 * runs inline.
 *
 * <p>Buffers are made once per connection slot (about 50 KiB: a record each way and a record's plain text) and
 * reused by every connection the slot serves; only the {@link SSLEngine} is new per connection. They are heap
 * buffers: the JDK 17 engine's AES-GCM copies through temporary arrays for direct ones, and measured 4.6 KB
 * allocated per keep-alive exchange with direct buffers against 3.0 KB with heap ones (TlsRecordBenchmark); the
 * rest is the engine's own per-record cipher set-up.
 *
 * <pre>
 *  socket ──read──► netIn ──unwrap──► appIn ──copy──► the connection's request buffer
 *  socket ◄─write── netOut ◄──wrap─── the frontend's encoded answer
 * </pre>
 * {@code netIn} and {@code appIn} are kept in fill mode (position = bytes held); {@code netOut} in drain mode
 * (position..limit = bytes not yet on the socket).
 *
 * <p>Thread: the frontend thread that owns the connection.
 */
public final class TlsSession
{
    /** TLS record header: type (1), version (2), length (2). */
    static final int HEADER_BYTES = 5;
    /** The largest record length TLS 1.2 allows (2^14 + 2048, RFC 5246 6.2.3); TLS 1.3 allows less. */
    static final int MAX_RECORD_BYTES = 16_384 + 2048;
    private static final int CHANGE_CIPHER_SPEC = 20;
    private static final int APPLICATION_DATA = 23;
    private static final int HANDSHAKE = 22;
    /** Engine steps per {@link #read}; a handshake needs a dozen, so this only guards against a loop. */
    private static final int MAX_STEPS = 64;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final TlsFrontend owner;
    private final TlsCounters counters;
    private final ByteBuffer netIn;
    private final ByteBuffer netOut;
    private final ByteBuffer appIn;
    private SSLEngine engine;
    private boolean handshakeDone;
    private boolean tls12;
    private boolean sawFirstRecord;
    private long handshakeDeadlineNs;
    private long handshakeStartMs;
    /** The last wrap found {@code netOut} full and the socket not taking it. */
    private boolean wrapBlocked;
    /** The client's address while its handshake counts against {@code tls.max_handshakes_per_ip}; else null. */
    InetAddress handshaking;
    /** A worker runs the engine's handshake tasks; the engine is not touched here until it is done. */
    volatile boolean taskRunning;
    /** The connection's name for {@link TlsFrontend#pollTaskDone}. */
    private long token;

    TlsSession(final TlsFrontend owner, final int packetBytes, final int applicationBytes)
    {
        this.owner = owner;
        this.counters = owner.counters;
        this.netIn = ByteBuffer.allocate(Math.max(packetBytes, HEADER_BYTES + MAX_RECORD_BYTES));
        this.netOut = ByteBuffer.allocate(packetBytes);
        this.appIn = ByteBuffer.allocate(applicationBytes);
    }

    /** Starts serving a new connection with a fresh engine from the context in force. */
    void open(final SSLEngine engine, final long deadlineNs, final long token)
    {
        this.engine = engine;
        this.token = token;
        handshakeDone = false;
        tls12 = false;
        sawFirstRecord = false;
        wrapBlocked = false;
        handshakeDeadlineNs = deadlineNs;
        handshakeStartMs = System.currentTimeMillis();
        netIn.clear();
        appIn.clear();
        netOut.clear().limit(0);
    }

    public boolean handshakeDone()
    {
        return handshakeDone;
    }

    long handshakeDeadlineNs()
    {
        return handshakeDeadlineNs;
    }

    /** Records wait in {@code netOut} for the socket to take them: the connection must watch for writability. */
    public boolean hasUnsent()
    {
        return netOut.hasRemaining();
    }

    /**
     * Plain bytes are ready without the socket: decrypted ones that did not fit the caller's buffer, or a whole
     * record already read. The frontend reads again after it freed room, since no readiness event would come.
     */
    public boolean hasBufferedInput()
    {
        if (appIn.position() > 0)
        {
            return true;
        }
        final int held = netIn.position();
        return held >= HEADER_BYTES && held >= HEADER_BYTES + recordLength(0);
    }

    /**
     * Reads plain bytes into {@code into}: the count, 0 when none are ready yet (the handshake may have moved on),
     * -1 at the end of the stream (FIN or the client's close_notify).
     *
     * @throws IOException the connection must be closed (the reason is counted already)
     */
    public int read(final SocketChannel channel, final ByteBuffer into) throws IOException
    {
        int n = drain(into);
        if (n > 0 || appIn.position() > 0 || taskRunning)
        {
            return n;
        }
        for (int step = 0; step < MAX_STEPS; step++)
        {
            switch (engine.getHandshakeStatus())
            {
                case NEED_TASK ->
                {
                    if (owner.runTasksElsewhere(this, engine, token))
                    {
                        return 0; // the frontend reads on once the worker is done (TlsFrontend.pollTaskDone)
                    }
                    runTasks();
                    continue;
                }
                case NEED_WRAP ->
                {
                    wrap(channel, EMPTY);
                    if (wrapBlocked)
                    {
                        return 0; // the flight waits for the client to read what it has; OP_WRITE resumes it
                    }
                    continue;
                }
                default ->
                {
                    // unwrap below
                }
            }
            if (!flush(channel) && !handshakeDone)
            {
                // the client does not read our flight: nothing to gain from reading more of its until it does
                return 0;
            }
            if (!hasWholeRecord())
            {
                if (!netIn.hasRemaining())
                {
                    throw new IOException("tls: no room for a record"); // cannot happen: netIn holds the largest
                }
                final int got = channel.read(netIn);
                if (got < 0)
                {
                    return -1;
                }
                if (got == 0 || !hasWholeRecord())
                {
                    return 0;
                }
            }
            n = unwrap(into);
            if (n != 0 || appIn.position() > 0)
            {
                return n; // bytes for the caller, the end, or plain bytes waiting for room in the caller's buffer
            }
        }
        return 0;
    }

    /** One record from {@code netIn} through the engine; returns plain bytes copied, -1 at close_notify, else 0. */
    private int unwrap(final ByteBuffer into) throws IOException
    {
        final int type = netIn.get(0) & 0xff;
        if (handshakeDone && tls12 && type == HANDSHAKE)
        {
            counters.renegotiationsRefused.incrementRelease();
            throw new IOException("tls: client-initiated renegotiation refused");
        }
        final SSLEngineResult result;
        netIn.flip();
        try
        {
            result = engine.unwrap(netIn, appIn);
        }
        catch (final SSLException ex)
        {
            if (!handshakeDone)
            {
                counters.handshakeFailures.incrementRelease();
            }
            else
            {
                counters.badRecords.incrementRelease();
            }
            throw ex;
        }
        finally
        {
            netIn.compact();
        }
        if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED)
        {
            finished();
        }
        switch (result.getStatus())
        {
            case CLOSED ->
            {
                return -1;
            }
            case BUFFER_OVERFLOW ->
            {
                // appIn still holds bytes the caller had no room for: hand those over first
                return drain(into);
            }
            default ->
            {
                return drain(into);
            }
        }
    }

    /**
     * A whole record is in {@code netIn}. Also the first look at each record's header, where bytes that are no TLS
     * record at all, or a record longer than TLS allows, end the connection before the engine buffers anything.
     */
    private boolean hasWholeRecord() throws IOException
    {
        final int held = netIn.position();
        if (held < HEADER_BYTES)
        {
            return false;
        }
        final int type = netIn.get(0) & 0xff;
        final int major = netIn.get(1) & 0xff;
        if (type < CHANGE_CIPHER_SPEC || type > 24 || major != 3 || (!sawFirstRecord && type != HANDSHAKE))
        {
            counters.garbageRecords.incrementRelease();
            throw new IOException("tls: not a TLS record (type " + type + ", version " + major + ")");
        }
        sawFirstRecord = true;
        final int length = recordLength(0);
        if (length > MAX_RECORD_BYTES)
        {
            counters.oversizedRecords.incrementRelease();
            throw new IOException("tls: record of " + length + " bytes");
        }
        return held >= HEADER_BYTES + length;
    }

    private int recordLength(final int at)
    {
        return ((netIn.get(at + 3) & 0xff) << 8) | (netIn.get(at + 4) & 0xff);
    }

    /**
     * Encrypts from {@code from} as far as the socket takes the records: returns plain bytes consumed. Records
     * that the socket did not take wait in {@code netOut} ({@link #hasUnsent}).
     */
    public int write(final SocketChannel channel, final ByteBuffer from) throws IOException
    {
        if (!flush(channel))
        {
            return 0;
        }
        int consumed = 0;
        for (int step = 0; step < MAX_STEPS && from.hasRemaining(); step++)
        {
            consumed += wrap(channel, from);
            if (!flush(channel))
            {
                break;
            }
        }
        return consumed;
    }

    /** Wraps into {@code netOut} behind what is still unsent; flushes first if it has no room for a record. */
    private int wrap(final SocketChannel channel, final ByteBuffer from) throws IOException
    {
        wrapBlocked = false;
        netOut.compact();
        SSLEngineResult result;
        try
        {
            result = engine.wrap(from, netOut);
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW)
            {
                netOut.flip();
                if (!flush(channel))
                {
                    wrapBlocked = true;
                    netOut.compact(); // the finally flips it back
                    return 0;
                }
                netOut.compact();
                result = engine.wrap(from, netOut);
            }
        }
        catch (final SSLException ex)
        {
            (handshakeDone ? counters.badRecords : counters.handshakeFailures).incrementRelease();
            throw ex;
        }
        finally
        {
            netOut.flip();
        }
        if (result.getStatus() == SSLEngineResult.Status.CLOSED && from != EMPTY)
        {
            throw new IOException("tls: engine closed");
        }
        if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED)
        {
            finished();
        }
        return result.bytesConsumed();
    }

    /** Writes what waits in {@code netOut}: true when all of it is on the socket. */
    public boolean flush(final SocketChannel channel) throws IOException
    {
        for (int i = 0; i < MAX_STEPS && netOut.hasRemaining(); i++)
        {
            if (channel.write(netOut) == 0)
            {
                return false;
            }
        }
        return !netOut.hasRemaining();
    }

    private void runTasks()
    {
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask())
        {
            task.run();
        }
    }

    private void finished()
    {
        if (handshakeDone)
        {
            return;
        }
        handshakeDone = true;
        owner.handshakeFinished(this);
        final SSLSession session = engine.getSession();
        tls12 = "TLSv1.2".equals(session.getProtocol());
        // A resumed session keeps the creation time of the one it resumes.
        if (session.getCreationTime() < handshakeStartMs)
        {
            counters.handshakesResumed.incrementRelease();
        }
        else
        {
            counters.handshakes.incrementRelease();
        }
    }

    private int drain(final ByteBuffer into)
    {
        final int held = appIn.position();
        if (held == 0 || !into.hasRemaining())
        {
            return 0;
        }
        final int n = Math.min(held, into.remaining());
        appIn.flip();
        final int limit = appIn.limit();
        appIn.limit(n);
        into.put(appIn);
        appIn.limit(limit);
        appIn.compact();
        return n;
    }

    /**
     * Says goodbye with close_notify (one attempt; the socket closes right after), so a client can tell the end of
     * the answers from a cut connection.
     */
    public void closeOutbound(final SocketChannel channel)
    {
        if (engine == null || engine.isOutboundDone())
        {
            return;
        }
        try
        {
            engine.closeOutbound();
            wrap(channel, EMPTY);
            flush(channel);
        }
        catch (final IOException | RuntimeException ignored)
        {
            // the connection closes anyway
        }
    }

    /** Forgets the engine; the buffers stay for the slot's next connection. */
    void release()
    {
        engine = null;
        handshaking = null;
    }

    public String protocol()
    {
        return engine == null ? "" : engine.getSession().getProtocol();
    }
}
