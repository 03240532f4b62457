package org.trackerd.io.ws;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WebSocketSessionTest
{
    private static final long SECOND = 1_000_000_000L;

    private final UnsafeBuffer out = new UnsafeBuffer(new byte[512]);

    private static WebSocketSession session(final long nowNs)
    {
        return new WebSocketSession(new WebSocketFrameDecoder(4096, 4096, 64, false), 60 * SECOND, 300 * SECOND)
            .open(nowNs);
    }

    private static int feed(final WebSocketSession s, final byte[] bytes, final long nowNs)
    {
        return s.onBytes(new UnsafeBuffer(bytes), 0, bytes.length, nowNs);
    }

    @Test
    void pingsAfterSilenceThenExpires()
    {
        // a clock near the wrap of nanoTime: deadlines compare by difference
        final long t0 = Long.MAX_VALUE - 30 * SECOND;
        final WebSocketSession s = session(t0);
        assertEquals(WebSocketSession.NONE, s.dueAction(t0 + 59 * SECOND));
        assertEquals(WebSocketSession.PING, s.dueAction(t0 + 60 * SECOND));
        final int n = s.writePing(out, 0);
        assertEquals(10, n);
        assertEquals(0x89, out.getByte(0) & 0xFF);
        assertEquals(WebSocketSession.NONE, s.dueAction(t0 + 61 * SECOND), "one ping outstanding at a time");
        // the pong is a sign of life: the clock of silence starts again
        assertEquals(WebSocketFrameDecoder.PONG, feed(s, Frames.frame(true, 0xA, new byte[8]), t0 + 70 * SECOND));
        assertEquals(WebSocketSession.NONE, s.dueAction(t0 + 129 * SECOND));
        assertEquals(WebSocketSession.PING, s.dueAction(t0 + 130 * SECOND));
        s.writePing(out, 0);
        assertEquals(WebSocketSession.EXPIRE, s.dueAction(t0 + 370 * SECOND));
        final int close = s.writeExpireClose(out, 0);
        assertEquals(1001, ((out.getByte(2) & 0xFF) << 8) | (out.getByte(3) & 0xFF));
        assertEquals("idle timeout", out.getStringWithoutLengthAscii(4, close - 4));
        assertEquals(WebSocketSession.CLOSED, s.state());
        assertEquals(WebSocketSession.NONE, s.dueAction(t0 + 999 * SECOND));
    }

    @Test
    void clientClosesFirstAndGetsItsCodeBack()
    {
        final WebSocketSession s = session(0);
        assertEquals(WebSocketFrameDecoder.CLOSE,
            feed(s, Frames.frame(true, 8, Frames.closePayload(4001, "bye".getBytes(StandardCharsets.US_ASCII))), 1));
        assertEquals(WebSocketSession.CLOSED, s.state());
        final int n = s.writeCloseReply(out, 0);
        assertEquals(4, n);
        assertEquals(4001, ((out.getByte(2) & 0xFF) << 8) | (out.getByte(3) & 0xFF));
        assertEquals(0, s.writeCloseReply(out, 0), "one close reply only");

        final WebSocketSession empty = session(0);
        assertEquals(WebSocketFrameDecoder.CLOSE, feed(empty, Frames.frame(true, 8, new byte[0]), 1));
        assertEquals(2, empty.writeCloseReply(out, 0), "a close without a code is answered without one");
    }

    @Test
    void serverClosesFirstAndWaitsForTheReplyOrTheTimeout()
    {
        final WebSocketSession s = session(0);
        final int n = s.writeClose(out, 0, CloseCodes.POLICY_VIOLATION, "too many messages", 10 * SECOND);
        assertEquals(1008, ((out.getByte(2) & 0xFF) << 8) | (out.getByte(3) & 0xFF));
        assertEquals(2 + 2 + "too many messages".length(), n);
        assertEquals(WebSocketSession.CLOSE_SENT, s.state());
        assertEquals(WebSocketSession.NONE, s.dueAction(100 * SECOND), "no ping while closing");
        assertEquals(WebSocketSession.EXPIRE, s.dueAction(310 * SECOND));
        assertEquals(WebSocketFrameDecoder.CLOSE, feed(s, Frames.frame(true, 8, Frames.closePayload(1008, new byte[0])), 20 * SECOND));
        assertEquals(WebSocketSession.CLOSED, s.state());
        assertEquals(0, s.writeCloseReply(out, 0), "our close went first: nothing more to send");
    }

    @Test
    void violationsCloseWithTheirCodeAndReason()
    {
        final WebSocketSession s = session(0);
        assertEquals(WebSocketFrameDecoder.FAIL, feed(s, Frames.frame(true, 4, 1, true, new byte[] {1}, Frames.MASK, -1), 1));
        final int n = s.writeFailClose(out, 0);
        assertEquals(1002, ((out.getByte(2) & 0xFF) << 8) | (out.getByte(3) & 0xFF));
        assertEquals("reserved bit set", out.getStringWithoutLengthAscii(4, n - 4));
        assertEquals(WebSocketSession.CLOSED, s.state());
        // a pooled session opened again starts clean
        s.open(5);
        assertEquals(WebSocketSession.OPEN, s.state());
        assertEquals(WebSocketFrameDecoder.TEXT, feed(s, Frames.text("{}"), 6));
    }
}
