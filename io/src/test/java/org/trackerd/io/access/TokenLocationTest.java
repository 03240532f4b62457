package org.trackerd.io.access;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.io.http.QueryParser;
import org.trackerd.io.udp.UrlDataQuery;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Where the frontends find the raw token: the HTTP {@code jwt} parameter and {@code jwt=} in BEP 41 URLData. */
class TokenLocationTest
{
    private static final String HASH = "%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14";
    private final QueryParser parser = new QueryParser(false);
    private final RequestEvent event = new RequestEvent(4);

    private static UnsafeBuffer buffer(final String s)
    {
        return new UnsafeBuffer(s.getBytes(StandardCharsets.US_ASCII));
    }

    private String token(final UnsafeBuffer b)
    {
        return parser.jwtLength() < 0 ? null : b.getStringWithoutLengthAscii(parser.jwtOffset(), parser.jwtLength());
    }

    @Test
    void announceRecordsTheRawJwtValue()
    {
        final String q = "info_hash=" + HASH + "&peer_id=-UT3550-123456789012&port=1&left=0&jwt=aa.b%2Ec.dd&x=1";
        final UnsafeBuffer b = buffer(q);
        assertEquals(QueryParser.Error.NONE, parser.parseAnnounce(b, 0, q.length(), event));
        assertEquals("aa.b%2Ec.dd", token(b));

        final String none = "info_hash=" + HASH + "&peer_id=-UT3550-123456789012&port=1&left=0";
        assertEquals(QueryParser.Error.NONE, parser.parseAnnounce(buffer(none), 0, none.length(), event));
        assertEquals(null, token(buffer(none)), "a previous request's token must not leak into the next");

        final String last = "jwt=t.o.k&info_hash=" + HASH + "&peer_id=-UT3550-123456789012&port=1&left=0";
        final UnsafeBuffer lb = buffer(last);
        assertEquals(QueryParser.Error.NONE, parser.parseAnnounce(lb, 0, last.length(), event));
        assertEquals("t.o.k", token(lb));
    }

    @Test
    void scrapeRecordsTheRawJwtValue()
    {
        final String q = "info_hash=" + HASH + "&jwt=s.c.r";
        final UnsafeBuffer b = buffer(q);
        assertEquals(QueryParser.Error.NONE, parser.parseScrape(b, 0, q.length(), event));
        assertEquals(1, event.scrapeCount);
        assertEquals("s.c.r", token(b));
        final String none = "info_hash=" + HASH;
        assertEquals(QueryParser.Error.NONE, parser.parseScrape(buffer(none), 0, none.length(), event));
        assertEquals(-1, parser.jwtLength());
    }

    private static String find(final String urlData)
    {
        final UnsafeBuffer b = buffer(urlData + "garbage-after-the-end");
        final long found = UrlDataQuery.find(b, urlData.length(), "jwt".getBytes(StandardCharsets.US_ASCII));
        return found == UrlDataQuery.ABSENT ? null :
            b.getStringWithoutLengthAscii(UrlDataQuery.offset(found), UrlDataQuery.length(found));
    }

    @Test
    void urlDataQueryFindsTheParameter()
    {
        assertEquals("a.b.c", find("/announce?jwt=a.b.c"));
        assertEquals("a.b.c", find("/announce?x=1&jwt=a.b.c&y=2"));
        assertEquals("", find("/announce?jwt="));
        assertEquals(null, find("/announce"));
        assertEquals(null, find("/announce/jwt=a.b.c"));
        assertEquals(null, find("/announce?xjwt=1&jwtx=2"));
        assertEquals(null, find(""));
    }
}
