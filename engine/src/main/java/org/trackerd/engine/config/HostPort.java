package org.trackerd.engine.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A listen address in the config's {@code "host:port"} form, IPv6 hosts in brackets ({@code "[::1]:6969"}).
 * Only numeric addresses and {@code localhost} are accepted: a tracker must not depend on DNS to start.
 */
public final class HostPort
{
    private HostPort()
    {
    }

    public static InetSocketAddress parse(final String key, final String text)
    {
        if (text == null || text.isEmpty())
        {
            throw new ConfigException("config key '" + key + "': empty address, expected \"host:port\"");
        }
        final String host;
        final String portText;
        if (text.charAt(0) == '[')
        {
            final int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':')
            {
                throw new ConfigException("config key '" + key + "': '" + text + "' is not \"[ipv6]:port\"");
            }
            host = text.substring(1, close);
            portText = text.substring(close + 2);
        }
        else
        {
            final int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon)
            {
                throw new ConfigException("config key '" + key + "': '" + text +
                    "' is not \"host:port\" (write IPv6 addresses as \"[::1]:6969\")");
            }
            host = text.substring(0, colon);
            portText = text.substring(colon + 1);
        }
        final int port;
        try
        {
            port = Integer.parseInt(portText);
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigException("config key '" + key + "': port '" + portText + "' is not a number");
        }
        if (port < 0 || port > 65535)
        {
            throw new ConfigException("config key '" + key + "': port " + port + " is outside 0..65535");
        }
        if (!"localhost".equals(host) && !isNumericAddress(host))
        {
            throw new ConfigException("config key '" + key + "': host '" + host +
                "' must be a numeric IPv4/IPv6 address or localhost");
        }
        try
        {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        }
        catch (final UnknownHostException ex)
        {
            throw new ConfigException("config key '" + key + "': cannot resolve '" + host + "'");
        }
    }

    private static boolean isNumericAddress(final String host)
    {
        if (host.isEmpty())
        {
            return false;
        }
        if (host.indexOf(':') >= 0)
        {
            for (int i = 0; i < host.length(); i++)
            {
                final char c = host.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.'))
                {
                    return false;
                }
            }
            return true;
        }
        final String[] parts = host.split("\\.", -1);
        if (parts.length != 4)
        {
            return false;
        }
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3)
            {
                return false;
            }
            for (int i = 0; i < part.length(); i++)
            {
                if (!Character.isDigit(part.charAt(i)))
                {
                    return false;
                }
            }
            if (Integer.parseInt(part) > 255)
            {
                return false;
            }
        }
        return true;
    }

    /** {@code host:port}, an IPv6 host in brackets and in its short form ({@code [::]:6969}, {@code [::1]:6969}). */
    public static String format(final InetSocketAddress address)
    {
        final String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + compressIpv6(host) + "]" : host) + ":" + address.getPort();
    }

    /**
     * RFC 5952's short form of the JDK's full IPv6 text ({@code 0:0:0:0:0:0:0:1} becomes {@code ::1}): the longest
     * run of two or more zero groups (the first of equal runs) becomes {@code ::}; a {@code %scope} stays as is.
     */
    static String compressIpv6(final String full)
    {
        final int percent = full.indexOf('%');
        final String address = percent < 0 ? full : full.substring(0, percent);
        final String[] groups = address.split(":", -1);
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < groups.length; )
        {
            int j = i;
            while (j < groups.length && groups[j].equals("0"))
            {
                j++;
            }
            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        if (bestStart < 0)
        {
            return full;
        }
        final String head = String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestStart));
        final String tail = String.join(":", java.util.Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
        return head + "::" + tail + (percent < 0 ? "" : full.substring(percent));
    }
}
