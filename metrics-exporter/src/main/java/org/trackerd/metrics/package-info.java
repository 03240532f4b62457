/**
 * Prometheus exposition of what the engine's metrics registry ({@code org.trackerd.engine.metrics.TrackerMetrics}:
 * Agrona counters, latency histograms, scrape-time gauges) holds, plus {@code /check} and {@code /stats}. Reads only;
 * never on the request path, and nothing on the request path imports it.
 */
package org.trackerd.metrics;
