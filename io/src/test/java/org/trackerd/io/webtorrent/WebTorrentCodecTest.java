package org.trackerd.io.webtorrent;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WebTorrent codec against messages captured from the npm {@code bittorrent-tracker} 11.2.3 client and
 * server (src/test/resources/webtorrent, written by src/test/node/ws-client.mjs --raw with the info_hash
 * 00220a5c7f80ff0d09081b2f41e9c3c2deadbeef, whose bytes need every kind of JSON escape and two-byte UTF-8).
 * Jackson, in the test only, is the independent reading of the same JSON.
 */
class WebTorrentCodecTest
{
    static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    static final byte[] INFO_HASH = hex("00220a5c7f80ff0d09081b2f41e9c3c2deadbeef");
    static final byte[] PEER_A = "-FX0001-Aaaaaaaaaaaa".getBytes(StandardCharsets.US_ASCII);
    static final byte[] PEER_B = "-FX0001-Bbbbbbbbbbbb".getBytes(StandardCharsets.US_ASCII);

    private final WebTorrentRequestDecoder decoder = new WebTorrentRequestDecoder();
    private final WebTorrentRequest request = new WebTorrentRequest(8, 16);

    static byte[] resource(final String name) throws IOException
    {
        try (InputStream in = WebTorrentCodecTest.class.getResourceAsStream("/webtorrent/" + name))
        {
            return in.readAllBytes();
        }
    }

    static byte[] hex(final String s)
    {
        final byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++)
        {
            b[i] = (byte)Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    /** A JavaScript binary string's bytes: each char one byte. */
    static byte[] latin1(final String s)
    {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] bytes(final DirectBuffer b, final int offset, final int length)
    {
        final byte[] out = new byte[length];
        b.getBytes(offset, out);
        return out;
    }

    static JsonNode tree(final byte[] json) throws IOException
    {
        return MAPPER.readTree(json);
    }

    int decode(final byte[] message)
    {
        // at an offset inside a larger buffer, as in a connection's message buffer
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[message.length + 7]);
        buffer.putBytes(3, message);
        inputOf = buffer;
        return decoder.decode(buffer, 3, message.length, request);
    }

    private UnsafeBuffer inputOf;

    int decode(final String message)
    {
        return decode(message.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void capturedAnnounceWithOffers() throws IOException
    {
        final byte[] wire = resource("announce-started-offers.json");
        assertEquals(WebTorrentRequestDecoder.OK, decode(wire));
        assertEquals(WebTorrentRequest.ACTION_ANNOUNCE, request.action());
        assertArrayEquals(INFO_HASH, bytes(request.infoHashes(), 0, 20));
        assertEquals(1, request.infoHashCount());
        assertArrayEquals(PEER_B, bytes(request.peerId(), 0, 20));
        assertEquals(5, request.numwant());
        assertEquals(0, request.uploaded());
        assertEquals(0, request.downloaded());
        assertEquals(4096, request.left());
        assertEquals(WebTorrentRequest.EVENT_STARTED, request.event());
        assertFalse(request.hasAnswer());
        final JsonNode offers = tree(wire).get("offers");
        assertEquals(offers.size(), request.offerCount());
        assertEquals(0, request.offersDropped());
        for (int i = 0; i < request.offerCount(); i++)
        {
            final byte[] slice = bytes(inputOf, request.offerValueOffset(i), request.offerValueLength(i));
            assertEquals(offers.get(i).get("offer"), tree(slice), "offer " + i);
            assertArrayEquals(latin1(offers.get(i).get("offer_id").asText()), bytes(request.offerIds(), 20 * i, 20));
        }
    }

    @Test
    void capturedAnswerStoppedAndScrape() throws IOException
    {
        final byte[] answer = resource("answer.json");
        assertEquals(WebTorrentRequestDecoder.OK, decode(answer));
        assertTrue(request.hasAnswer());
        assertArrayEquals(PEER_A, bytes(request.peerId(), 0, 20));
        assertArrayEquals(PEER_B, bytes(request.toPeerId(), 0, 20));
        assertArrayEquals(latin1(tree(answer).get("offer_id").asText()), bytes(request.offerId(), 0, 20));
        assertEquals(tree(answer).get("answer"),
            tree(bytes(inputOf, request.answerValueOffset(), request.answerValueLength())));
        assertEquals(-1, request.numwant());
        assertEquals(WebTorrentRequest.UNKNOWN, request.left());

        assertEquals(WebTorrentRequestDecoder.OK, decode(resource("announce-stopped.json")));
        assertEquals(WebTorrentRequest.EVENT_STOPPED, request.event());
        assertEquals(0, request.offerCount());
        assertEquals(0, request.left());
        assertEquals(50, request.numwant());

        assertEquals(WebTorrentRequestDecoder.OK, decode(resource("scrape.json")));
        assertEquals(WebTorrentRequest.ACTION_SCRAPE, request.action());
        assertEquals(1, request.infoHashCount());
        assertArrayEquals(INFO_HASH, bytes(request.infoHashes(), 0, 20));
    }

    @Test
    void encodedServerMessagesMatchTheReferenceServers() throws IOException
    {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[16_384]);
        final UnsafeBuffer hash = new UnsafeBuffer(INFO_HASH);

        int n = WebTorrentResponseEncoder.announce(out, 5, hash, 0, 120, 1, 0) - 5;
        assertEquals(tree(resource("server-announce-response.json")), tree(bytes(out, 5, n)));

        // the offer the reference forwarded to A was one of B's offers: the same one through our encoder
        final JsonNode forwarded = tree(resource("server-offer.json"));
        assertEquals(WebTorrentRequestDecoder.OK, decode(resource("announce-started-offers.json")));
        final byte[] forwardedId = latin1(forwarded.get("offer_id").asText());
        int which = -1;
        for (int i = 0; i < request.offerCount(); i++)
        {
            if (java.util.Arrays.equals(forwardedId, bytes(request.offerIds(), 20 * i, 20)))
            {
                which = i;
            }
        }
        assertTrue(which >= 0);
        n = WebTorrentResponseEncoder.offer(out, 0, inputOf, request.offerValueOffset(which),
            request.offerValueLength(which), request.offerIds(), 20 * which, request.peerId(), 0,
            request.infoHashes(), 0);
        assertEquals(forwarded, tree(bytes(out, 0, n)));

        assertEquals(WebTorrentRequestDecoder.OK, decode(resource("answer.json")));
        n = WebTorrentResponseEncoder.answer(out, 0, inputOf, request.answerValueOffset(),
            request.answerValueLength(), request.offerId(), 0, request.peerId(), 0, request.infoHashes(), 0);
        assertEquals(tree(resource("server-answer.json")), tree(bytes(out, 0, n)));

        int p = WebTorrentResponseEncoder.scrapeStart(out, 0);
        p = WebTorrentResponseEncoder.scrapeFile(out, p, true, hash, 0, 1, 1, 1);
        p = WebTorrentResponseEncoder.scrapeEnd(out, p);
        final ObjectNode reference = (ObjectNode)tree(resource("server-scrape.json"));
        reference.remove("flags"); // the reference's min_request_interval, which the npm client does not read
        assertEquals(reference, tree(bytes(out, 0, p)));
    }

    @Test
    void failuresAreJsonTheClientReads() throws IOException
    {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[512]);
        int n = WebTorrentResponseEncoder.failure(out, 0,
            WebTorrentRequestDecoder.reason(WebTorrentRequestDecoder.ERROR_INVALID_TO_PEER_ID));
        assertEquals("{\"failure reason\":\"invalid `to_peer_id` (required with `answer`)\"}",
            out.getStringWithoutLengthUtf8(0, n));
        n = WebTorrentResponseEncoder.failure(out, 0, WebTorrentRequest.ACTION_ANNOUNCE,
            WebTorrentRequestDecoder.reason(WebTorrentRequestDecoder.ERROR_INVALID_EVENT), new UnsafeBuffer(INFO_HASH), 0);
        final JsonNode node = tree(bytes(out, 0, n));
        assertEquals("announce", node.get("action").asText());
        assertEquals("invalid event", node.get("failure reason").asText());
        assertArrayEquals(INFO_HASH, latin1(node.get("info_hash").asText()));
    }

    @Test
    void everyByteSurvivesTheBinaryStringRoundTrip() throws IOException
    {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[4096]);
        final JsonScanner scanner = new JsonScanner(4);
        for (int start = 0; start < 256; start += 20)
        {
            final byte[] id = new byte[20];
            for (int i = 0; i < 20; i++)
            {
                id[i] = (byte)(start + i);
            }
            final int n = WebTorrentResponseEncoder.binaryString(out, 0, new UnsafeBuffer(id), 0);
            assertTrue(n <= WebTorrentResponseEncoder.MAX_ID_JSON_LENGTH);
            assertArrayEquals(id, latin1(MAPPER.readTree(bytes(out, 0, n)).asText()), "from " + start);
            // as JSON.stringify writes it: short escapes, \\u00xx in lower case, 0x7f and above unescaped
            if (start == 0)
            {
                assertEquals("\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r" +
                    "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\"", out.getStringWithoutLengthUtf8(0, n));
            }
            scanner.wrap(out, 0, n);
            assertEquals(JsonScanner.STRING, scanner.next());
            final byte[] back = new byte[20];
            assertEquals(20, scanner.binaryString(back, 0, 20));
            assertArrayEquals(id, back);
        }
    }

    @Test
    void clientMistakesGetTheirOwnError()
    {
        final String ih = "\"info_hash\":\"aaaaaaaaaaaaaaaaaaaa\"";
        final String pid = "\"peer_id\":\"bbbbbbbbbbbbbbbbbbbb\"";
        final String ok = "{\"action\":\"announce\"," + ih + "," + pid + "}";
        assertEquals(WebTorrentRequestDecoder.OK, decode(ok));
        final Object[][] cases = {
            {"", WebTorrentRequestDecoder.ERROR_MALFORMED_JSON},
            {"{", WebTorrentRequestDecoder.ERROR_MALFORMED_JSON},
            {ok + "x", WebTorrentRequestDecoder.ERROR_MALFORMED_JSON},
            {ok.replace("}", ",}"), WebTorrentRequestDecoder.ERROR_MALFORMED_JSON},
            {ok.replace(":", " "), WebTorrentRequestDecoder.ERROR_MALFORMED_JSON},
            {"{\"action\":\"announce\",\"x\":01}", WebTorrentRequestDecoder.ERROR_MALFORMED_JSON},
            {"{\"action\":\"announce\",\"x\":\"tab\there\"}", WebTorrentRequestDecoder.ERROR_MALFORMED_JSON},
            {"{\"action\":\"announce\",\"x\":\"\\q\"}", WebTorrentRequestDecoder.ERROR_MALFORMED_JSON},
            {"{\"action\":\"announce\",\"x\":tru}", WebTorrentRequestDecoder.ERROR_MALFORMED_JSON},
            {"{\"x\":[[[[[[1]]]]]]," + ih + "}", WebTorrentRequestDecoder.ERROR_TOO_DEEP},
            {"[1]", WebTorrentRequestDecoder.ERROR_NOT_AN_OBJECT},
            {"\"announce\"", WebTorrentRequestDecoder.ERROR_NOT_AN_OBJECT},
            {"{" + ih + "," + pid + "}", WebTorrentRequestDecoder.ERROR_INVALID_ACTION},
            {ok.replace("\"announce\"", "\"connect\""), WebTorrentRequestDecoder.ERROR_INVALID_ACTION},
            {ok.replace("\"announce\"", "1"), WebTorrentRequestDecoder.ERROR_INVALID_ACTION},
            {ok.replace("aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaa"), WebTorrentRequestDecoder.ERROR_INVALID_INFO_HASH},
            {ok.replace("aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaa"), WebTorrentRequestDecoder.ERROR_INVALID_INFO_HASH},
            {ok.replace("aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaa\u0100"), WebTorrentRequestDecoder.ERROR_INVALID_INFO_HASH},
            {ok.replace("aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaa\\u0100"), WebTorrentRequestDecoder.ERROR_INVALID_INFO_HASH},
            {ok.replace("\"aaaaaaaaaaaaaaaaaaaa\"", "[\"aaaaaaaaaaaaaaaaaaaa\"]"), WebTorrentRequestDecoder.ERROR_INVALID_INFO_HASH},
            {ok.replace("\"aaaaaaaaaaaaaaaaaaaa\"", "12"), WebTorrentRequestDecoder.ERROR_INVALID_INFO_HASH},
            {ok.replace("bbbbbbbbbbbbbbbbbbbb", "b"), WebTorrentRequestDecoder.ERROR_INVALID_PEER_ID},
            {"{\"action\":\"announce\"," + ih + "}", WebTorrentRequestDecoder.ERROR_INVALID_PEER_ID},
            {ok.replace("}", ",\"event\":\"begun\"}"), WebTorrentRequestDecoder.ERROR_INVALID_EVENT},
            {ok.replace("}", ",\"event\":3}"), WebTorrentRequestDecoder.ERROR_INVALID_EVENT},
            {ok.replace("}", ",\"left\":-1}"), WebTorrentRequestDecoder.ERROR_INVALID_NUMBER},
            {ok.replace("}", ",\"numwant\":\"5\"}"), WebTorrentRequestDecoder.ERROR_INVALID_NUMBER},
            {ok.replace("}", ",\"offers\":{}}"), WebTorrentRequestDecoder.ERROR_INVALID_OFFERS},
            {ok.replace("}", ",\"offers\":[1]}"), WebTorrentRequestDecoder.ERROR_INVALID_OFFERS},
            {ok.replace("}", ",\"offers\":[{\"offer_id\":\"cccccccccccccccccccc\"}]}"), WebTorrentRequestDecoder.ERROR_INVALID_OFFERS},
            {ok.replace("}", ",\"offers\":[{\"offer\":{\"type\":\"offer\"},\"offer_id\":\"cccccccccccccccccccc\"}]}"),
                WebTorrentRequestDecoder.ERROR_INVALID_OFFERS},
            {ok.replace("}", ",\"offers\":[{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}]}"), WebTorrentRequestDecoder.ERROR_INVALID_OFFER_ID},
            {ok.replace("}", ",\"offers\":[{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\"},\"offer_id\":\"c\"}]}"),
                WebTorrentRequestDecoder.ERROR_INVALID_OFFER_ID},
            {ok.replace("}", ",\"answer\":{\"type\":\"answer\",\"sdp\":\"v=0\"},\"offer_id\":\"cccccccccccccccccccc\"}"),
                WebTorrentRequestDecoder.ERROR_INVALID_TO_PEER_ID},
            {ok.replace("}", ",\"answer\":{\"type\":\"answer\",\"sdp\":\"v=0\"},\"to_peer_id\":\"dddddddddddddddddddd\"}"),
                WebTorrentRequestDecoder.ERROR_INVALID_OFFER_ID},
            {ok.replace("}", ",\"answer\":\"v=0\"}"), WebTorrentRequestDecoder.ERROR_INVALID_ANSWER},
            {"{\"action\":\"scrape\",\"info_hash\":[\"aaaaaaaaaaaaaaaaaaaa\",7]}", WebTorrentRequestDecoder.ERROR_INVALID_INFO_HASH},
        };
        for (final Object[] c : cases)
        {
            assertEquals((int)(Integer)c[1], decode((String)c[0]), (String)c[0]);
        }
    }

    @Test
    void lenientWhereTheReferenceIs()
    {
        final String base = "{\"action\":\"announce\",\"info_hash\":\"aaaaaaaaaaaaaaaaaaaa\",\"peer_id\":\"bbbbbbbbbbbbbbbbbbbb\"";
        // escaped names and values, whitespace, unknown members of every shape, null counters, repeated members
        assertEquals(WebTorrentRequestDecoder.OK, decode(" { \"\\u0061ction\" : \"ann\\u006funce\" ,\n\t" +
            "\"info_hash\":\"aaaaaaaaaaaaaaaaaaa\\u00ff\",\"peer_id\":\"\\\"\\\\\\/bbbbbbbbbbbbbbbbb\",\"trackerid\":\"x\"," +
            "\"extra\":{\"a\":[1,2,{\"b\":null}],\"c\":true},\"left\":null,\"numwant\":1e1,\"uploaded\":12.9," +
            "\"downloaded\":7,\"downloaded\":8,\"event\":\"\"} "));
        assertEquals((byte)0xFF, request.infoHashes().getByte(19));
        assertEquals('"', request.peerId().getByte(0));
        assertEquals('\\', request.peerId().getByte(1));
        assertEquals('/', request.peerId().getByte(2));
        assertEquals(WebTorrentRequest.UNKNOWN, request.left());
        assertEquals(10, request.numwant());
        assertEquals(12, request.uploaded());
        assertEquals(8, request.downloaded());
        assertEquals(WebTorrentRequest.EVENT_NONE, request.event());
        // more offers than kept: the rest counted, not an error
        final StringBuilder offers = new StringBuilder(",\"offers\":[");
        for (int i = 0; i < 10; i++)
        {
            offers.append(i == 0 ? "" : ",").append("{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=").append(i)
                .append("\"},\"offer_id\":\"cccccccccccccccccc").append(i).append("c\"}");
        }
        assertEquals(WebTorrentRequestDecoder.OK, decode(base + offers + "]}"));
        assertEquals(8, request.offerCount());
        assertEquals(2, request.offersDropped());
        assertEquals('7', request.offerIds().getByte(20 * 7 + 18));
        // a scrape of several torrents, of one, and of all
        assertEquals(WebTorrentRequestDecoder.OK,
            decode("{\"action\":\"scrape\",\"info_hash\":[\"aaaaaaaaaaaaaaaaaaaa\",\"bbbbbbbbbbbbbbbbbbbb\"]}"));
        assertEquals(2, request.infoHashCount());
        assertEquals('b', request.infoHashes().getByte(39));
        assertEquals(WebTorrentRequestDecoder.OK, decode("{\"action\":\"scrape\"}"));
        assertEquals(0, request.infoHashCount());
        final StringBuilder many = new StringBuilder("{\"action\":\"scrape\",\"info_hash\":[");
        for (int i = 0; i < 17; i++)
        {
            many.append(i == 0 ? "" : ",").append("\"aaaaaaaaaaaaaaaaaaaa\"");
        }
        assertEquals(WebTorrentRequestDecoder.ERROR_TOO_MANY_INFO_HASHES, decode(many + "]}"));
    }

    @Test
    void numbers()
    {
        final JsonScanner scanner = new JsonScanner(2);
        final String[][] cases = {
            {"0", "0"}, {"-0", "0"}, {"42", "42"}, {"-42", "-42"}, {"12.75", "12"}, {"1e3", "1000"},
            {"1.5E2", "150"}, {"25e-1", "2"}, {"9223372036854775807", String.valueOf(Long.MAX_VALUE)},
            {"99999999999999999999999", String.valueOf(Long.MAX_VALUE)}, {"1e400", String.valueOf(Long.MAX_VALUE)},
            {"1e-400", "0"}, {"0.000001", "0"}, {"4096.0", "4096"},
        };
        for (final String[] c : cases)
        {
            final byte[] b = c[0].getBytes(StandardCharsets.US_ASCII);
            scanner.wrap(new UnsafeBuffer(b), 0, b.length);
            assertEquals(JsonScanner.NUMBER, scanner.next(), c[0]);
            assertEquals(Long.parseLong(c[1]), scanner.longValue(), c[0]);
            assertEquals(JsonScanner.END, scanner.next());
        }
        for (final String bad : new String[] {"-", "01", "1.", ".5", "1e", "1e+", "+1", "0x10", "--1"})
        {
            final byte[] b = bad.getBytes(StandardCharsets.US_ASCII);
            scanner.wrap(new UnsafeBuffer(b), 0, b.length);
            int t = scanner.next();
            if (t == JsonScanner.NUMBER)
            {
                t = scanner.next(); // "01": the 0 is a number, the 1 after it is not allowed
            }
            assertEquals(JsonScanner.ERROR, t, bad);
        }
    }
}
