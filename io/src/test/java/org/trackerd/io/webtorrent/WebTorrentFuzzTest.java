package org.trackerd.io.webtorrent;

import com.fasterxml.jackson.databind.JsonNode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded fuzz of the JSON scanner and the request decoder, differential against Jackson (test scope only):
 * on valid UTF-8, the scanner walks a document to its end exactly when Jackson reads it, the decoder never
 * accepts what Jackson rejects nor calls malformed what Jackson reads, and nothing throws. Bounded: a fixed
 * number of mutants of the captured client messages and of random token soup.
 */
class WebTorrentFuzzTest
{
    private static final byte[] SOUP = "{}[]\":,\\ \n0123456789-+.eEtrufalsn\u00e9xu".getBytes(StandardCharsets.UTF_8);

    private static boolean utf8(final byte[] b)
    {
        try
        {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        }
        catch (final CharacterCodingException ex)
        {
            return false;
        }
    }

    private static boolean jacksonReads(final byte[] b)
    {
        try
        {
            final JsonNode node = WebTorrentCodecTest.MAPPER.readTree(b);
            return node != null && !node.isMissingNode();
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** Walks every token; true when the scanner reached the end of a well-formed document. */
    private static boolean scannerReads(final JsonScanner scanner, final byte[] b)
    {
        scanner.wrap(new UnsafeBuffer(b), 0, b.length);
        for (int i = 0; i <= b.length + 1; i++)
        {
            final int token = scanner.next();
            if (token == JsonScanner.END)
            {
                return true;
            }
            if (token == JsonScanner.ERROR)
            {
                return false;
            }
        }
        fail("more tokens than bytes: " + new String(b, StandardCharsets.UTF_8));
        return false;
    }

    private static byte[] mutate(final byte[] base, final SplittableRandom random)
    {
        byte[] b = base.clone();
        for (int m = random.nextInt(1, 4); m > 0 && b.length > 0; m--)
        {
            final int at = random.nextInt(b.length);
            switch (random.nextInt(5))
            {
                case 0:
                    b[at] = SOUP[random.nextInt(SOUP.length)];
                    break;
                case 1:
                    b[at] ^= (byte)(1 << random.nextInt(8));
                    break;
                case 2:
                {
                    final byte[] shorter = new byte[b.length - 1];
                    System.arraycopy(b, 0, shorter, 0, at);
                    System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
                    b = shorter;
                    break;
                }
                case 3:
                {
                    final byte[] longer = new byte[b.length + 1];
                    System.arraycopy(b, 0, longer, 0, at);
                    longer[at] = SOUP[random.nextInt(SOUP.length)];
                    System.arraycopy(b, at, longer, at + 1, b.length - at);
                    b = longer;
                    break;
                }
                default:
                    b = Arrays.copyOf(b, at);
                    break;
            }
        }
        return b;
    }

    @Test
    void mutatedClientMessages() throws IOException
    {
        final byte[][] bases = {
            WebTorrentCodecTest.resource("announce-started-offers.json"),
            WebTorrentCodecTest.resource("answer.json"),
            WebTorrentCodecTest.resource("scrape.json"),
            WebTorrentCodecTest.resource("announce-stopped.json"),
            ("{\"action\":\"scrape\",\"info_hash\":[\"aaaaaaaaaaaaaaaaaaaa\",\"b\\u0062bbbbbbbbbbbbbbbbbb\"],\"x\":[1.5e3,true," +
                "false,null,{\"y\":-0}]}").getBytes(StandardCharsets.UTF_8),
        };
        final SplittableRandom random = new SplittableRandom(20261207);
        final WebTorrentRequestDecoder decoder = new WebTorrentRequestDecoder();
        final WebTorrentRequest request = new WebTorrentRequest(8, 16);
        final JsonScanner scanner = new JsonScanner(JsonScanner.MAX_DEPTH_LIMIT);
        int compared = 0;
        int accepted = 0;
        for (int round = 0; round < 4_000; round++)
        {
            final byte[] b = mutate(bases[random.nextInt(bases.length)], random);
            final UnsafeBuffer buffer = new UnsafeBuffer(b);
            final int result = decoder.decode(buffer, 0, b.length, request);
            assertTrue(result >= WebTorrentRequestDecoder.OK && result <= WebTorrentRequestDecoder.ERROR_TOO_DEEP);
            if (!utf8(b))
            {
                continue; // the WebSocket decoder never hands such bytes over; only "no exception" holds here
            }
            compared++;
            final boolean jackson = jacksonReads(b);
            final String text = new String(b, StandardCharsets.UTF_8);
            assertEquals(jackson, scannerReads(scanner, b), text);
            if (result == WebTorrentRequestDecoder.OK)
            {
                accepted++;
                assertTrue(jackson, "accepted what Jackson rejects: " + text);
                if (request.action() == WebTorrentRequest.ACTION_ANNOUNCE)
                {
                    for (int i = 0; i < request.offerCount(); i++)
                    {
                        assertTrue(jacksonReads(Arrays.copyOfRange(b, request.offerValueOffset(i),
                            request.offerValueOffset(i) + request.offerValueLength(i))), "offer slice of " + text);
                    }
                }
            }
            if (result == WebTorrentRequestDecoder.ERROR_MALFORMED_JSON)
            {
                assertTrue(!jackson, "called malformed what Jackson reads: " + text);
            }
        }
        assertTrue(compared > 1_000 && accepted > 50, "compared " + compared + ", accepted " + accepted);
    }

    @Test
    void randomTokenSoup()
    {
        final SplittableRandom random = new SplittableRandom(8259);
        final JsonScanner scanner = new JsonScanner(JsonScanner.MAX_DEPTH_LIMIT);
        int wellFormed = 0;
        for (int round = 0; round < 10_000; round++)
        {
            final byte[] b = new byte[random.nextInt(1, 12)];
            for (int i = 0; i < b.length; i++)
            {
                b[i] = SOUP[random.nextInt(SOUP.length - 4)]; // ASCII part only: always valid UTF-8
            }
            final boolean jackson = jacksonReads(b);
            wellFormed += jackson ? 1 : 0;
            assertEquals(jackson, scannerReads(scanner, b), new String(b, StandardCharsets.UTF_8));
        }
        assertTrue(wellFormed > 50, "the soup makes documents too: " + wellFormed);
    }
}
