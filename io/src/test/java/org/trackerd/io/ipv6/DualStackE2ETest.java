package org.trackerd.io.ipv6;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.BencodeTestDecoder;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.Tracker;
import org.trackerd.io.e2e.Announce;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole tracker on 127.0.0.1 and ::1 (HTTP and UDP): single-family and dual-stacked swarms, the family
 * policy, {@code peers6}, the reverse-proxy header, BEP 7 address parameters and preferred-subnet selection.
 */
class DualStackE2ETest
{
    @TempDir
    Path dir;

    private Tracker tracker;
    private InetSocketAddress http4;
    private InetSocketAddress http6;
    private InetSocketAddress udp4;
    private InetSocketAddress udp6;
    private int nextPort = 20_000;

    @AfterEach
    void stop()
    {
        if (tracker != null)
        {
            tracker.close();
        }
    }

    private void start(final String trackerKeys, final String httpKeys) throws IOException
    {
        final String json = "{ \"http\": { \"listen\": [\"127.0.0.1:0\", \"[::1]:0\"]" + httpKeys + " }," +
            " \"udp\": { \"listen\": [\"127.0.0.1:0\", \"[::1]:0\"] }," +
            " \"storage\": { \"path\": \"" + dir.resolve("store").toString().replace("\\", "\\\\") +
            "\", \"max_torrents\": 1000, \"max_peers\": 10000 }," +
            " \"tracker\": { \"default_numwant\": 50" + trackerKeys + " } }";
        tracker = new Tracker(TrackerConfig.parse(json)).start();
        for (final InetSocketAddress a : tracker.httpAddresses())
        {
            if (a.getAddress() instanceof Inet4Address)
            {
                http4 = a;
            }
            else
            {
                http6 = a;
            }
        }
        for (final InetSocketAddress a : tracker.udpAddresses())
        {
            if (a.getAddress() instanceof Inet4Address)
            {
                udp4 = a;
            }
            else
            {
                udp6 = a;
            }
        }
        assertTrue(http4 != null && http6 != null && udp4 != null && udp6 != null);
    }

    // ---------------------------------------------------------------- HTTP client

    /** One GET over a fresh connection to {@code to}, with extra header lines; returns the bencoded body. */
    private static Map<String, Object> get(final InetSocketAddress to, final String target, final String headers)
        throws IOException
    {
        try (Socket socket = new Socket())
        {
            socket.setSoTimeout(10_000);
            socket.connect(to, 5_000);
            socket.getOutputStream().write(("GET " + target + " HTTP/1.0\r\nHost: tracker\r\n" + headers + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
            final InputStream in = socket.getInputStream();
            final ByteArrayOutputStream all = new ByteArrayOutputStream();
            final byte[] chunk = new byte[8192];
            int n;
            while ((n = in.read(chunk)) > 0)
            {
                all.write(chunk, 0, n);
            }
            final byte[] bytes = all.toByteArray();
            final String text = new String(bytes, StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200") || text.startsWith("HTTP/1.0 200"), text);
            final int body = text.indexOf("\r\n\r\n") + 4;
            return BencodeTestDecoder.decodeDict(java.util.Arrays.copyOfRange(bytes, body, bytes.length));
        }
    }

    private Map<String, Object> announce(final InetSocketAddress to, final Announce a, final String extraQuery,
        final String headers) throws IOException
    {
        final Map<String, Object> r = get(to, a.target() + extraQuery, headers);
        return r;
    }

    private Map<String, Object> announce(final InetSocketAddress to, final Announce a) throws IOException
    {
        final Map<String, Object> r = announce(to, a, "", "");
        assertNull(r.get("failure reason"), () -> "failure: " + BencodeTestDecoder.latin1((byte[])r.get("failure reason")));
        return r;
    }

    /** "address port" of every compact peer in {@code peers} and {@code peers6}. */
    private static Set<String> peers(final Map<String, Object> r) throws IOException
    {
        final Set<String> out = new HashSet<>();
        final byte[] v4 = (byte[])r.get("peers");
        if (v4 != null)
        {
            assertEquals(0, v4.length % 6);
            for (int i = 0; i < v4.length; i += 6)
            {
                out.add(InetAddress.getByAddress(java.util.Arrays.copyOfRange(v4, i, i + 4)).getHostAddress() + " " +
                    (((v4[i + 4] & 0xFF) << 8) | (v4[i + 5] & 0xFF)));
            }
        }
        final byte[] v6 = (byte[])r.get("peers6");
        if (v6 != null)
        {
            assertEquals(0, v6.length % 18, "peers6 holds 18-byte entries");
            for (int i = 0; i < v6.length; i += 18)
            {
                final InetAddress a = InetAddress.getByAddress(java.util.Arrays.copyOfRange(v6, i, i + 16));
                assertTrue(a instanceof Inet6Address, "no IPv4-mapped address in peers6");
                out.add(a.getHostAddress() + " " + (((v6[i + 16] & 0xFF) << 8) | (v6[i + 17] & 0xFF)));
            }
        }
        return out;
    }

    private static int count(final Map<String, Object> r, final String key)
    {
        return ((Number)r.get(key)).intValue();
    }

    private int port()
    {
        return nextPort++;
    }

    private static final String V6 = "0:0:0:0:0:0:0:1";

    // ---------------------------------------------------------------- UDP client

    private static List<String> udpAnnounce(final InetSocketAddress to, final byte[] infoHash, final byte[] peerId,
        final int port, final long left, final int key) throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(to.getAddress(), 0)))
        {
            socket.setSoTimeout(5_000);
            final ByteBuffer connect = ByteBuffer.allocate(16).putLong(0x41727101980L).putInt(0).putInt(7);
            socket.send(new DatagramPacket(connect.array(), 16, to));
            final DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
            socket.receive(reply);
            final long connectionId = ByteBuffer.wrap(reply.getData()).getLong(8);
            final ByteBuffer a = ByteBuffer.allocate(98).putLong(connectionId).putInt(1).putInt(8).put(infoHash)
                .put(peerId).putLong(0).putLong(left).putLong(0).putInt(0).putInt(0).putInt(key).putInt(-1)
                .putShort((short)port);
            socket.send(new DatagramPacket(a.array(), 98, to));
            socket.receive(reply);
            final ByteBuffer r = ByteBuffer.wrap(reply.getData(), 0, reply.getLength());
            assertEquals(1, r.getInt(0), "announce reply");
            final int entry = to.getAddress() instanceof Inet4Address ? 6 : 18;
            final List<String> peers = new ArrayList<>();
            for (int i = 20; i + entry <= reply.getLength(); i += entry)
            {
                final byte[] address = java.util.Arrays.copyOfRange(reply.getData(), i, i + entry - 2);
                peers.add(InetAddress.getByAddress(address).getHostAddress() + " " + (r.getShort(i + entry - 2) & 0xFFFF));
            }
            return peers;
        }
    }

    // ---------------------------------------------------------------- tests

    @Test
    void singleFamilySwarmsOverBothListeners() throws IOException
    {
        start("", "");
        final byte[] v4Torrent = Announce.hash("v4 only");
        final byte[] v6Torrent = Announce.hash("v6 only");
        final int p1 = port();
        announce(http4, Announce.seeder(v4Torrent, Announce.peerId(1), p1));
        final Map<String, Object> r4 = announce(http4, Announce.leecher(v4Torrent, Announce.peerId(2), port()));
        assertEquals(Set.of("127.0.0.1 " + p1), peers(r4));
        assertNull(r4.get("peers6"));

        final int p3 = port();
        announce(http6, Announce.seeder(v6Torrent, Announce.peerId(3), p3));
        final Map<String, Object> r6 = announce(http6, Announce.leecher(v6Torrent, Announce.peerId(4), port()));
        assertEquals(0, ((byte[])r6.get("peers")).length, "IPv6 swarm: nothing in peers");
        assertEquals(18, ((byte[])r6.get("peers6")).length);
        assertEquals(Set.of(V6 + " " + p3), peers(r6));
        // Over UDP, an IPv6 sender gets 18-byte peers.
        assertEquals(List.of(V6 + " " + p3),
            udpAnnounce(udp6, v6Torrent, Announce.peerId(5), port(), 10, 0).stream().filter(p -> p.endsWith(" " + p3)).toList());
    }

    @Test
    void sameFamilyPolicyIsTheDefault() throws IOException
    {
        start("", "");
        final byte[] t = Announce.hash("mixed");
        final int p4 = port();
        final int p6 = port();
        announce(http4, Announce.seeder(t, Announce.peerId(1), p4));
        announce(http6, Announce.seeder(t, Announce.peerId(2), p6));
        assertEquals(Set.of("127.0.0.1 " + p4), peers(announce(http4, Announce.leecher(t, Announce.peerId(3), port()))));
        final Map<String, Object> r6 = announce(http6, Announce.leecher(t, Announce.peerId(4), port()));
        assertEquals(Set.of(V6 + " " + p6), peers(r6));
        assertEquals(2, count(r6, "complete"));
        assertEquals(2, count(r6, "incomplete"));
    }

    @Test
    void bothPolicyPutsIpv6PeersInPeers6AndTheDictFormCarriesBoth() throws IOException
    {
        start(", \"peer_family\": \"both\"", "");
        final byte[] t = Announce.hash("both");
        final int p4 = port();
        final int p6 = port();
        announce(http4, Announce.seeder(t, Announce.peerId(1), p4));
        announce(http6, Announce.seeder(t, Announce.peerId(2), p6));
        final Map<String, Object> r = announce(http4, Announce.leecher(t, Announce.peerId(3), port()));
        assertEquals(6, ((byte[])r.get("peers")).length);
        assertEquals(18, ((byte[])r.get("peers6")).length);
        assertEquals(Set.of("127.0.0.1 " + p4, V6 + " " + p6), peers(r));

        @SuppressWarnings("unchecked")
        final List<Map<String, Object>> dict = (List<Map<String, Object>>)announce(http6,
            Announce.leecher(t, Announce.peerId(4), port()).compact(false)).get("peers");
        final Set<String> ips = new HashSet<>();
        for (final Map<String, Object> p : dict)
        {
            ips.add(BencodeTestDecoder.latin1((byte[])p.get("ip")));
        }
        assertEquals(Set.of("127.0.0.1", V6), ips);
        // UDP still answers with the sender's family only, and fills it from that family.
        final List<String> udp = udpAnnounce(udp4, t, Announce.peerId(5), port(), 10, 0);
        assertTrue(udp.contains("127.0.0.1 " + p4), udp.toString());
        assertTrue(udp.stream().allMatch(p -> p.startsWith("127.0.0.1 ")), udp.toString());
    }

    @Test
    void dualStackedPeerIsCountedOnceAndReachableFromEitherFamily() throws IOException
    {
        start("", "");
        final byte[] t = Announce.hash("dual");
        final int p4 = port();
        final int p6 = port();
        announce(http4, Announce.seeder(t, Announce.peerId(1), p4).key("0badcafe"));
        final Map<String, Object> second = announce(http6, Announce.seeder(t, Announce.peerId(1), p6).key("0badcafe"));
        assertEquals(1, count(second, "complete"));
        assertEquals(0, count(second, "incomplete"));

        assertEquals(Set.of("127.0.0.1 " + p4), peers(announce(http4, Announce.leecher(t, Announce.peerId(2), port()))));
        assertEquals(Set.of(V6 + " " + p6), peers(announce(http6, Announce.leecher(t, Announce.peerId(3), port()))));
        assertEquals(List.of(V6 + " " + p6), udpAnnounce(udp6, t, Announce.peerId(4), port(), 10, 0).stream()
            .filter(p -> p.endsWith(" " + p6)).toList());
        assertTrue(udpAnnounce(udp4, t, Announce.peerId(5), port(), 10, 0).contains("127.0.0.1 " + p4));

        final Map<String, Object> scrape = get(http6, Announce.scrapeTarget(t), "");
        @SuppressWarnings("unchecked")
        final Map<String, Object> entry = (Map<String, Object>)((Map<String, Object>)scrape.get("files"))
            .get(BencodeTestDecoder.latin1(t));
        assertEquals(1, count(entry, "complete"));
        assertEquals(4, count(entry, "incomplete"));

        // The same peer id from the other family without the key is someone else.
        final byte[] u = Announce.hash("dual, no key");
        announce(http4, Announce.seeder(u, Announce.peerId(9), port()));
        final Map<String, Object> refused = announce(http6, Announce.seeder(u, Announce.peerId(9), port()), "", "");
        assertTrue(refused.containsKey("failure reason"), refused.keySet().toString());
    }

    @Test
    void proxyHeaderIsBelievedOnlyFromTrustedProxies() throws IOException
    {
        start("", ", \"proxy\": { \"header\": \"X-Forwarded-For\", \"trusted\": [\"127.0.0.0/8\"] }");
        final byte[] t = Announce.hash("proxy");
        final int p1 = port();
        final int p2 = port();
        final int p3 = port();
        // Through the trusted proxy (127.0.0.1): the client is the rightmost untrusted hop.
        announce(http4, Announce.seeder(t, Announce.peerId(1), p1), "",
            "X-Forwarded-For: 6.6.6.6, 203.0.113.7, 127.0.0.5\r\n");
        // A trusted IPv4 proxy may forward an IPv6 client.
        announce(http4, Announce.seeder(t, Announce.peerId(2), p2), "", "X-Forwarded-For: 2001:db8::7\r\n");
        // ::1 is not trusted: its header is ignored.
        announce(http6, Announce.seeder(t, Announce.peerId(3), p3), "", "X-Forwarded-For: 198.51.100.1\r\n");
        assertEquals(Set.of("203.0.113.7 " + p1),
            peers(announce(http4, Announce.leecher(t, Announce.peerId(4), port()), "", "X-Forwarded-For: 203.0.113.8\r\n")));
        assertEquals(Set.of("2001:db8:0:0:0:0:0:7 " + p2, V6 + " " + p3),
            peers(announce(http6, Announce.leecher(t, Announce.peerId(5), port()))));
    }

    @Test
    void addressParametersAreRefusedByDefault() throws IOException
    {
        start("", "");
        final byte[] t = Announce.hash("no spoofing");
        final int p1 = port();
        announce(http4, Announce.seeder(t, Announce.peerId(1), p1), "&ip=198.51.100.9&ipv4=198.51.100.10", "");
        announce(http4, Announce.seeder(t, Announce.peerId(2), port()), "&ipv6=2001:db8::9", "");
        assertEquals(Set.of("127.0.0.1 " + p1, "127.0.0.1 " + (p1 + 1)),
            peers(announce(http4, Announce.leecher(t, Announce.peerId(3), port()))));
        assertEquals(Set.of(), peers(announce(http6, Announce.leecher(t, Announce.peerId(4), port()))));
    }

    @Test
    void addressParametersWhenAllowedStayInTheirFamilyUnlessCrossFamilyIsAllowed() throws IOException
    {
        start(", \"allow_ip_spoofing\": true", "");
        final byte[] t = Announce.hash("spoofing");
        final int p1 = port();
        final int p2 = port();
        announce(http4, Announce.seeder(t, Announce.peerId(1), p1), "&ipv4=198.51.100.10", "");
        announce(http4, Announce.seeder(t, Announce.peerId(2), p2), "&ipv6=2001:db8::9", "");
        assertEquals(Set.of("198.51.100.10 " + p1, "127.0.0.1 " + p2),
            peers(announce(http4, Announce.leecher(t, Announce.peerId(3), port()))));
        assertEquals(Set.of(), peers(announce(http6, Announce.leecher(t, Announce.peerId(4), port()))));
        final Map<String, Object> bad = announce(http4, Announce.seeder(t, Announce.peerId(5), port()), "&ip=nope", "");
        assertTrue(bad.containsKey("failure reason"));
        stop();

        tracker = null;
        dir = dir.resolve("cross");
        start(", \"allow_ip_spoofing\": true, \"allow_cross_family_ip\": true", "");
        final int p6 = port();
        final int p7 = port();
        announce(http4, Announce.seeder(t, Announce.peerId(6), p6), "&ipv6=%5B2001:db8::6%5D:" + p7, "");
        assertEquals(Set.of("2001:db8:0:0:0:0:0:6 " + p7),
            peers(announce(http6, Announce.leecher(t, Announce.peerId(7), port()))));
        final Map<String, Object> r4 = announce(http4, Announce.leecher(t, Announce.peerId(8), port()));
        assertEquals(Set.of("127.0.0.1 " + p6), peers(r4));
        assertEquals(1, count(r4, "complete"));
    }

    @Test
    void preferredSubnetPeersComeFirst() throws IOException
    {
        start(", \"allow_ip_spoofing\": true, \"preferred_subnet\": { \"ipv4_prefix\": 24, \"ipv6_prefix\": 64 }",
            ", \"proxy\": { \"header\": \"X-Real-IP\", \"trusted\": [\"::1\"] }");
        final byte[] t = Announce.hash("subnet");
        for (int i = 1; i <= 40; i++)
        {
            announce(http4, Announce.seeder(t, Announce.peerId(i), 7000 + i), "&ip=10.0." + i + ".1", "");
        }
        for (int i = 41; i <= 43; i++)
        {
            announce(http4, Announce.seeder(t, Announce.peerId(i), 7000 + i), "&ip=192.168.5." + i, "");
        }
        // IPv6 peers through the trusted proxy on ::1, two of them in the requester's /64.
        for (int i = 44; i <= 70; i++)
        {
            announce(http6, Announce.seeder(t, Announce.peerId(i), 7000 + i), "", "X-Real-IP: 2001:db8:" + i + "::1\r\n");
        }
        announce(http6, Announce.seeder(t, Announce.peerId(71), 7071), "", "X-Real-IP: 2001:db8:aa::71\r\n");
        announce(http6, Announce.seeder(t, Announce.peerId(72), 7072), "", "X-Real-IP: 2001:db8:aa::72\r\n");

        final Map<String, Object> r4 = announce(http4, Announce.leecher(t, Announce.peerId(100), port()).numWant(3),
            "&ip=192.168.5.200", "");
        assertEquals(Set.of("192.168.5.41 7041", "192.168.5.42 7042", "192.168.5.43 7043"), peers(r4));
        final Map<String, Object> r6 = announce(http6, Announce.leecher(t, Announce.peerId(101), port()).numWant(4),
            "", "X-Real-IP: 2001:db8:aa::1\r\n");
        final Set<String> got = peers(r6);
        assertEquals(4, got.size());
        assertTrue(got.containsAll(Set.of("2001:db8:aa:0:0:0:0:71 7071", "2001:db8:aa:0:0:0:0:72 7072")), got.toString());
    }
}
