package org.trackerd.io.admission;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.trackerd.engine.RequestCounters;
import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.Status;
import org.trackerd.engine.policy.AccessChecker;
import org.trackerd.engine.policy.Reason;
import org.trackerd.engine.site.SiteReason;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one admission path: site before access, refusals and drops counted, answers counted by status. */
class AdmissionTest
{
    private static final int ANNOUNCE = RequestCounters.ACTION_ANNOUNCE;
    private static final int V4 = RequestCounters.FAMILY_IPV4;

    private final CountersManager manager = new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(512 * CountersReader.METADATA_LENGTH)),
        new UnsafeBuffer(ByteBuffer.allocateDirect(512 * CountersReader.COUNTER_LENGTH)));
    private final TrackerEngine engine = new TrackerEngine(TrackerConfig.parse("{}"), null, manager);
    private final RequestCounters requests = new RequestCounters(manager, "test", 0);
    private final RequestEvent request = new RequestEvent(4);
    private final AtomicInteger accessChecks = new AtomicInteger();

    private AccessGate access(final Reason verdict)
    {
        return (r, buffer, offset, length) ->
        {
            accessChecks.incrementAndGet();
            return verdict;
        };
    }

    @Test
    void noOpGatesAdmitEverything()
    {
        final Admission admission = new Admission(engine, requests, AccessGate.OPEN, SiteGate.PUBLIC);
        request.kind = RequestEvent.KIND_ANNOUNCE;
        assertNull(admission.refusal(request, ANNOUNCE, V4, null, -1, null, 0, AccessChecker.NO_TOKEN));
        assertTrue(admission.publish(request, ANNOUNCE, V4, true));
        assertEquals(0, requests.get(ANNOUNCE, V4, RequestCounters.OUTCOME_REJECTED));
    }

    @Test
    void theSiteIsAskedFirstAndAnUnknownPasskeyCostsNoAccessCheck()
    {
        final Admission admission = new Admission(engine, requests, access(Reason.ALLOWED),
            (r, buffer, offset) -> offset < 0 ? SiteReason.UNKNOWN_PASSKEY : SiteReason.ALLOWED);
        request.kind = RequestEvent.KIND_ANNOUNCE;
        assertArrayEquals(SiteReason.UNKNOWN_PASSKEY.message,
            admission.refusal(request, ANNOUNCE, V4, null, -1, null, 0, AccessChecker.NO_TOKEN));
        assertEquals(0, accessChecks.get());
        assertEquals(1, requests.get(ANNOUNCE, V4, RequestCounters.OUTCOME_REJECTED));
        assertNull(admission.refusal(request, ANNOUNCE, V4, null, 5, null, 0, AccessChecker.NO_TOKEN));
        assertEquals(1, accessChecks.get());
    }

    @Test
    void anAccessRefusalIsCountedAndCarriesItsText()
    {
        final Reason refused = firstRefusal();
        final Admission admission = new Admission(engine, requests, access(refused), SiteGate.PUBLIC);
        assertArrayEquals(refused.message,
            admission.refusal(request, ANNOUNCE, V4, null, -1, null, 0, AccessChecker.NO_TOKEN));
        assertEquals(1, requests.get(ANNOUNCE, V4, RequestCounters.OUTCOME_REJECTED));
    }

    @Test
    void noRoomInFlightIsADropWithoutTouchingTheRing()
    {
        final Admission admission = new Admission(engine, requests, AccessGate.OPEN, SiteGate.PUBLIC);
        final long cursor = engine.publishedSequence();
        assertFalse(admission.publish(request, ANNOUNCE, V4, false));
        assertEquals(cursor, engine.publishedSequence());
        assertEquals(1, requests.get(ANNOUNCE, V4, RequestCounters.OUTCOME_DROPPED));
    }

    @Test
    void answersAreCountedByStatusWithTheEnginesTexts()
    {
        final Admission admission = new Admission(engine, requests, AccessGate.OPEN, SiteGate.PUBLIC);
        admission.answered(ANNOUNCE, V4, Status.OK);
        admission.answered(ANNOUNCE, V4, Status.SERVER_ERROR);
        assertEquals(1, requests.get(ANNOUNCE, V4, RequestCounters.OUTCOME_OK));
        assertEquals(1, requests.get(ANNOUNCE, V4, RequestCounters.OUTCOME_REJECTED));
        assertEquals(Status.TRACKER_FULL.reason(), new String(Admission.reason(Status.TRACKER_FULL)));
        assertEquals(0, Admission.reason(Status.OK).length);
    }

    private static Reason firstRefusal()
    {
        for (final Reason r : Reason.values())
        {
            if (r != Reason.ALLOWED)
            {
                return r;
            }
        }
        throw new AssertionError("no refusal reason");
    }
}
