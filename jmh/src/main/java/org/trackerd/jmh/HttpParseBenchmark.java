package org.trackerd.jmh;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.io.http.HttpRequestParser;
import org.trackerd.io.http.QueryParser;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * What an HTTP frontend thread does with the bytes of one request before it publishes to the ring: find and
 * check the head ({@link HttpRequestParser}), then parse the announce or scrape query into a
 * {@link RequestEvent} ({@link QueryParser}). The request is the one qBittorrent 4.6 (libtorrent) sends:
 * percent-encoded 20-byte info_hash, all its usual parameters, four headers.
 *
 * <p>Expect 0 B/op under {@code -prof gc}: parsers read the receive buffer in place.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HttpParseBenchmark extends ForkedBenchmark
{
    static final int SCRAPE_HASHES = 10;

    private final UnsafeBuffer announce = new UnsafeBuffer(ByteBuffer.allocateDirect(8192));
    private final UnsafeBuffer scrape = new UnsafeBuffer(ByteBuffer.allocateDirect(8192));
    private int announceLength;
    private int scrapeLength;
    private int announceQueryOffset;
    private int announceQueryLength;
    private int scrapeQueryOffset;
    private int scrapeQueryLength;

    private final HttpRequestParser head = new HttpRequestParser(64);
    private final QueryParser query = new QueryParser(false);
    private final RequestEvent event = new RequestEvent(74);

    /** The announce qBittorrent 4.6.3 sends when it starts a torrent (libtorrent 1.2 parameter order). */
    static String announceRequest(final byte[] infoHash)
    {
        return "GET /announce?info_hash=" + Wire.urlEncode(infoHash, 0, 20) +
            "&peer_id=-qB4630-k8hj0wgej6ch&port=51413&uploaded=0&downloaded=0&left=3912040448&corrupt=0" +
            "&key=8C1D5A3E&event=started&numwant=200&compact=1&no_peer_id=1&supportcrypto=1&redundant=0 HTTP/1.1\r\n" +
            "Host: tracker.example.org:6969\r\n" +
            "User-Agent: qBittorrent/4.6.3\r\n" +
            "Accept-Encoding: gzip\r\n" +
            "Connection: close\r\n\r\n";
    }

    static String scrapeRequest(final byte[] hashes, final int count)
    {
        final StringBuilder sb = new StringBuilder("GET /scrape?");
        for (int i = 0; i < count; i++)
        {
            sb.append(i == 0 ? "" : "&").append("info_hash=").append(Wire.urlEncode(hashes, i * 20, 20));
        }
        return sb.append(" HTTP/1.1\r\nHost: tracker.example.org:6969\r\nUser-Agent: qBittorrent/4.6.3\r\n")
            .append("Accept-Encoding: gzip\r\nConnection: close\r\n\r\n").toString();
    }

    @Setup
    public void setUp()
    {
        final byte[] announceBytes = Wire.ascii(announceRequest(Wire.hashes(1, 1)));
        announce.putBytes(0, announceBytes);
        announceLength = announceBytes.length;
        final byte[] scrapeBytes = Wire.ascii(scrapeRequest(Wire.hashes(2, SCRAPE_HASHES), SCRAPE_HASHES));
        scrape.putBytes(0, scrapeBytes);
        scrapeLength = scrapeBytes.length;

        // Check once that every benchmark measures the successful path, not an early error return.
        check(head.parse(announce, 0, announceLength) == announceLength && head.errorStatus == 0 &&
            head.route == HttpRequestParser.ROUTE_ANNOUNCE, "announce head");
        announceQueryOffset = head.queryOffset;
        announceQueryLength = head.queryLength;
        check(query.parseAnnounce(announce, announceQueryOffset, announceQueryLength, event) == QueryParser.Error.NONE &&
            event.port == 51413 && event.left == 3912040448L && event.numWant == 200, "announce query");
        check(head.parse(scrape, 0, scrapeLength) == scrapeLength && head.route == HttpRequestParser.ROUTE_SCRAPE,
            "scrape head");
        scrapeQueryOffset = head.queryOffset;
        scrapeQueryLength = head.queryLength;
        check(query.parseScrape(scrape, scrapeQueryOffset, scrapeQueryLength, event) == QueryParser.Error.NONE &&
            event.scrapeCount == SCRAPE_HASHES, "scrape query");
    }

    private static void check(final boolean ok, final String what)
    {
        if (!ok)
        {
            throw new IllegalStateException("benchmark input does not parse: " + what);
        }
    }

    /** Request line, route, query position and the four headers of the announce. */
    @Benchmark
    public int announceHead()
    {
        return head.parse(announce, 0, announceLength);
    }

    /** The announce query into a {@link RequestEvent}: percent-decoding, numbers, event, key. */
    @Benchmark
    public QueryParser.Error announceQuery()
    {
        return query.parseAnnounce(announce, announceQueryOffset, announceQueryLength, event);
    }

    /** Head then query: the whole parse cost of one announce on the frontend thread. */
    @Benchmark
    public QueryParser.Error announceHeadAndQuery()
    {
        head.parse(announce, 0, announceLength);
        return query.parseAnnounce(announce, head.queryOffset, head.queryLength, event);
    }

    /** Head then query of a scrape of ten infohashes. */
    @Benchmark
    public QueryParser.Error scrapeHeadAndQuery()
    {
        head.parse(scrape, 0, scrapeLength);
        return query.parseScrape(scrape, head.queryOffset, head.queryLength, event);
    }
}
