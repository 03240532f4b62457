package org.trackerd.io.udp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Flyweights and the response encoder against hand-made byte vectors. */
class UdpCodecTest
{
    static UnsafeBuffer hex(final String text)
    {
        final String s = text.replaceAll("\\s", "");
        final byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++)
        {
            b[i] = (byte)Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[Math.max(b.length, 4096)]);
        buffer.putBytes(0, b);
        return buffer;
    }

    static String hexOf(final UnsafeBuffer buffer, final int length)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++)
        {
            sb.append(String.format("%02x", buffer.getByte(i) & 0xFF));
        }
        return sb.toString();
    }

    static final String HASH = "0102030405060708090a0b0c0d0e0f1011121314";
    static final String PEER = "2d5452333030302d6162636465666768696a6b6c";

    /** A 98-byte announce: event started, ip 0, key 0x01020304, num_want -1, port 6881. */
    static String announce(final long connectionId)
    {
        return String.format("%016x", connectionId) + "00000001" + "cafebabe" + HASH + PEER +
            "0000000000000010" + "0000000000000400" + "0000000000000020" +
            "00000002" + "00000000" + "01020304" + "ffffffff" + "1ae1";
    }

    @Test
    void connectRequestHeader()
    {
        final UnsafeBuffer b = hex("0000041727101980 00000000 12345678");
        final RequestHeaderFlyweight h = new RequestHeaderFlyweight().wrap(b, 0);
        assertEquals(UdpProtocol.PROTOCOL_ID, h.connectionId());
        assertEquals(UdpProtocol.ACTION_CONNECT, h.action());
        assertEquals(0x12345678, h.transactionId());
    }

    @Test
    void connectResponseBytes()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[64]);
        final int length = new UdpResponseEncoder().connect(b, 0x12345678, 0x0102030405060708L);
        assertEquals("00000000" + "12345678" + "0102030405060708", hexOf(b, length));
    }

    @Test
    void announceRequestFields()
    {
        final UnsafeBuffer b = hex(announce(0x1122334455667788L));
        final AnnounceRequestFlyweight a = new AnnounceRequestFlyweight().wrap(b, 0);
        assertEquals(0x1122334455667788L, a.connectionId());
        assertEquals(UdpProtocol.ACTION_ANNOUNCE, a.action());
        assertEquals(0xcafebabe, a.transactionId());
        final byte[] hash = new byte[20];
        a.getInfoHash(hash, 0);
        assertEquals(HASH, hexOf(new UnsafeBuffer(hash), 20));
        final byte[] peer = new byte[20];
        a.getPeerId(peer, 0);
        assertEquals("-TR3000-abcdefghijkl", new String(peer, StandardCharsets.US_ASCII));
        assertEquals(16, a.downloaded());
        assertEquals(1024, a.left());
        assertEquals(32, a.uploaded());
        assertEquals(2, a.event());
        assertEquals(0, a.ip());
        assertEquals(0x01020304, a.key());
        assertEquals(-1, a.numWant());
        assertEquals(6881, a.port());
        assertEquals(0, a.parseOptions(98, new UnsafeBuffer(new byte[16])));
        assertFalse(a.optionsTruncated());
    }

    @Test
    void announceRequestWrittenByFlyweightReadsBack()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[98]);
        new AnnounceRequestFlyweight().wrap(b, 0).connectionId(0x1122334455667788L).action(1)
            .transactionId(0xcafebabe).putInfoHash(hex(HASH).byteArray(), 0).putPeerId(hex(PEER).byteArray(), 0)
            .downloaded(16).left(1024).uploaded(32).event(2).ip(0).key(0x01020304).numWant(-1).port(6881);
        assertEquals(announce(0x1122334455667788L), hexOf(b, 98));
    }

    private static UnsafeBuffer withOptions(final String options)
    {
        return hex(announce(1) + options);
    }

    private static String urlData(final AnnounceRequestFlyweight a, final UnsafeBuffer out, final int length)
    {
        final int n = a.parseOptions(length, out);
        return out.getStringWithoutLengthAscii(0, n);
    }

    @Test
    void bep41NopAndEndOfOptions()
    {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[256]);
        // NOP, NOP, URLData "/a", EndOfOptions, then junk that must not be read.
        final UnsafeBuffer b = withOptions("01 01 02022f61 00 02022f62");
        final AnnounceRequestFlyweight a = new AnnounceRequestFlyweight().wrap(b, 0);
        assertEquals("/a", urlData(a, out, 98 + 9));
        assertFalse(a.optionsTruncated());
    }

    @Test
    void bep41UrlDataConcatenatedAcrossOptions()
    {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[256]);
        // "/announce" then "?jwt=x"
        final String first = "0209" + hexOf(ascii("/announce"), 9);
        final String second = "0206" + hexOf(ascii("?jwt=x"), 6);
        final UnsafeBuffer b = withOptions(first + second);
        final AnnounceRequestFlyweight a = new AnnounceRequestFlyweight().wrap(b, 0);
        assertEquals("/announce?jwt=x", urlData(a, out, 98 + 11 + 8));
        assertEquals(15, a.urlDataLength());
        assertFalse(a.optionsTruncated());
    }

    @Test
    void bep41UnknownTypeSkippedByLength()
    {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[256]);
        // unknown type 0x7f with 3 bytes (one of them looks like EndOfOptions), then URLData "/x"
        final UnsafeBuffer b = withOptions("7f03 000102 02022f78");
        final AnnounceRequestFlyweight a = new AnnounceRequestFlyweight().wrap(b, 0);
        assertEquals("/x", urlData(a, out, 98 + 5 + 4));
        assertEquals(1, a.unknownOptions());
        assertFalse(a.optionsTruncated());
    }

    @Test
    void bep41TruncatedOptionsKeepWhatCameBefore()
    {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[256]);
        // URLData "/a", then URLData claiming 9 bytes with only 2 present.
        UnsafeBuffer b = withOptions("02022f61 0209 2f62");
        AnnounceRequestFlyweight a = new AnnounceRequestFlyweight().wrap(b, 0);
        assertEquals("/a", urlData(a, out, 98 + 8));
        assertTrue(a.optionsTruncated());
        // A type byte without its length byte.
        b = withOptions("01 05");
        a = new AnnounceRequestFlyweight().wrap(b, 0);
        assertEquals("", urlData(a, out, 98 + 2));
        assertTrue(a.optionsTruncated());
    }

    @Test
    void scrapeRequestHashes()
    {
        final UnsafeBuffer b = hex("1122334455667788 00000002 00000007" + HASH + HASH.replace('0', 'f'));
        final ScrapeRequestFlyweight s = new ScrapeRequestFlyweight().wrap(b, 0);
        assertEquals(2, s.action());
        assertEquals(7, s.transactionId());
        assertEquals(2, ScrapeRequestFlyweight.hashCount(56));
        assertEquals(1, ScrapeRequestFlyweight.hashCount(55));
        final byte[] h = new byte[20];
        s.getInfoHash(1, h, 0);
        assertEquals(HASH.replace('0', 'f'), hexOf(new UnsafeBuffer(h), 20));
    }

    @Test
    void scrapeResponseOrderIsSeedersCompletedLeechers()
    {
        final ResponseEvent r = new ResponseEvent(4, 4);
        r.scrapeCount = 2;
        r.scrapeComplete[0] = 5;
        r.scrapeDownloaded[0] = 6;
        r.scrapeIncomplete[0] = 7;
        r.scrapeComplete[1] = 0x01020304;
        r.scrapeDownloaded[1] = 1L << 40; // clamps to i32
        r.scrapeIncomplete[1] = 0;
        final UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        final int length = new UdpResponseEncoder().scrape(b, 0x0a0b0c0d, r);
        assertEquals("00000002" + "0a0b0c0d" + "00000005 00000006 00000007".replace(" ", "") +
            "01020304 7fffffff 00000000".replace(" ", ""), hexOf(b, length));
    }

    private static ResponseEvent mixedPeers()
    {
        final ResponseEvent r = new ResponseEvent(8, 1);
        r.intervalSeconds = 1800;
        r.complete = 3;
        r.incomplete = 9;
        r.peerCount = 3;
        RequestEvent.putIpv4Mapped(r.peerAddrs, 0, new byte[]{ 10, 0, 0, 1 }, 0);
        r.peerPorts[0] = 6881;
        for (int i = 0; i < 16; i++)
        {
            r.peerAddrs[16 + i] = (byte)(0x20 + i); // an IPv6 peer 2021:2223:...
        }
        r.peerPorts[1] = 443;
        RequestEvent.putIpv4Mapped(r.peerAddrs, 32, new byte[]{ (byte)192, (byte)168, 1, 2 }, 0);
        r.peerPorts[2] = 65535;
        for (int i = 0; i < r.peerCount; i++)
        {
            r.addCompactPeer(r.peerAddrs, i * 16, r.peerPorts[i]); // as the engine answers a UDP announce
        }
        return r;
    }

    @Test
    void announceResponseToIpv4SenderCarriesIpv4PeersOnly()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        final int length = new UdpResponseEncoder().announce(b, 0x11223344, mixedPeers(), false);
        // action 1, tid, interval 1800, leechers 9, seeders 3, then 10.0.0.1:6881 and 192.168.1.2:65535
        assertEquals("00000001" + "11223344" + "00000708" + "00000009" + "00000003" +
            "0a000001" + "1ae1" + "c0a80102" + "ffff", hexOf(b, length));
    }

    @Test
    void announceResponseToIpv6SenderCarriesIpv6PeersOnly()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        final int length = new UdpResponseEncoder().announce(b, 0x11223344, mixedPeers(), true);
        assertEquals("00000001" + "11223344" + "00000708" + "00000009" + "00000003" +
            "202122232425262728292a2b2c2d2e2f" + "01bb", hexOf(b, length));
        assertEquals(1, AnnounceResponseFlyweight.peerCount(length, true));
        final byte[] addr = new byte[16];
        assertEquals(443, new AnnounceResponseFlyweight().wrap(b, 0).getPeer(0, true, addr, 0));
        assertEquals(0x20, addr[0]);
    }

    @Test
    void errorResponseHasNoTrailingNul()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[64]);
        final int length = new UdpResponseEncoder().error(b, 0x01020304, ascii("oops").byteArray());
        assertEquals("00000003" + "01020304" + "6f6f7073", hexOf(b, length));
        assertEquals("oops", new ErrorResponseFlyweight().wrap(b, 0).message(length));
    }

    static UnsafeBuffer ascii(final String s)
    {
        return new UnsafeBuffer(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void headerRoundTrip()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[16]);
        new RequestHeaderFlyweight().wrap(b, 0).connectionId(UdpProtocol.PROTOCOL_ID).action(0).transactionId(-1);
        assertEquals("0000041727101980" + "00000000" + "ffffffff", hexOf(b, 16));
    }
}
