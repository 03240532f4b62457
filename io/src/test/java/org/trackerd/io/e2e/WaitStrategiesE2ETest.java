package org.trackerd.io.e2e;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.trackerd.io.e2e.Announce.hash;
import static org.trackerd.io.e2e.Announce.leecher;
import static org.trackerd.io.e2e.Announce.peerId;
import static org.trackerd.io.e2e.Announce.seeder;

/**
 * Every {@code engine.wait_strategy} and {@code engine.frontend_idle} serves announces end to end; in particular
 * {@code batch_wake}, where publishing does not wake the processor and the frontends must.
 */
class WaitStrategiesE2ETest
{
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { "blocking:block", "lite_blocking:block", "batch_wake:block", "sleeping:yield",
        "yielding:busy_spin" })
    @Timeout(60)
    void announcesAreAnsweredPromptly(final String combination) throws Exception
    {
        final String[] parts = combination.split(":");
        try (TrackerHarness tracker = new TrackerHarness(dir.resolve(parts[0]))
            .set("engine", "wait_strategy", "\"" + parts[0] + "\"")
            .set("engine", "frontend_idle", "\"" + parts[1] + "\"")
            .start())
        {
            final byte[] h = hash("wait-" + parts[0]);
            for (int round = 0; round < 20; round++)
            {
                // Each request waits for its answer, so a missed wake-up would show as a ~timeout per request.
                tracker.announce(seeder(h, peerId(1), 7001));
                final Map<String, Object> answer = tracker.announce(leecher(h, peerId(2), 7002));
                assertEquals(1L, answer.get("complete"));
                assertEquals(1L, answer.get("incomplete"));
            }
        }
    }
}
