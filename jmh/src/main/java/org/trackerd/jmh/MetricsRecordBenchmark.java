package org.trackerd.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.trackerd.engine.RequestCounters;
import org.trackerd.engine.metrics.LatencyRecorder;
import org.trackerd.engine.metrics.TrackerMetrics;

import java.util.concurrent.TimeUnit;

/**
 * What a frontend thread pays to record one request: one ordered increment of its
 * {@code requests{protocol,action,family,outcome}} counter and one value into its HdrHistogram
 * {@code SingleWriterRecorder}. Expect a few nanoseconds and 0 B/op under {@code -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MetricsRecordBenchmark extends ForkedBenchmark
{
    private final TrackerMetrics metrics = new TrackerMetrics();
    private final RequestCounters requests = new RequestCounters(metrics.countersManager(), "udp", 0);
    private final LatencyRecorder latency = metrics.latency("udp", "announce", 0);
    private long latencyNs = 12_345;

    @Benchmark
    public void countRequest()
    {
        requests.increment(RequestCounters.ACTION_ANNOUNCE, RequestCounters.FAMILY_IPV4, RequestCounters.OUTCOME_OK);
    }

    @Benchmark
    public void recordLatency()
    {
        latencyNs = (latencyNs * 31 + 7) & 0xF_FFFF; // vary the bucket without allocating
        latency.recordNs(latencyNs + 1000);
    }

    @Benchmark
    public void countAndRecord()
    {
        requests.increment(RequestCounters.ACTION_ANNOUNCE, RequestCounters.FAMILY_IPV4, RequestCounters.OUTCOME_OK);
        latencyNs = (latencyNs * 31 + 7) & 0xF_FFFF;
        latency.recordNs(latencyNs + 1000);
    }
}
