package org.trackerd.io.ws;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.ws.Frames.concat;
import static org.trackerd.io.ws.Frames.frame;
import static org.trackerd.io.ws.Frames.raw;
import static org.trackerd.io.ws.Frames.text;
import static org.trackerd.io.ws.WebSocketFrameDecoder.BINARY;
import static org.trackerd.io.ws.WebSocketFrameDecoder.CLOSE;
import static org.trackerd.io.ws.WebSocketFrameDecoder.FAIL;
import static org.trackerd.io.ws.WebSocketFrameDecoder.NEED_MORE;
import static org.trackerd.io.ws.WebSocketFrameDecoder.PING;
import static org.trackerd.io.ws.WebSocketFrameDecoder.PONG;
import static org.trackerd.io.ws.WebSocketFrameDecoder.TEXT;

class WebSocketFrameDecoderTest
{
    private static final int MAX_FRAME = 70_000;
    private static final int MAX_MESSAGE = 100_000;

    /** One decoded event, with its payload copied out (what a caller would act on). */
    record Event(int type, int code, byte[] payload)
    {
        @Override
        public String toString()
        {
            return type + "/" + code + "/" + payload.length + ":" +
                new String(payload, 0, Math.min(40, payload.length), StandardCharsets.ISO_8859_1);
        }

        @Override
        public boolean equals(final Object o)
        {
            return o instanceof Event e && e.type == type && e.code == code && Arrays.equals(e.payload, payload);
        }

        @Override
        public int hashCode()
        {
            return type;
        }
    }

    static WebSocketFrameDecoder decoder()
    {
        return new WebSocketFrameDecoder(MAX_FRAME, MAX_MESSAGE, 64, false);
    }

    /** Feeds {@code bytes} in pieces cut at {@code cuts} (ascending offsets) and gathers every event. */
    static List<Event> feed(final WebSocketFrameDecoder d, final byte[] bytes, final int... cuts)
    {
        final List<Event> events = new ArrayList<>();
        int start = 0;
        for (int c = 0; c <= cuts.length; c++)
        {
            final int end = c < cuts.length ? cuts[c] : bytes.length;
            // each piece sits in a buffer of its own, as if the receive buffer was refilled
            final UnsafeBuffer piece = new UnsafeBuffer(Arrays.copyOfRange(bytes, start, end));
            int offset = 0;
            int remaining = end - start;
            final int calls = remaining + 1;
            for (int guard = 0; guard < calls && remaining > 0; guard++)
            {
                final int event = d.decode(piece, offset, remaining);
                offset += d.consumed();
                remaining -= d.consumed();
                if (event != NEED_MORE)
                {
                    events.add(event(d, event));
                }
                if (event == NEED_MORE || event == FAIL)
                {
                    break;
                }
            }
            start = end;
        }
        return events;
    }

    static Event event(final WebSocketFrameDecoder d, final int event)
    {
        switch (event)
        {
            case TEXT:
            case BINARY:
            {
                final byte[] p = new byte[d.messageLength()];
                d.message().getBytes(0, p);
                return new Event(event, 0, p);
            }
            case PING:
            case PONG:
            {
                final byte[] p = new byte[d.controlLength()];
                d.control().getBytes(0, p);
                return new Event(event, 0, p);
            }
            case CLOSE:
            {
                final byte[] p = new byte[d.closeReasonLength()];
                d.control().getBytes(d.closeReasonOffset(), p);
                return new Event(event, d.closeCode(), p);
            }
            default:
                return new Event(event, d.closeCode(), new byte[0]);
        }
    }

    static Event textEvent(final String s)
    {
        return new Event(TEXT, 0, s.getBytes(StandardCharsets.UTF_8));
    }

    static Event fail(final int code)
    {
        return new Event(FAIL, code, new byte[0]);
    }

    static byte[] bytes(final int n, final int seed)
    {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)('a' + (i * 7 + seed) % 26);
        }
        return b;
    }

    @Test
    void textFrameIsUnmasked()
    {
        assertEquals(List.of(textEvent("{\"action\":\"announce\"}")), feed(decoder(), text("{\"action\":\"announce\"}")));
    }

    @Test
    void everyLengthFormAndBoundary()
    {
        for (final int n : new int[] {0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536, MAX_FRAME})
        {
            final byte[] payload = bytes(n, n);
            assertEquals(List.of(new Event(TEXT, 0, payload)), feed(decoder(), frame(true, 1, payload)), "n=" + n);
        }
        // a longer form than needed is accepted (the minimal-length rule binds the sender)
        final byte[] five = bytes(5, 1);
        assertEquals(List.of(new Event(TEXT, 0, five)),
            feed(decoder(), frame(true, 0, 1, true, five, Frames.MASK, 64)));
        assertEquals(List.of(new Event(TEXT, 0, five)),
            feed(decoder(), frame(true, 0, 1, true, five, Frames.MASK, 16)));
    }

    @Test
    void unmaskedClientFrameIsAProtocolError()
    {
        assertEquals(List.of(fail(1002)), feed(decoder(), frame(true, 0, 1, false, bytes(4, 0), null, -1)));
    }

    @Test
    void reservedBitsAndUnknownOpcodesAreProtocolErrors()
    {
        for (int rsv = 1; rsv < 8; rsv++)
        {
            assertEquals(List.of(fail(1002)), feed(decoder(), frame(true, rsv, 1, true, bytes(3, 0), Frames.MASK, -1)));
        }
        for (final int opcode : new int[] {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF})
        {
            assertEquals(List.of(fail(1002)), feed(decoder(), frame(true, opcode, bytes(3, 0))), "opcode " + opcode);
        }
    }

    @Test
    void controlFramesMustBeShortAndWhole()
    {
        assertEquals(List.of(fail(1002)), feed(decoder(), frame(true, 0x9, bytes(126, 0))));
        assertEquals(List.of(fail(1002)), feed(decoder(), frame(false, 0x9, bytes(3, 0))));
        assertEquals(List.of(new Event(PING, 0, bytes(125, 0))), feed(decoder(), frame(true, 0x9, bytes(125, 0))));
        assertEquals(List.of(new Event(PONG, 0, bytes(0, 0))), feed(decoder(), frame(true, 0xA, bytes(0, 0))));
    }

    @Test
    void fragmentsAreReassembledAroundInterleavedControlFrames()
    {
        final byte[] stream = concat(
            frame(false, 1, "{\"a\":".getBytes(StandardCharsets.UTF_8)),
            frame(true, 0x9, "p1".getBytes(StandardCharsets.UTF_8)),
            frame(false, 0, "\"\u00e9".getBytes(StandardCharsets.UTF_8)),
            frame(true, 0xA, new byte[0]),
            frame(true, 0, "\"}".getBytes(StandardCharsets.UTF_8)),
            text("next"));
        final List<Event> expected = List.of(
            new Event(PING, 0, "p1".getBytes(StandardCharsets.UTF_8)),
            new Event(PONG, 0, new byte[0]),
            textEvent("{\"a\":\"\u00e9\"}"),
            textEvent("next"));
        assertEquals(expected, feed(decoder(), stream));
    }

    @Test
    void anySplitOfTheStreamGivesTheSameEvents()
    {
        // a code point split between fragments, an empty fragment, 16-bit length, control frames in between
        final byte[] euro = "\u20ac".getBytes(StandardCharsets.UTF_8);
        final byte[] stream = concat(
            frame(false, 1, new byte[] {'x', euro[0]}),
            frame(true, 0x9, new byte[] {1, 2, 3}),
            frame(false, 0, new byte[] {euro[1]}),
            frame(false, 0, new byte[0]),
            frame(true, 0, concat(new byte[] {euro[2]}, bytes(300, 3))),
            text("{}"),
            frame(true, 0x8, Frames.closePayload(1000, "bye".getBytes(StandardCharsets.US_ASCII))));
        final List<Event> whole = feed(decoder(), stream);
        assertEquals(4, whole.size(), whole.toString());
        assertEquals(new Event(CLOSE, 1000, "bye".getBytes(StandardCharsets.US_ASCII)), whole.get(3));
        for (int cut = 1; cut < stream.length; cut++)
        {
            assertEquals(whole, feed(decoder(), stream, cut), "cut at " + cut);
        }
        final int[] everyByte = new int[stream.length - 1];
        for (int i = 0; i < everyByte.length; i++)
        {
            everyByte[i] = i + 1;
        }
        assertEquals(whole, feed(decoder(), stream, everyByte));
        final SplittableRandom random = new SplittableRandom(21);
        for (int round = 0; round < 200; round++)
        {
            final int[] cuts = random.ints(random.nextInt(1, 12), 1, stream.length).sorted().distinct().toArray();
            assertEquals(whole, feed(decoder(), stream, cuts), Arrays.toString(cuts));
        }
    }

    @Test
    void fragmentationRulesAreEnforced()
    {
        assertEquals(List.of(fail(1002)), feed(decoder(), frame(true, 0, bytes(2, 0))));
        assertEquals(List.of(fail(1002)), feed(decoder(), concat(frame(false, 1, bytes(2, 0)), frame(true, 1, bytes(2, 0)))));
        assertEquals(List.of(textEvent("a"), fail(1002)), feed(decoder(), concat(text("a"), frame(false, 0, bytes(2, 0)))));
    }

    @Test
    void oversizeFramesAndMessagesCloseWith1009BeforeTheirPayloadArrives()
    {
        // only the header: the decision needs none of the payload
        final byte[] bigHeader = Arrays.copyOf(frame(true, 1, bytes(MAX_FRAME + 1, 0)), 2 + 8 + 4);
        assertEquals(List.of(fail(1009)), feed(decoder(), bigHeader));
        final byte[] sixtyFourBitTopSet = raw(0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4);
        assertEquals(List.of(fail(1002)), feed(decoder(), sixtyFourBitTopSet));
        final byte[] tooMuch = concat(frame(false, 1, bytes(60_000, 0)), frame(true, 0, bytes(MAX_MESSAGE - 59_999, 0)));
        assertEquals(List.of(fail(1009)), feed(decoder(), tooMuch));
        final byte[] justEnough = concat(frame(false, 1, bytes(60_000, 0)), frame(true, 0, bytes(MAX_MESSAGE - 60_000, 0)));
        assertEquals(TEXT, feed(decoder(), justEnough).get(0).type());
    }

    @Test
    void invalidUtf8Closes1007AtTheFirstBadByte()
    {
        final byte[][] bad = {
            {(byte)0xC0, (byte)0x80},                   // overlong NUL
            {(byte)0xE0, (byte)0x80, (byte)0x80},       // overlong three-byte
            {(byte)0xED, (byte)0xA0, (byte)0x80},       // surrogate D800
            {(byte)0xF4, (byte)0x90, (byte)0x80, (byte)0x80}, // above U+10FFFF
            {(byte)0xF5},
            {(byte)0x80},
            {'a', (byte)0xFF, 'b'},
        };
        for (final byte[] b : bad)
        {
            assertEquals(List.of(fail(1007)), feed(decoder(), frame(true, 1, b)), Arrays.toString(b));
        }
        // fail-fast: the bad byte is in the first fragment of a message that never finishes
        assertEquals(List.of(fail(1007)), feed(decoder(), frame(false, 1, new byte[] {'{', (byte)0xC1})));
        // the message ends inside a code point (valid so far, not complete)
        assertEquals(List.of(fail(1007)), feed(decoder(), frame(true, 1, new byte[] {'a', (byte)0xE2, (byte)0x82})));
        // a four-byte code point split over three fragments is fine
        final byte[] smile = "\uD83D\uDE00".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of(new Event(TEXT, 0, smile)), feed(decoder(), concat(
            frame(false, 1, new byte[] {smile[0]}),
            frame(false, 0, new byte[] {smile[1], smile[2]}),
            frame(true, 0, new byte[] {smile[3]}))));
    }

    /**
     * Unmasking and the UTF-8 check share one eight-bytes-at-a-time pass: a non-ASCII byte or sequence, valid
     * or not, at every offset 0..33 of a text message, with ASCII after it, received in two pieces cut at every
     * byte (so every mask phase starts a word) and sent as two fragments cut at every byte; the JDK's strict
     * decoder says which are valid.
     */
    @Test
    void unmaskedTextIsValidatedAtEveryOffsetOfAWord()
    {
        final byte[][] pieces = {
            {(byte)0xC3, (byte)0xA9}, {(byte)0xE2, (byte)0x82, (byte)0xAC}, {(byte)0xF0, (byte)0x9F, (byte)0x98, (byte)0x80},
            {(byte)0x80}, {(byte)0xFF}, {(byte)0xE2, (byte)0x82}, {(byte)0xED, (byte)0xA0, (byte)0x80}, {0x7F},
        };
        for (final byte[] piece : pieces)
        {
            for (int prefix = 0; prefix <= 33; prefix++) // two sixteen-byte rounds and a tail
            {
                for (final int suffix : new int[] {0, 1, 8, 9, 17})
                {
                    final byte[] text = new byte[prefix + piece.length + suffix];
                    for (int i = 0; i < text.length; i++)
                    {
                        text[i] = (byte)('a' + i % 26);
                    }
                    System.arraycopy(piece, 0, text, prefix, piece.length);
                    final List<Event> expected = utf8Valid(text) ? List.of(new Event(TEXT, 0, text)) : List.of(fail(1007));
                    final byte[] stream = frame(true, 1, text);
                    for (int cut = 0; cut <= stream.length; cut++)
                    {
                        // a failure repeats on the piece after it: the first event is the one that counts
                        final List<Event> events = feed(decoder(), stream, cut);
                        assertEquals(expected, events.subList(0, Math.min(1, events.size())),
                            Arrays.toString(text) + " cut " + cut);
                    }
                    for (int at = 0; at <= text.length; at++)
                    {
                        final byte[] fragments = concat(frame(false, 1, Arrays.copyOfRange(text, 0, at)),
                            frame(true, 0, Arrays.copyOfRange(text, at, text.length)));
                        assertEquals(expected, feed(decoder(), fragments), Arrays.toString(text) + " fragment " + at);
                    }
                }
            }
        }
    }

    private static boolean utf8Valid(final byte[] b)
    {
        try
        {
            StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b));
            return true;
        }
        catch (final java.nio.charset.CharacterCodingException ex)
        {
            return false;
        }
    }

    @Test
    void binaryMessagesAreRefusedOrReadAsText()
    {
        assertEquals(List.of(fail(1003)), feed(decoder(), frame(true, 2, bytes(3, 0))));
        final WebSocketFrameDecoder asText = new WebSocketFrameDecoder(MAX_FRAME, MAX_MESSAGE, 16, true);
        assertEquals(List.of(new Event(BINARY, 0, bytes(3, 0))), feed(asText, frame(true, 2, bytes(3, 0))));
        assertEquals(List.of(fail(1007)), feed(asText, frame(true, 2, new byte[] {(byte)0xFF})));
    }

    @Test
    void closeFrames()
    {
        assertEquals(List.of(new Event(CLOSE, 1005, new byte[0])), feed(decoder(), frame(true, 8, new byte[0])));
        assertEquals(List.of(new Event(CLOSE, 4000, "\u00e9t\u00e9".getBytes(StandardCharsets.UTF_8))),
            feed(decoder(), frame(true, 8, Frames.closePayload(4000, "\u00e9t\u00e9".getBytes(StandardCharsets.UTF_8)))));
        assertEquals(List.of(fail(1002)), feed(decoder(), frame(true, 8, new byte[] {3})));
        for (final int code : new int[] {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000})
        {
            assertEquals(List.of(fail(1002)), feed(decoder(), frame(true, 8, Frames.closePayload(code, new byte[0]))),
                "code " + code);
        }
        assertEquals(List.of(fail(1007)),
            feed(decoder(), frame(true, 8, Frames.closePayload(1000, new byte[] {(byte)0xCE}))));
        // nothing after the close is decoded (not even garbage), and it is all consumed
        final WebSocketFrameDecoder d = decoder();
        final byte[] stream = concat(frame(true, 8, Frames.closePayload(1000, new byte[0])), text("late"), raw(0xFF, 0xFF));
        assertEquals(List.of(new Event(CLOSE, 1000, new byte[0])), feed(d, stream));
        assertTrue(d.isTerminated());
    }

    @Test
    void afterAFailureEverythingIsConsumedAndTheFailureRepeats()
    {
        final WebSocketFrameDecoder d = decoder();
        final UnsafeBuffer b = new UnsafeBuffer(concat(frame(true, 1, bytes(2, 0)), raw(0xF1, 0x80), text("x")));
        final int first = frame(true, 1, bytes(2, 0)).length;
        assertEquals(TEXT, d.decode(b, 0, b.capacity()));
        assertEquals(first, d.consumed());
        assertEquals(FAIL, d.decode(b, first, b.capacity() - first));
        assertEquals(b.capacity() - first, d.consumed());
        assertEquals(FAIL, d.decode(b, 0, 3));
        assertEquals(3, d.consumed());
        d.reset();
        assertEquals(TEXT, d.decode(b, 0, first));
    }

    @Test
    void randomInputNeverThrowsAndEveryCallMakesProgress()
    {
        final SplittableRandom random = new SplittableRandom(6455);
        final byte[] valid = concat(text("{\"action\":\"announce\"}"), frame(true, 9, bytes(4, 0)),
            frame(false, 1, bytes(200, 0)), frame(true, 0, bytes(70, 1)), frame(true, 8, new byte[0]));
        for (int round = 0; round < 5_000; round++)
        {
            final byte[] input;
            if (random.nextBoolean())
            {
                input = new byte[random.nextInt(1, 300)];
                random.nextBytes(input);
                input[0] = (byte)(input[0] & 0x8F); // often a plausible first byte
                if (input.length > 1)
                {
                    input[1] |= (byte)0x80;
                }
            }
            else
            {
                input = valid.clone();
                for (int flips = random.nextInt(1, 6); flips > 0; flips--)
                {
                    input[random.nextInt(input.length)] ^= (byte)(1 << random.nextInt(8));
                }
            }
            final WebSocketFrameDecoder d = new WebSocketFrameDecoder(4096, 8192, 16, random.nextBoolean());
            final UnsafeBuffer b = new UnsafeBuffer(input);
            int offset = 0;
            for (int calls = 0; offset < input.length; calls++)
            {
                assertTrue(calls <= input.length, "no progress");
                final int event = d.decode(b, offset, input.length - offset);
                assertTrue(d.consumed() > 0 || event != NEED_MORE, "no progress");
                offset += d.consumed();
                assertTrue(event >= NEED_MORE && event <= FAIL);
                if (event == FAIL)
                {
                    final int code = d.closeCode();
                    assertTrue(code == 1002 || code == 1003 || code == 1007 || code == 1009, "code " + code);
                    assertEquals(input.length, offset);
                }
            }
        }
    }
}
