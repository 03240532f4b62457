package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.impl.VanillaChronicleHash;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.posix.PosixAPI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guards {@link TierBulkSync}, which hooks Chronicle's posix layer: a map that grows extra tier bulks on a deferring
 * thread must have its msyncs pass through the hook (else a Chronicle or posix upgrade has moved the msync and the
 * growth pause is back), and one that grows on another thread must keep them synchronous; both maps keep every entry
 * across a close and an open.
 */
class TierBulkSyncTest
{
    @TempDir
    Path dir;

    @Test
    void growthOnADeferringThreadGoesThroughTheHookAndOthersKeepTheirSync() throws Exception
    {
        TierBulkSync.install();
        assertInstanceOf(TierBulkSync.class, PosixAPI.posix(), "the hook is in place of posix's API");

        final long before = TierBulkSync.deferred();
        final int bulksHere = grow("here.dat", 2_000);
        assertTrue(bulksHere > 0, "the map grew extra tier bulks");
        assertEquals(before, TierBulkSync.deferred(), "a thread that did not ask keeps Chronicle's msync");

        final AtomicLong bulksThere = new AtomicLong();
        final Throwable[] failed = new Throwable[1];
        final Thread deferring = new Thread(() ->
        {
            try
            {
                TierBulkSync.deferOnThisThread();
                bulksThere.set(grow("there.dat", 2_000));
            }
            catch (final Throwable ex)
            {
                failed[0] = ex;
            }
        });
        deferring.start();
        deferring.join();
        if (failed[0] != null)
        {
            throw new AssertionError(failed[0]);
        }
        assertTrue(bulksThere.get() > 0, "the map grew extra tier bulks");
        assertTrue(TierBulkSync.deferred() - before >= bulksThere.get(),
            "every new tier bulk's msync went through the hook: " + (TierBulkSync.deferred() - before) + " for " +
            bulksThere.get() + " bulks");
    }

    /** Fills a map laid out for {@code base} pages with 16 times as many; checks them after a re-open. */
    private int grow(final String name, final int base) throws Exception
    {
        final StoreSizing sizing = new StoreSizing(base, Page.length(1), StoreSizing.MAX_BLOAT);
        final byte[] key = new byte[SwarmStore.KEY_LENGTH];
        final byte[] value = new byte[Page.length(1)];
        final int entries = base * 16;
        final int bulks;
        try (ChronicleMap<byte[], byte[]> map = SwarmStore.openMap(dir.resolve(name).toFile(), name, sizing, false))
        {
            final SplittableRandom random = new SplittableRandom(3);
            for (int i = 0; i < entries; i++)
            {
                random.nextBytes(key);
                value[0] = (byte)i;
                map.put(key, value);
            }
            bulks = ((VanillaChronicleHash<?, ?, ?, ?>)map).globalMutableState().getAllocatedExtraTierBulks();
        }
        try (ChronicleMap<byte[], byte[]> map = SwarmStore.openMap(dir.resolve(name).toFile(), name, sizing, false))
        {
            assertEquals(entries, map.longSize());
            final SplittableRandom random = new SplittableRandom(3);
            for (int i = 0; i < entries; i++)
            {
                random.nextBytes(key);
                final byte[] got = map.get(key);
                assertEquals((byte)i, got[0]);
            }
        }
        return bulks;
    }
}
