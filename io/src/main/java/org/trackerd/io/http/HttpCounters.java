package org.trackerd.io.http;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

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
    public final AtomicCounter connectionsClosed;
    public final AtomicCounter connectionsTimedOut;
    public final AtomicCounter connectionsOpen;
    public final AtomicCounter bytesIn;
    public final AtomicCounter bytesOut;

    public HttpCounters(final CountersManager manager, final int thread)
    {
        final String p = "http_" + thread + "_";
        requests = manager.newCounter(p + "requests");
        announces = manager.newCounter(p + "announces");
        scrapes = manager.newCounter(p + "scrapes");
        responses = manager.newCounter(p + "responses");
        clientErrors = manager.newCounter(p + "client_errors");
        httpErrors = manager.newCounter(p + "http_errors");
        rejectedBusy = manager.newCounter(p + "rejected_busy");
        connectionsAccepted = manager.newCounter(p + "connections_accepted");
        connectionsRejected = manager.newCounter(p + "connections_rejected");
        connectionsClosed = manager.newCounter(p + "connections_closed");
        connectionsTimedOut = manager.newCounter(p + "connections_timed_out");
        connectionsOpen = manager.newCounter(p + "connections_open");
        bytesIn = manager.newCounter(p + "bytes_in");
        bytesOut = manager.newCounter(p + "bytes_out");
    }
}
