package org.trackerd.jmh;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.nio.ByteBuffer;

/** The counters a benchmark's engine registers into: room for {@code counters} of them, in direct buffers. */
final class BenchCounters
{
    private BenchCounters()
    {
    }

    static CountersManager of(final int counters)
    {
        return new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(counters * CountersReader.METADATA_LENGTH)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(counters * CountersReader.COUNTER_LENGTH)));
    }
}
