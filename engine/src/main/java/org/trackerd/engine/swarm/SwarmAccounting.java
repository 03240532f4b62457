package org.trackerd.engine.swarm;

import org.trackerd.engine.event.RequestEvent;

/**
 * What the swarm processor tells the site's accounting: private mode implements it (recording each accepted
 * announce's deltas, each peer that left by expiry, and reporting the site's snatch counts); public mode gets
 * {@link #NONE}, which records nothing and reports the swarm's own counts.
 *
 * <p>Thread: the swarm processor only; an implementation does no I/O and does not block.
 */
public interface SwarmAccounting
{
    /** Public mode: nothing is recorded, the swarm's own downloaded count is reported. */
    SwarmAccounting NONE = new SwarmAccounting()
    {
        @Override
        public long downloaded(final byte[] infoHash, final int offset, final long swarmDownloaded)
        {
            return swarmDownloaded;
        }

        @Override
        public void announce(final RequestEvent e, final int seeders, final int leechers, final boolean completed,
            final long nowMs)
        {
        }

        @Override
        public void expired(final byte[] infoHash, final byte[] identity, final int peerIdOffset,
            final int addressOffset, final int seeders, final int leechers, final long nowMs)
        {
        }
    };

    /**
     * The {@code downloaded} count an announce or scrape of this swarm reports, given the swarm's own; private
     * mode reports the site's snatch count, which outlives the swarm.
     */
    long downloaded(byte[] infoHash, int offset, long swarmDownloaded);

    /**
     * An announce the swarm took (not one refused).
     *
     * @param completed the announce completed the download for the first time for this peer
     */
    void announce(RequestEvent e, int seeders, int leechers, boolean completed, long nowMs);

    /**
     * A peer left by expiry: its peer id at {@code peerIdOffset} and its address (16 bytes) at
     * {@code addressOffset} of {@code identity}; the swarm's counts after it left.
     */
    void expired(byte[] infoHash, byte[] identity, int peerIdOffset, int addressOffset, int seeders, int leechers,
        long nowMs);
}
