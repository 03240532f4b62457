package org.trackerd.io.ws;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The validator against the JDK's strict UTF-8 decoder, on seeded random text built from UTF-8's pieces. */
class Utf8ValidatorTest
{
    private static boolean jdkValid(final byte[] b)
    {
        try
        {
            StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(b));
            return true;
        }
        catch (final CharacterCodingException ex)
        {
            return false;
        }
    }

    @Test
    void agreesWithTheJdkWholeAndSplit()
    {
        final SplittableRandom random = new SplittableRandom(3629);
        final int[] interesting = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
            0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
        int valid = 0;
        for (int round = 0; round < 40_000; round++)
        {
            final byte[] b = new byte[random.nextInt(0, 24)];
            for (int i = 0; i < b.length; i++)
            {
                b[i] = (byte)(random.nextInt(4) == 0 ? random.nextInt(256) :
                    interesting[random.nextInt(interesting.length)]);
            }
            final boolean expected = jdkValid(b);
            valid += expected ? 1 : 0;
            final Utf8Validator whole = new Utf8Validator();
            assertEquals(expected, whole.update(new UnsafeBuffer(b), 0, b.length) && whole.isComplete(), hex(b));
            final int cut = b.length == 0 ? 0 : random.nextInt(b.length + 1);
            final Utf8Validator split = new Utf8Validator();
            final UnsafeBuffer buffer = new UnsafeBuffer(b);
            final boolean first = split.update(buffer, 0, cut);
            final boolean second = split.update(buffer, cut, b.length - cut);
            assertEquals(expected, first && second && split.isComplete(), hex(b) + " cut " + cut);
        }
        assertEquals(true, valid > 400, "the generator makes valid text too: " + valid);
    }

    @Test
    void longAsciiRunsAndTheirTails()
    {
        final byte[] b = ("{\"action\":\"announce\",\"sdp\":\"v=0\\r\\no=- 4611 2 IN IP4 127.0.0.1\"}" + "\u00e9")
            .getBytes(StandardCharsets.UTF_8);
        for (int end = 0; end <= b.length; end++)
        {
            final Utf8Validator v = new Utf8Validator();
            v.update(new UnsafeBuffer(b), 0, end);
            assertEquals(end != b.length - 1, v.isComplete(), "end " + end);
        }
    }

    /**
     * The eight-byte ASCII skip: one non-ASCII byte or sequence, valid or not, at every offset 0..16 of ASCII
     * text, with 0..9 ASCII bytes after it, at every alignment in the buffer, whole, and split at every byte at two alignments.
     */
    @Test
    void nonAsciiAtEveryOffsetOfAWord()
    {
        final byte[][] pieces = {
            {(byte)0xC3, (byte)0xA9}, {(byte)0xE2, (byte)0x82, (byte)0xAC}, {(byte)0xF0, (byte)0x9F, (byte)0x98, (byte)0x80},
            {(byte)0x80}, {(byte)0xFF}, {(byte)0xC3}, {(byte)0xE2, (byte)0x82}, {(byte)0xC0, (byte)0xAF},
            {(byte)0xED, (byte)0xA0, (byte)0x80}, {0x7F}, {0x00},
        };
        for (final byte[] piece : pieces)
        {
            for (int prefix = 0; prefix <= 16; prefix++)
            {
                for (int suffix = 0; suffix <= 9; suffix++)
                {
                    final byte[] text = new byte[prefix + piece.length + suffix];
                    for (int i = 0; i < text.length; i++)
                    {
                        text[i] = (byte)('a' + i % 26);
                    }
                    System.arraycopy(piece, 0, text, prefix, piece.length);
                    final boolean expected = jdkValid(text);
                    for (int align = 0; align < 8; align++)
                    {
                        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[align + text.length]);
                        buffer.putBytes(align, text);
                        final Utf8Validator whole = new Utf8Validator();
                        assertEquals(expected, whole.update(buffer, align, text.length) && whole.isComplete(),
                            hex(text) + " align " + align);
                        for (int cut = 0; align < 2 && cut <= text.length; cut++)
                        {
                            final Utf8Validator split = new Utf8Validator();
                            final boolean first = split.update(buffer, align, cut);
                            final boolean second = split.update(buffer, align + cut, text.length - cut);
                            assertEquals(expected, first && second && split.isComplete(),
                                hex(text) + " align " + align + " cut " + cut);
                        }
                    }
                }
            }
        }
    }

    private static String hex(final byte[] b)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte x : b)
        {
            sb.append(String.format("%02x ", x));
        }
        return sb.toString();
    }
}
