package org.trackerd.io.ws;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class WebSocketFrameEncoderTest
{
    /** Reads a server frame back: fin+opcode, no mask bit, minimal length form; returns the payload. */
    static byte[] serverPayload(final UnsafeBuffer b, final int offset, final int frameLength, final int opcode)
    {
        assertEquals(0x80 | opcode, b.getByte(offset) & 0xFF);
        final int l7 = b.getByte(offset + 1) & 0xFF;
        assertEquals(0, l7 & 0x80, "server frames are not masked");
        final int length;
        final int at;
        if (l7 < 126)
        {
            length = l7;
            at = offset + 2;
        }
        else if (l7 == 126)
        {
            length = ((b.getByte(offset + 2) & 0xFF) << 8) | (b.getByte(offset + 3) & 0xFF);
            assertEquals(true, length >= 126, "minimal form");
            at = offset + 4;
        }
        else
        {
            long l = 0;
            for (int i = 0; i < 8; i++)
            {
                l = (l << 8) | (b.getByte(offset + 2 + i) & 0xFF);
            }
            assertEquals(true, l > 0xFFFF, "minimal form");
            length = (int)l;
            at = offset + 10;
        }
        assertEquals(frameLength, at - offset + length);
        final byte[] p = new byte[length];
        b.getBytes(at, p);
        return p;
    }

    @Test
    void finishFrameMovesThePayloadToTheMinimalHeader()
    {
        for (final int n : new int[] {0, 1, 125, 126, 127, 65535, 65536, 70_000})
        {
            final UnsafeBuffer b = new UnsafeBuffer(new byte[n + 32]);
            final byte[] payload = new byte[n];
            Arrays.fill(payload, (byte)'j');
            if (n > 0)
            {
                payload[0] = '{';
                payload[n - 1] = '}';
            }
            b.putBytes(WebSocketFrameEncoder.payloadOffset(7), payload);
            final int frameLength = WebSocketFrameEncoder.finishFrame(b, 7, WebSocketFrameDecoder.OPCODE_TEXT, n);
            assertEquals(WebSocketFrameEncoder.headerLength(n) + n, frameLength);
            assertArrayEquals(payload, serverPayload(b, 7, frameLength, 1), "n=" + n);
        }
    }

    @Test
    void controlFrames()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        final UnsafeBuffer ping = new UnsafeBuffer("hello".getBytes(StandardCharsets.US_ASCII));
        int n = WebSocketFrameEncoder.pong(b, 1, ping, 0, 5);
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), serverPayload(b, 1, n, 0xA));
        n = WebSocketFrameEncoder.close(b, 0, CloseCodes.MESSAGE_TOO_BIG, "message too big");
        final byte[] close = serverPayload(b, 0, n, 0x8);
        assertEquals(1009, ((close[0] & 0xFF) << 8) | (close[1] & 0xFF));
        assertEquals("message too big", new String(close, 2, close.length - 2, StandardCharsets.US_ASCII));
        n = WebSocketFrameEncoder.close(b, 0, CloseCodes.NO_STATUS, "ignored");
        assertEquals(0, serverPayload(b, 0, n, 0x8).length);
        n = WebSocketFrameEncoder.close(b, 0, 1000, "x".repeat(200));
        assertEquals(125, serverPayload(b, 0, n, 0x8).length);
    }
}
