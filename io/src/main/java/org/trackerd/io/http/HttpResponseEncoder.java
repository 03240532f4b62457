package org.trackerd.io.http;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.io.codec.BencodeWriter;

import java.nio.charset.StandardCharsets;

/**
 * Encodes tracker responses as complete HTTP/1.1 messages. The body is written first at {@link #BODY_OFFSET},
 * then the head is placed immediately before it, so the message is contiguous from {@link #start()} to
 * {@link #end()} without a copy.
 *
 * <p>Thread: one instance per frontend thread; not thread-safe.
 */
public final class HttpResponseEncoder
{
    /** Room reserved before the body for the status line and headers. */
    public static final int BODY_OFFSET = 256;

    private static final byte[] K_COMPLETE = BencodeWriter.encodeString("complete");
    private static final byte[] K_DOWNLOADED = BencodeWriter.encodeString("downloaded");
    private static final byte[] K_INCOMPLETE = BencodeWriter.encodeString("incomplete");
    private static final byte[] K_INTERVAL = BencodeWriter.encodeString("interval");
    private static final byte[] K_MIN_INTERVAL = BencodeWriter.encodeString("min interval");
    private static final byte[] K_PEERS = BencodeWriter.encodeString("peers");
    private static final byte[] K_PEERS6 = BencodeWriter.encodeString("peers6");
    private static final byte[] K_IP = BencodeWriter.encodeString("ip");
    private static final byte[] K_PEER_ID = BencodeWriter.encodeString("peer id");
    private static final byte[] K_PORT = BencodeWriter.encodeString("port");
    private static final byte[] K_FILES = BencodeWriter.encodeString("files");
    private static final byte[] K_FAILURE_REASON = BencodeWriter.encodeString("failure reason");
    private static final byte[] K_RETRY_IN = BencodeWriter.encodeString("retry in");

    private static final byte[] STATUS_200 = ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ");
    private static final byte[] KEEP_ALIVE = ascii("\r\nConnection: keep-alive\r\n\r\n");
    private static final byte[] CLOSE = ascii("\r\nConnection: close\r\n\r\n");

    private final BencodeWriter writer = new BencodeWriter();
    private final UnsafeBuffer head = new UnsafeBuffer(new byte[BODY_OFFSET]);
    private int start;
    private int end;

    /** Largest message {@link #announce} or {@link #scrape} can produce for these limits. */
    public static int maxMessageBytes(final int maxPeers, final int maxScrapeHashes)
    {
        // dict peer: d2:ip39:<ipv6 text>7:peer id20:<id>4:porti65535ee  is under 110 bytes
        return BODY_OFFSET + 256 + maxPeers * 110 + maxScrapeHashes * 100;
    }

    public int start()
    {
        return start;
    }

    public int end()
    {
        return end;
    }

    public void announce(final MutableDirectBuffer out, final ResponseEvent r, final boolean keepAlive)
    {
        final BencodeWriter w = writer.wrap(out, BODY_OFFSET);
        w.dictStart()
            .raw(K_COMPLETE).integer(r.complete)
            .raw(K_DOWNLOADED).integer(r.downloaded)
            .raw(K_INCOMPLETE).integer(r.incomplete)
            .raw(K_INTERVAL).integer(r.intervalSeconds)
            .raw(K_MIN_INTERVAL).integer(r.minIntervalSeconds);
        if ((r.context & QueryParser.CONTEXT_COMPACT) != 0)
        {
            // The engine wrote the peers in wire form (BEP 23 peers, BEP 7 peers6): one copy per family.
            w.raw(K_PEERS).bytesHeader(r.compact4Count * ResponseEvent.COMPACT4)
                .put(r.compact4, 0, r.compact4Count * ResponseEvent.COMPACT4);
            if (r.compact6Count > 0)
            {
                w.raw(K_PEERS6).bytesHeader(r.compact6Count * ResponseEvent.COMPACT6)
                    .put(r.compact6, 0, r.compact6Count * ResponseEvent.COMPACT6);
            }
        }
        else
        {
            final boolean withPeerId = (r.context & QueryParser.CONTEXT_NO_PEER_ID) == 0;
            w.raw(K_PEERS).listStart();
            for (int i = 0; i < r.peerCount; i++)
            {
                w.dictStart().raw(K_IP);
                writeIpText(w, r.peerAddrs, i * RequestEvent.ADDRESS_LENGTH);
                if (withPeerId)
                {
                    w.raw(K_PEER_ID).bytes(r.peerIds, i * RequestEvent.HASH_LENGTH, RequestEvent.HASH_LENGTH);
                }
                w.raw(K_PORT).integer(r.peerPorts[i]).end();
            }
            w.end();
        }
        w.end();
        finish(out, w.position(), keepAlive);
    }

    public void scrape(final MutableDirectBuffer out, final ResponseEvent r, final boolean keepAlive)
    {
        final BencodeWriter w = writer.wrap(out, BODY_OFFSET);
        w.dictStart().raw(K_FILES).dictStart();
        // Bencode wants sorted keys: insertion-sort the few dozen indices by hash, no allocation.
        final int n = r.scrapeCount;
        final int[] order = ensureOrder(n);
        for (int i = 0; i < n; i++)
        {
            int j = i;
            while (j > 0 && compareHash(r.scrapeHashes, order[j - 1], i) > 0)
            {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
        for (int k = 0; k < n; k++)
        {
            final int i = order[k];
            if (k > 0 && compareHash(r.scrapeHashes, order[k - 1], i) == 0)
            {
                continue; // a hash asked twice appears once
            }
            w.bytes(r.scrapeHashes, i * RequestEvent.HASH_LENGTH, RequestEvent.HASH_LENGTH)
                .dictStart()
                .raw(K_COMPLETE).integer(r.scrapeComplete[i])
                .raw(K_DOWNLOADED).integer(r.scrapeDownloaded[i])
                .raw(K_INCOMPLETE).integer(r.scrapeIncomplete[i])
                .end();
        }
        w.end().end();
        finish(out, w.position(), keepAlive);
    }

    private int[] order = new int[128];

    private int[] ensureOrder(final int n)
    {
        if (order.length < n)
        {
            order = new int[n];
        }
        return order;
    }

    private static int compareHash(final byte[] hashes, final int a, final int b)
    {
        return java.util.Arrays.compareUnsigned(hashes, a * 20, a * 20 + 20, hashes, b * 20, b * 20 + 20);
    }

    /** A BEP 3 error: HTTP 200 with a {@code failure reason}; {@code retryInMinutes} > 0 adds BEP 31's hint. */
    public void failure(final MutableDirectBuffer out, final byte[] reason, final int retryInMinutes,
        final boolean keepAlive)
    {
        final BencodeWriter w = writer.wrap(out, BODY_OFFSET);
        w.dictStart().raw(K_FAILURE_REASON).bytes(reason, 0, reason.length);
        if (retryInMinutes > 0)
        {
            w.raw(K_RETRY_IN).integer(retryInMinutes);
        }
        w.end();
        finish(out, w.position(), keepAlive);
    }

    /** HTTP 200 with {@code body} as it is (site control's plain-text answers). */
    public void body(final MutableDirectBuffer out, final byte[] body, final boolean keepAlive)
    {
        out.putBytes(BODY_OFFSET, body);
        finish(out, BODY_OFFSET + body.length, keepAlive);
    }

    /** A plain HTTP error (bad request line, unknown path, oversized request): always closes. */
    public void httpError(final MutableDirectBuffer out, final int status)
    {
        final byte[] message = statusText(status);
        out.putBytes(BODY_OFFSET, message);
        final int bodyEnd = BODY_OFFSET + message.length;
        int h = 0;
        head.putBytes(h, HTTP_11);
        h += HTTP_11.length;
        h += head.putIntAscii(h, status);
        head.putByte(h++, (byte)' ');
        head.putBytes(h, message, 0, message.length - 2);
        h += message.length - 2;
        head.putBytes(h, ERROR_HEADERS);
        h += ERROR_HEADERS.length;
        h += head.putIntAscii(h, message.length);
        head.putBytes(h, CLOSE);
        h += CLOSE.length;
        place(out, h, bodyEnd);
    }

    private void finish(final MutableDirectBuffer out, final int bodyEnd, final boolean keepAlive)
    {
        int h = 0;
        head.putBytes(h, STATUS_200);
        h += STATUS_200.length;
        h += head.putIntAscii(h, bodyEnd - BODY_OFFSET);
        final byte[] connection = keepAlive ? KEEP_ALIVE : CLOSE;
        head.putBytes(h, connection);
        h += connection.length;
        place(out, h, bodyEnd);
    }

    private void place(final MutableDirectBuffer out, final int headLength, final int bodyEnd)
    {
        start = BODY_OFFSET - headLength;
        out.putBytes(start, head, 0, headLength);
        end = bodyEnd;
    }

    private static void writeIpText(final BencodeWriter w, final byte[] addrs, final int offset)
    {
        if (RequestEvent.isIpv4Mapped(addrs, offset))
        {
            int len = 3;
            for (int i = 12; i < 16; i++)
            {
                final int b = addrs[offset + i] & 0xFF;
                len += b >= 100 ? 3 : b >= 10 ? 2 : 1;
            }
            w.bytesHeader(len);
            for (int i = 12; i < 16; i++)
            {
                writeDecimal(w, addrs[offset + i] & 0xFF);
                if (i < 15)
                {
                    w.put(DOT, 0, 1);
                }
            }
        }
        else
        {
            // Full form without zero compression: valid IPv6 text, fixed cost, no String.
            int len = 7;
            for (int g = 0; g < 8; g++)
            {
                len += hexDigits(((addrs[offset + 2 * g] & 0xFF) << 8) | (addrs[offset + 2 * g + 1] & 0xFF));
            }
            w.bytesHeader(len);
            for (int g = 0; g < 8; g++)
            {
                writeHex(w, ((addrs[offset + 2 * g] & 0xFF) << 8) | (addrs[offset + 2 * g + 1] & 0xFF));
                if (g < 7)
                {
                    w.put(COLON, 0, 1);
                }
            }
        }
    }

    private static final byte[] DOT = { '.' };
    private static final byte[] COLON = { ':' };
    private static final byte[] HEX = ascii("0123456789abcdef");
    private static final byte[] DIGITS = ascii("0123456789");

    private static void writeDecimal(final BencodeWriter w, final int v)
    {
        if (v >= 100)
        {
            w.put(DIGITS, v / 100, 1);
        }
        if (v >= 10)
        {
            w.put(DIGITS, (v / 10) % 10, 1);
        }
        w.put(DIGITS, v % 10, 1);
    }

    private static int hexDigits(final int v)
    {
        return v >= 0x1000 ? 4 : v >= 0x100 ? 3 : v >= 0x10 ? 2 : 1;
    }

    private static void writeHex(final BencodeWriter w, final int v)
    {
        for (int shift = (hexDigits(v) - 1) * 4; shift >= 0; shift -= 4)
        {
            w.put(HEX, (v >>> shift) & 0xF, 1);
        }
    }

    private static final byte[] HTTP_11 = ascii("HTTP/1.1 ");
    private static final byte[] ERROR_HEADERS = ascii("\r\nContent-Type: text/plain\r\nContent-Length: ");
    private static final byte[] S400 = ascii("Bad Request\r\n");
    private static final byte[] S404 = ascii("Not Found\r\n");
    private static final byte[] S405 = ascii("Method Not Allowed\r\n");
    private static final byte[] S408 = ascii("Request Timeout\r\n");
    private static final byte[] S413 = ascii("Content Too Large\r\n");
    private static final byte[] S431 = ascii("Request Header Fields Too Large\r\n");
    private static final byte[] S503 = ascii("Service Unavailable\r\n");
    private static final byte[] S505 = ascii("HTTP Version Not Supported\r\n");
    private static final byte[] SXXX = ascii("Error\r\n");

    private static byte[] statusText(final int status)
    {
        return switch (status)
        {
            case 400 -> S400;
            case 404 -> S404;
            case 405 -> S405;
            case 408 -> S408;
            case 413 -> S413;
            case 431 -> S431;
            case 503 -> S503;
            case 505 -> S505;
            default -> SXXX;
        };
    }

    static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
