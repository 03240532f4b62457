package org.trackerd.io.udp;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.trackerd.engine.Counters;

/**
 * Counters of one UDP frontend thread (its only writer). Allocated on the launcher thread.
 */
public final class UdpCounters
{
    /** Datagrams received. */
    public final AtomicCounter received;
    public final AtomicCounter connects;
    /** Announces and scrapes published to the engine. */
    public final AtomicCounter announces;
    public final AtomicCounter scrapes;
    /** Announce and scrape answers sent. */
    public final AtomicCounter responses;
    public final AtomicCounter errorsSent;
    /** Datagrams not answered: too short, or an answer would have amplified. */
    public final AtomicCounter dropped;
    /** Requests dropped because the request ring or this thread's in-flight budget was full. */
    public final AtomicCounter droppedBusy;
    /** Answers the socket did not take (send buffer full or a send error). */
    public final AtomicCounter sendFailed;
    public final AtomicCounter badConnectionId;
    /** Announces whose BEP 41 option list ran past the end of the datagram (served anyway). */
    public final AtomicCounter optionsTruncated;
    /** Datagrams or answers lost to an unexpected exception (a bug); the thread carries on. */
    public final AtomicCounter internalErrors;
    public final AtomicCounter bytesIn;
    public final AtomicCounter bytesOut;

    public UdpCounters(final CountersManager manager, final int thread)
    {
        final String t = "thread=\"" + thread + "\"";
        received = Counters.counter(manager, "udp_received", t);
        connects = Counters.counter(manager, "udp_connects", t);
        announces = Counters.counter(manager, "udp_announces", t);
        scrapes = Counters.counter(manager, "udp_scrapes", t);
        responses = Counters.counter(manager, "udp_responses", t);
        errorsSent = Counters.counter(manager, "udp_errors_sent", t);
        dropped = Counters.counter(manager, "udp_dropped", t);
        droppedBusy = Counters.counter(manager, "udp_dropped_busy", t);
        sendFailed = Counters.counter(manager, "udp_send_failed", t);
        badConnectionId = Counters.counter(manager, "udp_bad_connection_id", t);
        optionsTruncated = Counters.counter(manager, "udp_options_truncated", t);
        internalErrors = Counters.counter(manager, "udp_internal_errors", t);
        bytesIn = Counters.counter(manager, "udp_bytes_in", t);
        bytesOut = Counters.counter(manager, "udp_bytes_out", t);
    }
}
