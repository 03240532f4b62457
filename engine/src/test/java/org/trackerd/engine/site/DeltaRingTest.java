package org.trackerd.engine.site;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The queue file: records a dead run left are recovered once, also when the configured capacity changed. */
class DeltaRingTest
{
    @TempDir
    Path dir;

    private static void write(final DeltaRing ring, final long sequence)
    {
        final UnsafeBuffer m = new UnsafeBuffer(new byte[DeltaMessage.LENGTH]);
        m.putLong(DeltaMessage.SEQUENCE_OFFSET, sequence);
        assertTrue(ring.ring().write(DeltaMessage.TYPE_ANNOUNCE, m, 0, DeltaMessage.LENGTH));
    }

    private static List<Long> recover(final DeltaRing ring)
    {
        final List<Long> sequences = new ArrayList<>();
        ring.recover((type, buffer, offset, length) -> sequences.add(buffer.getLong(offset + DeltaMessage.SEQUENCE_OFFSET)));
        return sequences;
    }

    @Test
    void unreadRecordsSurviveAndAreRecoveredOnce() throws Exception
    {
        final Path file = dir.resolve("deltas.ring");
        DeltaRing ring = new DeltaRing(file, 64);
        write(ring, 1);
        write(ring, 2);
        ring.ring().read((type, buffer, offset, length) ->
        {
        }, 1); // the backend took the first one
        write(ring, 3);

        ring = new DeltaRing(file, 64); // "restarted" on the same file
        assertEquals(List.of(2L, 3L), recover(ring));
        ring.reset();
        assertEquals(List.of(), recover(new DeltaRing(file, 64)));
    }

    @Test
    void aChangedCapacityRecoversTheOldFileFirst() throws Exception
    {
        final Path file = dir.resolve("deltas.ring");
        final DeltaRing small = new DeltaRing(file, 64);
        write(small, 7);
        write(small, 8);

        final DeltaRing large = new DeltaRing(file, 4096);
        assertTrue(Files.exists(dir.resolve("deltas.ring.previous")));
        assertEquals(List.of(7L, 8L), recover(large));
        large.reset();
        assertFalse(Files.exists(dir.resolve("deltas.ring.previous")));
        write(large, 9);
        assertEquals(List.of(9L), recover(new DeltaRing(file, 4096)));
    }
}
