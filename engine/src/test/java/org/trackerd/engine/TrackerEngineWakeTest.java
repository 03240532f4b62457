package org.trackerd.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who wakes a parked swarm processor: every publish, or once per burst (one CPU, or batch_wake). */
class TrackerEngineWakeTest
{
    @Test
    void parkingStrategiesWakeOncePerBurstOnOneCpuAndBatchWakeAlways()
    {
        for (final String strategy : new String[] { "lite_blocking", "blocking" })
        {
            assertTrue(TrackerEngine.wakesOncePerBurst(strategy, 1), strategy + " on one CPU");
            assertFalse(TrackerEngine.wakesOncePerBurst(strategy, 2), strategy + " on two CPUs");
        }
        assertTrue(TrackerEngine.wakesOncePerBurst("batch_wake", 1));
        assertTrue(TrackerEngine.wakesOncePerBurst("batch_wake", 8));
        for (final String strategy : new String[] { "busy_spin", "yielding", "sleeping" })
        {
            assertFalse(TrackerEngine.wakesOncePerBurst(strategy, 1), strategy + " is never woken");
        }
    }
}
