package org.trackerd.engine.swarm;

import org.agrona.concurrent.UnsafeBuffer;
import org.trackerd.engine.event.RequestEvent;

/**
 * A flyweight over one peer's record in a page, of the full layout (60 bytes) or of a compact page (36 bytes, an
 * IPv4-only peer; both drawn in {@link Page}): its addresses, ports,
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
 *
 * Compact record (36 bytes):
 *  0              20       24          28    32       34    35   36
 *  +--------------+--------+-----------+-----+--------+-----+----+
 *  | peer id (20) | IPv4   | v4 seen s | key | v4 port|flags| -- |
 *  +--------------+--------+-----------+-----+--------+-----+----+
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
    // The offsets of the IPv4 fields and the flags within a record of the wrapped page's layout (full or compact).
    private int v4AddressAt;
    private int v4PortAt;
    private int keyAt;
    private int v4SeenAt;
    private int flagsAt;

    /**
     * Wraps the record at {@code position} of {@code page}, in the page's layout: a compact page's record has no
     * IPv6 fields, which its caller never asks for (a compact page holds IPv4-only peers; an announce with an IPv6
     * address makes the page full first).
     */
    PeerRecord wrap(final UnsafeBuffer page, final int position)
    {
        this.page = page;
        this.position = position;
        if (Page.isCompact(page))
        {
            offset = Page.HEADER + position * Page.COMPACT_RECORD;
            v4AddressAt = Page.COMPACT_V4_ADDRESS;
            v4PortAt = Page.COMPACT_V4_PORT;
            keyAt = Page.COMPACT_KEY;
            v4SeenAt = Page.COMPACT_V4_SEEN;
            flagsAt = Page.COMPACT_FLAGS;
        }
        else
        {
            offset = Page.record(position);
            v4AddressAt = Page.V4_ADDRESS;
            v4PortAt = Page.V4_PORT;
            keyAt = Page.KEY;
            v4SeenAt = Page.V4_SEEN;
            flagsAt = Page.FLAGS;
        }
        return this;
    }

    int position()
    {
        return position;
    }

    int flags()
    {
        return page.getByte(offset + flagsAt) & 0xFF;
    }

    void flags(final int flags)
    {
        page.putByte(offset + flagsAt, (byte)flags);
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
        page.putInt(offset + keyAt, key);
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
            page.putBytes(offset + v4AddressAt, address, 12, 4);
            page.putShort(offset + v4PortAt, (short)port);
            page.putInt(offset + v4SeenAt, nowS);
            f |= Page.HAS_V4;
        }
        else
        {
            if (flagsAt == Page.COMPACT_FLAGS)
            {
                // Its writer makes a page full before an IPv6 address goes in: this is a bug, never data.
                throw new IllegalStateException("an IPv6 address for a record of a compact page");
            }
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
        final int flags = page.getByte(offset + flagsAt) & 0xFF;
        final UnsafeBuffer address = e.addressView;
        if (RequestEvent.isIpv4Mapped(e.address, 0))
        {
            if ((flags & Page.HAS_V4) != 0 && page.getInt(offset + v4AddressAt) == address.getInt(12))
            {
                return true;
            }
        }
        else if ((flags & Page.HAS_V6) != 0 && page.getLong(offset + Page.V6_ADDRESS) == address.getLong(0) &&
            page.getLong(offset + Page.V6_ADDRESS + 8) == address.getLong(8))
        {
            return true;
        }
        return e.hasKey && (flags & Page.HAS_KEY) != 0 && page.getInt(offset + keyAt) == e.key;
    }

    /** The address families of the record whose last announce is older than {@code deadlineMs}. */
    int expiredFamilies(final long deadlineMs)
    {
        final int flags = flags();
        int dead = 0;
        if ((flags & Page.HAS_V4) != 0 && !seenSince(v4SeenAt, deadlineMs))
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
            page.getBytes(offset + v4AddressAt, identity, 32, 4);
        }
    }
}
