package org.trackerd.io.tls;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.trackerd.engine.Counters;

/**
 * Counters of the TLS side of one HTTP frontend thread (their only writer): handshakes and every way a TLS
 * connection is closed for what the client sent. Allocated on the launcher thread.
 */
public final class TlsCounters
{
    /** Full handshakes finished. */
    public final AtomicCounter handshakes;
    /** Handshakes finished by resuming an earlier session (TLS 1.3 ticket or TLS 1.2 session id). */
    public final AtomicCounter handshakesResumed;
    /** Handshakes the engine refused (no common protocol or suite, a bad message, an alert from the client). */
    public final AtomicCounter handshakeFailures;
    /** Handshakes not finished within {@code tls.handshake_timeout_ms}. */
    public final AtomicCounter handshakeTimeouts;
    /** New connections closed at accept because their address had {@code tls.max_handshakes_per_ip} in progress. */
    public final AtomicCounter handshakesRejectedPerIp;
    /** Connections whose first bytes were not a TLS record (plain HTTP on the TLS port, random bytes). */
    public final AtomicCounter garbageRecords;
    /** Records announcing more than TLS allows (2^14 + 2048 bytes). */
    public final AtomicCounter oversizedRecords;
    /** TLS 1.2 handshake records after the handshake: a client-initiated renegotiation, refused. */
    public final AtomicCounter renegotiationsRefused;
    /** Records after the handshake that the engine refused (bad MAC, unexpected message, a fatal alert). */
    public final AtomicCounter badRecords;

    public TlsCounters(final CountersManager manager, final int thread)
    {
        final String t = "thread=\"" + thread + "\"";
        handshakes = Counters.counter(manager, "tls_handshakes", t);
        handshakesResumed = Counters.counter(manager, "tls_handshakes_resumed", t);
        handshakeFailures = Counters.counter(manager, "tls_handshake_failures", t);
        handshakeTimeouts = Counters.counter(manager, "tls_handshake_timeouts", t);
        handshakesRejectedPerIp = Counters.counter(manager, "tls_handshakes_rejected_per_ip", t);
        garbageRecords = Counters.counter(manager, "tls_garbage_records", t);
        oversizedRecords = Counters.counter(manager, "tls_oversized_records", t);
        renegotiationsRefused = Counters.counter(manager, "tls_renegotiations_refused", t);
        badRecords = Counters.counter(manager, "tls_bad_records", t);
    }
}
