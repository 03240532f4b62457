package org.trackerd.engine.swarm;

import org.agrona.BitUtil;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The largest swarms, for the operator's {@code /stats} page: offered by the expiry sweep as it passes each swarm,
 * published once the sweep has visited every shard; never computed by a scan of its own.
 *
 * <p>Thread: {@link #offer} and {@link #publish} on the swarm processor; {@link #list} on any thread.
 */
final class TopSwarms
{
    private static final int TOP_SWARMS = 10;

    private final byte[][] topHashes = new byte[TOP_SWARMS][20];
    private final int[] topSeeders = new int[TOP_SWARMS];
    private final int[] topLeechers = new int[TOP_SWARMS];
    private final long[] topDownloaded = new long[TOP_SWARMS];
    private int topCandidateCount;
    private long topPublishedMs;
    private volatile List<SwarmProcessor.TopSwarm> topSwarms = List.of();

    /** Any thread: the largest swarms as of the last completed sweep. */
    List<SwarmProcessor.TopSwarm> list()
    {
        return topSwarms;
    }

    /** A swarm the sweep passed, with its counts: kept if it is among the largest seen in this sweep. */
    void offer(final byte[] infoHash, final int seeders, final int leechers, final long downloaded)
    {
        int slot = -1;
        int smallest = -1;
        for (int i = 0; i < topCandidateCount; i++)
        {
            if (Arrays.equals(topHashes[i], infoHash))
            {
                slot = i;
                break;
            }
            if (smallest < 0 || topSeeders[i] + topLeechers[i] < topSeeders[smallest] + topLeechers[smallest])
            {
                smallest = i;
            }
        }
        if (slot < 0)
        {
            if (topCandidateCount < TOP_SWARMS)
            {
                slot = topCandidateCount++;
            }
            else if (seeders + leechers > topSeeders[smallest] + topLeechers[smallest])
            {
                slot = smallest;
            }
            else
            {
                return;
            }
        }
        System.arraycopy(infoHash, 0, topHashes[slot], 0, 20);
        topSeeders[slot] = seeders;
        topLeechers[slot] = leechers;
        topDownloaded[slot] = downloaded;
    }

    /** Once a sweep has visited every swarm (and at most once a second), publish what it saw. */
    void publish(final long nowMs)
    {
        if (nowMs - topPublishedMs < 1000)
        {
            return;
        }
        topPublishedMs = nowMs;
        final ArrayList<SwarmProcessor.TopSwarm> top = new ArrayList<>(topCandidateCount);
        for (int i = 0; i < topCandidateCount; i++)
        {
            top.add(new SwarmProcessor.TopSwarm(BitUtil.toHex(topHashes[i]), topSeeders[i], topLeechers[i],
                topDownloaded[i]));
        }
        topCandidateCount = 0;
        top.sort((a, b) -> Integer.compare(b.seeders() + b.leechers(), a.seeders() + a.leechers()));
        topSwarms = List.copyOf(top);
    }
}
