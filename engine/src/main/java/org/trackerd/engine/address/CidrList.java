package org.trackerd.engine.address;

import java.util.Arrays;
import java.util.List;

/**
 * A fixed list of CIDR blocks over 16-byte addresses. IPv4 blocks ({@code 10.0.0.0/8}) are kept as their
 * IPv4-mapped form ({@code ::ffff:10.0.0.0/104}), so an IPv4 client reaching a dual-stack socket as
 * {@code ::ffff:a.b.c.d} matches the IPv4 block it belongs to and nothing else.
 *
 * <p>Built once from configuration; {@link #contains} is allocation-free and any thread may call it.
 */
public final class CidrList
{
    public static final CidrList EMPTY = new CidrList(new byte[0], new int[0]);

    private final byte[] networks;
    private final int[] prefixBits;

    private CidrList(final byte[] networks, final int[] prefixBits)
    {
        this.networks = networks;
        this.prefixBits = prefixBits;
    }

    /**
     * Parses blocks such as {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or a bare address (a block of one).
     * Throws {@link IllegalArgumentException} naming the bad entry.
     */
    public static CidrList parse(final List<String> texts)
    {
        final byte[] networks = new byte[texts.size() * IpAddresses.LENGTH];
        final int[] bits = new int[texts.size()];
        for (int i = 0; i < texts.size(); i++)
        {
            bits[i] = parseOne(texts.get(i).trim(), networks, i * IpAddresses.LENGTH);
        }
        return new CidrList(networks, bits);
    }

    private static int parseOne(final String text, final byte[] out, final int offset)
    {
        final int slash = text.indexOf('/');
        final String address = slash < 0 ? text : text.substring(0, slash);
        if (IpAddresses.parse(address, out, offset) != IpAddresses.NO_PORT || address.startsWith("["))
        {
            throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR block");
        }
        final boolean ipv4 = address.indexOf(':') < 0;
        final int max = ipv4 ? 32 : 128;
        int bits = max;
        if (slash >= 0)
        {
            try
            {
                bits = Integer.parseInt(text.substring(slash + 1));
            }
            catch (final NumberFormatException ex)
            {
                bits = -1;
            }
            if (bits < 0 || bits > max)
            {
                throw new IllegalArgumentException("'" + text + "': prefix length must be 0.." + max);
            }
        }
        final int total = ipv4 ? 96 + bits : bits;
        // Clear host bits so matching compares networks only.
        for (int b = total; b < 128; b++)
        {
            out[offset + (b >>> 3)] &= (byte)~(0x80 >>> (b & 7));
        }
        return total;
    }

    public boolean isEmpty()
    {
        return prefixBits.length == 0;
    }

    public int size()
    {
        return prefixBits.length;
    }

    /** True when the 16-byte address at {@code offset} lies in one of the blocks. */
    public boolean contains(final byte[] address, final int offset)
    {
        for (int i = 0; i < prefixBits.length; i++)
        {
            if (IpAddresses.samePrefix(networks, i * IpAddresses.LENGTH, address, offset, prefixBits[i]))
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString()
    {
        return "CidrList" + Arrays.toString(prefixBits);
    }
}
