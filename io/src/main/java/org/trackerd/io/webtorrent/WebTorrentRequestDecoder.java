package org.trackerd.io.webtorrent;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Reads one client message of the WebTorrent tracker protocol (as the npm {@code bittorrent-tracker} 11.x
 * client and {@code webtorrent} 3.x send it) into a {@link WebTorrentRequest}:
 * <pre>
 * announce: {"numwant":5,"uploaded":0,"downloaded":0,"left":1024,"event":"started","action":"announce",
 *            "info_hash":"&lt;20 chars&gt;","peer_id":"&lt;20 chars&gt;",
 *            "offers":[{"offer":{"type":"offer","sdp":"v=0\r\n..."},"offer_id":"&lt;20 chars&gt;"}, ...]}
 * answer:   {"action":"announce","info_hash":"..","peer_id":"..","to_peer_id":"..",
 *            "answer":{"type":"answer","sdp":".."},"offer_id":".."}
 * scrape:   {"action":"scrape","info_hash":"&lt;20 chars&gt;"}  or  "info_hash":["..",".."]
 * </pre>
 * A "20 chars" field is a JavaScript binary string: each character is one byte (U+0000..U+00FF, so UTF-8
 * takes two bytes for those above U+007F, and JSON may escape any of them as {@code \}{@code u00XX}). Members
 * may come in any order; unknown members (such as {@code trackerid}) are skipped; a repeated member counts as
 * its last occurrence, as {@code JSON.parse} does.
 *
 * <p>Errors are the client's own mistakes and are answered with a {@code failure reason} ({@link #reason}):
 * malformed JSON, a member of the wrong type, an id that is not 20 binary characters, an unknown action or
 * event, an offer or answer that is not {@code {type, sdp}} strings. The texts of the reference server are
 * kept where it has one ({@code invalid info_hash}, {@code invalid peer_id}, ...).
 *
 * <p>Thread: one instance per frontend thread; allocation-free.
 */
public final class WebTorrentRequestDecoder
{
    public static final int OK = 0;
    public static final int ERROR_MALFORMED_JSON = 1;
    public static final int ERROR_NOT_AN_OBJECT = 2;
    public static final int ERROR_INVALID_ACTION = 3;
    public static final int ERROR_INVALID_INFO_HASH = 4;
    public static final int ERROR_INVALID_PEER_ID = 5;
    public static final int ERROR_INVALID_TO_PEER_ID = 6;
    public static final int ERROR_INVALID_OFFER_ID = 7;
    public static final int ERROR_INVALID_OFFERS = 8;
    public static final int ERROR_INVALID_ANSWER = 9;
    public static final int ERROR_INVALID_EVENT = 10;
    public static final int ERROR_INVALID_NUMBER = 11;
    public static final int ERROR_TOO_MANY_INFO_HASHES = 12;
    public static final int ERROR_TOO_DEEP = 13;

    private static final byte[][] REASONS = {
        ascii("ok"),
        ascii("malformed JSON"),
        ascii("message is not a JSON object"),
        ascii("invalid action in WS request"),
        ascii("invalid info_hash"),
        ascii("invalid peer_id"),
        ascii("invalid `to_peer_id` (required with `answer`)"),
        ascii("invalid offer_id"),
        ascii("invalid offers"),
        ascii("invalid answer"),
        ascii("invalid event"),
        ascii("invalid number in announce"),
        ascii("too many info_hash values in one scrape"),
        ascii("JSON nested too deeply"),
    };

    /** Top-level object, offers array, offer object, offer value object, and one more for slack. */
    private static final int MAX_DEPTH = 5;

    private static final byte[] ACTION = ascii("action");
    private static final byte[] INFO_HASH = ascii("info_hash");
    private static final byte[] PEER_ID = ascii("peer_id");
    private static final byte[] NUMWANT = ascii("numwant");
    private static final byte[] UPLOADED = ascii("uploaded");
    private static final byte[] DOWNLOADED = ascii("downloaded");
    private static final byte[] LEFT = ascii("left");
    private static final byte[] EVENT = ascii("event");
    private static final byte[] OFFERS = ascii("offers");
    private static final byte[] OFFER = ascii("offer");
    private static final byte[] OFFER_ID = ascii("offer_id");
    private static final byte[] ANSWER = ascii("answer");
    private static final byte[] TO_PEER_ID = ascii("to_peer_id");
    private static final byte[] TYPE = ascii("type");
    private static final byte[] SDP = ascii("sdp");
    private static final byte[] V_ANNOUNCE = ascii("announce");
    private static final byte[] V_SCRAPE = ascii("scrape");
    private static final byte[] V_STARTED = ascii("started");
    private static final byte[] V_STOPPED = ascii("stopped");
    private static final byte[] V_COMPLETED = ascii("completed");
    private static final byte[] V_UPDATE = ascii("update");
    private static final byte[] V_PAUSED = ascii("paused");

    private final JsonScanner json = new JsonScanner(MAX_DEPTH);
    private final byte[] scratchId = new byte[WebTorrentRequest.ID_LENGTH];
    private int error;
    /** Where the last session description's opening brace is. */
    private int descriptionStart;

    /** The failure reason text for an error code, as UTF-8 (ASCII) bytes. */
    public static byte[] reason(final int error)
    {
        return REASONS[error];
    }

    /** The scanner's error of the last {@link #ERROR_MALFORMED_JSON} (a {@code JsonScanner.ERROR_*}). */
    public int jsonError()
    {
        return json.error();
    }

    /**
     * Decodes the message in {@code buffer[offset, offset + length)} into {@code request}. Returns {@link #OK}
     * or an error code; on error the request's contents are unspecified.
     */
    public int decode(final DirectBuffer buffer, final int offset, final int length, final WebTorrentRequest request)
    {
        request.reset();
        error = OK;
        json.wrap(buffer, offset, length);
        int token = json.next();
        if (token != JsonScanner.BEGIN_OBJECT)
        {
            return token == JsonScanner.ERROR ? jsonFailure() : ERROR_NOT_AN_OBJECT;
        }
        while ((token = json.next()) == JsonScanner.NAME)
        {
            if (!member(request))
            {
                return error;
            }
        }
        if (token != JsonScanner.END_OBJECT || json.next() != JsonScanner.END)
        {
            return jsonFailure();
        }
        return validate(request);
    }

    private boolean member(final WebTorrentRequest request)
    {
        if (json.tokenEquals(ACTION))
        {
            final int token = json.next();
            if (token == JsonScanner.STRING && json.tokenEquals(V_ANNOUNCE))
            {
                request.action = WebTorrentRequest.ACTION_ANNOUNCE;
                return true;
            }
            if (token == JsonScanner.STRING && json.tokenEquals(V_SCRAPE))
            {
                request.action = WebTorrentRequest.ACTION_SCRAPE;
                return true;
            }
            return fail(token, ERROR_INVALID_ACTION);
        }
        if (json.tokenEquals(INFO_HASH))
        {
            return infoHash(request);
        }
        if (json.tokenEquals(PEER_ID))
        {
            request.hasPeerId = true;
            return id(request.peerId.byteArray(), 0, ERROR_INVALID_PEER_ID);
        }
        if (json.tokenEquals(OFFERS))
        {
            return offers(request);
        }
        if (json.tokenEquals(ANSWER))
        {
            final int token = json.next();
            if (token != JsonScanner.BEGIN_OBJECT || !sessionDescription())
            {
                return fail(token, ERROR_INVALID_ANSWER);
            }
            request.hasAnswer = true;
            request.answerValueOffset = descriptionStart;
            request.answerValueLength = json.position() - descriptionStart;
            return true;
        }
        if (json.tokenEquals(TO_PEER_ID))
        {
            request.hasToPeerId = true;
            return id(request.toPeerId.byteArray(), 0, ERROR_INVALID_TO_PEER_ID);
        }
        if (json.tokenEquals(OFFER_ID))
        {
            request.hasOfferId = true;
            return id(request.offerId.byteArray(), 0, ERROR_INVALID_OFFER_ID);
        }
        if (json.tokenEquals(NUMWANT))
        {
            final long n = number(Integer.MAX_VALUE);
            request.numwant = (int)n;
            return error == OK;
        }
        if (json.tokenEquals(UPLOADED))
        {
            request.uploaded = number(Long.MAX_VALUE);
            return error == OK;
        }
        if (json.tokenEquals(DOWNLOADED))
        {
            request.downloaded = number(Long.MAX_VALUE);
            return error == OK;
        }
        if (json.tokenEquals(LEFT))
        {
            request.left = number(Long.MAX_VALUE);
            return error == OK;
        }
        if (json.tokenEquals(EVENT))
        {
            return event(request);
        }
        final int token = json.next();
        return json.skipValue(token) || jsonFailure() == OK;
    }

    private boolean infoHash(final WebTorrentRequest request)
    {
        int token = json.next();
        request.infoHashCount = 0;
        request.infoHashInvalid = false;
        if (token == JsonScanner.STRING)
        {
            request.infoHashArray = false;
            return hashString(request);
        }
        if (token != JsonScanner.BEGIN_ARRAY)
        {
            return fail(token, ERROR_INVALID_INFO_HASH);
        }
        request.infoHashArray = true;
        while ((token = json.next()) == JsonScanner.STRING)
        {
            if (!hashString(request))
            {
                return false;
            }
        }
        return token == JsonScanner.END_ARRAY || fail(token, ERROR_INVALID_INFO_HASH);
    }

    private boolean hashString(final WebTorrentRequest request)
    {
        if (request.infoHashCount == request.maxInfoHashes)
        {
            error = ERROR_TOO_MANY_INFO_HASHES;
            return false;
        }
        final int at = WebTorrentRequest.ID_LENGTH * request.infoHashCount;
        if (json.binaryString(request.infoHashes.byteArray(), at, WebTorrentRequest.ID_LENGTH) !=
            WebTorrentRequest.ID_LENGTH)
        {
            error = ERROR_INVALID_INFO_HASH;
            return false;
        }
        request.infoHashCount++;
        return true;
    }

    /** A 20-character binary string into {@code dst[at, at + 20)}. */
    private boolean id(final byte[] dst, final int at, final int errorCode)
    {
        final int token = json.next();
        if (token != JsonScanner.STRING ||
            json.binaryString(dst, at, WebTorrentRequest.ID_LENGTH) != WebTorrentRequest.ID_LENGTH)
        {
            return fail(token, errorCode);
        }
        return true;
    }

    private boolean offers(final WebTorrentRequest request)
    {
        int token = json.next();
        request.offerCount = 0;
        request.offersDropped = 0;
        if (token == JsonScanner.NULL)
        {
            return true;
        }
        if (token != JsonScanner.BEGIN_ARRAY)
        {
            return fail(token, ERROR_INVALID_OFFERS);
        }
        while ((token = json.next()) == JsonScanner.BEGIN_OBJECT)
        {
            if (!offer(request))
            {
                return false;
            }
        }
        return token == JsonScanner.END_ARRAY || fail(token, ERROR_INVALID_OFFERS);
    }

    /** One {@code {"offer":{...},"offer_id":".."}}, its opening brace read. */
    private boolean offer(final WebTorrentRequest request)
    {
        final int i = request.offerCount;
        final boolean kept = i < request.maxOffers;
        boolean hasOffer = false;
        boolean hasId = false;
        int token;
        while ((token = json.next()) == JsonScanner.NAME)
        {
            if (json.tokenEquals(OFFER))
            {
                token = json.next();
                if (token != JsonScanner.BEGIN_OBJECT || !sessionDescription())
                {
                    return fail(token, ERROR_INVALID_OFFERS);
                }
                hasOffer = true;
                if (kept)
                {
                    request.offerValueOffset[i] = descriptionStart;
                    request.offerValueLength[i] = json.position() - descriptionStart;
                }
            }
            else if (json.tokenEquals(OFFER_ID))
            {
                token = json.next();
                if (token != JsonScanner.STRING || (kept ? json.binaryString(request.offerIds.byteArray(),
                    WebTorrentRequest.ID_LENGTH * i, WebTorrentRequest.ID_LENGTH) : idLengthOfToken()) !=
                    WebTorrentRequest.ID_LENGTH)
                {
                    return fail(token, ERROR_INVALID_OFFER_ID);
                }
                hasId = true;
            }
            else if (!json.skipValue(json.next()))
            {
                return jsonFailure() == OK;
            }
        }
        if (token != JsonScanner.END_OBJECT)
        {
            return fail(token, ERROR_INVALID_OFFERS);
        }
        if (!hasOffer || !hasId)
        {
            error = hasOffer ? ERROR_INVALID_OFFER_ID : ERROR_INVALID_OFFERS;
            return false;
        }
        if (kept)
        {
            request.offerCount++;
        }
        else
        {
            request.offersDropped++;
        }
        return true;
    }

    /** Checks an offer_id past the kept offers without storing it. */
    private int idLengthOfToken()
    {
        return json.binaryString(scratchId, 0, WebTorrentRequest.ID_LENGTH);
    }

    /**
     * A session description {@code {"type":"..","sdp":".."}} whose opening brace was just read: both strings
     * present, other members skipped (simple-peer adds none today). Leaves the scanner after its closing brace.
     */
    private boolean sessionDescription()
    {
        descriptionStart = json.valueStart();
        boolean type = false;
        boolean sdp = false;
        int token;
        while ((token = json.next()) == JsonScanner.NAME)
        {
            if (json.tokenEquals(TYPE))
            {
                type = json.next() == JsonScanner.STRING;
                if (!type)
                {
                    return false;
                }
            }
            else if (json.tokenEquals(SDP))
            {
                sdp = json.next() == JsonScanner.STRING;
                if (!sdp)
                {
                    return false;
                }
            }
            else if (!json.skipValue(json.next()))
            {
                return false;
            }
        }
        return token == JsonScanner.END_OBJECT && type && sdp;
    }

    /** A number member: a JSON number in 0..max, or null (unknown, -1). */
    private long number(final long max)
    {
        final int token = json.next();
        if (token == JsonScanner.NULL)
        {
            return WebTorrentRequest.UNKNOWN;
        }
        if (token != JsonScanner.NUMBER)
        {
            fail(token, ERROR_INVALID_NUMBER);
            return 0;
        }
        final long value = json.longValue();
        if (value < 0)
        {
            error = ERROR_INVALID_NUMBER;
            return 0;
        }
        return Math.min(value, max);
    }

    private boolean event(final WebTorrentRequest request)
    {
        final int token = json.next();
        if (token == JsonScanner.NULL)
        {
            request.event = WebTorrentRequest.EVENT_NONE;
            return true;
        }
        if (token != JsonScanner.STRING)
        {
            return fail(token, ERROR_INVALID_EVENT);
        }
        if (json.tokenLength() == 0 || json.tokenEquals(V_UPDATE))
        {
            request.event = WebTorrentRequest.EVENT_NONE;
        }
        else if (json.tokenEquals(V_STARTED))
        {
            request.event = WebTorrentRequest.EVENT_STARTED;
        }
        else if (json.tokenEquals(V_STOPPED))
        {
            request.event = WebTorrentRequest.EVENT_STOPPED;
        }
        else if (json.tokenEquals(V_COMPLETED))
        {
            request.event = WebTorrentRequest.EVENT_COMPLETED;
        }
        else if (json.tokenEquals(V_PAUSED))
        {
            request.event = WebTorrentRequest.EVENT_PAUSED;
        }
        else
        {
            error = ERROR_INVALID_EVENT;
            return false;
        }
        return true;
    }

    private int validate(final WebTorrentRequest request)
    {
        if (request.action == WebTorrentRequest.ACTION_ANNOUNCE)
        {
            if (request.infoHashCount != 1 || request.infoHashArray)
            {
                return ERROR_INVALID_INFO_HASH;
            }
            if (!request.hasPeerId)
            {
                return ERROR_INVALID_PEER_ID;
            }
            if (request.hasAnswer && !request.hasToPeerId)
            {
                return ERROR_INVALID_TO_PEER_ID;
            }
            if (request.hasAnswer && !request.hasOfferId)
            {
                return ERROR_INVALID_OFFER_ID;
            }
            return OK;
        }
        if (request.action == WebTorrentRequest.ACTION_SCRAPE)
        {
            return OK;
        }
        return ERROR_INVALID_ACTION;
    }

    /** A member's value had the wrong shape: malformed JSON wins over the member's own error. */
    private boolean fail(final int token, final int errorCode)
    {
        error = token == JsonScanner.ERROR ? jsonError(json.error()) : errorCode;
        return false;
    }

    private int jsonFailure()
    {
        error = json.error() == 0 ? ERROR_MALFORMED_JSON : jsonError(json.error());
        return error;
    }

    private static int jsonError(final int scannerError)
    {
        return scannerError == JsonScanner.ERROR_TOO_DEEP ? ERROR_TOO_DEEP : ERROR_MALFORMED_JSON;
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
