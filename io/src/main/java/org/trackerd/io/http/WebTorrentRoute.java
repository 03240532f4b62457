package org.trackerd.io.http;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.trackerd.engine.Counters;
import org.trackerd.engine.RequestCounters;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;
import org.trackerd.engine.policy.AccessChecker;
import org.trackerd.io.admission.Admission;
import org.trackerd.io.webtorrent.WebTorrentRelays;
import org.trackerd.io.webtorrent.WebTorrentRequest;
import org.trackerd.io.webtorrent.WebTorrentRequestDecoder;
import org.trackerd.io.webtorrent.WebTorrentResponseEncoder;
import org.trackerd.io.ws.CloseCodes;
import org.trackerd.io.ws.WebSocketFrameDecoder;
import org.trackerd.io.ws.WebSocketFrameEncoder;
import org.trackerd.io.ws.WebSocketHandshake;
import org.trackerd.io.ws.WebSocketSession;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The WebTorrent tracker on an HTTP frontend's connections (plain and TLS alike: bytes come and go through the
 * frontend's {@code receive} and {@code send}): the upgrade of a GET to the announce path, then WebSocket frames
 * carrying the JSON messages of the npm {@code bittorrent-tracker} client, see {@code org.trackerd.io.webtorrent}'s
 * package notes for the design.
 *
 * <pre>
 *   upgrade ─► WebSocketHandshake (101) ─► frames ─► WebTorrentRequestDecoder
 *     announce ─► Admission ─► request ring (KIND_WEBRTC_ANNOUNCE: ids, counters, offer_ids)
 *     answer   ─► request ring (KIND_WEBRTC_ANSWER)          scrape ─► request ring (KIND_SCRAPE)
 *   engine's answer ─► announce answer to this socket; per offer target / for an answer's offerer: the JSON message
 *                      into the target frontend's relay ring ({@link WebTorrentRelays})
 *   relay ring ─► frame ─► the target socket (only its owner writes it)
 * </pre>
 * One request per connection is in the engine at a time; its offers' session descriptions stay in the session's
 * message buffer until the engine's answer has sent them on.
 *
 * <p>Thread: the owning frontend's thread only.
 */
final class WebTorrentRoute
{
    /**
     * Most relay messages one drain writes (twice per duty cycle: before reading, and after the cycle's answers
     * wrote theirs); what is left keeps the thread from sleeping ({@link #relaysDrained}).
     */
    private static final int RELAY_DRAIN_LIMIT = 256;
    private static final byte[] TOO_MANY_TORRENTS = ascii("too many torrents on one connection");
    private static final byte[] UNSOLICITED_REASON_BYTES = ascii("answer to an offer that was not sent");
    private static final String UNSOLICITED = "answers to offers that were not sent";
    private static final String PER_IP = "too many WebSocket connections from this address";
    private static final String FLOOD = "too many messages";
    private static final long ONE_SECOND_NS = TimeUnit.SECONDS.toNanos(1);

    private final HttpFrontend frontend;
    private final WebTorrentRelays relays;
    private final int frontendId;
    private final TrackerConfig.WebTorrent config;
    private final int maxMessageBytes;
    private final int maxScrapeHashes;
    private final long pingIntervalNs;
    private final long idleTimeoutNs;
    private final WebSocketHandshake handshake = new WebSocketHandshake();
    private final WebTorrentRequestDecoder decoder = new WebTorrentRequestDecoder();
    private final WebTorrentRequest request;
    /** Bytes of one connection's batch: an answer and a few relayed offers; a larger frame is sent on its own. */
    private static final int BATCH_BYTES = 32 * 1024;
    /** Batch buffers at most (connections written to in one duty cycle); past it, frames are sent at once. */
    private static final int MAX_BATCHES = 512;
    private final ByteBuffer[] batchPool = new ByteBuffer[MAX_BATCHES];
    private int freeBatches;
    private int batchesMade;
    /** Connections with a batch this cycle (a closed one may stay listed: its batch is null then). */
    private final HttpConnection[] dirty = new HttpConnection[2 * MAX_BATCHES];
    private int dirtyCount;
    /** Counts WebSocket requests under {@code protocol="ws"} and applies access control and private mode to them. */
    private final Admission admission;
    private final org.trackerd.engine.metrics.LatencyRecorder announceLatency;
    private final org.trackerd.engine.metrics.LatencyRecorder scrapeLatency;
    /** Set once the frontend closes every connection at shutdown: closes then publish no stopped request. */
    private boolean shuttingDown;
    private final RequestEvent scratch;
    private final UnsafeBuffer scratchInfoHash;
    private final UnsafeBuffer scrapeView = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer passkey = new UnsafeBuffer(new byte[32]);
    private final UnsafeBuffer jwt = new UnsafeBuffer(new byte[WebTorrentConnection.MAX_JWT_BYTES]);
    /** Frames to write: up to the largest message plus its ids and header. */
    private final ByteBuffer outBytes;
    private final UnsafeBuffer out;
    /** The ids' part of a relay message being built (the rest is written straight into the target's ring). */
    private final UnsafeBuffer relayOut;
    /** Most bytes a connection may have queued for a slow socket before it is closed. */
    private final int maxQueuedBytes;
    private final java.util.HashMap<java.net.InetAddress, int[]> perIp = new java.util.HashMap<>();
    private final Counters counters;
    private final MessageHandler onRelay = this::onRelay;

    /** The frontend-side WebTorrent counters ({@code trackerd_webtorrent_*{thread=...}}). */
    static final class Counters
    {
        final AtomicCounter upgrades;
        final AtomicCounter upgradesRefused;
        final AtomicCounter connectionsOpen;
        final AtomicCounter messages;
        final AtomicCounter malformed;
        final AtomicCounter protocolCloses;
        final AtomicCounter offersDropped;
        final AtomicCounter relaysLost;
        final AtomicCounter relaysStale;
        final AtomicCounter unsolicitedCloses;
        final AtomicCounter idleCloses;
        final AtomicCounter floodCloses;

        Counters(final CountersManager m, final int index)
        {
            final String t = "thread=\"" + index + "\"";
            upgrades = org.trackerd.engine.Counters.counter(m, "webtorrent_upgrades", t);
            upgradesRefused = org.trackerd.engine.Counters.counter(m, "webtorrent_upgrades_refused", t);
            connectionsOpen = org.trackerd.engine.Counters.gauge(m, "webtorrent_connections_open", t);
            messages = org.trackerd.engine.Counters.counter(m, "webtorrent_messages", t);
            malformed = org.trackerd.engine.Counters.counter(m, "webtorrent_messages_malformed", t);
            protocolCloses = org.trackerd.engine.Counters.counter(m, "webtorrent_protocol_closes", t);
            offersDropped = org.trackerd.engine.Counters.counter(m, "webtorrent_offers_dropped", t);
            relaysLost = org.trackerd.engine.Counters.counter(m, "webtorrent_relays_lost", t);
            relaysStale = org.trackerd.engine.Counters.counter(m, "webtorrent_relays_stale", t);
            unsolicitedCloses = org.trackerd.engine.Counters.counter(m, "webtorrent_unsolicited_closes", t);
            idleCloses = org.trackerd.engine.Counters.counter(m, "webtorrent_idle_closes", t);
            floodCloses = org.trackerd.engine.Counters.counter(m, "webtorrent_flood_closes", t);
        }
    }

    private int openConnections;

    WebTorrentRoute(final HttpFrontend frontend, final int index, final TrackerConfig config,
        final org.trackerd.engine.metrics.TrackerMetrics metrics, final WebTorrentRelays relays, final int frontendId,
        final Admission admission)
    {
        final CountersManager countersManager = metrics.countersManager();
        this.frontend = frontend;
        this.admission = admission;
        this.announceLatency = metrics.latency("ws", "announce", index);
        this.scrapeLatency = metrics.latency("ws", "scrape", index);
        this.relays = relays;
        this.frontendId = frontendId;
        this.config = config.webtorrent;
        this.maxMessageBytes = this.config.maxMessageBytes;
        this.maxScrapeHashes = config.tracker.maxScrapeHashes;
        this.pingIntervalNs = TimeUnit.MILLISECONDS.toNanos(this.config.pingIntervalMs);
        this.idleTimeoutNs = TimeUnit.MILLISECONDS.toNanos(this.config.idleTimeoutMs);
        this.request = new WebTorrentRequest(this.config.maxOffers, maxScrapeHashes);
        this.scratch = new RequestEvent(maxScrapeHashes);
        this.scratchInfoHash = new UnsafeBuffer(scratch.infoHash);
        final int frameBytes = maxMessageBytes + 4096 + maxScrapeHashes * 300;
        this.outBytes = ByteBuffer.allocateDirect(frameBytes);
        this.out = new UnsafeBuffer(outBytes);
        this.relayOut = new UnsafeBuffer(new byte[3 * WebTorrentResponseEncoder.MAX_ID_JSON_LENGTH + 64]);
        this.maxQueuedBytes = 4 * frameBytes;
        this.counters = new Counters(countersManager, index);
    }

    /** The capacity of each relay ring for this configuration (room for many offers of the largest size). */
    static int relayRingBytes(final TrackerConfig config)
    {
        return BitUtil.findNextPositivePowerOfTwo(Math.max(1 << 20, 16 * (config.webtorrent.maxMessageBytes + 1024)));
    }

    /**
     * A complete request head of {@code length} bytes to the announce path: if it asks for a WebSocket, answers
     * the handshake and switches the connection; true when it did (or refused it), false for plain HTTP.
     */
    boolean upgrade(final HttpConnection c, final int length, final int passkeyOffset) throws IOException
    {
        final int result = handshake.check(c.inView, 0, length);
        if (result == WebSocketHandshake.NOT_WEBSOCKET)
        {
            return false;
        }
        final int jwtLength = frontend.upgradeJwtLength(c);
        if (jwtLength >= 0 && jwtLength <= WebTorrentConnection.MAX_JWT_BYTES)
        {
            jwt.putBytes(0, c.inView, frontend.upgradeJwtOffset(), jwtLength);
        }
        final boolean hasPasskey = passkeyOffset >= 0 && passkeyOffset + 32 <= length;
        if (hasPasskey)
        {
            passkey.putBytes(0, c.inView, passkeyOffset, 32); // before consume() moves the buffer on
        }
        HttpFrontend.consume(c, length);
        if (result != WebSocketHandshake.ACCEPT)
        {
            counters.upgradesRefused.incrementRelease();
            final int n = WebSocketHandshake.writeRefusal(out, 0, result);
            c.ws = null;
            writeRaw(c, n, true);
            return true;
        }
        final int[] sameIp = perIp.computeIfAbsent(HttpFrontend.remoteAddress(c), a -> new int[1]);
        if (sameIp[0] >= config.maxConnectionsPerIp)
        {
            counters.upgradesRefused.incrementRelease();
            final byte[] refusal = ascii("HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\n" +
                "Content-Length: " + PER_IP.length() + "\r\nConnection: close\r\n\r\n" + PER_IP);
            out.putBytes(0, refusal);
            writeRaw(c, refusal.length, true);
            return true;
        }
        sameIp[0]++;
        counters.upgrades.incrementRelease();
        counters.connectionsOpen.setRelease(++openConnections);
        if (c.wsSpare == null)
        {
            c.wsSpare = new WebTorrentConnection(new WebSocketSession(
                new WebSocketFrameDecoder(maxMessageBytes, maxMessageBytes, 4096, true), pingIntervalNs, idleTimeoutNs));
        }
        final int n = handshake.writeAccept(out, 0);
        c.ws = c.wsSpare.open(frontend.nowNs());
        c.ws.hasPasskey = hasPasskey;
        // a token too long to keep is checked as a malformed one (an empty value), never skipped
        c.ws.jwtLength = jwtLength < 0 ? AccessChecker.NO_TOKEN :
            jwtLength <= WebTorrentConnection.MAX_JWT_BYTES ? jwtLength : 0;
        if (c.ws.jwtLength > 0)
        {
            c.ws.jwt.putBytes(0, jwt, 0, jwtLength);
        }
        if (hasPasskey)
        {
            c.ws.passkey.putBytes(0, passkey, 0, 32);
        }
        c.keepAlive = true;
        c.partialSinceNs = 0;
        frontend.noDelay(c);
        writeRaw(c, n, false);
        if (c.isOpen())
        {
            decodeInput(c);
        }
        return true;
    }

    /** The socket is readable (or TLS holds decrypted bytes). */
    void read(final HttpConnection c) throws IOException
    {
        if (c.state != HttpConnection.READING)
        {
            frontend.interestOps(c, SelectionKey.OP_WRITE); // the client must read before it may send more
            return;
        }
        if (c.ws.awaiting && !c.in.hasRemaining())
        {
            // a request in the engine and the buffer full: stop watching until its answer (level-triggered
            // readiness would spin the thread meanwhile)
            c.ws.readPaused = true;
            frontend.interestOps(c, 0);
            return;
        }
        final int n = frontend.receiveBytes(c);
        if (n < 0)
        {
            frontend.closeConnection(c);
            return;
        }
        decodeInput(c);
    }

    /** Decodes frames from the connection's buffer while it is free to (no request in the engine, not writing). */
    void decodeInput(final HttpConnection c) throws IOException
    {
        final WebTorrentConnection ws = c.ws;
        while (c.isOpen() && c.ws == ws && c.state == HttpConnection.READING && !ws.awaiting && c.in.position() > 0 &&
            ws.session.state() != WebSocketSession.CLOSED)
        {
            final int filled = c.in.position();
            final int event = ws.session.onBytes(c.inView, 0, filled, frontend.nowNs());
            HttpFrontend.consume(c, ws.session.consumed());
            switch (event)
            {
                case WebSocketFrameDecoder.TEXT, WebSocketFrameDecoder.BINARY -> onMessage(c, ws);
                case WebSocketFrameDecoder.PING -> writeFrame(c, ws.session.writePong(out, 0));
                case WebSocketFrameDecoder.CLOSE ->
                {
                    ws.closeAfterWrite = true;
                    writeFrame(c, ws.session.writeCloseReply(out, 0));
                }
                case WebSocketFrameDecoder.FAIL ->
                {
                    counters.protocolCloses.incrementRelease();
                    ws.closeAfterWrite = true;
                    writeFrame(c, ws.session.writeFailClose(out, 0));
                }
                default ->
                {
                    // NEED_MORE (all input taken) or PONG
                }
            }
        }
        if (c.isOpen() && c.ws == ws && c.state == HttpConnection.READING && !ws.awaiting && c.tls != null &&
            c.tls.hasBufferedInput() && c.in.hasRemaining())
        {
            read(c); // decrypted frames wait in the TLS layer, which the socket will not signal
        }
    }

    private void onMessage(final HttpConnection c, final WebTorrentConnection ws) throws IOException
    {
        counters.messages.incrementRelease();
        final long nowNs = frontend.nowNs();
        if (nowNs - ws.windowStartNs >= ONE_SECOND_NS)
        {
            ws.windowStartNs = nowNs;
            ws.windowMessages = 0;
        }
        if (++ws.windowMessages > config.maxMessagesPerSecond)
        {
            // a flood: each message would cost a request slot and the processor's time
            counters.floodCloses.incrementRelease();
            ws.closeAfterWrite = true;
            writeFrame(c, ws.session.writeClose(out, 0, CloseCodes.POLICY_VIOLATION, FLOOD, nowNs));
            return;
        }
        final DirectBuffer message = ws.session.message();
        final int error = decoder.decode(message, 0, ws.session.messageLength(), request);
        final int action = request.action() == WebTorrentRequest.ACTION_SCRAPE ? RequestCounters.ACTION_SCRAPE :
            RequestCounters.ACTION_ANNOUNCE;
        if (error != WebTorrentRequestDecoder.OK)
        {
            counters.malformed.incrementRelease();
            admission.count(action, c.family, RequestCounters.OUTCOME_MALFORMED);
            final byte[] reason = WebTorrentRequestDecoder.reason(error);
            final int at = WebSocketFrameEncoder.payloadOffset(0);
            final int end = request.action() != 0 ?
                WebTorrentResponseEncoder.failure(out, at, request.action(), reason,
                    request.infoHashCount() == 1 ? request.infoHashes() : null, 0) :
                WebTorrentResponseEncoder.failure(out, at, reason);
            writeFrame(c, WebSocketFrameEncoder.finishFrame(out, 0, WebSocketFrameDecoder.OPCODE_TEXT, end - at));
            return;
        }
        if (request.offersDropped() > 0)
        {
            counters.offersDropped.getAndAddRelease(request.offersDropped());
        }
        final RequestEvent e = scratch;
        System.arraycopy(c.address, 0, e.address, 0, RequestEvent.ADDRESS_LENGTH);
        e.port = 0;
        e.hasAltAddress = false;
        e.hasKey = false;
        e.userId = 0;
        e.torrentId = 0;
        e.accounting = 0;
        e.offerCount = 0;
        e.wantPeerIds = false;
        e.compactPeers = true;
        e.oneFamily = false;
        if (request.action() == WebTorrentRequest.ACTION_SCRAPE)
        {
            final int n = Math.min(request.infoHashCount(), maxScrapeHashes);
            if (n == 0)
            {
                // a scrape of everything: not served (as for HTTP), an empty answer
                admission.count(action, c.family, RequestCounters.OUTCOME_OK);
                final int at = WebSocketFrameEncoder.payloadOffset(0);
                final int end = WebTorrentResponseEncoder.scrapeEnd(out, WebTorrentResponseEncoder.scrapeStart(out, at));
                writeFrame(c, WebSocketFrameEncoder.finishFrame(out, 0, WebSocketFrameDecoder.OPCODE_TEXT, end - at));
                return;
            }
            e.kind = RequestEvent.KIND_SCRAPE;
            request.infoHashes().getBytes(0, e.scrapeHashes, 0, n * RequestEvent.HASH_LENGTH);
            e.scrapeCount = n;
            request.infoHashes().getBytes(0, e.infoHash, 0, RequestEvent.HASH_LENGTH);
            request.peerId().getBytes(0, e.peerId, 0, RequestEvent.HASH_LENGTH);
        }
        else
        {
            request.infoHashes().getBytes(0, e.infoHash, 0, RequestEvent.HASH_LENGTH);
            request.peerId().getBytes(0, e.peerId, 0, RequestEvent.HASH_LENGTH);
            e.scrapeCount = 0;
            ws.infoHash.putBytes(0, e.infoHash);
            ws.peerId.putBytes(0, e.peerId);
            if (request.hasAnswer())
            {
                e.kind = RequestEvent.KIND_WEBRTC_ANSWER;
                request.toPeerId().getBytes(0, e.toPeerId, 0, RequestEvent.HASH_LENGTH);
                request.offerId().getBytes(0, e.offerId, 0, RequestEvent.HASH_LENGTH);
                ws.answerOfferId.putBytes(0, e.offerId);
                ws.answerOffset = request.answerValueOffset();
                ws.answerLength = request.answerValueLength();
            }
            else
            {
                e.kind = RequestEvent.KIND_WEBRTC_ANNOUNCE;
                e.uploaded = Math.max(0, request.uploaded());
                e.downloaded = Math.max(0, request.downloaded());
                e.left = request.left() == WebTorrentRequest.UNKNOWN ? 1 : request.left();
                e.numWant = request.numwant();
                e.event = switch (request.event())
                {
                    case WebTorrentRequest.EVENT_STARTED -> RequestEvent.EVENT_STARTED;
                    case WebTorrentRequest.EVENT_COMPLETED -> RequestEvent.EVENT_COMPLETED;
                    case WebTorrentRequest.EVENT_STOPPED -> RequestEvent.EVENT_STOPPED;
                    default -> RequestEvent.EVENT_NONE;
                };
                final int offers = Math.min(request.offerCount(), RequestEvent.MAX_OFFERS);
                e.offerCount = offers;
                request.offerIds().getBytes(0, e.offerIds, 0, offers * RequestEvent.HASH_LENGTH);
                ws.offerIds.putBytes(0, e.offerIds, 0, offers * RequestEvent.HASH_LENGTH);
                for (int i = 0; i < offers; i++)
                {
                    ws.offerOffset[i] = request.offerValueOffset(i);
                    ws.offerLength[i] = request.offerValueLength(i);
                }
                ws.offerCount = offers;
                if (e.event == RequestEvent.EVENT_STOPPED)
                {
                    ws.forget(e.infoHash, e.peerId);
                }
                else if (!ws.remember(e.infoHash, e.peerId))
                {
                    refuse(c, action, TOO_MANY_TORRENTS, e);
                    return;
                }
            }
        }
        byte[] refusal = null;
        if (e.kind != RequestEvent.KIND_WEBRTC_ANSWER)
        {
            // the gates know announces and scrapes: a WebRTC announce is checked as an announce (private mode's
            // passkey, user and torrent; the access lists), then published as what it is
            final byte kind = e.kind;
            e.kind = kind == RequestEvent.KIND_SCRAPE ? RequestEvent.KIND_SCRAPE : RequestEvent.KIND_ANNOUNCE;
            refusal = admission.refusal(e, action, c.family, ws.passkey, ws.hasPasskey ? 0 : -1, ws.jwt, 0,
                ws.jwtLength);
            e.kind = kind;
        }
        if (refusal != null)
        {
            writeFailure(c, action, refusal, e);
            return;
        }
        e.frontendId = frontendId;
        e.correlationId = c.correlationId();
        e.receivedNs = frontend.nowNs();
        e.replyPort = 0;
        if (!frontend.publishRequest(admission, e, action, c.family))
        {
            writeFailure(c, action, Admission.BUSY, e);
            return;
        }
        ws.awaiting = true;
        ws.awaitingKind = e.kind;
    }

    private void refuse(final HttpConnection c, final int action, final byte[] reason, final RequestEvent e)
        throws IOException
    {
        admission.count(action, c.family, RequestCounters.OUTCOME_REJECTED);
        writeFailure(c, action, reason, e);
    }

    private void writeFailure(final HttpConnection c, final int action, final byte[] reason, final RequestEvent e)
        throws IOException
    {
        final int at = WebSocketFrameEncoder.payloadOffset(0);
        final int end = WebTorrentResponseEncoder.failure(out, at,
            action == RequestCounters.ACTION_SCRAPE ? WebTorrentRequest.ACTION_SCRAPE : WebTorrentRequest.ACTION_ANNOUNCE,
            reason, scratchInfoHash, 0);
        writeFrame(c, WebSocketFrameEncoder.finishFrame(out, 0, WebSocketFrameDecoder.OPCODE_TEXT, end - at));
    }

    /** The engine's answer to this connection's request. */
    void answer(final HttpConnection c, final ResponseEvent r) throws IOException
    {
        final WebTorrentConnection ws = c.ws;
        ws.awaiting = false;
        if (ws.readPaused)
        {
            ws.readPaused = false;
            if (c.state == HttpConnection.READING)
            {
                frontend.interestOps(c, SelectionKey.OP_READ);
            }
        }
        final int at = WebSocketFrameEncoder.payloadOffset(0);
        if (r.kind == RequestEvent.KIND_SCRAPE)
        {
            admission.answered(RequestCounters.ACTION_SCRAPE, c.family, r.status);
            int p = WebTorrentResponseEncoder.scrapeStart(out, at);
            for (int i = 0; i < r.scrapeCount; i++)
            {
                scrapeView.wrap(r.scrapeHashes);
                p = WebTorrentResponseEncoder.scrapeFile(out, p, i == 0, scrapeView, i * RequestEvent.HASH_LENGTH,
                    r.scrapeComplete[i], r.scrapeIncomplete[i], r.scrapeDownloaded[i]);
            }
            p = WebTorrentResponseEncoder.scrapeEnd(out, p);
            writeFrame(c, WebSocketFrameEncoder.finishFrame(out, 0, WebSocketFrameDecoder.OPCODE_TEXT, p - at));
            scrapeLatency.recordNs(System.nanoTime() - r.receivedNs); // to its frame (written at the cycle's end)
        }
        else if (r.kind == RequestEvent.KIND_WEBRTC_ANSWER)
        {
            if (r.relayCount == 1)
            {
                relay(r.relayFrontend[0], r.relayCorrelation[0], true, ws.answerOffset, ws.answerLength,
                    ws.answerOfferId, 0, ws);
            }
            else if (++ws.unsolicited > config.maxUnsolicitedAnswers)
            {
                counters.unsolicitedCloses.incrementRelease();
                ws.closeAfterWrite = true;
                writeFrame(c, ws.session.writeClose(out, 0, CloseCodes.POLICY_VIOLATION, UNSOLICITED, frontend.nowNs()));
                return;
            }
            else
            {
                final int end = WebTorrentResponseEncoder.failure(out, at, WebTorrentRequest.ACTION_ANNOUNCE,
                    UNSOLICITED_REASON_BYTES, ws.infoHash, 0);
                writeFrame(c, WebSocketFrameEncoder.finishFrame(out, 0, WebSocketFrameDecoder.OPCODE_TEXT, end - at));
            }
        }
        else
        {
            admission.answered(RequestCounters.ACTION_ANNOUNCE, c.family, r.status);
            announceLatency.recordNs(System.nanoTime() - r.receivedNs);
            if (r.status != Status.OK)
            {
                final int end = WebTorrentResponseEncoder.failure(out, at, WebTorrentRequest.ACTION_ANNOUNCE,
                    Admission.reason(r.status), ws.infoHash, 0);
                writeFrame(c, WebSocketFrameEncoder.finishFrame(out, 0, WebSocketFrameDecoder.OPCODE_TEXT, end - at));
            }
            else
            {
                final int end = WebTorrentResponseEncoder.announce(out, at, ws.infoHash, 0, config.announceIntervalSeconds,
                    r.complete, r.incomplete);
                writeFrame(c, WebSocketFrameEncoder.finishFrame(out, 0, WebSocketFrameDecoder.OPCODE_TEXT, end - at));
                for (int i = 0; i < r.relayCount && i < ws.offerCount; i++)
                {
                    relay(r.relayFrontend[i], r.relayCorrelation[i], false, ws.offerOffset[i], ws.offerLength[i],
                        ws.offerIds, i * RequestEvent.HASH_LENGTH, ws);
                }
            }
        }
        if (c.isOpen() && c.ws == ws)
        {
            decodeInput(c);
        }
    }

    /**
     * Writes a forwarded offer ({@code answer} false) or a relayed answer for connection {@code correlationId} of
     * frontend {@code targetFrontend} straight into that frontend's relay ring: its length known first (the ids'
     * part encoded aside, the value's length known), the value copied once, from this connection's message into
     * the ring (not through a buffer of its own first).
     */
    private void relay(final int targetFrontend, final long correlationId, final boolean answer, final int valueOffset,
        final int valueLength, final DirectBuffer offerIds, final int offerIdOffset, final WebTorrentConnection ws)
    {
        final int tailLength = WebTorrentResponseEncoder.relayTail(relayOut, 0, offerIds, offerIdOffset, ws.peerId, 0,
            ws.infoHash, 0);
        final int length = Long.BYTES + (answer ? WebTorrentResponseEncoder.ANSWER_HEAD_LENGTH :
            WebTorrentResponseEncoder.OFFER_HEAD_LENGTH) + valueLength + tailLength;
        final int index = relays.claim(targetFrontend, length);
        if (index < 0)
        {
            counters.relaysLost.incrementRelease();
            return;
        }
        final MutableDirectBuffer ring = relays.buffer(targetFrontend);
        ring.putLong(index, correlationId);
        int p = WebTorrentResponseEncoder.relayHead(ring, index + Long.BYTES, answer);
        ring.putBytes(p, ws.session.message(), valueOffset, valueLength);
        p += valueLength;
        ring.putBytes(p, relayOut, 0, tailLength);
        relays.commit(targetFrontend, index, frontendId);
    }

    /** Writes the relay messages other threads (or this one) queued for this frontend's connections. */
    int drainRelays()
    {
        return relays.drain(frontendId, onRelay, RELAY_DRAIN_LIMIT);
    }

    /** True when this frontend's relay ring is empty. */
    boolean relaysDrained()
    {
        return relays.isEmpty(frontendId);
    }

    private void onRelay(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final long correlationId = buffer.getLong(index);
        final HttpConnection c = frontend.connection(correlationId);
        if (c == null || c.ws == null || c.ws.session.state() != WebSocketSession.OPEN)
        {
            counters.relaysStale.incrementRelease(); // the target went away since the processor picked it
            return;
        }
        final int jsonLength = length - Long.BYTES;
        final int headerLength = WebSocketFrameEncoder.headerLength(jsonLength);
        try
        {
            if (headerLength <= Long.BYTES)
            {
                // the frame header goes where the correlation id was (read above): the frame is then whole in the
                // ring record, which this thread owns until the drain returns, and goes from there straight into
                // the connection's batch, not through out first (one copy of the SDP fewer)
                final int frameOffset = index + Long.BYTES - headerLength;
                WebSocketFrameEncoder.putHeader(buffer, frameOffset, WebSocketFrameDecoder.OPCODE_TEXT, jsonLength);
                writeRaw(c, buffer, frameOffset, headerLength + jsonLength, c.ws.closeAfterWrite);
            }
            else
            {
                final int at = WebSocketFrameEncoder.payloadOffset(0);
                out.putBytes(at, buffer, index + Long.BYTES, jsonLength);
                writeFrame(c, WebSocketFrameEncoder.finishFrame(out, 0, WebSocketFrameDecoder.OPCODE_TEXT, jsonLength));
            }
        }
        catch (final IOException ex)
        {
            frontend.closeConnection(c);
        }
    }

    /** The sweep's look at an upgraded connection: a ping after silence, a close after too much of it. */
    void timer(final HttpConnection c) throws IOException
    {
        final WebTorrentConnection ws = c.ws;
        switch (ws.session.dueAction(frontend.nowNs()))
        {
            case WebSocketSession.PING -> writeFrame(c, ws.session.writePing(out, 0));
            case WebSocketSession.EXPIRE ->
            {
                counters.idleCloses.incrementRelease();
                if (c.state == HttpConnection.WRITING)
                {
                    frontend.closeConnection(c); // it does not even read: no close frame would reach it
                    return;
                }
                ws.closeAfterWrite = true;
                writeFrame(c, ws.session.writeExpireClose(out, 0));
            }
            default ->
            {
            }
        }
    }

    /**
     * The connection closes: its peers leave their torrents' WebRTC sets (a stopped request each, under the
     * connection's current handle, whose answers find the slot reused and are dropped).
     */
    /**
     * The tracker is stopping and closes every connection: their peers stay in the WebRTC sets (and in
     * {@code webrtc.dat}), as the BitTorrent peers of a stopped tracker do, for the next start to count until they
     * re-announce or expire; no stopped request is published for them.
     */
    void shuttingDown()
    {
        shuttingDown = true;
    }

    void onClose(final HttpConnection c)
    {
        final WebTorrentConnection ws = c.ws;
        c.ws = null;
        if (ws.batch != null)
        {
            batchPool[freeBatches++] = ws.batch; // unsent frames of a connection that is gone
            ws.batch = null;
        }
        counters.connectionsOpen.setRelease(--openConnections);
        if (c.remote != null)
        {
            final int[] count = perIp.get(c.remote);
            if (count != null && --count[0] <= 0)
            {
                perIp.remove(c.remote);
            }
        }
        final RequestEvent e = scratch;
        for (int i = 0; i < ws.announcedCount && !shuttingDown; i++)
        {
            final int at = i * 2 * RequestEvent.HASH_LENGTH;
            e.kind = RequestEvent.KIND_WEBRTC_ANNOUNCE;
            System.arraycopy(ws.announced, at, e.infoHash, 0, RequestEvent.HASH_LENGTH);
            System.arraycopy(ws.announced, at + RequestEvent.HASH_LENGTH, e.peerId, 0, RequestEvent.HASH_LENGTH);
            e.event = RequestEvent.EVENT_STOPPED;
            e.userId = 0; // no passkey checked for it: the processor accounts it as a peer that left (see there)
            e.torrentId = 0;
            e.accounting = 0;
            e.offerCount = 0;
            e.scrapeCount = 0;
            e.left = 1;
            e.numWant = 0;
            e.frontendId = frontendId;
            e.correlationId = c.correlationId();
            e.receivedNs = frontend.nowNs();
            frontend.publishRequest(admission, e, RequestCounters.ACTION_ANNOUNCE, c.family); // lost when full: it expires
        }
        ws.announcedCount = 0;
    }

    private void writeFrame(final HttpConnection c, final int length) throws IOException
    {
        if (length > 0)
        {
            writeRaw(c, length, c.ws != null && c.ws.closeAfterWrite);
        }
        else if (c.ws != null && c.ws.closeAfterWrite && c.state == HttpConnection.READING)
        {
            frontend.closeConnection(c);
        }
    }

    /**
     * Writes {@code out[0, length)}: into the connection's batch, sent at the end of the duty cycle with every other
     * frame the cycle wrote to it ({@link #flushBatches}); queued behind what the socket has not taken yet; or, for a
     * closing frame, a frame larger than a batch, or with no batch buffer free, sent now (after the batch).
     */
    private void writeRaw(final HttpConnection c, final int length, final boolean closeAfter) throws IOException
    {
        writeRaw(c, out, 0, length, closeAfter);
    }

    /** {@link #writeRaw(HttpConnection, int, boolean)} of a frame laid out in {@code src[srcOffset, +length)}. */
    private void writeRaw(
        final HttpConnection c, final DirectBuffer src, final int srcOffset, final int length, final boolean closeAfter)
        throws IOException
    {
        final WebTorrentConnection ws = c.ws;
        if (ws != null && c.state == HttpConnection.READING)
        {
            if (ws.batch != null && (closeAfter || ws.batch.remaining() < length))
            {
                sendBatch(c, ws); // what came before goes first
            }
            if (!closeAfter && c.state == HttpConnection.READING && length <= BATCH_BYTES && batchFor(c, ws))
            {
                src.getBytes(srcOffset, ws.batch, ws.batch.position(), length);
                ws.batch.position(ws.batch.position() + length);
                return;
            }
            if (!c.isOpen())
            {
                return;
            }
        }
        if (src != out)
        {
            out.putBytes(0, src, srcOffset, length);
        }
        writeNow(c, length, closeAfter);
    }

    /** Gives the connection a batch buffer from the pool (listing it for the end of the cycle); false if none. */
    private boolean batchFor(final HttpConnection c, final WebTorrentConnection ws)
    {
        if (ws.batch != null)
        {
            return true;
        }
        if (dirtyCount == dirty.length)
        {
            return false;
        }
        if (freeBatches == 0)
        {
            if (batchesMade == MAX_BATCHES)
            {
                return false;
            }
            batchPool[freeBatches++] = ByteBuffer.allocateDirect(BATCH_BYTES); // grows with the cycle's fan-out, once
            batchesMade++;
        }
        ws.batch = batchPool[--freeBatches];
        ws.batch.clear();
        dirty[dirtyCount++] = c;
        return true;
    }

    private void sendBatch(final HttpConnection c, final WebTorrentConnection ws) throws IOException
    {
        final ByteBuffer batch = ws.batch;
        ws.batch = null;
        batchPool[freeBatches++] = batch;
        batch.flip();
        if (batch.hasRemaining())
        {
            frontend.sendQueued(c, batch, false); // what the socket does not take it copies into c.pending
        }
    }

    /**
     * Sends every connection's batch: one write per connection for all the frames of the cycle (its answers and
     * the offers and answers relayed to it). Called at the end of each duty cycle.
     */
    void flushBatches()
    {
        final int n = dirtyCount;
        dirtyCount = 0;
        for (int i = 0; i < n; i++)
        {
            final HttpConnection c = dirty[i];
            dirty[i] = null;
            final WebTorrentConnection ws = c.ws;
            if (ws == null || ws.batch == null)
            {
                continue; // closed meanwhile (its batch went back to the pool), or listed twice after a reuse
            }
            try
            {
                sendBatch(c, ws);
            }
            catch (final IOException ex)
            {
                frontend.closeConnection(c);
            }
        }
    }

    /** Writes {@code out[0, length)} now; queued behind what the socket has not taken yet. */
    private void writeNow(final HttpConnection c, final int length, final boolean closeAfter) throws IOException
    {
        outBytes.limit(length).position(0);
        if (c.state == HttpConnection.WRITING)
        {
            final ByteBuffer pending = c.pending;
            if (pending.remaining() + length > maxQueuedBytes)
            {
                frontend.closeConnection(c); // it does not read what it is sent
                return;
            }
            if (pending.capacity() - pending.limit() < length)
            {
                final ByteBuffer grown = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.remaining() + length));
                grown.put(pending);
                grown.flip();
                c.pending = grown;
            }
            final ByteBuffer p = c.pending;
            final int position = p.position();
            p.position(p.limit()).limit(p.limit() + length);
            p.put(outBytes);
            p.position(position);
            c.closeAfterWrite |= closeAfter;
            return;
        }
        frontend.sendQueued(c, outBytes, closeAfter);
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
