package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.ChronicleHashCorruption;
import net.openhft.chronicle.hash.VanillaGlobalMutableState;
import net.openhft.chronicle.hash.impl.BigSegmentHeader;
import net.openhft.chronicle.hash.impl.TierCountersArea;
import net.openhft.chronicle.map.ChronicleHashCorruptionImpl;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.VanillaChronicleMap;
import net.openhft.chronicle.map.impl.CompiledMapIterationContext;
import net.openhft.chronicle.map.impl.IterationContext;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * Chronicle's recovery of ONE segment of a map, for a process that died inside one change of the map's structure
 * (an insert, a remove, a replace by a value of another size, and the growth step one of them may take) in that
 * segment, the {@link InFlight in-flight} file says which. Chronicle's {@code recoverPersistedTo} reads every entry
 * of every segment of the file (a sixteenth of the store per shard: seconds at 10M peers); this reads the entries
 * of one segment's tiers (milliseconds).
 *
 * <p>What one such change can leave torn, from Chronicle Map 3's source, and what is done about it here:
 * <ul>
 * <li>the segment's lock, held: reset (with the shard's other segment locks, by the caller);</li>
 * <li>the segment's tiers' hash lookups (a slot written or shifted half-way), free lists (chunks taken, not yet
 * referenced), entry counts and lowest free chunk: rebuilt by Chronicle's own per-tier steps
 * ({@code recoverTier}, then {@code removeDuplicatesInSegment} for a key a relocation left in two tiers), the same
 * steps its whole-file recovery runs on every tier;</li>
 * <li>a growth step ({@code allocateTier} under the map's global lock, then the link of the new tier into the
 * segment's chain): the global lock reset, the global tier counters set consistent (a new bulk is counted in the
 * data store size, the first free tier follows the tiers in use), and a new tier the segment had not linked yet,
 * had linked without its own counters written, or had linked but not yet put the entry in, given back (it is
 * empty): as if the step had not happened.</li>
 * </ul>
 * Tiers are taken in order and never given back, so the extra tiers in use are the first {@code extraTiersInUse}
 * of the file and a new one is the last of them; the chain of every other segment is left as it is. Anything that
 * does not fit that picture (a link out of the tiers in use, a tier of another segment in the chain, counters no
 * step of a growth can leave) is not guessed at: {@link #recover} says why and the caller runs Chronicle's recovery
 * of the whole file instead.
 *
 * <p>Reaches into Chronicle's implementation ({@link CompiledMapIterationContext}'s per-tier recovery steps, the
 * global lock reset and the bulk size by reflection): pinned by the tests of this class to the version in the pom.
 *
 * <p>Thread: the store's opening, before anything else uses the map.
 */
final class SegmentRecovery
{
    /** What was found and put right (Chronicle's corruption reports, and the growth step's). */
    private final List<String> fixes = new ArrayList<>();
    private final ChronicleHashCorruption.Listener listener = c -> fixes.add(c.message());
    private final ChronicleHashCorruptionImpl corruption = new ChronicleHashCorruptionImpl();
    private final VanillaChronicleMap<?, ?, ?> h;
    private final int segment;
    private final boolean duplicatesPossible;
    private int tiers;
    private long entries;

    private SegmentRecovery(final VanillaChronicleMap<?, ?, ?> h, final int segment,
        final boolean duplicatesPossible)
    {
        this.h = h;
        this.segment = segment;
        this.duplicatesPossible = duplicatesPossible;
    }

    /**
     * The result of {@link #recover}: null {@code refused} when done; {@code walked} says how many tiers and
     * entries (for the log).
     */
    record Outcome(String refused, List<String> fixes, String walked)
    {
    }

    /**
     * Recovers {@code segment} of {@code map} (opened without recovery; its segment locks already reset), or
     * refuses, having changed nothing that Chronicle's whole-file recovery does not redo.
     *
     * @param duplicatesPossible the change was a replace, which may move an entry to another tier: a death in the
     *                           middle may leave its key in both, and every entry is then looked up once
     *                           (Chronicle's {@code removeDuplicatesInSegment}); otherwise each tier's entries are
     *                           counted from its hash lookup
     */
    static Outcome recover(final ChronicleMap<byte[], byte[]> map, final int segment,
        final boolean duplicatesPossible)
    {
        if (!(map instanceof VanillaChronicleMap<?, ?, ?> h))
        {
            return new Outcome("not a map of the vanilla kind", List.of(), "");
        }
        if (segment < 0 || segment >= h.actualSegments)
        {
            return new Outcome("segment " + segment + " out of 0.." + (h.actualSegments - 1), List.of(), "");
        }
        final SegmentRecovery recovery = new SegmentRecovery(h, segment, duplicatesPossible);
        String refused;
        try
        {
            refused = recovery.run();
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            refused = ex.toString();
        }
        return new Outcome(refused, List.copyOf(recovery.fixes), recovery.tiers + " tiers, " + recovery.entries +
            " entries" + (duplicatesPossible ? ", each looked up for a duplicate" : ""));
    }

    private String run() throws ReflectiveOperationException
    {
        resetGlobalLock();
        final String global = globalCounters();
        if (global != null)
        {
            return global;
        }
        BigSegmentHeader.INSTANCE.resetLock(h.segmentHeaderAddress(segment));
        try (IterationContext<?, ?, ?> context = h.iterationContext())
        {
            if (!(context instanceof CompiledMapIterationContext<?, ?, ?> c))
            {
                return "no compiled iteration context";
            }
            final String chain = chain(c);
            if (chain != null)
            {
                return chain;
            }
            // Chronicle's own steps, tier by tier: hash lookup and free list rebuilt from the entries the lookup
            // reaches, then keys a relocation left in two tiers, each tier's entry count and lowest free chunk.
            c.initSegmentIndex(segment);
            c.initSegmentTier();
            while (true)
            {
                c.recoverTier(segment, listener, corruption);
                tiers++;
                if (!duplicatesPossible)
                {
                    recount(c);
                }
                if (!c.hasNextTier())
                {
                    break;
                }
                c.initSegmentTier(c.tier() + 1, c.nextTierIndex());
            }
            if (duplicatesPossible)
            {
                c.initSegmentIndex(segment);
                c.initSegmentTier();
                c.goToLastTier();
                while (true)
                {
                    c.removeDuplicatesInSegment(listener, corruption);
                    entries += c.tierEntries();
                    if (c.tier() == 0)
                    {
                        break;
                    }
                    c.prevTier();
                }
            }
            final String released = releaseNewestIfEmpty(c);
            if (released != null)
            {
                return released;
            }
        }
        firstFreeTier();
        return null;
    }

    /**
     * The tier's entry count and lowest free chunk from its hash lookup and free list as {@code recoverTier} left
     * them (what {@code removeDuplicatesInSegment} sets too, without a lookup per entry): an insert or a remove
     * stays in its tier, so no key can be in two.
     */
    private void recount(final CompiledMapIterationContext<?, ?, ?> c)
    {
        final net.openhft.chronicle.hash.impl.CompactOffHeapLinearHashTable lookup = h.hashLookup;
        final long address = c.tierBaseAddr();
        long count = 0;
        long pos = 0;
        do
        {
            if (!lookup.empty(lookup.readEntry(address, pos)))
            {
                count++;
            }
            pos = lookup.step(pos);
        }
        while (pos != 0);
        if (c.tierEntries() != count)
        {
            fixes.add("entries of tier " + c.tierIndex() + " " + c.tierEntries() + " -> " + count);
            c.tierEntries(count);
        }
        long lowestFree = c.freeList().nextClearBit(0);
        if (lowestFree == -1)
        {
            lowestFree = h.actualChunksPerSegmentTier;
        }
        if (c.lowestPossiblyFreeChunk() != lowestFree)
        {
            c.lowestPossiblyFreeChunk(lowestFree);
        }
        entries += count;
    }

    /** A growth step dies holding the map's global lock: reset it as Chronicle's recovery does. */
    private void resetGlobalLock() throws ReflectiveOperationException
    {
        final Method reset = net.openhft.chronicle.hash.impl.VanillaChronicleHash.class.getDeclaredMethod(
            "resetGlobalMutableStateLock", ChronicleHashCorruption.Listener.class, ChronicleHashCorruptionImpl.class);
        reset.setAccessible(true);
        reset.invoke(h, listener, corruption);
    }

    /**
     * The global tier counters as a growth step leaves them at each of its stores: {@code allocateTierBulk} zeroes
     * and links the new bulk, then counts it (bulks, first free tier, data store size, in that order);
     * {@code allocateTier} then counts the tier in use and moves the first free tier past it (set right by
     * {@link #firstFreeTier} at the end).
     */
    private String globalCounters() throws ReflectiveOperationException
    {
        final VanillaGlobalMutableState state = h.globalMutableState();
        final Field bulkSizeField = net.openhft.chronicle.hash.impl.VanillaChronicleHash.class.getDeclaredField(
            "tierBulkSizeInBytes");
        bulkSizeField.setAccessible(true);
        final long bulkBytes = bulkSizeField.getLong(h);
        final int bulks = state.getAllocatedExtraTierBulks();
        final long inUse = state.getExtraTiersInUse();
        final long base = h.sizeInBytesWithoutTiers();
        final long size = state.getDataStoreSize();
        if (bulks < 0 || inUse < 0 || inUse > bulks * h.tiersInBulk)
        {
            return "global tier counters out of range: " + bulks + " bulks, " + inUse + " tiers in use";
        }
        if (size != base + bulks * bulkBytes)
        {
            if (bulks > 0 && size == base + (bulks - 1) * bulkBytes)
            {
                state.setDataStoreSize(base + bulks * bulkBytes); // died before the new bulk's size was added
                fixes.add("data store size counts the tier bulk allocated last");
            }
            else
            {
                return "data store size " + size + " fits no count of bulks of " + bulkBytes + " bytes";
            }
        }
        return null;
    }

    /** The first free tier is the one after the tiers in use (0 when every allocated tier is in use). */
    private void firstFreeTier()
    {
        final VanillaGlobalMutableState state = h.globalMutableState();
        final long inUse = state.getExtraTiersInUse();
        final long firstFree = inUse < state.getAllocatedExtraTierBulks() * h.tiersInBulk ?
            h.extraTierIndexToTierIndex(inUse) : 0;
        if (state.getFirstFreeTierIndex() != firstFree)
        {
            fixes.add("first free tier " + state.getFirstFreeTierIndex() + " -> " + firstFree);
            state.setFirstFreeTierIndex(firstFree);
        }
    }

    /** The newest extra tier in use (the one a growth step allocated last), or 0 when none is. */
    private long newestTier()
    {
        final long inUse = h.globalMutableState().getExtraTiersInUse();
        return inUse > 0 ? h.extraTierIndexToTierIndex(inUse - 1) : 0;
    }

    private long counters(final long tierIndex)
    {
        return h.tierIndexToBaseAddr(tierIndex) + h.tierHashLookupOuterSize;
    }

    /**
     * Walks the segment's chain of tiers, checking each link. A link to the newest tier whose own counters were
     * never written (nextTier died between its two writes) is cut here: that tier is empty, and
     * {@link #releaseNewestIfEmpty} gives it back.
     */
    private String chain(final CompiledMapIterationContext<?, ?, ?> c)
    {
        final long inUse = h.globalMutableState().getExtraTiersInUse();
        final long newest = newestTier();
        c.initSegmentIndex(segment);
        c.initSegmentTier();
        // The first tier's own counters say "first tier of its segment", as Chronicle's recovery sets them.
        final long firstCounters = c.tierCountersAreaAddr();
        TierCountersArea.prevTierIndex(firstCounters, 0);
        TierCountersArea.segmentIndex(firstCounters, 0);
        TierCountersArea.tier(firstCounters, 0);
        long previous = c.tierIndex();
        for (long steps = 0; steps <= inUse; steps++)
        {
            final long next = c.nextTierIndex();
            if (next == 0)
            {
                return null;
            }
            final long extra = next - h.extraTierIndexToTierIndex(0);
            if (extra < 0 || extra >= inUse)
            {
                return "tier " + previous + " links to " + next + ", not a tier in use";
            }
            final int tier = c.tier() + 1;
            final long counters = counters(next);
            if (TierCountersArea.prevTierIndex(counters) != previous ||
                TierCountersArea.segmentIndex(counters) != segment || TierCountersArea.tier(counters) != tier)
            {
                if (next == newest && TierCountersArea.prevTierIndex(counters) == 0 &&
                    TierCountersArea.entries(counters) == 0)
                {
                    c.nextTierIndex(0);
                    fixes.add("cut the link to new tier " + next + " whose counters were not written");
                    return null;
                }
                return "tier " + next + " in the chain of segment " + segment + " says segment " +
                    TierCountersArea.segmentIndex(counters) + ", tier " + TierCountersArea.tier(counters) +
                    ", previous " + TierCountersArea.prevTierIndex(counters);
            }
            c.initSegmentTier(tier, next);
            previous = next;
        }
        return "the chain of segment " + segment + " is longer than the tiers in use";
    }

    /**
     * Gives the newest tier back when a growth step of this segment died with it empty: taken by
     * {@code allocateTier} but linked by no chain, or the last of this segment's chain with no entry (the insert
     * it was taken for never got there). As if the step had not happened: it is the first free tier again,
     * zeroed and linked to the free tiers after it. So no empty tier is left inside the tiers in use, where
     * Chronicle's recovery of the whole file (after a host crash) would take it for the first free one and drop
     * every tier after it.
     */
    private String releaseNewestIfEmpty(final CompiledMapIterationContext<?, ?, ?> c)
    {
        final long newest = newestTier();
        if (newest == 0)
        {
            return null;
        }
        final long counters = counters(newest);
        c.initSegmentIndex(segment);
        c.initSegmentTier();
        c.goToLastTier();
        final boolean lastOfChain = c.tier() > 0 && c.tierIndex() == newest;
        if (lastOfChain)
        {
            if (c.tierEntries() != 0)
            {
                return null;
            }
            c.prevTier();
            c.nextTierIndex(0);
        }
        else if (TierCountersArea.prevTierIndex(counters) != 0)
        {
            return null; // linked by another segment's chain: grown by an earlier change, not this one
        }
        else if (TierCountersArea.entries(counters) != 0 || TierCountersArea.segmentIndex(counters) != 0 ||
            TierCountersArea.tier(counters) != 0)
        {
            return "the newest tier " + newest + " is linked by no chain but is not a new one";
        }
        final VanillaGlobalMutableState state = h.globalMutableState();
        state.setExtraTiersInUse(state.getExtraTiersInUse() - 1);
        h.linkAndZeroOutFreeTiers(newest, h.extraTierIndexToTierIndex(
            state.getAllocatedExtraTierBulks() * h.tiersInBulk - 1));
        fixes.add("gave back new tier " + newest + (lastOfChain ? ", empty at the end of segment " + segment :
            ", linked by no segment"));
        return null;
    }
}
