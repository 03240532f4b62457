package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.event.RequestEvent;

import java.lang.invoke.VarHandle;

/**
 * Writes an announce into a peer's record (a new peer's id too), counts the peer under its new kind and family,
 * and files the record in the bucket its flags name. Says whether the announce {@link #completedNow completed}
 * the peer's download for the first time.
 *
 * <p>Thread: the swarm processor only.
 */
final class PeerWriter
{
    private final SwarmCounts counts;
    private final PeerRecord record = new PeerRecord();
    private final byte[] tmp = new byte[Page.RECORD];
    private boolean completedNow;

    PeerWriter(final SwarmCounts counts)
    {
        this.counts = counts;
    }

    /** Before each announce: nothing completed yet. */
    void reset()
    {
        completedNow = false;
    }

    /** The last {@link #write} counted a download ({@code completed}, once per peer). */
    boolean completedNow()
    {
        return completedNow;
    }

    /**
     * Writes the announce into the record at {@code pos} of {@code page} ({@code isNew}: an empty record, its peer
     * id written too), moves the record to its bucket and returns its position there.
     */
    int write(final UnsafeBuffer page, final int pos, final RequestEvent e, final long nowMs, final boolean isNew,
        final Page.SwapListener swaps)
    {
        final int flags = writeRecord(page, pos, e, nowMs, isNew);
        return Page.moveTo(page, pos, Page.bucketFor(flags), tmp, swaps);
    }

    /**
     * Adds a new peer to a page with room for it: in place in the first free slot of a page with
     * {@link Page#hasSlack spare slots} (the record written whole before the page counts it, so a death in between
     * leaves the page as it was), or, in an exact page on the heap one record longer than {@code count}, in its
     * zeroed last record. Returns the record's position in its bucket.
     */
    int add(final UnsafeBuffer page, final int count, final RequestEvent e, final long nowMs,
        final Page.SwapListener swaps)
    {
        if (!Page.hasSlack(page))
        {
            return write(page, count, e, nowMs, true, swaps);
        }
        page.setMemory(Page.record(page, count), Page.recordLength(page), (byte)0);
        final int flags = writeRecord(page, count, e, nowMs, true);
        VarHandle.storeStoreFence();
        Page.count(page, count + 1);
        return Page.moveTo(page, count, Page.bucketFor(flags), tmp, swaps);
    }

    /** Writes the announce into the record at {@code pos}, flags last; returns the flags, the record not moved. */
    private int writeRecord(final UnsafeBuffer page, final int pos, final RequestEvent e, final long nowMs,
        final boolean isNew)
    {
        final PeerRecord r = record.wrap(page, pos);
        int flags;
        if (isNew)
        {
            r.peerId(e.peerId);
            flags = 0;
        }
        else
        {
            flags = r.flags();
            counts.population(flags, -1);
        }
        final int nowS = (int)(nowMs / 1000);
        flags = r.placeAddress(flags, e.address, e.port, nowS);
        if (e.hasAltAddress)
        {
            flags = r.placeAddress(flags, e.altAddress, e.altPort, nowS);
        }
        r.key(e.key);
        flags = e.hasKey ? flags | Page.HAS_KEY : flags & ~Page.HAS_KEY;
        completedNow = e.event == RequestEvent.EVENT_COMPLETED && (flags & Page.COMPLETED) == 0;
        if (completedNow)
        {
            flags |= Page.COMPLETED;
        }
        flags = e.left == 0 ? flags | Page.SEEDER : flags & ~Page.SEEDER;
        r.flags(flags);
        counts.population(flags, 1);
        return flags;
    }

    /**
     * The announce carries no IPv6 address (nor an alternative one), so its peer fits a record of a compact page; a
     * compact page is made full before an announce that does not is written into it.
     */
    static boolean fitsCompact(final RequestEvent e)
    {
        return RequestEvent.isIpv4Mapped(e.address, 0) &&
            (!e.hasAltAddress || RequestEvent.isIpv4Mapped(e.altAddress, 0));
    }

    /** Whether the announcer owns the peer id of the record at {@code pos} (see {@link PeerRecord#isSameClient}). */
    boolean isSameClient(final UnsafeBuffer page, final int pos, final RequestEvent e)
    {
        return record.wrap(page, pos).isSameClient(e);
    }
}
