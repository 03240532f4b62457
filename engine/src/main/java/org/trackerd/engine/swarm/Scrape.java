package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;

/**
 * Answers a scrape: for each infohash, its swarm's seeders, leechers and downloaded count, from page 0's header and
 * bucket bounds (a read lock, nothing else read) or from a big swarm's index; the downloaded count is the one the
 * {@link SwarmAccounting} reports. An unknown infohash gets zeros.
 *
 * <p>Thread: the swarm processor only.
 */
final class Scrape
{
    private final PageAccess pages;
    private final BigSwarms bigSwarms;
    private final SwarmAccounting accounting;
    private final WebRtcSwarms webRtc;
    private final SwarmCounts counts;

    Scrape(final PageAccess pages, final BigSwarms bigSwarms, final SwarmAccounting accounting,
        final WebRtcSwarms webRtc, final SwarmCounts counts)
    {
        this.counts = counts;
        this.pages = pages;
        this.bigSwarms = bigSwarms;
        this.accounting = accounting;
        this.webRtc = webRtc;
    }

    void answer(final RequestEvent e, final ResponseEvent r)
    {
        final int n = Math.min(e.scrapeCount, r.scrapeComplete.length);
        for (int i = 0; i < n; i++)
        {
            bitTorrentCounts(e.scrapeHashes, r, i);
            if (!webRtc.isEmpty())
            {
                webRtc.addScrapeCounts(r, i); // a torrent's counts are both peer sets'
            }
        }
        r.scrapeCount = n;
    }

    /**
     * The counts of the BitTorrent swarm of {@code hashes}' torrent {@code i} (its info_hash at {@code 20 * i})
     * into scrape answer {@code i}.
     */
    void bitTorrentCounts(final byte[] hashes, final ResponseEvent r, final int i)
    {
        {
            final int offset = i * RequestEvent.HASH_LENGTH;
            System.arraycopy(hashes, offset, r.scrapeHashes, offset, RequestEvent.HASH_LENGTH);
            r.scrapeComplete[i] = 0;
            r.scrapeIncomplete[i] = 0;
            r.scrapeDownloaded[i] = 0;
            // An empty store (a WebTorrent-only tracker: its peers are not in it) has no swarm to look up.
            BigSwarm big = counts.torrents() == 0 ? null : bigSwarms.find(hashes, offset);
            if (big == null && counts.torrents() != 0)
            {
                boolean unindexed = false;
                try (PageAccess access = pages.read(hashes, offset, 0))
                {
                    if (access.exists())
                    {
                        final UnsafeBuffer page0 = access.page();
                        unindexed = Page.pages(page0) > 1;
                        r.scrapeComplete[i] = Page.seeders(page0);
                        r.scrapeIncomplete[i] = Page.leechers(page0);
                        r.scrapeDownloaded[i] = Page.downloaded(page0);
                    }
                }
                if (unindexed)
                {
                    // A swarm of several pages not touched since a clean restart: its counts are the index's.
                    big = bigSwarms.index(hashes, offset);
                }
            }
            if (big != null)
            {
                r.scrapeComplete[i] = big.seeders;
                r.scrapeIncomplete[i] = big.leechers;
                r.scrapeDownloaded[i] = big.downloaded;
            }
            r.scrapeDownloaded[i] = accounting.downloaded(hashes, offset, r.scrapeDownloaded[i]);
        }
    }
}
