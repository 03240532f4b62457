package org.trackerd.io.http;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpRequestParserTest
{
    private static final int OFFSET = 7;

    private final HttpRequestParser parser = new HttpRequestParser(8);
    private String text;

    @Test
    void completeHeadIsConsumedWhole()
    {
        final String head = "GET /announce?info_hash=abc&port=1 HTTP/1.1\r\nHost: t\r\nUser-Agent: x\r\n\r\n";
        assertEquals(head.length(), parse(head + "GET /next"));
        assertEquals(0, parser.errorStatus);
        assertEquals(HttpRequestParser.ROUTE_ANNOUNCE, parser.route);
        assertEquals("info_hash=abc&port=1", query());
        assertTrue(parser.keepAlive);
    }

    @Test
    void incompleteHeadWaitsForMoreBytes()
    {
        final String head = "GET /announce?a=1 HTTP/1.1\r\nHost: t\r\n\r\n";
        for (int n = 0; n < head.length(); n++)
        {
            assertEquals(HttpRequestParser.INCOMPLETE, parse(head.substring(0, n)), "prefix of " + n);
        }
        assertEquals(head.length(), parse(head));
    }

    @Test
    void bareLineFeedsEndLinesToo()
    {
        final String head = "GET /scrape?info_hash=x HTTP/1.0\nConnection: keep-alive\n\n";
        assertEquals(head.length(), parse(head + "junk"));
        assertEquals(0, parser.errorStatus);
        assertEquals(HttpRequestParser.ROUTE_SCRAPE, parser.route);
        assertEquals("info_hash=x", query());
        assertTrue(parser.keepAlive);
        final String mixed = "GET /announce HTTP/1.1\r\nHost: t\n\r\n";
        assertEquals(mixed.length(), parse(mixed));
        assertEquals(0, parser.errorStatus);
    }

    @Test
    void requestLineWithoutHeaders()
    {
        final String head = "GET /announce HTTP/1.1\r\n\r\n";
        assertEquals(head.length(), parse(head));
        assertEquals(0, parser.errorStatus);
        assertEquals(HttpRequestParser.ROUTE_ANNOUNCE, parser.route);
        assertEquals(0, parser.queryLength);
    }

    @Test
    void routes()
    {
        assertRoute("/announce?x=1", HttpRequestParser.ROUTE_ANNOUNCE);
        assertRoute("/announce", HttpRequestParser.ROUTE_ANNOUNCE);
        assertRoute("/scrape?x=1", HttpRequestParser.ROUTE_SCRAPE);
        assertRoute("/", HttpRequestParser.ROUTE_NOT_FOUND);
        assertRoute("/metrics", HttpRequestParser.ROUTE_NOT_FOUND);
        assertRoute("/announce/", HttpRequestParser.ROUTE_NOT_FOUND);
        assertRoute("/announcer?x=1", HttpRequestParser.ROUTE_NOT_FOUND);
        assertRoute("/Announce", HttpRequestParser.ROUTE_NOT_FOUND);
        assertRoute("/scrap", HttpRequestParser.ROUTE_NOT_FOUND);
    }

    @Test
    void queryOffsetsPointIntoTheBuffer()
    {
        parse("GET /announce?a=1&b=2 HTTP/1.1\r\n\r\n");
        assertEquals(OFFSET + "GET /announce?".length(), parser.queryOffset);
        assertEquals("a=1&b=2", query());
        parse("GET /announce? HTTP/1.1\r\n\r\n");
        assertEquals(0, parser.queryLength);
        parse("GET /announce?a=1#frag HTTP/1.1\r\n\r\n");
        assertEquals("a=1", query());
        parse("GET /announce?a=1&b=2#frag#more HTTP/1.1\r\n\r\n");
        assertEquals("a=1&b=2", query());
        parse("GET /announce#x?a=1 HTTP/1.1\r\n\r\n"); // a '#' before the '?': the query is what follows '?'
        assertEquals("a=1", query());
        parse("GET /announce#x?a=1#y HTTP/1.1\r\n\r\n");
        assertEquals("a=1", query());
        assertStatus("GET /announce?a=1#frag HTTP/1.1 x\r\n\r\n", 505); // the space after the fragment ends the target
        parse("GET /scrape HTTP/1.1\r\n\r\n");
        assertEquals(0, parser.queryLength);
    }

    @Test
    void http10ClosesUnlessAskedToKeepAlive()
    {
        parse("GET /announce HTTP/1.0\r\n\r\n");
        assertEquals(0, parser.errorStatus);
        assertFalse(parser.keepAlive);
        parse("GET /announce HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        assertTrue(parser.keepAlive);
        parse("GET /announce HTTP/1.0\r\nconnection:keep-alive\r\n\r\n");
        assertTrue(parser.keepAlive);
    }

    @Test
    void http11KeepsAliveUnlessAskedToClose()
    {
        parse("GET /announce HTTP/1.1\r\n\r\n");
        assertTrue(parser.keepAlive);
        parse("GET /announce HTTP/1.1\r\nConnection: close\r\n\r\n");
        assertFalse(parser.keepAlive);
        parse("GET /announce HTTP/1.1\r\nCONNECTION: Close \r\n\r\n");
        assertFalse(parser.keepAlive);
        parse("GET /announce HTTP/1.1\r\nX-Connection-Note: close\r\n\r\n");
        assertTrue(parser.keepAlive);
    }

    @Test
    void onlyGetIsAllowed()
    {
        assertStatus("POST /announce HTTP/1.1\r\n\r\n", 405);
        assertStatus("HEAD /announce HTTP/1.1\r\n\r\n", 405);
        assertStatus("PUT /announce HTTP/1.1\r\n\r\n", 405);
        assertStatus("get /announce HTTP/1.1\r\n\r\n", 405);
        assertStatus("GETS /announce HTTP/1.1\r\n\r\n", 405);
    }

    @Test
    void badVersions()
    {
        assertStatus("GET /announce HTTP/2.0\r\n\r\n", 505);
        assertStatus("GET /announce HTTP/1.2\r\n\r\n", 505);
        assertStatus("GET /announce HTTP/1.10\r\n\r\n", 505);
        assertStatus("GET /announce HTTP/3\r\n\r\n", 505);
        assertStatus("GET /announce FTP/1.1\r\n\r\n", 400);
        assertStatus("GET /announce http/1.1\r\n\r\n", 400);
        assertStatus("GET /announce\r\n\r\n", 400);
        assertStatus("GET\r\n\r\n", 400);
        assertStatus("\r\n\r\n", 400);
    }

    @Test
    void tooManyHeaders()
    {
        final StringBuilder eight = new StringBuilder("GET /announce HTTP/1.1\r\n");
        for (int i = 0; i < 8; i++)
        {
            eight.append("X-H").append(i).append(": v\r\n");
        }
        assertStatus(eight + "\r\n", 0);
        assertStatus(eight + "X-Nine: v\r\n\r\n", 431);
    }

    @Test
    void requestsWithABodyAreRefused()
    {
        assertStatus("GET /announce HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 400);
        assertStatus("GET /announce HTTP/1.1\r\ncontent-length: 12\r\n\r\n", 400);
        assertStatus("GET /announce HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
        assertStatus("GET /announce HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 0);
    }

    @Test
    void malformedHeaderLine()
    {
        assertStatus("GET /announce HTTP/1.1\r\nno colon here\r\n\r\n", 400);
        assertStatus("GET /announce HTTP/1.1\r\n: empty name\r\n\r\n", 400);
    }

    @Test
    void resultsAreResetBetweenRequests()
    {
        assertStatus("POST /announce HTTP/1.1\r\n\r\n", 405);
        parse("GET /metrics?x HTTP/1.1\r\n\r\n");
        assertEquals(0, parser.errorStatus);
        assertEquals(HttpRequestParser.ROUTE_NOT_FOUND, parser.route);
        parse("GET /scrape HTTP/1.1\r\n\r\n");
        assertEquals(0, parser.queryOffset);
        assertEquals(0, parser.queryLength);
    }

    @Test
    void pipelinedRequestsParseOneAtATime()
    {
        final String first = "GET /announce?a=1 HTTP/1.1\r\n\r\n";
        final String second = "GET /scrape?b=2 HTTP/1.1\r\nConnection: close\r\n\r\n";
        text = "1234567" + first + second;
        final UnsafeBuffer buffer = new UnsafeBuffer(text.getBytes(StandardCharsets.ISO_8859_1));
        final int n = parser.parse(buffer, OFFSET, text.length() - OFFSET);
        assertEquals(first.length(), n);
        assertEquals("a=1", query());
        assertEquals(second.length(), parser.parse(buffer, OFFSET + n, text.length() - OFFSET - n));
        assertEquals(HttpRequestParser.ROUTE_SCRAPE, parser.route);
        assertEquals("b=2", query());
        assertFalse(parser.keepAlive);
    }

    private void assertRoute(final String target, final int route)
    {
        parse("GET " + target + " HTTP/1.1\r\n\r\n");
        assertEquals(0, parser.errorStatus, target);
        assertEquals(route, parser.route, target);
    }

    private void assertStatus(final String head, final int status)
    {
        assertEquals(head.length(), parse(head), head);
        assertEquals(status, parser.errorStatus, head);
    }

    /** Parses {@code request} placed at {@link #OFFSET} in a buffer with other bytes before it. */
    private int parse(final String request)
    {
        text = "\r\n\r\nxyz" + request;
        final UnsafeBuffer buffer = new UnsafeBuffer(text.getBytes(StandardCharsets.ISO_8859_1));
        return parser.parse(buffer, OFFSET, request.length());
    }

    /** The word-at-a-time search agrees with a plain scan at every start, end and alignment, on any bytes. */
    @Test
    void indexOfAgreesWithAPlainScan()
    {
        final java.util.Random random = new java.util.Random(11);
        final byte[] bytes = new byte[64];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final byte[] needles = { '\n', ' ', '?', (byte)0x8A, 0 };
        for (int round = 0; round < 2_000; round++)
        {
            for (int i = 0; i < bytes.length; i++)
            {
                // Sparse needles among arbitrary bytes, high ones included (no false match from borrows).
                bytes[i] = random.nextInt(8) == 0 ? needles[random.nextInt(needles.length)] : (byte)random.nextInt(256);
            }
            final int start = random.nextInt(bytes.length);
            final int end = start + random.nextInt(bytes.length - start + 1);
            for (final byte b : needles)
            {
                int expected = -1;
                for (int i = start; i < end && expected < 0; i++)
                {
                    expected = bytes[i] == b ? i : -1;
                }
                assertEquals(expected, HttpRequestParser.indexOf(buffer, start, end, b), "round " + round);
            }
        }
    }

    /** The two-byte search agrees with a plain scan at every start, end and alignment, on any bytes. */
    @Test
    void indexOfEitherAgreesWithAPlainScan()
    {
        final java.util.Random random = new java.util.Random(12);
        final byte[] bytes = new byte[64];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final byte[] needles = { ' ', '#', (byte)0xA0, (byte)0xA3, 0 };
        for (int round = 0; round < 2_000; round++)
        {
            for (int i = 0; i < bytes.length; i++)
            {
                bytes[i] = random.nextInt(8) == 0 ? needles[random.nextInt(needles.length)] : (byte)random.nextInt(256);
            }
            final int start = random.nextInt(bytes.length);
            final int end = start + random.nextInt(bytes.length - start + 1);
            final byte a = needles[random.nextInt(needles.length)];
            final byte b = needles[random.nextInt(needles.length)];
            int expected = -1;
            for (int i = start; i < end && expected < 0; i++)
            {
                expected = bytes[i] == a || bytes[i] == b ? i : -1;
            }
            assertEquals(expected, HttpRequestParser.indexOfEither(buffer, start, end, a, b), "round " + round);
        }
    }

    private String query()
    {
        return text.substring(parser.queryOffset, parser.queryOffset + parser.queryLength);
    }
}
