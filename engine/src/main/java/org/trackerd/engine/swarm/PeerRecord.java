package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.event.RequestEvent;

/**
 * A flyweight over one peer's 60-byte record in a page (the layout is drawn in {@link Page}): its addresses, ports,
 * last-seen seconds, key and flags, and the rules that read or change them in one place: which client owns the
 * peer id ({@link #isSameClient}), how an address is recorded in the fields of its family ({@link #placeAddress}),
 * which families expired ({@link #expiredFamilies}) and what the accounting record keeps of a peer that leaves
 * ({@link #copyIdentity}).
 *
 * <pre>
 *  0              20             36       40       42       44    48          52          56    57   60
 *  +--------------+--------------+--------+--------+--------+-----+-----------+-----------+-----+----+
 *  | peer id (20) | IPv6 address | IPv4   | v6 port| v4 port| key | v6 seen s | v4 seen s |flags| -- |
 *  +--------------+--------------+--------+--------+--------+-----+-----------+-----------+-----+----+
 * </pre>
 *
 * <p>Thread: a flyweight belongs to the thread that wrapped it (the swarm processor's).
 */
final class PeerRecord
{
    /** Peer id (0..20) and address as 16 bytes (20..36), IPv4 mapped: what {@link #copyIdentity} writes. */
    static final int IDENTITY_LENGTH = 36;

    private UnsafeBuffer page;
    private int position;
    private int offset;

    /** Wraps the record at {@code position} of {@code page}. */
    PeerRecord wrap(final UnsafeBuffer page, final int position)
    {
        this.page = page;
        this.position = position;
        this.offset = Page.record(position);
        return this;
    }

    int position()
    {
        return position;
    }

    int flags()
    {
        return page.getByte(offset + Page.FLAGS) & 0xFF;
    }

    void flags(final int flags)
    {
        page.putByte(offset + Page.FLAGS, (byte)flags);
    }

    boolean isSeeder()
    {
        return (flags() & Page.SEEDER) != 0;
    }

    void peerId(final byte[] peerId)
    {
        page.putBytes(offset + Page.PEER_ID, peerId, 0, RequestEvent.HASH_LENGTH);
    }

    void key(final int key)
    {
        page.putInt(offset + Page.KEY, key);
    }

    /** The seeded fingerprint of the peer id a big swarm's index files the record under. */
    long fingerprint(final long seed)
    {
        return PeerHash.fingerprint(page, offset + Page.PEER_ID, seed);
    }

    /**
     * Records an address the peer announced from in the fields of its family: a first address, a re-announce or a
     * move within the family, or an address in the other family, which makes it dual-stacked. Returns the flags
     * with the family's bits set (the record's flags byte is left to the caller).
     */
    int placeAddress(final int flags, final byte[] address, final int port, final int nowS)
    {
        // Fields read once: a store through the buffer may alias anything as far as the compiler knows.
        final UnsafeBuffer page = this.page;
        final int offset = this.offset;
        int f = flags;
        if (RequestEvent.isIpv4Mapped(address, 0))
        {
            page.putBytes(offset + Page.V4_ADDRESS, address, 12, 4);
            page.putShort(offset + Page.V4_PORT, (short)port);
            page.putInt(offset + Page.V4_SEEN, nowS);
            f |= Page.HAS_V4;
        }
        else
        {
            page.putBytes(offset + Page.V6_ADDRESS, address, 0, 16);
            page.putShort(offset + Page.V6_PORT, (short)port);
            page.putInt(offset + Page.V6_SEEN, nowS);
            if ((flags & (Page.HAS_V4 | Page.HAS_V6)) == 0)
            {
                f |= Page.PRIMARY_V6;
            }
            f |= Page.HAS_V6;
        }
        return f;
    }

    /**
     * The same client re-announcing: from an address it used before (it may change key or port), or from a
     * new address while proving itself with the key it announced before; a new address of the other family
     * with the key makes it dual-stacked. Without a key, a new address is refused even from the other family:
     * peer ids are public (dict responses carry them) and BEP 7 makes the key what recognises one client behind
     * two addresses, so anyone else reusing the peer id can neither take the peer over, attach to it, nor stop it.
     */
    boolean isSameClient(final RequestEvent e)
    {
        final UnsafeBuffer page = this.page;
        final int offset = this.offset;
        final int flags = page.getByte(offset + Page.FLAGS) & 0xFF;
        final UnsafeBuffer address = e.addressView;
        if (RequestEvent.isIpv4Mapped(e.address, 0))
        {
            if ((flags & Page.HAS_V4) != 0 && page.getInt(offset + Page.V4_ADDRESS) == address.getInt(12))
            {
                return true;
            }
        }
        else if ((flags & Page.HAS_V6) != 0 && page.getLong(offset + Page.V6_ADDRESS) == address.getLong(0) &&
            page.getLong(offset + Page.V6_ADDRESS + 8) == address.getLong(8))
        {
            return true;
        }
        return e.hasKey && (flags & Page.HAS_KEY) != 0 && page.getInt(offset + Page.KEY) == e.key;
    }

    /** The address families of the record whose last announce is older than {@code deadlineMs}. */
    int expiredFamilies(final long deadlineMs)
    {
        final int flags = flags();
        int dead = 0;
        if ((flags & Page.HAS_V4) != 0 && !seenSince(Page.V4_SEEN, deadlineMs))
        {
            dead |= Page.HAS_V4;
        }
        if ((flags & Page.HAS_V6) != 0 && !seenSince(Page.V6_SEEN, deadlineMs))
        {
            dead |= Page.HAS_V6;
        }
        return dead;
    }

    private boolean seenSince(final int seenOffset, final long deadlineMs)
    {
        return (page.getInt(offset + seenOffset) & 0xFFFF_FFFFL) * 1000 >= deadlineMs;
    }

    /**
     * Copies the peer id and the address the peer is counted under (IPv4 as a mapped IPv6 address) into
     * {@code identity} ({@link #IDENTITY_LENGTH} bytes): what the accounting record of a peer that left keeps.
     */
    void copyIdentity(final byte[] identity)
    {
        page.getBytes(offset + Page.PEER_ID, identity, 0, 20);
        if ((flags() & Page.PRIMARY_V6) != 0)
        {
            page.getBytes(offset + Page.V6_ADDRESS, identity, 20, 16);
        }
        else
        {
            java.util.Arrays.fill(identity, 20, 30, (byte)0);
            identity[30] = (byte)0xFF;
            identity[31] = (byte)0xFF;
            page.getBytes(offset + Page.V4_ADDRESS, identity, 32, 4);
        }
    }
}
