package org.trackerd.engine.swarm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.EngineCounters;

/**
 * The counts of what the store holds: torrents (swarms), peers, and peers by kind and family. They live in the
 * {@link SwarmStore} (a clean close writes them to its {@code counts} file); this class changes them, publishes
 * them as gauges, and keeps the in-flight file's per-shard counts adding up to them. It also holds them against the
 * store's byte budget ({@link #full}): the bytes used are an estimate from the counts ({@link StoreSizing#usedBytes}).
 *
 * <p>Thread: the swarm processor (and the start-up scan, on the launcher thread before the processor starts).
 */
final class SwarmCounts
{
    private final SwarmStore store;
    private final InFlight inFlight;
    private final EngineCounters counters;
    /** Peers by kind and family: leechers v4, leechers v6, seeders v4, seeders v6 (the store's array). */
    private final long[] population;
    /** The counts the in-flight file's per-shard counts add up to, and a scratch for the change since. */
    private long countedTorrents;
    private long countedPeers;
    private final long[] countedPopulation = new long[4];
    private final long[] countDelta = new long[4];
    /** The counts the last {@link #idle} wrote to the in-flight file (-1: none yet, so the first one writes). */
    private long idleTorrents = -1;
    private long idlePeers = -1;
    private final long[] idleWritten = new long[4];
    private static final Logger LOG = LoggerFactory.getLogger(SwarmCounts.class);
    /** {@code storage.max_bytes}, or the default the store worked out. */
    private final long budgetBytes;
    /** Past this the expiry ticks evict retained torrents ahead of need: 95 % of the budget. */
    private final long evictFromBytes;
    /** The store reached its budget and said so in the log; again only once it went back under 90 %. */
    private boolean fullLogged;

    SwarmCounts(final SwarmStore store, final EngineCounters counters)
    {
        this.store = store;
        this.inFlight = store.inFlight;
        this.counters = counters;
        this.population = store.population;
        this.budgetBytes = store.budgetBytes();
        this.evictFromBytes = budgetBytes - budgetBytes / 20;
        counters.storeBudgetBytes.setRelease(budgetBytes);
        markCounted();
    }

    /** The estimate of the bytes the store's entries take (see {@link StoreSizing#usedBytes}). */
    long usedBytes()
    {
        return StoreSizing.usedBytes(store.torrents, store.peers);
    }

    /** The store is at its byte budget: nothing new fits. */
    boolean atBudget()
    {
        return usedBytes() >= budgetBytes;
    }

    /** The store is near its budget (95 %): retained torrents are evicted ahead of need. */
    boolean nearBudget()
    {
        return usedBytes() >= evictFromBytes;
    }

    /**
     * True when a new peer or torrent must be refused: the store is at its byte budget. The caller counts the
     * refusal ({@code engine_rejected_full}); the first refusal after the store reached its budget is logged.
     */
    boolean full()
    {
        if (usedBytes() < budgetBytes)
        {
            return false;
        }
        if (!fullLogged)
        {
            fullLogged = true;
            LOG.warn("the store reached its budget of {} bytes (storage.max_bytes; {} torrents, {} peers): new " +
                "peers and torrents are refused (engine_rejected_full) until some leave; known peers are served",
                budgetBytes, store.torrents, store.peers);
        }
        return true;
    }

    long torrents()
    {
        return store.torrents;
    }

    long peers()
    {
        return store.peers;
    }

    long seeders()
    {
        return population[2] + population[3];
    }

    void torrents(final long delta)
    {
        store.torrents += delta;
    }

    void peers(final long delta)
    {
        store.peers += delta;
    }

    /** Counts a peer with these flags in (+1) or out (-1) of the population: by kind and the family it is under. */
    void population(final int flags, final int delta)
    {
        population[populationIndex(flags)] += delta;
    }

    /** The population a peer with these flags is counted in: leechers v4, leechers v6, seeders v4, seeders v6. */
    static int populationIndex(final int flags)
    {
        return ((flags & Page.SEEDER) != 0 ? 2 : 0) + ((flags & Page.PRIMARY_V6) != 0 ? 1 : 0);
    }

    void publishGauges()
    {
        counters.torrents.setRelease(store.torrents);
        counters.leechersIpv4.setRelease(population[0]);
        counters.leechersIpv6.setRelease(population[1]);
        counters.seedersIpv4.setRelease(population[2]);
        counters.seedersIpv6.setRelease(population[3]);
        final long used = usedBytes();
        counters.storeUsedBytes.setRelease(used);
        counters.storeTierDepth.setRelease(store.tierDepth());
        if (fullLogged && used < budgetBytes - budgetBytes / 10)
        {
            fullLogged = false;
        }
    }

    /** The counts as of now are those the in-flight file's per-shard counts add up to. */
    void markCounted()
    {
        countedTorrents = store.torrents;
        countedPeers = store.peers;
        System.arraycopy(population, 0, countedPopulation, 0, 4);
    }

    /** Adds what changed in the counts since the last flush to this shard's counts in the in-flight file. */
    void flush(final int shard)
    {
        long changed = (store.torrents - countedTorrents) | (store.peers - countedPeers);
        for (int i = 0; i < 4; i++)
        {
            countDelta[i] = population[i] - countedPopulation[i];
            changed |= countDelta[i];
        }
        if (changed == 0)
        {
            return;
        }
        inFlight.addShardCounts(shard, store.torrents - countedTorrents, store.peers - countedPeers, countDelta);
        markCounted();
    }

    /**
     * Marks the in-flight file idle with the counts as of now: every map context of the event is closed. The counts
     * are written only when they differ from those the last mark wrote (a re-announce changes none).
     */
    void idle()
    {
        final long[] p = population;
        final long[] w = idleWritten;
        if (store.torrents == idleTorrents && store.peers == idlePeers && p[0] == w[0] && p[1] == w[1] &&
            p[2] == w[2] && p[3] == w[3])
        {
            inFlight.markIdle();
            return;
        }
        inFlight.idle(store.torrents, store.peers, p);
        idleTorrents = store.torrents;
        idlePeers = store.peers;
        System.arraycopy(p, 0, w, 0, 4);
    }
}
