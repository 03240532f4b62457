package org.trackerd.engine.site;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.event.RequestEvent;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The recorder on its own: deltas against persisted baselines, replay after a crash, and no garbage per announce. */
class DeltaRecorderTest
{
    private static final org.agrona.concurrent.MessageHandler DISCARD = (type, buffer, offset, length) ->
    {
    };

    @TempDir
    Path dir;

    private static SiteCounters counters()
    {
        return new SiteCounters(new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * CountersReader.METADATA_LENGTH)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * CountersReader.COUNTER_LENGTH))));
    }

    private static RequestEvent event(final int peer, final long up, final long down, final byte event)
    {
        final RequestEvent e = new RequestEvent(1);
        e.kind = RequestEvent.KIND_ANNOUNCE;
        e.userId = 7;
        e.torrentId = 9;
        e.accounting = Accounting.COUNT_UP | Accounting.COUNT_DOWN;
        e.infoHash[0] = 42;
        e.peerId[0] = (byte)peer;
        e.uploaded = up;
        e.downloaded = down;
        e.left = 100;
        e.event = event;
        return e;
    }

    /** {up delta, down delta} of every record in the ring, summed. */
    private static long[] drain(final DeltaRing ring)
    {
        final long[] sum = new long[2];
        ring.ring().read((type, buffer, offset, length) ->
        {
            sum[0] += buffer.getLong(offset + DeltaMessage.UP_DELTA_OFFSET);
            sum[1] += buffer.getLong(offset + DeltaMessage.DOWN_DELTA_OFFSET);
        }, Integer.MAX_VALUE);
        return sum;
    }

    @Test
    void baselinesOutliveTheRecorderAndRecordsReplayIntoThem() throws Exception
    {
        DeltaRing ring = new DeltaRing(dir.resolve("deltas.ring"), 1024);
        PeerBaselines baselines = PeerBaselines.open(dir, 1000);
        DeltaRecorder recorder = new DeltaRecorder(ring, baselines, new SiteState(), counters());
        recorder.startSequence(1);
        recorder.announce(event(1, 0, 0, RequestEvent.EVENT_STARTED), 0, 1, false, 1);
        recorder.announce(event(1, 100, 50, RequestEvent.EVENT_NONE), 0, 1, false, 2);
        assertEquals(100, drain(ring)[0]);
        baselines.close();

        baselines = PeerBaselines.open(dir, 1000);
        recorder = new DeltaRecorder(ring, baselines, new SiteState(), counters());
        recorder.announce(event(1, 160, 80, RequestEvent.EVENT_NONE), 0, 1, false, 3);
        final long[] d = drain(ring);
        assertEquals(60, d[0], "the baseline survived a close and reopen");
        assertEquals(30, d[1]);

        // A record written just before a crash whose baseline never moved: replay moves it.
        final UnsafeBuffer m = new UnsafeBuffer(new byte[DeltaMessage.LENGTH]);
        m.putInt(DeltaMessage.USER_ID_OFFSET, 7);
        m.putInt(DeltaMessage.TORRENT_ID_OFFSET, 9);
        m.putLong(DeltaMessage.UPLOADED_OFFSET, 500);
        m.putLong(DeltaMessage.DOWNLOADED_OFFSET, 90);
        m.putByte(DeltaMessage.PEER_ID_OFFSET, (byte)1);
        m.putByte(DeltaMessage.INFO_HASH_OFFSET, (byte)42);
        baselines.replay(m, 0);
        recorder.announce(event(1, 510, 95, RequestEvent.EVENT_NONE), 0, 1, false, 4);
        assertEquals(10, drain(ring)[0]);
        baselines.close();
    }

    @Test
    void snatchesCountUpFromTheLoadedValueAndAReloadNeverLowersThem() throws Exception
    {
        final byte[] hash = new byte[20];
        hash[0] = 42;
        final SiteState state = new SiteState();
        final java.util.function.LongFunction<SiteData> site = snatched -> new SiteData(java.util.List.of(),
            java.util.List.of(new SiteData.Torrent(9, hash, 0, snatched)), java.util.List.of(), java.util.List.of());
        state.replace(site.apply(5));
        final DeltaRing ring = new DeltaRing(dir.resolve("deltas.ring"), 1024);
        final PeerBaselines baselines = PeerBaselines.open(dir, 1000);
        final DeltaRecorder recorder = new DeltaRecorder(ring, baselines, state, counters());
        assertEquals(5, recorder.snatched(hash, 0));
        recorder.announce(event(1, 0, 0, RequestEvent.EVENT_COMPLETED), 1, 0, true, 1);
        assertEquals(6, recorder.snatched(hash, 0));
        state.replace(site.apply(5));
        assertEquals(6, recorder.snatched(hash, 0), "a reload that read the database before the flush landed");
        state.replace(site.apply(8));
        assertEquals(8, recorder.snatched(hash, 0));
        final byte[] other = new byte[40];
        other[20] = 1;
        assertEquals(0, recorder.snatched(other, 20), "an unregistered torrent");
        baselines.close();
    }

    @Test
    void aSteadyStateAnnounceAllocatesNothing() throws Exception
    {
        final DeltaRing ring = new DeltaRing(dir.resolve("deltas.ring"), 1024);
        final PeerBaselines baselines = PeerBaselines.open(dir, 1000);
        final DeltaRecorder recorder = new DeltaRecorder(ring, baselines, new SiteState(), counters());
        recorder.startSequence(1);
        final RequestEvent[] events = new RequestEvent[16];
        for (int i = 0; i < events.length; i++)
        {
            events[i] = event(i, 0, 0, RequestEvent.EVENT_NONE);
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        long allocated = 0;
        for (int round = 0; round < 6; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++)
            {
                final RequestEvent e = events[i & 15];
                e.uploaded += 10;
                e.downloaded += 5;
                recorder.announce(e, 1, 1, false, i);
                if ((i & 255) == 0)
                {
                    ring.ring().read(DISCARD, Integer.MAX_VALUE);
                }
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        System.out.println("DeltaRecorderTest: 100000 steady-state announces allocated " + allocated + " bytes");
        assertTrue(allocated < 1024, "100000 announces allocated " + allocated + " bytes");
        baselines.close();
    }
}
