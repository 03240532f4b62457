package org.trackerd.io.udp;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

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
    public final AtomicCounter bytesIn;
    public final AtomicCounter bytesOut;

    public UdpCounters(final CountersManager manager, final int thread)
    {
        final String p = "udp_" + thread + "_";
        received = manager.newCounter(p + "received");
        connects = manager.newCounter(p + "connects");
        announces = manager.newCounter(p + "announces");
        scrapes = manager.newCounter(p + "scrapes");
        responses = manager.newCounter(p + "responses");
        errorsSent = manager.newCounter(p + "errors_sent");
        dropped = manager.newCounter(p + "dropped");
        droppedBusy = manager.newCounter(p + "dropped_busy");
        sendFailed = manager.newCounter(p + "send_failed");
        badConnectionId = manager.newCounter(p + "bad_connection_id");
        optionsTruncated = manager.newCounter(p + "options_truncated");
        bytesIn = manager.newCounter(p + "bytes_in");
        bytesOut = manager.newCounter(p + "bytes_out");
    }
}
