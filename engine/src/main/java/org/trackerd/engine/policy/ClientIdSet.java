package org.trackerd.engine.policy;

import org.agrona.collections.LongHashSet;

/**
 * An immutable set of BitTorrent client ids, matched against a 20-byte peer_id without allocating.
 *
 * <ul>
 * <li>Azureus style peer ids ({@code -XX1234-...}: a dash, a two-character client code, four version characters,
 * a dash) match an entry {@code XX} (any version) or {@code XX1234} (that version only).</li>
 * <li>Any other peer id is Shadow style ({@code T03I--...}): its first character is the client, matching a
 * one-character entry.</li>
 * </ul>
 * Entries are written {@code -UT}, {@code UT}, {@code -UT3550-}, {@code UT3550} or {@code T}. Each becomes one
 * {@code long} (a tag byte and up to six ASCII bytes) in an Agrona {@link LongHashSet}.
 *
 * <p>Thread: built once, then read by any thread.
 */
public final class ClientIdSet
{
    private static final long TAG_AZUREUS_VERSION = 1L << 56;
    private static final long TAG_AZUREUS = 2L << 56;
    private static final long TAG_SHADOW = 3L << 56;
    private static final ClientIdSet EMPTY = new ClientIdSet(new LongHashSet());

    private final LongHashSet ids;

    private ClientIdSet(final LongHashSet ids)
    {
        this.ids = ids;
    }

    public static ClientIdSet empty()
    {
        return EMPTY;
    }

    public int size()
    {
        return ids.size();
    }

    /** True when the peer_id at {@code offset} (20 bytes) belongs to a listed client. */
    public boolean matches(final byte[] peerId, final int offset)
    {
        if (isAzureus(peerId, offset))
        {
            return ids.contains(TAG_AZUREUS_VERSION | pack(peerId, offset + 1, 6)) ||
                ids.contains(TAG_AZUREUS | pack(peerId, offset + 1, 2));
        }
        return ids.contains(TAG_SHADOW | (peerId[offset] & 0xFFL));
    }

    static boolean isAzureus(final byte[] peerId, final int offset)
    {
        return peerId[offset] == '-' && peerId[offset + 7] == '-';
    }

    private static long pack(final byte[] src, final int offset, final int length)
    {
        long v = 0;
        for (int i = 0; i < length; i++)
        {
            v = (v << 8) | (src[offset + i] & 0xFFL);
        }
        return v;
    }

    /**
     * Parses one entry; returns an error text, or null when it was added.
     */
    static String add(final LongHashSet ids, final String entry)
    {
        String s = entry;
        final boolean dashed = s.startsWith("-");
        if (dashed)
        {
            s = s.substring(1);
            if (s.endsWith("-"))
            {
                s = s.substring(0, s.length() - 1);
            }
        }
        for (int i = 0; i < s.length(); i++)
        {
            final char ch = s.charAt(i);
            if (ch <= ' ' || ch > '~')
            {
                return "client id '" + entry + "' has a character that is not printable ASCII";
            }
        }
        final byte[] b = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (b.length == 2)
        {
            ids.add(TAG_AZUREUS | pack(b, 0, 2));
        }
        else if (b.length == 6)
        {
            ids.add(TAG_AZUREUS_VERSION | pack(b, 0, 6));
        }
        else if (b.length == 1 && !dashed)
        {
            ids.add(TAG_SHADOW | (b[0] & 0xFFL));
        }
        else
        {
            return "client id '" + entry + "' is neither Azureus style (-XX-, XX, -XX1234-, XX1234) nor a " +
                "one-character Shadow style id";
        }
        return null;
    }

    /** Collects entries; {@link #add(String)} returns an error text for a bad entry. */
    public static final class Builder
    {
        private final LongHashSet ids = new LongHashSet();

        public String add(final String entry)
        {
            return ClientIdSet.add(ids, entry);
        }

        public ClientIdSet build()
        {
            return new ClientIdSet(ids);
        }
    }
}
