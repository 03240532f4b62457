package org.trackerd.io.http;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.io.http.QueryParser.Error;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QueryParserTest
{
    /** 20 bytes covering the awkward cases: zero, high bit, '%', '&', '=', '+' and space. */
    private static final byte[] HASH = {
        0, 1, (byte)0xAB, (byte)0xFF, '%', '&', '=', '+', ' ', 'a', 'Z', '9', '-', '.', '_', '~', (byte)0x80, 127, 10, 13 };
    private static final String HASH_ENCODED = "%00%01%ab%FF%25%26%3D%2B%20aZ9-._~%80%7f%0A%0d";
    private static final String PEER_ID = "-qB4650-abcdefghijkl";
    private static final String VALID = "info_hash=" + HASH_ENCODED + "&peer_id=" + PEER_ID +
        "&port=51413&uploaded=10&downloaded=20&left=30";

    private final QueryParser parser = new QueryParser(false);
    private final QueryParser spoofable = new QueryParser(true);
    private final RequestEvent event = new RequestEvent(4);

    @Test
    void parsesAValidAnnounce()
    {
        final byte[] callerAddress = v4(192, 0, 2, 1);
        System.arraycopy(callerAddress, 0, event.address, 0, 16);
        assertEquals(Error.NONE, announce(VALID));
        assertEquals(RequestEvent.KIND_ANNOUNCE, event.kind);
        assertArrayEquals(HASH, event.infoHash);
        assertArrayEquals(ascii(PEER_ID), event.peerId);
        assertEquals(51413, event.port);
        assertEquals(10, event.uploaded);
        assertEquals(20, event.downloaded);
        assertEquals(30, event.left);
        assertEquals(RequestEvent.EVENT_NONE, event.event);
        assertEquals(-1, event.numWant);
        assertFalse(event.hasKey);
        assertEquals(QueryParser.CONTEXT_COMPACT, event.context);
        assertEquals(0, event.scrapeCount);
        assertArrayEquals(callerAddress, event.address);
    }

    @Test
    void readsOnlyTheGivenRange()
    {
        final byte[] bytes = ascii("GET /announce?" + VALID + "&port=0 HTTP/1.1");
        final int offset = "GET /announce?".length();
        assertEquals(Error.NONE, parser.parseAnnounce(new UnsafeBuffer(bytes), offset, VALID.length(), event));
        assertEquals(51413, event.port);
    }

    @Test
    void parametersMayComeInAnyOrderWithUnknownOnesAndEmptyPairs()
    {
        assertEquals(Error.NONE, announce("&&foo=bar&left=0&supportcrypto=1&port=1&peer_id=" + PEER_ID +
            "&info_hash=" + HASH_ENCODED + "&corrupt&&"));
        assertEquals(1, event.port);
        assertEquals(0, event.left);
        assertEquals(0, event.uploaded);
        assertEquals(0, event.downloaded);
    }

    @Test
    void percentDecodingAcceptsBothCasesAndPlus()
    {
        final byte[] dst = new byte[32];
        assertEquals(5, decode("%4a%4A+%2b~", dst));
        assertArrayEquals(ascii("JJ +~"), Arrays.copyOf(dst, 5));
        assertEquals(4, decode("%4a%4A+%2b", dst));
        assertArrayEquals(new byte[] { 'J', 'J', ' ', '+' }, Arrays.copyOf(dst, 4));
        assertEquals(0, decode("", dst));

        assertEquals(Error.NONE, announce(VALID.replace(PEER_ID, "-qB4650-abc+efghijkl")));
        assertArrayEquals(ascii("-qB4650-abc efghijkl"), event.peerId);
        assertEquals(Error.NONE, announce(VALID.replace(PEER_ID, "%2DqB4650-abc%2befghijk%6C")));
        assertArrayEquals(ascii("-qB4650-abc+efghijkl"), event.peerId);
    }

    @Test
    void decodeReportsMalformedAndTooLong()
    {
        final byte[] dst = new byte[4];
        assertEquals(QueryParser.DECODE_MALFORMED, decode("%zz", dst));
        assertEquals(QueryParser.DECODE_MALFORMED, decode("%a", dst));
        assertEquals(QueryParser.DECODE_MALFORMED, decode("ab%", dst));
        assertEquals(QueryParser.DECODE_MALFORMED, decode("%4g", dst));
        assertEquals(QueryParser.DECODE_MALFORMED, decode("%-1", dst));
        assertEquals(QueryParser.DECODE_TOO_LONG, decode("abcde", dst));
        assertEquals(4, decode("abcd", dst));
    }

    @Test
    void malformedEscapesAreBadEncoding()
    {
        assertEquals(Error.BAD_ENCODING, announce(VALID.replace("%ab", "%zz")));
        assertEquals(Error.BAD_ENCODING, announce(VALID.replace(PEER_ID, "-qB4650-abcdefghijk%")));
        assertEquals(Error.BAD_ENCODING, announce(VALID.replace(PEER_ID, "-qB4650-abcdefghij%g1")));
        assertEquals(Error.BAD_ENCODING, announce(VALID + "&key=%a"));
        assertEquals(Error.BAD_ENCODING, announce(VALID + "&event=%zzarted"));
        assertEquals(Error.BAD_ENCODING, announce(VALID + "&%zz=1"));
        assertEquals(Error.BAD_ENCODING, announce(VALID + "&info%5fhash%a=1"));
        // Truncated at the very end of the query.
        assertEquals(Error.BAD_ENCODING, announce("peer_id=" + PEER_ID + "&port=1&left=0&info_hash=" +
            HASH_ENCODED.substring(0, HASH_ENCODED.length() - 1)));
        assertEquals(Error.BAD_ENCODING, scrape("info_hash=" + HASH_ENCODED.replace("%FF", "%F")));
        assertEquals(Error.BAD_ENCODING, scrape("info_hash=" + HASH_ENCODED + "&%g0=1"));
    }

    @Test
    void encodedParameterNamesAreRecognised()
    {
        assertEquals(Error.NONE, announce(VALID.replace("info_hash", "info%5Fhash").replace("port", "%70ort")));
        assertArrayEquals(HASH, event.infoHash);
        assertEquals(51413, event.port);
    }

    @Test
    void infoHashMustBeExactlyTwentyBytes()
    {
        assertEquals(Error.BAD_INFO_HASH, announce(VALID.replace(HASH_ENCODED, HASH_ENCODED + "x")));
        assertEquals(Error.BAD_INFO_HASH, announce(VALID.replace(HASH_ENCODED, HASH_ENCODED.substring(3))));
        assertEquals(Error.BAD_INFO_HASH, announce(VALID.replace(HASH_ENCODED, "")));
        assertEquals(Error.BAD_INFO_HASH, announce(VALID.replace("info_hash=" + HASH_ENCODED, "info_hash")));
        assertEquals(Error.BAD_PEER_ID, announce(VALID.replace(PEER_ID, PEER_ID + "1")));
        assertEquals(Error.BAD_PEER_ID, announce(VALID.replace(PEER_ID, PEER_ID.substring(1))));
    }

    @Test
    void announceTakesOneInfoHash()
    {
        assertEquals(Error.DUPLICATE_INFO_HASH, announce(VALID + "&info_hash=" + HASH_ENCODED));
        assertEquals(Error.DUPLICATE_INFO_HASH, announce(VALID + "&info_hash=01234567890123456789"));
    }

    @Test
    void missingParametersAreNamed()
    {
        assertEquals(Error.MISSING_INFO_HASH, announce(VALID.replace("info_hash=" + HASH_ENCODED, "")));
        assertEquals(Error.MISSING_PEER_ID, announce(VALID.replace("peer_id=" + PEER_ID, "")));
        assertEquals(Error.MISSING_PORT, announce(VALID.replace("port=51413", "")));
        assertEquals(Error.MISSING_LEFT, announce(VALID.replace("left=30", "")));
        assertEquals(Error.MISSING_INFO_HASH, announce(""));
    }

    @Test
    void portMustBeInRange()
    {
        assertEquals(Error.BAD_PORT, announce(VALID.replace("port=51413", "port=0")));
        assertEquals(Error.BAD_PORT, announce(VALID.replace("port=51413", "port=65536")));
        assertEquals(Error.BAD_PORT, announce(VALID.replace("port=51413", "port=-1")));
        assertEquals(Error.BAD_PORT, announce(VALID.replace("port=51413", "port=")));
        assertEquals(Error.BAD_PORT, announce(VALID.replace("port=51413", "port=80a")));
        assertEquals(Error.BAD_PORT, announce(VALID.replace("port=51413", "port=99999999999999999999999")));
        assertEquals(Error.NONE, announce(VALID.replace("port=51413", "port=1")));
        assertEquals(1, event.port);
        assertEquals(Error.NONE, announce(VALID.replace("port=51413", "port=65535")));
        assertEquals(65535, event.port);
    }

    @Test
    void countersMustBeNonNegativeNumbersThatFit()
    {
        assertEquals(Error.BAD_UPLOADED, announce(VALID.replace("uploaded=10", "uploaded=-10")));
        assertEquals(Error.BAD_DOWNLOADED, announce(VALID.replace("downloaded=20", "downloaded=1e3")));
        assertEquals(Error.BAD_LEFT, announce(VALID.replace("left=30", "left=")));
        assertEquals(Error.BAD_LEFT, announce(VALID.replace("left=30", "left=+5")));
        assertEquals(Error.BAD_LEFT, announce(VALID.replace("left=30", "left=9223372036854775808")));
        assertEquals(Error.BAD_LEFT, announce(VALID.replace("left=30", "left=18446744073709551616")));
        assertEquals(Error.BAD_UPLOADED, announce(VALID.replace("uploaded=10", "uploaded=123456789012345678901234")));
        assertEquals(Error.NONE, announce(VALID.replace("left=30", "left=9223372036854775807")));
        assertEquals(Long.MAX_VALUE, event.left);
        assertEquals(Error.NONE, announce(VALID.replace("left=30", "left=00000000000000000007")));
        assertEquals(7, event.left);
    }

    @Test
    void eventValues()
    {
        assertEvent("started", RequestEvent.EVENT_STARTED);
        assertEvent("completed", RequestEvent.EVENT_COMPLETED);
        assertEvent("stopped", RequestEvent.EVENT_STOPPED);
        assertEvent("", RequestEvent.EVENT_NONE);
        assertEvent("paused", RequestEvent.EVENT_NONE);
        assertEvent("%73topped", RequestEvent.EVENT_STOPPED);
        assertEquals(Error.BAD_EVENT, announce(VALID + "&event=STARTED"));
        assertEquals(Error.BAD_EVENT, announce(VALID + "&event=start"));
        assertEquals(Error.BAD_EVENT, announce(VALID + "&event=stoppedd"));
        assertEquals(Error.BAD_EVENT, announce(VALID + "&event=averyveryverylongeventname"));
    }

    @Test
    void eventIsResetBetweenRequests()
    {
        assertEvent("stopped", RequestEvent.EVENT_STOPPED);
        assertEquals(Error.NONE, announce(VALID));
        assertEquals(RequestEvent.EVENT_NONE, event.event);
    }

    @Test
    void numWant()
    {
        assertEquals(Error.NONE, announce(VALID));
        assertEquals(-1, event.numWant);
        assertEquals(Error.NONE, announce(VALID + "&numwant=0"));
        assertEquals(0, event.numWant);
        assertEquals(Error.NONE, announce(VALID + "&numwant=30"));
        assertEquals(30, event.numWant);
        assertEquals(Error.NONE, announce(VALID + "&numwant=99999999999"));
        assertEquals(Integer.MAX_VALUE, event.numWant);
        assertEquals(Error.BAD_NUMWANT, announce(VALID + "&numwant=-1"));
        assertEquals(Error.BAD_NUMWANT, announce(VALID + "&numwant=lots"));
        assertEquals(Error.NONE, announce(VALID));
        assertEquals(-1, event.numWant, "numwant must not leak from the previous request");
    }

    @Test
    void compactAndNoPeerIdSetContextBits()
    {
        assertEquals(Error.NONE, announce(VALID + "&compact=1"));
        assertEquals(QueryParser.CONTEXT_COMPACT, event.context);
        assertEquals(Error.NONE, announce(VALID + "&compact=0"));
        assertEquals(0, event.context);
        assertEquals(Error.NONE, announce(VALID + "&compact=0&no_peer_id=1"));
        assertEquals(QueryParser.CONTEXT_NO_PEER_ID, event.context);
        assertEquals(Error.NONE, announce(VALID + "&no_peer_id=1"));
        assertEquals(QueryParser.CONTEXT_COMPACT | QueryParser.CONTEXT_NO_PEER_ID, event.context);
        assertEquals(Error.NONE, announce(VALID + "&compact=0&no_peer_id=0"));
        assertEquals(0, event.context);
        assertEquals(Error.NONE, announce(VALID + "&compact=0&compact=1"));
        assertEquals(QueryParser.CONTEXT_COMPACT, event.context);
    }

    @Test
    void keyOfEightHexDigitsIsItsValue()
    {
        assertEquals(Error.NONE, announce(VALID + "&key=DEADBEEF"));
        assertTrue(event.hasKey);
        assertEquals(0xDEADBEEF, event.key);
        assertEquals(Error.NONE, announce(VALID + "&key=deadbeef"));
        assertEquals(0xDEADBEEF, event.key);
        assertEquals(Error.NONE, announce(VALID + "&key=00000001"));
        assertEquals(1, event.key);
        assertEquals(Error.NONE, announce(VALID + "&key=1a2b"));
        assertEquals(0x1A2B, event.key);
    }

    @Test
    void otherKeysAreHashedConsistently()
    {
        assertEquals(Error.NONE, announce(VALID + "&key=not-hex!"));
        assertTrue(event.hasKey);
        final int first = event.key;
        assertEquals(Error.NONE, announce(VALID + "&key=not-hex!"));
        assertEquals(first, event.key);
        assertEquals(Error.NONE, announce(VALID + "&key=not-hex?"));
        assertNotEquals(first, event.key);
        assertEquals(Error.NONE, announce(VALID + "&key=DEADBEEF0"));
        assertTrue(event.hasKey);
        assertNotEquals(0xDEADBEEF, event.key);
        assertEquals(QueryParser.keyHash(ascii("DEADBEEF0"), 9), event.key);
    }

    @Test
    void emptyOrAbsentKeyIsNoKey()
    {
        assertEquals(Error.NONE, announce(VALID + "&key=DEADBEEF"));
        assertEquals(Error.NONE, announce(VALID + "&key="));
        assertFalse(event.hasKey);
        assertEquals(Error.NONE, announce(VALID + "&key=DEADBEEF"));
        assertEquals(Error.NONE, announce(VALID));
        assertFalse(event.hasKey);
        assertEquals(0, event.key);
    }

    @Test
    void ipIsIgnoredUnlessSpoofingIsAllowed()
    {
        final byte[] caller = v4(198, 51, 100, 7);
        System.arraycopy(caller, 0, event.address, 0, 16);
        assertEquals(Error.NONE, announce(VALID + "&ip=1.2.3.4"));
        assertArrayEquals(caller, event.address);
        assertEquals(Error.NONE, announce(VALID + "&ip=not-an-address"));
        assertArrayEquals(caller, event.address);
    }

    @Test
    void ipIsHonouredWhenSpoofingIsAllowed()
    {
        System.arraycopy(v4(198, 51, 100, 7), 0, event.address, 0, 16);
        assertEquals(Error.NONE, spoofed(VALID + "&ip=1.2.3.4"));
        assertArrayEquals(v4(1, 2, 3, 4), event.address);
        // An IPv6 ip only for a request that arrived over IPv6.
        final byte[] arrived6 = v6(0x99);
        System.arraycopy(arrived6, 0, event.address, 0, 16);
        final String v6 = VALID + "&ip=2001%3Adb8%3A%3A1";
        assertEquals(Error.NONE, spoofed(v6));
        assertArrayEquals(v6(1), event.address);
        assertFalse(event.hasAltAddress);
        for (final String bad : new String[] { "1.2.3.256", "1.2.3", "1.2.3.4.5", "example.com", "", "1..2.3",
            "1234.1.1.1", "::g" })
        {
            assertEquals(Error.BAD_IP, spoofed(VALID + "&ip=" + bad), bad);
        }
    }

    @Test
    void namedAddressesOfTheOtherFamilyAreIgnoredUnlessAllowed()
    {
        final byte[] caller = v4(198, 51, 100, 7);
        System.arraycopy(caller, 0, event.address, 0, 16);
        assertEquals(Error.NONE, spoofed(VALID + "&ipv6=2001:db8::1&ip=2001:db8::2"));
        assertArrayEquals(caller, event.address);
        assertFalse(event.hasAltAddress);
        assertEquals(51413, event.port);

        final QueryParser cross = new QueryParser(true, true);
        final String query = VALID + "&ipv6=%5B2001:db8::1%5D:7000&ipv4=10.0.0.9";
        assertEquals(Error.NONE, cross.parseAnnounce(buffer(query), 3, query.length(), event));
        assertArrayEquals(v4(10, 0, 0, 9), event.address);
        assertEquals(51413, event.port);
        assertTrue(event.hasAltAddress);
        assertArrayEquals(v6(1), event.altAddress);
        assertEquals(7000, event.altPort);
        // The next request starts clean.
        System.arraycopy(caller, 0, event.address, 0, 16);
        assertEquals(Error.NONE, cross.parseAnnounce(buffer(VALID), 3, VALID.length(), event));
        assertFalse(event.hasAltAddress);
        assertArrayEquals(caller, event.address);
    }

    @Test
    void ipv4AndIpv6WinOverIpAndAreCheckedOnlyWhenSpoofingIsAllowed()
    {
        final byte[] caller = v4(198, 51, 100, 7);
        System.arraycopy(caller, 0, event.address, 0, 16);
        assertEquals(Error.NONE, spoofed(VALID + "&ipv4=10.1.1.1:6000&ip=10.2.2.2"));
        assertArrayEquals(v4(10, 1, 1, 1), event.address);
        assertEquals(6000, event.port);
        assertEquals(Error.BAD_IP, spoofed(VALID + "&ipv6=nope"));
        System.arraycopy(caller, 0, event.address, 0, 16);
        assertEquals(Error.NONE, announce(VALID + "&ipv4=10.1.1.1&ipv6=nope"));
        assertArrayEquals(caller, event.address);
    }

    @Test
    void scrapeCollectsEveryInfoHashInOrder()
    {
        final byte[] other = new byte[20];
        Arrays.fill(other, (byte)'x');
        assertEquals(Error.NONE, scrape("info_hash=" + HASH_ENCODED + "&foo=1&info_hash=xxxxxxxxxxxxxxxxxxxx&" +
            "info_hash=" + HASH_ENCODED));
        assertEquals(RequestEvent.KIND_SCRAPE, event.kind);
        assertEquals(3, event.scrapeCount);
        assertArrayEquals(HASH, Arrays.copyOfRange(event.scrapeHashes, 0, 20));
        assertArrayEquals(other, Arrays.copyOfRange(event.scrapeHashes, 20, 40));
        assertArrayEquals(HASH, Arrays.copyOfRange(event.scrapeHashes, 40, 60));
    }

    @Test
    void scrapeLimitsAndErrors()
    {
        final String one = "info_hash=" + HASH_ENCODED;
        assertEquals(Error.NONE, scrape(one + "&" + one + "&" + one + "&" + one));
        assertEquals(4, event.scrapeCount);
        assertEquals(Error.TOO_MANY_HASHES, scrape(one + "&" + one + "&" + one + "&" + one + "&" + one));
        assertEquals(Error.MISSING_SCRAPE_HASH, scrape(""));
        assertEquals(Error.MISSING_SCRAPE_HASH, scrape("peer_id=" + PEER_ID));
        assertEquals(Error.BAD_INFO_HASH, scrape(one + "&info_hash=short"));
    }

    private void assertEvent(final String value, final byte expected)
    {
        assertEquals(Error.NONE, announce(VALID + "&event=" + value), value);
        assertEquals(expected, event.event, value);
    }

    private Error announce(final String query)
    {
        return parser.parseAnnounce(buffer(query), 3, query.length(), event);
    }

    private Error spoofed(final String query)
    {
        return spoofable.parseAnnounce(buffer(query), 3, query.length(), event);
    }

    private Error scrape(final String query)
    {
        return parser.parseScrape(buffer(query), 3, query.length(), event);
    }

    /** The query at offset 3 of a buffer with junk around it, so offsets matter. */
    private static UnsafeBuffer buffer(final String query)
    {
        final byte[] bytes = ascii("?&=" + query + "&x=%");
        return new UnsafeBuffer(bytes);
    }

    private static int decode(final String s, final byte[] dst)
    {
        final byte[] bytes = ascii(s);
        return QueryParser.decode(new UnsafeBuffer(bytes), 0, bytes.length, dst, 0, dst.length);
    }

    private static byte[] v4(final int a, final int b, final int c, final int d)
    {
        final byte[] address = new byte[16];
        RequestEvent.putIpv4Mapped(address, 0, new byte[] { (byte)a, (byte)b, (byte)c, (byte)d }, 0);
        return address;
    }

    private static byte[] v6(final int last)
    {
        final byte[] address = new byte[16];
        address[0] = 0x20;
        address[1] = 0x01;
        address[2] = 0x0D;
        address[3] = (byte)0xB8;
        address[15] = (byte)last;
        return address;
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
