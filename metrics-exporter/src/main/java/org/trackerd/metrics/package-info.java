/**
 * Prometheus exposition of the engine's and frontends' counters (Agrona {@code CountersManager}) and latency
 * histograms. Reads only; never on the request path. Filled in by the metrics work (see the open issue).
 */
package org.trackerd.metrics;
