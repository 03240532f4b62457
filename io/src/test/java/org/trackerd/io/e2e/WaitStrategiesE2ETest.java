package org.trackerd.io.e2e;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.e2e.Announce.hash;
import static org.trackerd.io.e2e.Announce.leecher;
import static org.trackerd.io.e2e.Announce.peerId;
import static org.trackerd.io.e2e.Announce.seeder;

/**
 * Every {@code engine.wait_strategy} and {@code engine.frontend_idle} serves announces end to end; in particular
 * {@code batch_wake}, where publishing does not wake the processor and the frontends must; and the default
 * {@code lite_blocking} on a JVM with one CPU, where the frontends wake it once per burst too.
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

    /**
     * A JVM with one CPU: {@code lite_blocking}'s wake moves from every publish to once per frontend cycle, with no
     * timed park behind it. Pipelined requests are the case that cycle's first wake does not cover: each is parsed
     * and published only while the answer before it is written, in the second half of the cycle. Their wake must
     * come at the end of that cycle; a missed one would leave the processor parked until the frontend's next cycle,
     * after its select timed out (250 ms) with nothing to wake it, or its next clock tick (set here to a minute).
     */
    @Test
    @Timeout(120)
    void oneCpuLiteBlockingWakesOncePerCycleAndForPipelinedRequests() throws Exception
    {
        final Path configFile = new TrackerHarness(dir.resolve("one-cpu"))
            .set("engine", "threading", "\"dedicated\"")
            .set("engine", "wait_strategy", "\"lite_blocking\"")
            .set("engine", "expiry_tick_ms", "60000")
            .writeConfig();
        final List<String> flags = new ArrayList<>(TrackerProcess.JVM_FLAGS);
        flags.add("-XX:ActiveProcessorCount=1");
        try (TrackerProcess child = TrackerProcess.start(configFile, dir, flags))
        {
            final int port = child.awaitReady(60, TimeUnit.SECONDS);
            final byte[] h = hash("wait-one-cpu");
            final long startNs = System.nanoTime();
            try (RawHttpClient client = new RawHttpClient(port))
            {
                for (int round = 0; round < 10; round++)
                {
                    // Three requests in one write: the second and third wait in the connection's buffer.
                    client.send(RawHttpClient.get(seeder(h, peerId(1), 7001).target()) +
                        RawHttpClient.get(leecher(h, peerId(2), 7002).target()) +
                        RawHttpClient.get(leecher(h, peerId(3), 7003).target()));
                    for (int i = 0; i < 3; i++)
                    {
                        final RawHttpClient.Response response = client.readResponse();
                        assertEquals(200, response.status, () -> "log:\n" + child.log());
                        assertEquals(1L, response.bencoded().get("complete"));
                    }
                }
            }
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            // 30 answers, 20 of them pipelined: missed wakes would take at least 20 x 250 ms.
            assertTrue(elapsedMs < 2_500, () -> "30 answers, 20 pipelined, took " + elapsedMs + " ms; log:\n" +
                child.log());
        }
    }
}
