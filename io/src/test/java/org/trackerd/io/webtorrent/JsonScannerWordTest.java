package org.trackerd.io.webtorrent;

import com.fasterxml.jackson.databind.JsonNode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The edges of {@link JsonScanner}'s eight-bytes-at-a-time string scan: a quote, a backslash (alone and in runs
 * of escapes), a control byte or a non-ASCII byte at every offset 0..24 of a string (either word of a two-word
 * round), next to bytes one above or below the ones searched for (where a borrow between the bytes of a word would
 * show), strings shorter than a word, strings that end at the end of the buffer (so the last word cannot be read
 * whole) or are cut there, at every alignment of the buffer. Jackson, in the test only, says which documents are
 * JSON.
 */
class JsonScannerWordTest
{
    /** What goes at the offset under test: raw bytes, some JSON, some not. */
    private static final byte[][] SPECIALS = {
        {'"'}, {'\\', 'n'}, {'\\', '"'}, {'\\', '\\'}, {'\\', 'u', '0', '0', 'e', '9'}, {'\\', 'x'}, {'\\'},
        // escapes in a row (read without going back to the word loop), a bad or cut one after a good one
        {'\\', 'r', '\\', 'n'}, {'\\', '\\', '\\', '"'}, {'\\', 'n', '\\', 'x'}, {'\\', 'n', '\\'},
        {'\\', 't', '\\', 'u', '0', '0', 'G', '0'}, {'\\', '/', '"'},
        {0x00}, {0x01}, {0x1F}, {0x0A}, {0x20}, {0x7F}, {(byte)0xC3, (byte)0xA9}, {(byte)0xE2, (byte)0x82, (byte)0xAC},
        {(byte)0xF0, (byte)0x9F, (byte)0x98, (byte)0x80},
    };
    /** Filler on either side: one above or below the searched bytes, the 0x20 threshold, high bytes. */
    private static final byte[][] FILLERS = {
        {'a'}, {'!'}, {'#'}, {'['}, {']'}, {' '}, {0x7F}, {(byte)0xC2, (byte)0xA0},
    };
    private static final int[] SUFFIXES = {0, 1, 7, 8, 9};

    private final JsonScanner scanner = new JsonScanner(8);

    @Test
    void everySpecialByteAtEveryOffsetAgreesWithJackson() throws IOException
    {
        int valid = 0;
        int cases = 0;
        for (final byte[] special : SPECIALS)
        {
            for (final byte[] filler : FILLERS)
            {
                for (int prefix = 0; prefix <= 24; prefix++) // the second word of a two-word round too
                {
                    for (final int suffix : SUFFIXES)
                    {
                        final byte[] content = content(filler, prefix, special, suffix);
                        for (int align = 0; align < 8; align++)
                        {
                            valid += check(content, align) ? 1 : 0;
                            cases++;
                        }
                    }
                }
            }
        }
        assertTrue(valid > cases / 3 && valid < cases, valid + " of " + cases + " valid: both kinds are tested");
    }

    @Test
    void shortAndEmptyStringsAndNoSpecialAtAll() throws IOException
    {
        for (final byte[] filler : FILLERS)
        {
            for (int n = 0; n <= 24; n++)
            {
                final byte[] content = content(filler, n, new byte[0], 0);
                for (int align = 0; align < 8; align++)
                {
                    assertTrue(check(content, align), "n " + n);
                }
            }
        }
    }

    /** Scans the content as a string value, alone and as a member, at the end of the buffer; cut off too. */
    private boolean check(final byte[] content, final int align) throws IOException
    {
        final byte[] alone = concat(new byte[] {'"'}, content, new byte[] {'"'});
        final boolean expected = jacksonAccepts(alone);
        final String what = new String(content, StandardCharsets.ISO_8859_1) + " at " + align;

        // the document ends exactly at the end of the buffer: the scan's last word cannot be read whole
        final UnsafeBuffer atEnd = placed(alone, align, 0);
        scanner.wrap(atEnd, align, alone.length);
        final int token = scanner.next();
        final boolean accepted = token == JsonScanner.STRING && scanner.next() == JsonScanner.END;
        assertEquals(expected, accepted, what);
        if (expected)
        {
            assertEquals(align + 1, scanner.tokenOffset(), what);
            assertEquals(content.length, scanner.tokenLength(), what);
            assertEquals(indexOf(content, (byte)'\\') >= 0, scanner.tokenEscaped(), what);
        }

        // as a member value with more of the document after it, in a buffer with room to spare
        final byte[] member = concat("{\"k\":".getBytes(StandardCharsets.US_ASCII), alone,
            ",\"n\":1}".getBytes(StandardCharsets.US_ASCII));
        scanner.wrap(placed(member, align, 16), align, member.length);
        boolean memberAccepted = scanner.next() == JsonScanner.BEGIN_OBJECT && scanner.next() == JsonScanner.NAME &&
            scanner.next() == JsonScanner.STRING;
        final int memberLength = scanner.tokenLength();
        memberAccepted = memberAccepted && scanner.next() == JsonScanner.NAME &&
            scanner.next() == JsonScanner.NUMBER && scanner.next() == JsonScanner.END_OBJECT &&
            scanner.next() == JsonScanner.END;
        assertEquals(jacksonAccepts(member), memberAccepted, "member " + what);
        if (memberAccepted)
        {
            assertEquals(content.length, memberLength, "member " + what);
        }

        // cut before the closing quote, at the end of the buffer: a string only if a raw quote ended it early
        final byte[] cut = concat(new byte[] {'"'}, content);
        scanner.wrap(placed(cut, align, 0), align, cut.length);
        final int cutToken = scanner.next();
        final boolean cutAccepted = cutToken == JsonScanner.STRING && scanner.next() == JsonScanner.END;
        assertEquals(jacksonAccepts(cut), cutAccepted, "cut " + what);
        if (cutToken != JsonScanner.STRING)
        {
            final int error = scanner.error();
            assertTrue(error == JsonScanner.ERROR_TRUNCATED || error == JsonScanner.ERROR_BAD_STRING, "cut " + what);
        }
        return expected;
    }

    private static UnsafeBuffer placed(final byte[] document, final int align, final int slack)
    {
        final UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocateDirect(align + document.length + slack));
        b.setMemory(0, b.capacity(), (byte)'"'); // a quote just past the end must not be read as the closing one
        b.putBytes(align, document);
        return b;
    }

    private static boolean jacksonAccepts(final byte[] json)
    {
        try
        {
            // as a String: bytes that start with a quote and a NUL would be sniffed as UTF-16
            final JsonNode node = WebTorrentCodecTest.MAPPER.readTree(new String(json, StandardCharsets.UTF_8));
            return node != null && !node.isMissingNode();
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static byte[] content(final byte[] filler, final int prefix, final byte[] special, final int suffix)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < prefix; i++)
        {
            out.write(filler, 0, filler.length);
        }
        out.write(special, 0, special.length);
        for (int i = 0; i < suffix; i++)
        {
            out.write(filler, 0, filler.length);
        }
        return out.toByteArray();
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] p : parts)
        {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    private static int indexOf(final byte[] b, final byte x)
    {
        for (int i = 0; i < b.length; i++)
        {
            if (b[i] == x)
            {
                return i;
            }
        }
        return -1;
    }
}
