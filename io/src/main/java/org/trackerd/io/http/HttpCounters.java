package org.trackerd.io.http;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.trackerd.engine.Counters;

/**
 * Counters of one HTTP frontend thread (its only writer). Allocated on the launcher thread.
 */
public final class HttpCounters
{
    public final AtomicCounter requests;
    public final AtomicCounter announces;
    public final AtomicCounter scrapes;
    public final AtomicCounter responses;
    public final AtomicCounter clientErrors;
    public final AtomicCounter httpErrors;
    public final AtomicCounter rejectedBusy;
    public final AtomicCounter connectionsAccepted;
    public final AtomicCounter connectionsRejected;
    /** Connections closed at once because their address already had {@code http.max_connections_per_ip}. */
    public final AtomicCounter connectionsRejectedPerIp;
    /** Connections closed because serving them hit an unexpected exception (a bug); the thread carries on. */
    public final AtomicCounter internalErrors;
    public final AtomicCounter connectionsClosed;
    public final AtomicCounter connectionsTimedOut;
    public final AtomicCounter connectionsOpen;
    public final AtomicCounter bytesIn;
    public final AtomicCounter bytesOut;

    public HttpCounters(final CountersManager manager, final int thread)
    {
        final String t = "thread=\"" + thread + "\"";
        requests = Counters.counter(manager, "http_requests", t);
        announces = Counters.counter(manager, "http_announces", t);
        scrapes = Counters.counter(manager, "http_scrapes", t);
        responses = Counters.counter(manager, "http_responses", t);
        clientErrors = Counters.counter(manager, "http_client_errors", t);
        httpErrors = Counters.counter(manager, "http_http_errors", t);
        rejectedBusy = Counters.counter(manager, "http_rejected_busy", t);
        connectionsAccepted = Counters.counter(manager, "http_connections_accepted", t);
        connectionsRejected = Counters.counter(manager, "http_connections_rejected", t);
        connectionsRejectedPerIp = Counters.counter(manager, "http_connections_rejected_per_ip", t);
        internalErrors = Counters.counter(manager, "http_internal_errors", t);
        connectionsClosed = Counters.counter(manager, "http_connections_closed", t);
        connectionsTimedOut = Counters.counter(manager, "http_connections_timed_out", t);
        connectionsOpen = Counters.gauge(manager, "http_connections_open", t);
        bytesIn = Counters.counter(manager, "http_bytes_in", t);
        bytesOut = Counters.counter(manager, "http_bytes_out", t);
    }
}
