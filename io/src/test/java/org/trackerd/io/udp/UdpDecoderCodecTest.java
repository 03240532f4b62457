package org.trackerd.io.udp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.trackerd.engine.event.RequestEvent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.udp.UdpCodecTest.HASH;
import static org.trackerd.io.udp.UdpCodecTest.announce;
import static org.trackerd.io.udp.UdpCodecTest.hex;

/** Request validation: every action and every malformed shape, from hand-made bytes. */
class UdpDecoderCodecTest
{
    private static final long NOW = 1_700_000_040L;
    private static final int PORT = 51413;
    private static final byte[] V4 = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)0xFF, (byte)0xFF, 10, 1, 2, 3 };
    private static final byte[] V6 = { 0x20, 0x01, 0x0d, (byte)0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

    private final ConnectionIds ids = new ConnectionIds(ConnectionIds.keyFromSecret("test"), 120);
    private final UdpRequestDecoder decoder = new UdpRequestDecoder(ids, false);
    private final RequestEvent out = new RequestEvent(74);

    private int decode(final UnsafeBuffer b, final int length, final byte[] sender)
    {
        return decoder.decode(b, length, sender, PORT, NOW, out);
    }

    private long id(final byte[] sender)
    {
        return ids.issue(sender, PORT, NOW);
    }

    @Test
    void connectIssuesIdForSender()
    {
        final UnsafeBuffer b = hex("0000041727101980 00000000 0badf00d");
        assertEquals(UdpRequestDecoder.CONNECT, decode(b, 16, V4));
        assertEquals(0x0badf00d, decoder.transactionId());
        assertEquals(id(V4), decoder.connectionId());
        assertEquals(UdpRequestDecoder.CONNECT, decode(b, 20, V4), "trailing bytes are allowed");
    }

    @Test
    void connectWithWrongMagicIsDroppedNotAnswered()
    {
        final UnsafeBuffer b = hex("0000041727101981 00000000 0badf00d");
        assertEquals(UdpRequestDecoder.DROP, decode(b, 16, V4));
        assertEquals(UdpRequestDecoder.Error.BAD_PROTOCOL_ID, decoder.error());
        // Big enough to answer without amplifying: an error.
        assertEquals(UdpRequestDecoder.ERROR, decode(b, 64, V4));
    }

    @Test
    void everyShortPacketIsDropped()
    {
        final UnsafeBuffer b = hex(announce(id(V4)));
        for (int length = 0; length < 16; length++)
        {
            assertEquals(UdpRequestDecoder.DROP, decode(b, length, V4), "length " + length);
            assertEquals(UdpRequestDecoder.Error.TOO_SHORT, decoder.error());
        }
    }

    @Test
    void unknownActionGetsErrorOnlyWhenNoLargerThanRequest()
    {
        final UnsafeBuffer b = hex("0000000000000000 00000007 00000001" + HASH);
        assertEquals(UdpRequestDecoder.DROP, decode(b, 16, V4));
        assertEquals(UdpRequestDecoder.Error.UNKNOWN_ACTION, decoder.error());
        assertEquals(UdpRequestDecoder.ERROR, decode(b, 36, V4));
        assertEquals(UdpRequestDecoder.ERROR, decode(hex("0000000000000000 00000003 00000001" + HASH), 36, V4),
            "action 3 is ours to send, not to receive");
    }

    @Test
    void announceFillsRequestEvent()
    {
        final UnsafeBuffer b = hex(announce(id(V4)));
        assertEquals(UdpRequestDecoder.PUBLISH, decode(b, 98, V4));
        assertEquals(RequestEvent.KIND_ANNOUNCE, out.kind);
        assertEquals(0xcafebabeL, out.correlationId);
        assertArrayEquals(java.util.Arrays.copyOf(hex(HASH).byteArray(), 20), out.infoHash);
        assertEquals(16, out.downloaded);
        assertEquals(1024, out.left);
        assertEquals(32, out.uploaded);
        assertEquals(RequestEvent.EVENT_STARTED, out.event);
        assertArrayEquals(V4, out.address);
        assertArrayEquals(V4, out.replyAddress);
        assertEquals(PORT, out.replyPort);
        assertEquals(6881, out.port);
        assertTrue(out.hasKey);
        assertEquals(0x01020304, out.key);
        assertEquals(-1, out.numWant);
        assertEquals(0, out.context);
    }

    @Test
    void eventCodesMapOneToOne()
    {
        for (int event = 0; event <= 3; event++)
        {
            final UnsafeBuffer b = hex(announce(id(V4)));
            new AnnounceRequestFlyweight().wrap(b, 0).event(event);
            assertEquals(UdpRequestDecoder.PUBLISH, decode(b, 98, V4));
            assertEquals(event, out.event);
        }
        final UnsafeBuffer b = hex(announce(id(V4)));
        new AnnounceRequestFlyweight().wrap(b, 0).event(4);
        assertEquals(UdpRequestDecoder.ERROR, decode(b, 98, V4));
        assertEquals(UdpRequestDecoder.Error.BAD_EVENT, decoder.error());
    }

    @Test
    void numWantNegativeMeansDefaultAndPortZeroIsRejected()
    {
        final UnsafeBuffer b = hex(announce(id(V4)));
        final AnnounceRequestFlyweight a = new AnnounceRequestFlyweight().wrap(b, 0);
        a.numWant(-7);
        assertEquals(UdpRequestDecoder.PUBLISH, decode(b, 98, V4));
        assertEquals(-1, out.numWant);
        a.numWant(30);
        assertEquals(UdpRequestDecoder.PUBLISH, decode(b, 98, V4));
        assertEquals(30, out.numWant);
        a.port(0);
        assertEquals(UdpRequestDecoder.ERROR, decode(b, 98, V4));
        assertEquals(UdpRequestDecoder.Error.BAD_PORT, decoder.error());
    }

    @Test
    void ipFieldHonouredOnlyWithSpoofingAllowed()
    {
        final UnsafeBuffer b = hex(announce(id(V4)));
        new AnnounceRequestFlyweight().wrap(b, 0).ip(0xC0A80001);
        assertEquals(UdpRequestDecoder.PUBLISH, decode(b, 98, V4));
        assertArrayEquals(V4, out.address);
        final UdpRequestDecoder spoofable = new UdpRequestDecoder(ids, true);
        assertEquals(UdpRequestDecoder.PUBLISH, spoofable.decode(b, 98, V4, PORT, NOW, out));
        assertArrayEquals(new byte[]{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)0xFF, (byte)0xFF, (byte)192, (byte)168, 0, 1 },
            out.address);
        assertArrayEquals(V4, out.replyAddress, "the answer still goes to the sender");
    }

    @Test
    void ipv6SenderIsMarkedInContext()
    {
        final UnsafeBuffer b = hex(announce(id(V6)));
        assertEquals(UdpRequestDecoder.PUBLISH, decode(b, 98, V6));
        assertEquals(UdpRequestDecoder.CONTEXT_IPV6, out.context);
        assertArrayEquals(V6, out.address);
    }

    @Test
    void truncatedAnnounceWithValidIdGetsError()
    {
        final UnsafeBuffer b = hex(announce(id(V4)));
        for (final int length : new int[]{ 16, 20, 36, 56, 97 })
        {
            assertEquals(UdpRequestDecoder.ERROR, decode(b, length, V4), "length " + length);
            assertEquals(UdpRequestDecoder.Error.TRUNCATED_ANNOUNCE, decoder.error());
        }
    }

    @Test
    void forgedConnectionIdGetsErrorOrSilenceBySize()
    {
        final UnsafeBuffer b = hex(announce(id(V4) ^ 1));
        assertEquals(UdpRequestDecoder.ERROR, decode(b, 98, V4));
        assertTrue(decoder.badConnectionId());
        assertEquals(UdpRequestDecoder.Error.BAD_CONNECTION_ID, decoder.error());
        assertEquals(UdpRequestDecoder.DROP, decode(b, 20, V4), "error (25 bytes) would exceed 20 bytes");
        assertTrue(decoder.badConnectionId());
        // An id issued to another address or port is as bad as a forged one.
        assertEquals(UdpRequestDecoder.ERROR, decoder.decode(hex(announce(id(V4))), 98, V4, PORT + 1, NOW, out));
        assertEquals(UdpRequestDecoder.ERROR, decode(hex(announce(id(V4))), 98, V6));
    }

    @Test
    void expiredConnectionIdIsRejected()
    {
        final long window = ids.window(NOW);
        assertEquals(UdpRequestDecoder.PUBLISH, decode(hex(announce(ids.forWindow(V4, PORT, window - 1))), 98, V4));
        assertEquals(UdpRequestDecoder.ERROR, decode(hex(announce(ids.forWindow(V4, PORT, window - 2))), 98, V4));
        assertTrue(decoder.badConnectionId());
        assertEquals(UdpRequestDecoder.ERROR, decode(hex(announce(ids.forWindow(V4, PORT, window + 1))), 98, V4),
            "ids from the future are not ours either");
    }

    @Test
    void announceWithOptionsKeepsUrlData()
    {
        final UnsafeBuffer b = hex(announce(id(V4)) + "01 0203 2f613f 7f01 00 0202 623d 00");
        assertEquals(UdpRequestDecoder.PUBLISH, decode(b, 98 + 15, V4));
        assertEquals("/a?b=", decoder.urlData().getStringWithoutLengthAscii(0, decoder.announce().urlDataLength()));
        assertEquals(1, decoder.announce().unknownOptions());
        assertFalse(decoder.announce().optionsTruncated());
        // Truncated options still publish: options are advisory.
        assertEquals(UdpRequestDecoder.PUBLISH, decode(b, 98 + 4, V4));
        assertTrue(decoder.announce().optionsTruncated());
    }

    private static String scrape(final long connectionId, final int hashes)
    {
        final StringBuilder sb = new StringBuilder(String.format("%016x", connectionId) + "00000002" + "00000009");
        for (int i = 0; i < hashes; i++)
        {
            sb.append(String.format("%040x", i + 1));
        }
        return sb.toString();
    }

    @Test
    void scrapeFillsHashes()
    {
        final UnsafeBuffer b = hex(scrape(id(V4), 74));
        assertEquals(UdpRequestDecoder.PUBLISH, decode(b, 16 + 74 * 20, V4));
        assertEquals(RequestEvent.KIND_SCRAPE, out.kind);
        assertEquals(74, out.scrapeCount);
        assertEquals(1, out.scrapeHashes[19]);
        assertEquals(74, out.scrapeHashes[73 * 20 + 19]);
        assertEquals(9, out.correlationId);
    }

    @Test
    void malformedScrapes()
    {
        UnsafeBuffer b = hex(scrape(id(V4), 75));
        assertEquals(UdpRequestDecoder.ERROR, decode(b, 16 + 75 * 20, V4));
        assertEquals(UdpRequestDecoder.Error.TOO_MANY_HASHES, decoder.error());
        b = hex(scrape(id(V4), 2));
        assertEquals(UdpRequestDecoder.ERROR, decode(b, 16 + 20 + 7, V4));
        assertEquals(UdpRequestDecoder.Error.TRUNCATED_SCRAPE, decoder.error());
        assertEquals(UdpRequestDecoder.ERROR, decode(b, 16, V4));
        assertEquals(UdpRequestDecoder.Error.NO_INFO_HASH, decoder.error());
        b = hex(scrape(12345, 2));
        assertEquals(UdpRequestDecoder.ERROR, decode(b, 56, V4));
        assertTrue(decoder.badConnectionId());
    }
}
