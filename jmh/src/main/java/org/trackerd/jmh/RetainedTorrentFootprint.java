package org.trackerd.jmh;

import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;
import org.trackerd.engine.swarm.SwarmProcessor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * What one retained torrent (its last peer gone, its downloaded count kept: {@code tracker.torrent_retention_seconds})
 * costs in the store, and what the store does at its byte budget. Drives a {@link SwarmProcessor} on this
 * thread over fresh stores in a temporary directory and reports:
 * <ul>
 *   <li>the file-backed resident memory this process gained ({@code RssFile}: the pages of the mapped store
 *       files it wrote; the files themselves are laid out in full when created) per torrent, for N torrents each
 *       left retained (one peer completed, then stopped: its entry shrank from a one-record page) and, beside it,
 *       for N torrents each holding that one peer;</li>
 *   <li>retained torrents filling a {@code storage.max_bytes} of at least M of them: the answer to a new torrent
 *       (room made by evicting retained ones) and to a new peer of a retained torrent.</li>
 * </ul>
 *
 * <pre>
 * java -cp jmh/target/trackerd-benchmarks.jar org.trackerd.jmh.RetainedTorrentFootprint [N=1000000] [M=1000]
 * </pre>
 *
 * <p>Thread: main only.
 */
public final class RetainedTorrentFootprint
{
    private final ProcessorFixture fixture;
    private final SwarmProcessor processor;
    private final TrackerEngine engine;
    private final RequestEvent request = new RequestEvent(1);

    private RetainedTorrentFootprint(final Path directory, final int maxTorrents, final int maxPeers,
        final long maxBytes) throws IOException
    {
        final TrackerConfig config = TrackerConfig.parse("{\"storage\": {\"path\": \"" + directory.toAbsolutePath() +
            "\", \"max_torrents\": " + maxTorrents + ", \"max_peers\": " + maxPeers + ", \"max_bytes\": " + maxBytes +
            "}," +
            "\"engine\": {\"request_ring_size\": 64, \"response_ring_size\": 64}}");
        fixture = new ProcessorFixture(directory, config, false);
        processor = fixture.processor;
        engine = fixture.engine;
    }

    public static void main(final String[] args) throws Exception
    {
        final int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final int m = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        final Path root = Files.createTempDirectory("trackerd-retained-");
        try
        {
            final long retained = footprint(root.resolve("retained"), n, true);
            final long live = footprint(root.resolve("one-peer"), n, false);
            System.out.printf("torrents=%d marginal: retained_bytes_per_torrent=%.1f " +
                "one_peer_bytes_per_torrent=%.1f%n", n,
                (double)retained / n, (double)live / n);
            ceiling(root.resolve("ceiling"), m);
        }
        finally
        {
            try (Stream<Path> files = Files.walk(root))
            {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** File-backed resident bytes gained for {@code n} torrents, each retained or each holding its one peer. */
    private static long footprint(final Path dir, final int n, final boolean retain) throws Exception
    {
        Files.createDirectories(dir);
        final RetainedTorrentFootprint f = new RetainedTorrentFootprint(dir, n + 1024, n + 1024, 1L << 34);
        try
        {
            // The first half touches what the map lays out once (segment headers, hash lookups as they fill); the
            // second half's growth is the marginal cost of a torrent.
            final long before = rssFileBytes();
            long half = before;
            for (int t = 0; t < n; t++)
            {
                if (t == n / 2)
                {
                    half = rssFileBytes();
                }
                f.announce(t, 0, RequestEvent.EVENT_COMPLETED, true);
                if (retain)
                {
                    f.announce(t, 0, RequestEvent.EVENT_STOPPED, true);
                }
            }
            final long after = rssFileBytes();
            System.out.printf("%s: %d torrents, %d peers in the store; RssFile %d -> %d (half-way) -> %d bytes; " +
                "%.1f bytes per torrent over all, %.1f over the second half%n", retain ? "retained" : "one peer each",
                f.processor.torrentCount(), f.processor.peerCount(), before, half, after,
                (double)(after - before) / n, (double)(after - half) / (n - n / 2));
            return 2 * (after - half);
        }
        finally
        {
            f.close();
        }
    }

    /**
     * Retained torrents fill {@code storage.max_bytes} (64 bytes counted each; at least {@code m} of them, at least
     * the smallest budget's worth): what a new torrent and a returning one get (retained torrents are evicted to
     * make room, not a reason to refuse).
     */
    private static void ceiling(final Path dir, final int atLeast) throws Exception
    {
        Files.createDirectories(dir);
        final long budget = Math.max(TrackerConfig.Storage.MIN_BYTES, 64L * atLeast);
        final int m = (int)(budget / 64);
        final RetainedTorrentFootprint f = new RetainedTorrentFootprint(dir, m, m * 10, budget);
        try
        {
            for (int t = 0; t < m; t++)
            {
                f.announce(t, 0, RequestEvent.EVENT_COMPLETED, true);
                f.announce(t, 0, RequestEvent.EVENT_STOPPED, true);
            }
            System.out.printf("ceiling: max_bytes=%d, %d retained torrents, %d peers%n", budget,
                f.processor.torrentCount(), f.processor.peerCount());
            System.out.printf("ceiling: a new torrent's first announce: %s%n",
                f.announce(m + 1, 0, RequestEvent.EVENT_STARTED, false));
            System.out.printf("ceiling: a new peer of a retained torrent: %s%n",
                f.announce(0, 1, RequestEvent.EVENT_STARTED, false));
            System.out.printf("ceiling: %d retained torrents evicted to make room, %d torrents now%n",
                f.engine.counters().retainedEvicted.get(), f.processor.torrentCount());
        }
        finally
        {
            f.close();
        }
    }

    private String announce(final int t, final int k, final byte event, final boolean mustSucceed)
    {
        final RequestEvent e = request;
        e.kind = RequestEvent.KIND_ANNOUNCE;
        e.frontendId = 0;
        e.correlationId = fixture.sequence();
        e.context = 1;
        Wire.id20(e.infoHash, 0, -1, t);
        Wire.id20(e.peerId, 0, t, k);
        e.address[10] = (byte)0xFF;
        e.address[11] = (byte)0xFF;
        e.address[12] = 10;
        e.address[13] = (byte)(t >>> 16);
        e.address[14] = (byte)(t >>> 8);
        e.address[15] = (byte)t;
        e.port = 6881 + k;
        e.left = 0;
        e.event = event;
        e.numWant = 0;
        e.compactPeers = true;
        e.wantPeerIds = false;
        e.oneFamily = true;
        e.hasKey = false;
        e.scrapeCount = 0;
        final ResponseEvent r = fixture.submit(e);
        final String answer = r.status + " complete=" + r.complete + " incomplete=" + r.incomplete +
            " downloaded=" + r.downloaded;
        if (mustSucceed && r.status != Status.OK)
        {
            throw new IllegalStateException("announce refused: " + answer);
        }
        return answer;
    }

    private void close()
    {
        fixture.close();
    }

    /** This process's file-backed resident memory ({@code RssFile} of {@code /proc/self/status}), in bytes. */
    private static long rssFileBytes() throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("RssFile:"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no RssFile in /proc/self/status");
    }
}
