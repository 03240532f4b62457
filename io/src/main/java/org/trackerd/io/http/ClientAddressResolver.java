package org.trackerd.io.http;

import org.agrona.DirectBuffer;
import org.trackerd.engine.address.CidrList;
import org.trackerd.engine.address.IpAddresses;

/**
 * Finds the client address of a request that came through a reverse proxy. The proxy's header
 * ({@code X-Forwarded-For}, {@code X-Real-IP}, ...) is believed only when the socket peer is a trusted proxy;
 * its comma-separated list is walked from the right (the entry our nearest proxy wrote), skipping further
 * trusted proxies, and the first address outside them is the client. Entries to its left were written by the
 * client itself and are never read. A malformed entry ends the walk at the last good address seen.
 *
 * <p>Thread: one instance per frontend thread; allocation-free.
 */
public final class ClientAddressResolver
{
    private final CidrList trusted;
    private final byte[] candidate = new byte[IpAddresses.LENGTH];

    public ClientAddressResolver(final CidrList trusted)
    {
        this.trusted = trusted;
    }

    /**
     * Writes the client address into {@code out} (16 bytes at 0): from the header at
     * {@code [headerOffset, headerOffset + headerLength)} (offset -1 = absent) when {@code socketAddress} is
     * trusted, else the socket address. Returns true when the header decided it.
     */
    public boolean resolve(final byte[] socketAddress, final DirectBuffer buffer, final int headerOffset,
        final int headerLength, final byte[] out)
    {
        System.arraycopy(socketAddress, 0, out, 0, IpAddresses.LENGTH);
        if (headerOffset < 0 || !trusted.contains(socketAddress, 0))
        {
            return false;
        }
        boolean fromHeader = false;
        int end = headerOffset + headerLength;
        while (end > headerOffset)
        {
            int start = end;
            while (start > headerOffset && buffer.getByte(start - 1) != ',')
            {
                start--;
            }
            int s = start;
            int e = end;
            while (s < e && isSpace(buffer.getByte(s)))
            {
                s++;
            }
            while (e > s && isSpace(buffer.getByte(e - 1)))
            {
                e--;
            }
            if (IpAddresses.parse(buffer, s, e, candidate, 0) == IpAddresses.INVALID)
            {
                break;
            }
            System.arraycopy(candidate, 0, out, 0, IpAddresses.LENGTH);
            fromHeader = true;
            if (!trusted.contains(candidate, 0))
            {
                break;
            }
            end = start - 1;
        }
        return fromHeader;
    }

    private static boolean isSpace(final byte b)
    {
        return b == ' ' || b == '\t';
    }
}
