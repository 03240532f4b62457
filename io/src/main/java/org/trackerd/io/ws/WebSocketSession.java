package org.trackerd.io.ws;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * What an HTTP connection owns once it has switched to WebSocket: the frame decoder, the close handshake's
 * state, and the clock of idle and ping deadlines. It does no I/O: the connection feeds it bytes and writes
 * what it asks for, so it works the same over a plain socket and over TLS.
 *
 * <h2>The seam in HttpConnection (to be wired when the frontend is)</h2>
 * <pre>
 *   read handler, after bytes land in conn.in[0, n):
 *     if conn.session == null: head parsed by HttpRequestParser → handshake.check(...)
 *         ACCEPT            → handshake.writeAccept(out) ; conn.session = pool.take().open(nowNs)
 *         BAD_REQUEST / 426 → WebSocketHandshake.writeRefusal(out, result) ; close after write
 *         NOT_WEBSOCKET     → the HTTP path as today
 *     else loop while bytes remain (bounded by them):
 *         event = session.onBytes(conn.inView, offset, remaining, nowNs); offset += session.consumed()
 *         TEXT   → WebTorrentRequestDecoder.decode(session.message(), 0, session.messageLength())
 *                  → publish to the request ring (or encode a failure reason and write it here)
 *         PING   → session.writePong(out, at)
 *         CLOSE  → session.writeCloseReply(out, at) (0 bytes if ours went first); close once written
 *         FAIL   → session.writeFailClose(out, at) ; close the socket once written
 *   response poller, for a slot addressed to this connection (announce answer, forwarded offer, relayed
 *   answer, scrape): WebTorrentResponseEncoder writes the JSON at WebSocketFrameEncoder.payloadOffset(at),
 *   then WebSocketFrameEncoder.finishFrame(out, at, TEXT, jsonLength)
 *   timer slice: session.dueAction(nowNs) → PING (writePing) or EXPIRE (writeExpireClose, then close)
 * </pre>
 * A TEXT message handed to the engine stays in the decoder's message buffer (the offers' SDP slices point into
 * it) until the engine's answer is written, so, as for HTTP, the connection decodes nothing more while its
 * request is in flight: bytes after that message stay unread in {@code conn.in} and are decoded once the answer
 * is out. Nothing is read from the socket while the send buffer is full (the client must read before it may send
 * more), which bounds what one slow client can make the server hold.
 *
 * <p>Thread: one instance per connection, used only by the thread that owns the connection.
 */
public final class WebSocketSession
{
    /** Frames flow both ways. */
    public static final int OPEN = 0;
    /** The server sent its close frame and waits (bounded by the idle timeout) for the client's. */
    public static final int CLOSE_SENT = 1;
    /** Both close frames are exchanged (or a violation ended it): close the socket once the output is written. */
    public static final int CLOSED = 2;

    /** {@link #dueAction} result: nothing due. */
    public static final int NONE = 0;
    /** {@link #dueAction} result: the client has been silent for the ping interval; send a ping. */
    public static final int PING = 1;
    /** {@link #dueAction} result: silent past the idle timeout (or no close reply): give up on it. */
    public static final int EXPIRE = 2;

    private static final String IDLE_REASON = "idle timeout";

    private final WebSocketFrameDecoder decoder;
    private final long pingIntervalNs;
    private final long idleTimeoutNs;
    private int state = CLOSED;
    private long lastReceiveNs;
    private boolean pingOutstanding;
    private boolean closeSent;
    private long pingPayload;

    /**
     * @param pingIntervalNs silence after which the server pings (0: never)
     * @param idleTimeoutNs  silence after which the connection is closed; should exceed the tracker's
     *                       announce interval, since the npm client sends nothing between announces
     */
    public WebSocketSession(final WebSocketFrameDecoder decoder, final long pingIntervalNs, final long idleTimeoutNs)
    {
        this.decoder = decoder;
        this.pingIntervalNs = pingIntervalNs;
        this.idleTimeoutNs = idleTimeoutNs;
    }

    /** Starts (or restarts, for a pooled object) a session on a connection that has just been upgraded. */
    public WebSocketSession open(final long nowNs)
    {
        decoder.reset();
        state = OPEN;
        lastReceiveNs = nowNs;
        pingOutstanding = false;
        closeSent = false;
        return this;
    }

    public int state()
    {
        return state;
    }

    /**
     * Feeds received bytes to the decoder; returns its event ({@link WebSocketFrameDecoder#TEXT} and the
     * others) and moves the session's state on {@code CLOSE} and {@code FAIL}. Any complete frame counts as
     * a sign of life. Advance the input by {@link #consumed()}.
     */
    public int onBytes(final DirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        final int event = decoder.decode(buffer, offset, length);
        if (event != WebSocketFrameDecoder.NEED_MORE)
        {
            lastReceiveNs = nowNs;
            pingOutstanding = false;
        }
        if (event == WebSocketFrameDecoder.CLOSE || event == WebSocketFrameDecoder.FAIL)
        {
            // a close reply of ours ends it; after our own close the client's close ends it too
            state = CLOSED;
        }
        return event;
    }

    public int consumed()
    {
        return decoder.consumed();
    }

    public DirectBuffer message()
    {
        return decoder.message();
    }

    public int messageLength()
    {
        return decoder.messageLength();
    }

    public WebSocketFrameDecoder decoder()
    {
        return decoder;
    }

    /** After a {@code PING}: the pong echoing it. Returns the frame length. */
    public int writePong(final MutableDirectBuffer out, final int offset)
    {
        return WebSocketFrameEncoder.pong(out, offset, decoder.control(), 0, decoder.controlLength());
    }

    /**
     * After the client's {@code CLOSE}: the close that completes the handshake, echoing its code (or an
     * empty close when it sent none), unless the server had already sent its own. Returns the frame length
     * (0 when nothing is to be sent).
     */
    public int writeCloseReply(final MutableDirectBuffer out, final int offset)
    {
        if (closeSent)
        {
            return 0;
        }
        closeSent = true;
        return WebSocketFrameEncoder.close(out, offset, decoder.closeCode(), null);
    }

    /** After {@code FAIL}: the close frame with the violation's code and reason. Returns the frame length. */
    public int writeFailClose(final MutableDirectBuffer out, final int offset)
    {
        closeSent = true;
        return WebSocketFrameEncoder.close(out, offset, decoder.closeCode(), decoder.failReason());
    }

    /**
     * The server closes first (policy violation, shutdown, a ring that stayed full): writes the close frame
     * and waits for the client's (or the idle timeout). Returns the frame length.
     */
    public int writeClose(final MutableDirectBuffer out, final int offset, final int code, final String reason,
        final long nowNs)
    {
        state = CLOSE_SENT;
        closeSent = true;
        lastReceiveNs = nowNs; // the client now has one idle timeout to answer
        return WebSocketFrameEncoder.close(out, offset, code, reason);
    }

    /** Timer check, wrap-safe: {@link #NONE}, {@link #PING} or {@link #EXPIRE}. */
    public int dueAction(final long nowNs)
    {
        if (state == CLOSED)
        {
            return NONE;
        }
        final long silentNs = nowNs - lastReceiveNs;
        if (silentNs - idleTimeoutNs >= 0)
        {
            return EXPIRE;
        }
        if (state == OPEN && pingIntervalNs > 0 && !pingOutstanding && silentNs - pingIntervalNs >= 0)
        {
            return PING;
        }
        return NONE;
    }

    /** Writes the ping {@link #dueAction} asked for (8 bytes payload: a counter). Returns the frame length. */
    public int writePing(final MutableDirectBuffer out, final int offset)
    {
        pingOutstanding = true;
        pingPayload++;
        final int headerLength = WebSocketFrameEncoder.putHeader(out, offset, WebSocketFrameDecoder.OPCODE_PING, 8);
        out.putLong(offset + headerLength, pingPayload);
        return headerLength + 8;
    }

    /** Writes the close for an {@link #EXPIRE}d session; the socket closes once it is written. */
    public int writeExpireClose(final MutableDirectBuffer out, final int offset)
    {
        state = CLOSED;
        closeSent = true;
        return WebSocketFrameEncoder.close(out, offset, CloseCodes.GOING_AWAY, IDLE_REASON);
    }
}
