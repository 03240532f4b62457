package org.trackerd.engine.address;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpAddressesTest
{
    private static byte[] jdk(final String literal) throws Exception
    {
        final byte[] raw = InetAddress.getByName(literal).getAddress();
        if (raw.length == 16)
        {
            return raw;
        }
        final byte[] out = new byte[16];
        out[10] = (byte)0xFF;
        out[11] = (byte)0xFF;
        System.arraycopy(raw, 0, out, 12, 4);
        return out;
    }

    private static byte[] parsed(final String text, final int expectedPort)
    {
        final byte[] out = new byte[16];
        assertEquals(expectedPort, IpAddresses.parse(text, out, 0), text);
        return out;
    }

    @Test
    void parsesWhatTheJdkParses() throws Exception
    {
        for (final String literal : List.of("1.2.3.4", "0.0.0.0", "255.255.255.255", "::", "::1", "1::", "2001:db8::1",
            "2001:db8:0:0:1:0:0:1", "fe80::1:2:3:4", "::ffff:10.1.2.3", "::10.1.2.3", "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "64:ff9b::192.0.2.33", "ABCD:EF01::"))
        {
            assertArrayEquals(jdk(literal), parsed(literal, IpAddresses.NO_PORT), literal);
        }
    }

    @Test
    void ipv4MappedTextIsIpv4()
    {
        assertTrue(IpAddresses.isIpv4(parsed("::ffff:192.168.0.1", IpAddresses.NO_PORT), 0));
        assertArrayEquals(parsed("192.168.0.1", IpAddresses.NO_PORT), parsed("::ffff:c0a8:1", IpAddresses.NO_PORT));
        assertFalse(IpAddresses.isIpv4(parsed("::1", IpAddresses.NO_PORT), 0));
    }

    @Test
    void portsAndBrackets() throws Exception
    {
        assertArrayEquals(jdk("1.2.3.4"), parsed("1.2.3.4:6881", 6881));
        assertArrayEquals(jdk("2001:db8::7"), parsed("[2001:db8::7]:51413", 51413));
        assertArrayEquals(jdk("2001:db8::7"), parsed("[2001:db8::7]", IpAddresses.NO_PORT));
    }

    @Test
    void refusesJunk()
    {
        for (final String bad : List.of("", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:", "1.2.3.4:70000", "a.b.c.d",
            ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", ":1::", "1::2:", "[::1", "[::1]x", "::1%eth0",
            "localhost", "1.2.3.4 ", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3"))
        {
            assertEquals(IpAddresses.INVALID, IpAddresses.parse(bad, new byte[16], 0), "'" + bad + "'");
        }
    }

    @Test
    void prefixes()
    {
        final byte[] a = parsed("10.1.2.3", IpAddresses.NO_PORT);
        final byte[] b = parsed("10.1.100.3", IpAddresses.NO_PORT);
        assertTrue(IpAddresses.samePrefix(a, 0, b, 0, 96 + 16));
        assertTrue(IpAddresses.samePrefix(a, 0, b, 0, 96 + 17));
        assertFalse(IpAddresses.samePrefix(a, 0, b, 0, 96 + 24));
        assertTrue(IpAddresses.samePrefix(a, 0, b, 0, 0));
        assertFalse(IpAddresses.samePrefix(a, 0, parsed("2001:db8::", IpAddresses.NO_PORT), 0, 96));
    }

    @Test
    void cidrListMatchesBothFamiliesAndMappedAddresses()
    {
        final CidrList list = CidrList.parse(List.of("10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "fd00::1/128"));
        assertEquals(4, list.size());
        assertTrue(list.contains(parsed("10.255.0.1", IpAddresses.NO_PORT), 0));
        assertTrue(list.contains(parsed("::ffff:10.0.0.1", IpAddresses.NO_PORT), 0));
        assertFalse(list.contains(parsed("11.0.0.1", IpAddresses.NO_PORT), 0));
        assertTrue(list.contains(parsed("192.168.1.7", IpAddresses.NO_PORT), 0));
        assertFalse(list.contains(parsed("192.168.1.8", IpAddresses.NO_PORT), 0));
        assertTrue(list.contains(parsed("2001:db8:ffff::1", IpAddresses.NO_PORT), 0));
        assertFalse(list.contains(parsed("2001:db9::1", IpAddresses.NO_PORT), 0));
        assertTrue(list.contains(parsed("fd00::1", IpAddresses.NO_PORT), 0));
        assertFalse(list.contains(parsed("fd00::2", IpAddresses.NO_PORT), 0));
        // An IPv6 /0 is everything; an IPv4 /0 is only IPv4.
        assertTrue(CidrList.parse(List.of("::/0")).contains(parsed("1.2.3.4", IpAddresses.NO_PORT), 0));
        assertFalse(CidrList.parse(List.of("0.0.0.0/0")).contains(parsed("::1", IpAddresses.NO_PORT), 0));
        assertTrue(CidrList.parse(List.of("10.1.2.3/8")).contains(parsed("10.9.9.9", IpAddresses.NO_PORT), 0));
        assertTrue(CidrList.EMPTY.isEmpty());
        assertFalse(CidrList.EMPTY.contains(parsed("1.2.3.4", IpAddresses.NO_PORT), 0));
    }

    @Test
    void cidrListRefusesJunk()
    {
        for (final String bad : List.of("10.0.0.0/33", "::/129", "10.0.0.0/x", "nope", "10.0.0.0:80", "[::1]", "/8"))
        {
            assertThrows(IllegalArgumentException.class, () -> CidrList.parse(List.of(bad)), bad);
        }
    }
}
