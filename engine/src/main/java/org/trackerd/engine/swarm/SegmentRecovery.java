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
 * data store size, the first free tier follows the tiers in use), and a new tier the segment had not linked yet, or
 * linked without its own counters written, linked and written as {@code nextTier} does.</li>
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

    private SegmentRecovery(final VanillaChronicleMap<?, ?, ?> h, final int segment)
    {
        this.h = h;
        this.segment = segment;
    }

    /** The result of {@link #recover}: null {@code refused} when done. */
    record Outcome(String refused, List<String> fixes)
    {
    }

    /**
     * Recovers {@code segment} of {@code map} (opened without recovery; its segment locks already reset), or
     * refuses, having changed nothing that Chronicle's whole-file recovery does not redo.
     */
    static Outcome recover(final ChronicleMap<byte[], byte[]> map, final int segment)
    {
        if (!(map instanceof VanillaChronicleMap<?, ?, ?> h))
        {
            return new Outcome("not a map of the vanilla kind", List.of());
        }
        if (segment < 0 || segment >= h.actualSegments)
        {
            return new Outcome("segment " + segment + " out of 0.." + (h.actualSegments - 1), List.of());
        }
        final SegmentRecovery recovery = new SegmentRecovery(h, segment);
        String refused;
        try
        {
            refused = recovery.run();
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            refused = ex.toString();
        }
        return new Outcome(refused, List.copyOf(recovery.fixes));
    }

    private String run() throws ReflectiveOperationException
    {
        resetGlobalLock();
        final String global = globalState();
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
                if (!c.hasNextTier())
                {
                    break;
                }
                c.initSegmentTier(c.tier() + 1, c.nextTierIndex());
            }
            c.initSegmentIndex(segment);
            c.initSegmentTier();
            c.goToLastTier();
            while (true)
            {
                c.removeDuplicatesInSegment(listener, corruption);
                if (c.tier() == 0)
                {
                    break;
                }
                c.prevTier();
            }
        }
        return null;
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
     * {@code allocateTier} then counts the tier in use and moves the first free tier past it.
     */
    private String globalState() throws ReflectiveOperationException
    {
        final VanillaGlobalMutableState state = h.globalMutableState();
        final Field bulkSizeField = net.openhft.chronicle.hash.impl.VanillaChronicleHash.class.getDeclaredField(
            "tierBulkSizeInBytes");
        bulkSizeField.setAccessible(true);
        final long bulkBytes = bulkSizeField.getLong(h);
        final int bulks = state.getAllocatedExtraTierBulks();
        final long allocatedTiers = bulks * h.tiersInBulk;
        final long inUse = state.getExtraTiersInUse();
        final long base = h.sizeInBytesWithoutTiers();
        final long size = state.getDataStoreSize();
        if (bulks < 0 || inUse < 0 || inUse > allocatedTiers)
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
        final long firstFree = inUse < allocatedTiers ? h.extraTierIndexToTierIndex(inUse) : 0;
        if (state.getFirstFreeTierIndex() != firstFree)
        {
            fixes.add("first free tier " + state.getFirstFreeTierIndex() + " -> " + firstFree);
            state.setFirstFreeTierIndex(firstFree);
        }
        return null;
    }

    /**
     * Walks the segment's chain of tiers, checking each link; completes the link of the tier a growth step
     * allocated last when the death came before the link was whole.
     */
    private String chain(final CompiledMapIterationContext<?, ?, ?> c)
    {
        final long inUse = h.globalMutableState().getExtraTiersInUse();
        final long newest = inUse > 0 ? h.extraTierIndexToTierIndex(inUse - 1) : 0;
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
                return linkNewest(c, newest, previous);
            }
            final long extra = next - h.extraTierIndexToTierIndex(0);
            if (extra < 0 || extra >= inUse)
            {
                return "tier " + previous + " links to " + next + ", not a tier in use";
            }
            final int tier = c.tier() + 1;
            final long counters = h.tierIndexToBaseAddr(next) + h.tierHashLookupOuterSize;
            if (TierCountersArea.prevTierIndex(counters) != previous ||
                TierCountersArea.segmentIndex(counters) != segment || TierCountersArea.tier(counters) != tier)
            {
                if (next != newest || TierCountersArea.prevTierIndex(counters) != 0)
                {
                    return "tier " + next + " in the chain of segment " + segment + " says segment " +
                        TierCountersArea.segmentIndex(counters) + ", tier " + TierCountersArea.tier(counters) +
                        ", previous " + TierCountersArea.prevTierIndex(counters);
                }
                // Linked by nextTier, which died before it wrote the new tier's own counters (its next is still
                // the free list's).
                writeCounters(counters, tier, previous);
                fixes.add("completed the link of new tier " + next + " of segment " + segment);
            }
            c.initSegmentTier(tier, next);
            previous = next;
        }
        return "the chain of segment " + segment + " is longer than the tiers in use";
    }

    /**
     * At the end of the segment's chain: the newest tier in use, when no chain has linked it yet (a growth step
     * died between {@code allocateTier} and the link), is this segment's and is linked here, empty.
     */
    private String linkNewest(final CompiledMapIterationContext<?, ?, ?> c, final long newest, final long last)
    {
        if (newest == 0 || newest == last)
        {
            return null;
        }
        final long counters = h.tierIndexToBaseAddr(newest) + h.tierHashLookupOuterSize;
        if (TierCountersArea.prevTierIndex(counters) != 0)
        {
            return null; // linked, by this segment's chain or another's
        }
        if (TierCountersArea.entries(counters) != 0 || TierCountersArea.segmentIndex(counters) != 0 ||
            TierCountersArea.tier(counters) != 0)
        {
            return "the newest tier " + newest + " is linked by no chain but is not a new one";
        }
        final int tier = c.tier() + 1;
        c.nextTierIndex(newest);
        writeCounters(counters, tier, last);
        fixes.add("linked new tier " + newest + " to segment " + segment + " as tier " + tier);
        return null;
    }

    private void writeCounters(final long counters, final int tier, final long previous)
    {
        TierCountersArea.segmentIndex(counters, segment);
        TierCountersArea.tier(counters, tier);
        TierCountersArea.nextTierIndex(counters, 0);
        TierCountersArea.prevTierIndex(counters, previous);
    }
}
