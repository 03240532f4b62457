package org.trackerd.io.webtorrent;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Writes the messages a WebTorrent tracker sends, as JSON text into a send buffer (usually at
 * {@code WebSocketFrameEncoder.payloadOffset} of the frame that will carry it):
 * <pre>
 * announce answer:  {"action":"announce","interval":120,"info_hash":"..","complete":1,"incomplete":2}
 * forwarded offer:  {"action":"announce","offer":{..as received..},"offer_id":"..","peer_id":"..","info_hash":".."}
 * relayed answer:   {"action":"announce","answer":{..as received..},"offer_id":"..","peer_id":"..","info_hash":".."}
 * scrape answer:    {"action":"scrape","files":{"&lt;hash&gt;":{"complete":1,"incomplete":2,"downloaded":3},..}}
 * failure:          {"failure reason":".."}  or  {"action":"announce","failure reason":"..","info_hash":".."}
 * </pre>
 * The npm client ignores an announce message whose info_hash is not its torrent's, and treats a message
 * without a known {@code action} as a broken tracker (it drops the socket and reconnects later), so a
 * failure about a request whose torrent is known carries both, as the reference server's does.
 *
 * <p>Ids are written as JavaScript binary strings the way {@code JSON.stringify} writes them: bytes
 * 0x00-0x1F as {@code \b \t \n \f \r} or {@code \}{@code u00xx}, {@code "} and {@code \} escaped, 0x20-0x7F as
 * themselves, 0x80-0xFF as the two UTF-8 bytes of U+0080..U+00FF. At most {@link #MAX_ID_JSON_LENGTH} bytes.
 * A relayed offer or answer value is copied byte for byte: the decoder checked it is JSON, and the WebSocket
 * decoder that it is UTF-8.
 *
 * <p>Every method returns the position after what it wrote. The caller makes sure of the room (the fixed
 * messages are under 300 bytes; a relay adds its value's length; a scrape 110 bytes per file).
 *
 * <p>Thread: stateless static functions, any thread.
 */
public final class WebTorrentResponseEncoder
{
    /** A 20-byte id as a JSON string, quotes included, at worst: 20 six-byte escapes and two quotes. */
    public static final int MAX_ID_JSON_LENGTH = 20 * 6 + 2;

    private static final byte[] ANNOUNCE_INTERVAL = ascii("{\"action\":\"announce\",\"interval\":");
    private static final byte[] INFO_HASH = ascii(",\"info_hash\":");
    private static final byte[] COMPLETE = ascii(",\"complete\":");
    private static final byte[] INCOMPLETE = ascii(",\"incomplete\":");
    private static final byte[] RELAY_OFFER = ascii("{\"action\":\"announce\",\"offer\":");
    private static final byte[] RELAY_ANSWER = ascii("{\"action\":\"announce\",\"answer\":");
    private static final byte[] OFFER_ID = ascii(",\"offer_id\":");
    private static final byte[] PEER_ID = ascii(",\"peer_id\":");
    private static final byte[] SCRAPE_START = ascii("{\"action\":\"scrape\",\"files\":{");
    private static final byte[] FILE_COMPLETE = ascii(":{\"complete\":");
    private static final byte[] DOWNLOADED = ascii(",\"downloaded\":");
    private static final byte[] SCRAPE_END = ascii("}}");
    private static final byte[] FAILURE = ascii("{\"failure reason\":");
    private static final byte[] ACTION_ANNOUNCE_FAILURE = ascii("{\"action\":\"announce\",\"failure reason\":");
    private static final byte[] ACTION_SCRAPE_FAILURE = ascii("{\"action\":\"scrape\",\"failure reason\":");
    private static final byte[] HEX = ascii("0123456789abcdef");

    private WebTorrentResponseEncoder()
    {
    }

    /** The answer to an announce (not sent for an answer message, as the reference does not). */
    public static int announce(
        final MutableDirectBuffer out, final int offset,
        final DirectBuffer infoHash, final int infoHashOffset,
        final int intervalSeconds, final int complete, final int incomplete)
    {
        int p = put(out, offset, ANNOUNCE_INTERVAL);
        p += out.putIntAscii(p, intervalSeconds);
        p = put(out, p, INFO_HASH);
        p = binaryString(out, p, infoHash, infoHashOffset);
        p = put(out, p, COMPLETE);
        p += out.putIntAscii(p, complete);
        p = put(out, p, INCOMPLETE);
        p += out.putIntAscii(p, incomplete);
        out.putByte(p++, (byte)'}');
        return p;
    }

    /** An offer forwarded to a peer of the swarm: {@code offer} is the JSON value as the offering peer sent it. */
    public static int offer(
        final MutableDirectBuffer out, final int offset,
        final DirectBuffer offer, final int offerOffset, final int offerLength,
        final DirectBuffer offerId, final int offerIdOffset,
        final DirectBuffer peerId, final int peerIdOffset,
        final DirectBuffer infoHash, final int infoHashOffset)
    {
        return relay(out, offset, RELAY_OFFER, offer, offerOffset, offerLength,
            offerId, offerIdOffset, peerId, peerIdOffset, infoHash, infoHashOffset);
    }

    /** An answer relayed to the peer that made the offer; {@code peerId} is the answering peer's. */
    public static int answer(
        final MutableDirectBuffer out, final int offset,
        final DirectBuffer answer, final int answerOffset, final int answerLength,
        final DirectBuffer offerId, final int offerIdOffset,
        final DirectBuffer peerId, final int peerIdOffset,
        final DirectBuffer infoHash, final int infoHashOffset)
    {
        return relay(out, offset, RELAY_ANSWER, answer, answerOffset, answerLength,
            offerId, offerIdOffset, peerId, peerIdOffset, infoHash, infoHashOffset);
    }

    /** Opens a scrape answer; follow with {@link #scrapeFile} per torrent and {@link #scrapeEnd}. */
    public static int scrapeStart(final MutableDirectBuffer out, final int offset)
    {
        return put(out, offset, SCRAPE_START);
    }

    /** One torrent of a scrape answer; {@code first} for the first one (no comma before it). */
    public static int scrapeFile(
        final MutableDirectBuffer out, final int offset, final boolean first,
        final DirectBuffer infoHash, final int infoHashOffset,
        final int complete, final int incomplete, final long downloaded)
    {
        int p = offset;
        if (!first)
        {
            out.putByte(p++, (byte)',');
        }
        p = binaryString(out, p, infoHash, infoHashOffset);
        p = put(out, p, FILE_COMPLETE);
        p += out.putIntAscii(p, complete);
        p = put(out, p, INCOMPLETE);
        p += out.putIntAscii(p, incomplete);
        p = put(out, p, DOWNLOADED);
        p += out.putLongAscii(p, downloaded);
        out.putByte(p++, (byte)'}');
        return p;
    }

    public static int scrapeEnd(final MutableDirectBuffer out, final int offset)
    {
        return put(out, offset, SCRAPE_END);
    }

    /** {@code {"failure reason":".."}} for a message that could not be read at all. {@code reason} is ASCII. */
    public static int failure(final MutableDirectBuffer out, final int offset, final byte[] reason)
    {
        int p = put(out, offset, FAILURE);
        p = asciiString(out, p, reason);
        out.putByte(p++, (byte)'}');
        return p;
    }

    /**
     * A failure about an announce or scrape of a known torrent: the npm client shows it as a warning and keeps
     * the socket. {@code infoHash} may be null (then only the action is added).
     */
    public static int failure(
        final MutableDirectBuffer out, final int offset, final int action, final byte[] reason,
        final DirectBuffer infoHash, final int infoHashOffset)
    {
        int p = put(out, offset,
            action == WebTorrentRequest.ACTION_SCRAPE ? ACTION_SCRAPE_FAILURE : ACTION_ANNOUNCE_FAILURE);
        p = asciiString(out, p, reason);
        if (infoHash != null)
        {
            p = put(out, p, INFO_HASH);
            p = binaryString(out, p, infoHash, infoHashOffset);
        }
        out.putByte(p++, (byte)'}');
        return p;
    }

    /** A 20-byte id as a JSON binary string, quotes included. */
    public static int binaryString(
        final MutableDirectBuffer out, final int offset, final DirectBuffer id, final int idOffset)
    {
        int p = offset;
        out.putByte(p++, (byte)'"');
        for (int i = 0; i < WebTorrentRequest.ID_LENGTH; i++)
        {
            final int b = id.getByte(idOffset + i) & 0xFF;
            if (b >= 0x80)
            {
                out.putByte(p++, (byte)(0xC0 | (b >>> 6)));
                out.putByte(p++, (byte)(0x80 | (b & 0x3F)));
            }
            else if (b >= 0x20)
            {
                if (b == '"' || b == '\\')
                {
                    out.putByte(p++, (byte)'\\');
                }
                out.putByte(p++, (byte)b);
            }
            else
            {
                p = control(out, p, b);
            }
        }
        out.putByte(p++, (byte)'"');
        return p;
    }

    private static int control(final MutableDirectBuffer out, final int offset, final int b)
    {
        int p = offset;
        out.putByte(p++, (byte)'\\');
        switch (b)
        {
            case '\b':
                out.putByte(p++, (byte)'b');
                break;
            case '\t':
                out.putByte(p++, (byte)'t');
                break;
            case '\n':
                out.putByte(p++, (byte)'n');
                break;
            case '\f':
                out.putByte(p++, (byte)'f');
                break;
            case '\r':
                out.putByte(p++, (byte)'r');
                break;
            default:
                out.putByte(p++, (byte)'u');
                out.putByte(p++, (byte)'0');
                out.putByte(p++, (byte)'0');
                out.putByte(p++, HEX[b >>> 4]);
                out.putByte(p++, HEX[b & 0xF]);
                break;
        }
        return p;
    }

    private static int relay(
        final MutableDirectBuffer out, final int offset, final byte[] head,
        final DirectBuffer value, final int valueOffset, final int valueLength,
        final DirectBuffer offerId, final int offerIdOffset,
        final DirectBuffer peerId, final int peerIdOffset,
        final DirectBuffer infoHash, final int infoHashOffset)
    {
        int p = put(out, offset, head);
        out.putBytes(p, value, valueOffset, valueLength);
        p += valueLength;
        return relayTail(out, p, offerId, offerIdOffset, peerId, peerIdOffset, infoHash, infoHashOffset);
    }

    /** Bytes before the value of a forwarded offer ({@link #relayHead}): {@code {"action":"announce","offer":}. */
    public static final int OFFER_HEAD_LENGTH = RELAY_OFFER.length;
    /** Bytes before the value of a relayed answer ({@link #relayHead}). */
    public static final int ANSWER_HEAD_LENGTH = RELAY_ANSWER.length;

    /**
     * A forwarded offer ({@code answer} false) or relayed answer in parts, for a caller that writes the message
     * straight into a ring once it knows its length: this head, the value as received, then {@link #relayTail}.
     */
    public static int relayHead(final MutableDirectBuffer out, final int offset, final boolean answer)
    {
        return put(out, offset, answer ? RELAY_ANSWER : RELAY_OFFER);
    }

    /** What follows a relayed value: {@code ,"offer_id":..,"peer_id":..,"info_hash":..}} (see {@link #offer}). */
    public static int relayTail(
        final MutableDirectBuffer out, final int offset,
        final DirectBuffer offerId, final int offerIdOffset,
        final DirectBuffer peerId, final int peerIdOffset,
        final DirectBuffer infoHash, final int infoHashOffset)
    {
        int p = put(out, offset, OFFER_ID);
        p = binaryString(out, p, offerId, offerIdOffset);
        p = put(out, p, PEER_ID);
        p = binaryString(out, p, peerId, peerIdOffset);
        p = put(out, p, INFO_HASH);
        p = binaryString(out, p, infoHash, infoHashOffset);
        out.putByte(p++, (byte)'}');
        return p;
    }

    /** A reason text as a JSON string; the texts are the decoder's ASCII constants (quotes escaped anyway). */
    private static int asciiString(final MutableDirectBuffer out, final int offset, final byte[] text)
    {
        int p = offset;
        out.putByte(p++, (byte)'"');
        for (final byte b : text)
        {
            if (b == '"' || b == '\\')
            {
                out.putByte(p++, (byte)'\\');
            }
            if (b >= 0x20)
            {
                out.putByte(p++, b);
            }
        }
        out.putByte(p++, (byte)'"');
        return p;
    }

    private static int put(final MutableDirectBuffer out, final int offset, final byte[] bytes)
    {
        out.putBytes(offset, bytes);
        return offset + bytes.length;
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
