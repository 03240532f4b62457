package org.trackerd.io.http;

import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.io.ws.WebSocketSession;

/**
 * What an upgraded (WebSocket) connection keeps beside its {@link HttpConnection}: the session, the request it
 * has in the engine (whose offers' and answer's JSON values stay in the session's message buffer until the
 * engine's answer is written), and the torrents it announced, which leave the swarms when it closes.
 *
 * <p>Thread: owned by the frontend thread that owns the connection; pooled with the connection's slot.
 */
final class WebTorrentConnection
{
    /** Torrents one connection may announce (the npm client shares one socket for all its torrents). */
    static final int MAX_TORRENTS = 32;
    private static final int ID = RequestEvent.HASH_LENGTH;

    final WebSocketSession session;
    /** A request of this connection is in the engine: nothing more is decoded until its answer is written. */
    boolean awaiting;
    byte awaitingKind;
    /** Answers to offers never sent to this connection's peers. */
    int unsolicited;
    /** The message rate's window: when it began and the messages since. */
    long windowStartNs;
    int windowMessages;
    /** Close once the output is written (a close frame went out). */
    boolean closeAfterWrite;
    /** Frames written to it this duty cycle, not yet sent (a buffer of the route's pool), or null. */
    java.nio.ByteBuffer batch;

    /** The request in the engine: its ids, offers (values as slices of the session's message) or answer. */
    final UnsafeBuffer infoHash = new UnsafeBuffer(new byte[ID]);
    final UnsafeBuffer peerId = new UnsafeBuffer(new byte[ID]);
    final UnsafeBuffer offerIds = new UnsafeBuffer(new byte[RequestEvent.MAX_OFFERS * ID]);
    final int[] offerOffset = new int[RequestEvent.MAX_OFFERS];
    final int[] offerLength = new int[RequestEvent.MAX_OFFERS];
    int offerCount;
    final UnsafeBuffer answerOfferId = new UnsafeBuffer(new byte[ID]);
    int answerOffset;
    int answerLength;

    /** Private mode: the passkey of the upgrade's path ({@code /<passkey>/announce}), checked on every request. */
    final UnsafeBuffer passkey = new UnsafeBuffer(new byte[32]);
    boolean hasPasskey;

    /** The raw {@code jwt} of the upgrade URL's query (still percent-encoded), checked on every announce. */
    static final int MAX_JWT_BYTES = 4096;
    final UnsafeBuffer jwt = new UnsafeBuffer(new byte[MAX_JWT_BYTES]);
    /** Its length, or {@code AccessChecker.NO_TOKEN}. */
    int jwtLength = -1;
    /** Reading is paused: a request is in the engine and the receive buffer is full. */
    boolean readPaused;

    /** (info_hash, peer_id) pairs announced on this connection and not stopped. */
    final byte[] announced = new byte[MAX_TORRENTS * 2 * ID];
    int announcedCount;

    WebTorrentConnection(final WebSocketSession session)
    {
        this.session = session;
    }

    WebTorrentConnection open(final long nowNs)
    {
        session.open(nowNs);
        awaiting = false;
        unsolicited = 0;
        closeAfterWrite = false;
        announcedCount = 0;
        jwtLength = -1;
        readPaused = false;
        windowStartNs = nowNs;
        windowMessages = 0;
        return this;
    }

    /** Remembers an announced pair; false when the connection already holds {@link #MAX_TORRENTS}. */
    boolean remember(final byte[] infoHash20, final byte[] peerId20)
    {
        if (find(infoHash20, peerId20) >= 0)
        {
            return true;
        }
        if (announcedCount == MAX_TORRENTS)
        {
            return false;
        }
        final int at = announcedCount++ * 2 * ID;
        System.arraycopy(infoHash20, 0, announced, at, ID);
        System.arraycopy(peerId20, 0, announced, at + ID, ID);
        return true;
    }

    void forget(final byte[] infoHash20, final byte[] peerId20)
    {
        final int i = find(infoHash20, peerId20);
        if (i >= 0)
        {
            final int last = --announcedCount;
            System.arraycopy(announced, last * 2 * ID, announced, i * 2 * ID, 2 * ID);
        }
    }

    private int find(final byte[] infoHash20, final byte[] peerId20)
    {
        for (int i = 0; i < announcedCount; i++)
        {
            final int at = i * 2 * ID;
            if (java.util.Arrays.equals(announced, at, at + ID, infoHash20, 0, ID) &&
                java.util.Arrays.equals(announced, at + ID, at + 2 * ID, peerId20, 0, ID))
            {
                return i;
            }
        }
        return -1;
    }
}
