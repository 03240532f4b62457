package org.trackerd.io.http;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.trackerd.engine.address.CidrList;
import org.trackerd.engine.address.IpAddresses;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proxy header as the request parser finds it, and the client address the resolver takes from it. */
class ClientAddressResolverTest
{
    private final HttpRequestParser xff = new HttpRequestParser(16, "X-Forwarded-For");
    private final ClientAddressResolver resolver =
        new ClientAddressResolver(CidrList.parse(List.of("10.0.0.0/8", "fd00::/8")));
    private final byte[] out = new byte[16];

    private static byte[] ip(final String text)
    {
        final byte[] a = new byte[16];
        assertTrue(IpAddresses.parse(text, a, 0) != IpAddresses.INVALID, text);
        return a;
    }

    private static UnsafeBuffer request(final String headers)
    {
        return new UnsafeBuffer(("GET /announce?x=1 HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    }

    private String header(final HttpRequestParser parser, final UnsafeBuffer b)
    {
        assertTrue(parser.parse(b, 0, b.capacity()) > 0);
        assertEquals(0, parser.errorStatus);
        return parser.addressHeaderOffset < 0 ? null :
            b.getStringWithoutLengthAscii(parser.addressHeaderOffset, parser.addressHeaderLength);
    }

    /** Resolves what the proxy at {@code socket} forwarded with the given header lines. */
    private boolean resolve(final String socket, final String headers)
    {
        final UnsafeBuffer b = request(headers);
        header(xff, b);
        return resolver.resolve(ip(socket), b, xff.addressHeaderOffset, xff.addressHeaderLength, out);
    }

    @Test
    void parserFindsTheConfiguredHeaderInAnyCaseAndTrimsIt()
    {
        assertEquals("1.2.3.4, 10.0.0.1", header(xff, request("x-FORWARDED-for:   1.2.3.4, 10.0.0.1  \r\n")));
        assertEquals("5.6.7.8", header(xff, request("X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-For: 5.6.7.8\r\n")));
        assertEquals(null, header(xff, request("X-Real-IP: 1.2.3.4\r\n")));
        assertEquals(null, header(new HttpRequestParser(16), request("X-Forwarded-For: 1.2.3.4\r\n")));
        assertEquals("2001:db8::1", header(new HttpRequestParser(16, "x-real-ip"), request("X-Real-IP: 2001:db8::1\r\n")));
    }

    @Test
    void headerIsBelievedOnlyFromATrustedProxy()
    {
        assertTrue(resolve("10.0.0.1", "X-Forwarded-For: 203.0.113.5\r\n"));
        assertArrayEquals(ip("203.0.113.5"), out);
        assertTrue(resolve("::ffff:10.0.0.1", "X-Forwarded-For: 203.0.113.5\r\n"), "IPv4-mapped proxy is IPv4");
        assertArrayEquals(ip("203.0.113.5"), out);
        assertFalse(resolve("192.0.2.1", "X-Forwarded-For: 203.0.113.5\r\n"));
        assertArrayEquals(ip("192.0.2.1"), out);
        assertFalse(resolve("10.0.0.1", ""));
        assertArrayEquals(ip("10.0.0.1"), out);
    }

    @Test
    void chainIsWalkedFromTheRightSkippingTrustedProxies()
    {
        // The client forged the leftmost entry; our proxies appended the rest.
        assertTrue(resolve("10.0.0.1", "X-Forwarded-For: 6.6.6.6, 203.0.113.5, 10.9.9.9, fd00::7\r\n"));
        assertArrayEquals(ip("203.0.113.5"), out);
        assertTrue(resolve("fd00::1", "X-Forwarded-For: 2001:db8::42,10.1.1.1\r\n"));
        assertArrayEquals(ip("2001:db8::42"), out);
        assertTrue(resolve("10.0.0.1", "X-Forwarded-For: [2001:db8::9]:1234, 198.51.100.1:80\r\n"));
        assertArrayEquals(ip("198.51.100.1"), out);
        // Everyone trusted: the leftmost proxy is as far as we can see.
        assertTrue(resolve("10.0.0.1", "X-Forwarded-For: 10.3.3.3, 10.2.2.2\r\n"));
        assertArrayEquals(ip("10.3.3.3"), out);
        // Junk stops the walk at the last good hop; junk first leaves the socket address.
        assertTrue(resolve("10.0.0.1", "X-Forwarded-For: 203.0.113.5, garbage, 10.2.2.2\r\n"));
        assertArrayEquals(ip("10.2.2.2"), out);
        assertFalse(resolve("10.0.0.1", "X-Forwarded-For: unknown\r\n"));
        assertArrayEquals(ip("10.0.0.1"), out);
        assertFalse(resolve("10.0.0.1", "X-Forwarded-For: 1.2.3.4,\r\n"));
        assertArrayEquals(ip("10.0.0.1"), out);
    }
}
