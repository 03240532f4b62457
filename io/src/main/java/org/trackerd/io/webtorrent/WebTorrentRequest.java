package org.trackerd.io.webtorrent;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One decoded client message of the WebTorrent tracker protocol, reused for every message of a thread. Binary
 * fields (info_hash, peer_id, offer_id, to_peer_id) are raw bytes in fixed buffers; an offer's or an answer's
 * session description stays where it was in the input, as the position and length of its whole JSON value
 * ({@code {"type":"offer","sdp":"..."}}), because the tracker relays it verbatim and never reads the SDP.
 * Those positions are valid until the input buffer is reused (the next WebSocket message of the connection).
 *
 * <p>Thread: owned by the frontend thread that decodes into it; not thread-safe.
 */
public final class WebTorrentRequest
{
    public static final int ACTION_ANNOUNCE = 1;
    public static final int ACTION_SCRAPE = 2;

    /** No event (a periodic announce), also for {@code ""} and {@code "update"}, which the reference treats so. */
    public static final int EVENT_NONE = 0;
    public static final int EVENT_STARTED = 1;
    public static final int EVENT_COMPLETED = 2;
    public static final int EVENT_STOPPED = 3;
    /** BEP 21's partial seed: still in the swarm, not downloading. */
    public static final int EVENT_PAUSED = 4;

    /** A counter that was absent or {@code null} (the npm client sends {@code left: null} for Infinity). */
    public static final long UNKNOWN = -1;

    public static final int ID_LENGTH = 20;

    int action;
    final int maxInfoHashes;
    final UnsafeBuffer infoHashes;
    int infoHashCount;
    /** info_hash came as a JSON array (scrape's form for several torrents). */
    boolean infoHashArray;
    boolean infoHashInvalid;
    final UnsafeBuffer peerId = new UnsafeBuffer(new byte[ID_LENGTH]);
    boolean hasPeerId;
    int numwant;
    long uploaded;
    long downloaded;
    long left;
    int event;

    final int maxOffers;
    int offerCount;
    int offersDropped;
    final UnsafeBuffer offerIds;
    final int[] offerValueOffset;
    final int[] offerValueLength;

    boolean hasAnswer;
    int answerValueOffset;
    int answerValueLength;
    final UnsafeBuffer toPeerId = new UnsafeBuffer(new byte[ID_LENGTH]);
    boolean hasToPeerId;
    final UnsafeBuffer offerId = new UnsafeBuffer(new byte[ID_LENGTH]);
    boolean hasOfferId;

    /**
     * @param maxOffers     offers kept from one announce; more are counted in {@link #offersDropped()} and
     *                      left out (the npm client sends at most 5, the reference server relays up to 82)
     * @param maxInfoHashes info_hashes one scrape may name
     */
    public WebTorrentRequest(final int maxOffers, final int maxInfoHashes)
    {
        this.maxOffers = maxOffers;
        this.maxInfoHashes = maxInfoHashes;
        this.infoHashes = new UnsafeBuffer(new byte[ID_LENGTH * Math.max(1, maxInfoHashes)]);
        this.offerIds = new UnsafeBuffer(new byte[ID_LENGTH * Math.max(1, maxOffers)]);
        this.offerValueOffset = new int[maxOffers];
        this.offerValueLength = new int[maxOffers];
        reset();
    }

    void reset()
    {
        action = 0;
        infoHashCount = 0;
        infoHashArray = false;
        infoHashInvalid = false;
        hasPeerId = false;
        numwant = -1;
        uploaded = UNKNOWN;
        downloaded = UNKNOWN;
        left = UNKNOWN;
        event = EVENT_NONE;
        offerCount = 0;
        offersDropped = 0;
        hasAnswer = false;
        hasToPeerId = false;
        hasOfferId = false;
    }

    /** {@link #ACTION_ANNOUNCE} or {@link #ACTION_SCRAPE}. */
    public int action()
    {
        return action;
    }

    /** The info_hashes, 20 bytes each from offset 0 (one for an announce; zero for a scrape of everything). */
    public UnsafeBuffer infoHashes()
    {
        return infoHashes;
    }

    public int infoHashCount()
    {
        return infoHashCount;
    }

    public UnsafeBuffer peerId()
    {
        return peerId;
    }

    /** The client's numwant, or -1 when absent (the reference derives the peer count from the offers). */
    public int numwant()
    {
        return numwant;
    }

    public long uploaded()
    {
        return uploaded;
    }

    public long downloaded()
    {
        return downloaded;
    }

    /** Bytes left, or {@link #UNKNOWN}. */
    public long left()
    {
        return left;
    }

    public int event()
    {
        return event;
    }

    public int offerCount()
    {
        return offerCount;
    }

    /** Offers past {@code maxOffers} that were left out (count them; the client's offer just times out). */
    public int offersDropped()
    {
        return offersDropped;
    }

    /** The offer_ids, 20 bytes each: offer {@code i} at {@code 20 * i}. */
    public UnsafeBuffer offerIds()
    {
        return offerIds;
    }

    /** Where offer {@code i}'s JSON value ({@code {"type":"offer","sdp":...}}) sits in the input. */
    public int offerValueOffset(final int i)
    {
        return offerValueOffset[i];
    }

    public int offerValueLength(final int i)
    {
        return offerValueLength[i];
    }

    /** True for an answer message (the npm client sends it as an announce with {@code answer}). */
    public boolean hasAnswer()
    {
        return hasAnswer;
    }

    public int answerValueOffset()
    {
        return answerValueOffset;
    }

    public int answerValueLength()
    {
        return answerValueLength;
    }

    /** With an answer: the peer whose offer it answers. */
    public UnsafeBuffer toPeerId()
    {
        return toPeerId;
    }

    /** With an answer: the offer it answers. */
    public UnsafeBuffer offerId()
    {
        return offerId;
    }
}
