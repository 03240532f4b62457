package org.trackerd.io.ws;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Server side of RFC 6455 framing for one connection: takes the client's bytes in whatever pieces the socket
 * delivers them (a frame header may be split at any byte), unmasks payloads, reassembles fragmented messages,
 * validates text incrementally, and reports one event at a time, so the selector thread that owns the
 * connection drives it from its read handler with no thread of its own and no callback objects.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-------+-+-------------+-------------------------------+
 * |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 * |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 * |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 * | |1|2|3|       |K|             |                               |
 * +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 * |     Extended payload length continued, if payload len == 127  |
 * + - - - - - - - - - - - - - - - +-------------------------------+
 * |                               | Masking-key (client frames)   |
 * +-------------------------------+-------------------------------+
 * | Masking-key (continued)       |          Payload Data         |
 * +-------------------------------- - - - - - - - - - - - - - - - +
 * </pre>
 *
 * <p>Use: call {@link #decode} with the unread bytes; advance by {@link #consumed()}; act on the event; call
 * again while bytes remain and the event was not {@link #NEED_MORE}. Payload bytes are unmasked straight into
 * the message buffer (data) or the control buffer (ping, pong, close), so the caller's receive buffer can be
 * compacted or refilled after every call: nothing here points into it.
 *
 * <p>What is refused, and with which close code ({@link #closeCode()} after {@link #FAIL}):
 * <ul>
 * <li>1002: a reserved bit set (no extension is ever negotiated), an unknown opcode, an unmasked frame, a
 * control frame that is fragmented or longer than 125 bytes, a continuation with no message open, a new
 * message while a fragmented one is open, a 64-bit length with its top bit set, a close frame of one byte or
 * with a code that may not travel;</li>
 * <li>1007: a text message or a close reason that is not UTF-8 (seen at the first bad byte);</li>
 * <li>1009: a frame longer than {@code maxFrameBytes} or a message growing past {@code maxMessageBytes}
 * (checked from the header, before any of its payload is taken);</li>
 * <li>1003: a binary message, unless binary messages are read as text (the reference server does so).</li>
 * </ul>
 * After {@link #FAIL} or {@link #CLOSE} the decoder takes and discards everything (RFC 6455 section 5.5.1: no
 * data after a close frame) until {@link #reset()}.
 *
 * <p>Memory: the message buffer starts at {@code initialMessageCapacity} and grows as messages need (never
 * much past {@code maxMessageBytes}, which is checked from each frame's header first); the control buffer is
 * 125 bytes.
 *
 * <p>Thread: one instance per connection, used only by the thread that owns the connection.
 */
public final class WebSocketFrameDecoder
{
    public static final int OPCODE_CONTINUATION = 0x0;
    public static final int OPCODE_TEXT = 0x1;
    public static final int OPCODE_BINARY = 0x2;
    public static final int OPCODE_CLOSE = 0x8;
    public static final int OPCODE_PING = 0x9;
    public static final int OPCODE_PONG = 0xA;

    /** All input taken; no event is complete yet. */
    public static final int NEED_MORE = 0;
    /** A complete text message: {@link #message()} from 0, {@link #messageLength()} bytes, valid UTF-8. */
    public static final int TEXT = 1;
    /** A complete binary message (only when binary is read as text: then it is valid UTF-8 too). */
    public static final int BINARY = 2;
    /** A ping: its payload is {@link #control()} from 0, {@link #controlLength()} bytes; answer with a pong. */
    public static final int PING = 3;
    /** A pong (to a ping of ours, or unsolicited): proof of life, nothing to answer. */
    public static final int PONG = 4;
    /** The client's close frame: {@link #closeCode()} (1005 when it had none) and the reason after it. */
    public static final int CLOSE = 5;
    /** A protocol violation: send a close frame with {@link #closeCode()} and {@link #failReason()}, then close. */
    public static final int FAIL = 6;

    /** Control frames carry at most this many payload bytes (RFC 6455 section 5.5). */
    public static final int MAX_CONTROL_PAYLOAD = 125;

    private static final int PHASE_HEADER = 0;
    private static final int PHASE_PAYLOAD = 1;
    private static final int PHASE_CLOSED = 2;
    private static final int PHASE_FAILED = 3;

    private final int maxFrameBytes;
    private final int maxMessageBytes;
    private final boolean binaryAsText;
    private final ExpandableArrayBuffer message;
    private final UnsafeBuffer control = new UnsafeBuffer(new byte[MAX_CONTROL_PAYLOAD]);
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final Utf8Validator utf8 = new Utf8Validator();
    private final Utf8Validator closeReasonUtf8 = new Utf8Validator();

    /** Header bytes gathered so far: at most 2 + 8 + 4. */
    private final byte[] header = new byte[14];
    private final byte[] mask = new byte[4];
    private int headerCount;
    private int headerNeeded = 2;

    private int phase = PHASE_HEADER;
    private int consumed;
    private boolean fin;
    private int opcode;
    private long payloadRemaining;
    private int maskIndex;

    /** Opcode of the data message being reassembled, or -1 when none is open. */
    private int messageOpcode = -1;
    private int messageLength;
    /** The last event handed out a message: the next call starts a new one. */
    private boolean messageComplete;
    private boolean validateUtf8;

    private int controlLength;
    private int closeCode;
    private String failReason;

    /**
     * @param maxFrameBytes          largest payload of one frame (data or continuation)
     * @param maxMessageBytes        largest reassembled message
     * @param initialMessageCapacity first size of the message buffer (grows as needed up to the bound)
     * @param binaryAsText           take binary messages as JSON text (validated as UTF-8) like the reference
     *                               server; when false a binary message closes the connection with 1003
     */
    public WebSocketFrameDecoder(
        final int maxFrameBytes, final int maxMessageBytes, final int initialMessageCapacity, final boolean binaryAsText)
    {
        if (maxFrameBytes < MAX_CONTROL_PAYLOAD || maxMessageBytes < 1 || initialMessageCapacity < 1)
        {
            throw new IllegalArgumentException("frame bound must be >= 125 and message bounds positive");
        }
        this.maxFrameBytes = maxFrameBytes;
        this.maxMessageBytes = maxMessageBytes;
        this.binaryAsText = binaryAsText;
        this.message = new ExpandableArrayBuffer(Math.min(initialMessageCapacity, maxMessageBytes));
    }

    /** Back to a fresh connection's state (a pooled connection reused); keeps the grown message buffer. */
    public void reset()
    {
        phase = PHASE_HEADER;
        headerCount = 0;
        headerNeeded = 2;
        consumed = 0;
        messageOpcode = -1;
        messageLength = 0;
        messageComplete = false;
        controlLength = 0;
        closeCode = 0;
        failReason = null;
        utf8.reset();
    }

    /**
     * Takes bytes from {@code buffer} until one event is complete or the bytes run out. Returns the event;
     * {@link #consumed()} says how many bytes it took (all of them unless an event completed earlier).
     */
    public int decode(final DirectBuffer buffer, final int offset, final int length)
    {
        if (messageComplete)
        {
            messageComplete = false; // the last event handed a message out; the next one starts afresh
            messageLength = 0;
            messageOpcode = -1;
        }
        int position = offset;
        final int end = offset + length;
        int event = NEED_MORE;
        while (event == NEED_MORE && position < end)
        {
            if (phase == PHASE_HEADER)
            {
                position = readHeader(buffer, position, end);
                if (phase == PHASE_FAILED)
                {
                    event = FAIL;
                    position = end;
                }
                else if (phase == PHASE_PAYLOAD && payloadRemaining == 0)
                {
                    event = frameComplete();
                }
            }
            else if (phase == PHASE_PAYLOAD)
            {
                final int n = (int)Math.min(payloadRemaining, end - position);
                event = readPayload(buffer, position, n);
                position += n;
                if (event == FAIL)
                {
                    position = end;
                }
            }
            else
            {
                event = phase == PHASE_FAILED ? FAIL : NEED_MORE;
                position = end; // closed or failed: the rest is discarded
            }
        }
        if (phase == PHASE_FAILED)
        {
            event = FAIL;
            position = end;
        }
        consumed = position - offset;
        return event;
    }

    /** Bytes the last {@link #decode} took from its input. */
    public int consumed()
    {
        return consumed;
    }

    /** The reassembled message of the last {@link #TEXT} or {@link #BINARY} event (valid until the next call). */
    public DirectBuffer message()
    {
        return message;
    }

    public int messageLength()
    {
        return messageLength;
    }

    /** The payload of the last {@link #PING}, {@link #PONG} or {@link #CLOSE} (valid until the next call). */
    public DirectBuffer control()
    {
        return control;
    }

    public int controlLength()
    {
        return controlLength;
    }

    /** After {@link #CLOSE}: the client's code (1005 when none). After {@link #FAIL}: the code to close with. */
    public int closeCode()
    {
        return closeCode;
    }

    /** After {@link #CLOSE}: where the client's reason starts in {@link #control()} (0 when absent). */
    public int closeReasonOffset()
    {
        return controlLength >= 2 ? 2 : 0;
    }

    public int closeReasonLength()
    {
        return controlLength >= 2 ? controlLength - 2 : 0;
    }

    /** After {@link #FAIL}: a short ASCII reason for the close frame and the log (a constant, never built). */
    public String failReason()
    {
        return failReason;
    }

    /** True once a close frame arrived or a violation was found. */
    public boolean isTerminated()
    {
        return phase == PHASE_CLOSED || phase == PHASE_FAILED;
    }

    private int readHeader(final DirectBuffer buffer, final int start, final int end)
    {
        int position = start;
        if (headerNeeded == 0)
        {
            headerNeeded = 2;
        }
        while (position < end && headerCount < headerNeeded)
        {
            header[headerCount++] = buffer.getByte(position++);
            if (headerCount == 2 && !checkFirstTwoBytes())
            {
                return position;
            }
        }
        if (headerCount < headerNeeded)
        {
            return position;
        }
        final int length7 = header[1] & 0x7F;
        long payloadLength;
        int maskAt;
        if (length7 == 126)
        {
            payloadLength = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
            maskAt = 4;
        }
        else if (length7 == 127)
        {
            payloadLength = 0;
            for (int i = 2; i < 10; i++)
            {
                payloadLength = (payloadLength << 8) | (header[i] & 0xFF);
            }
            if (payloadLength < 0)
            {
                return fail(CloseCodes.PROTOCOL_ERROR, "64-bit length with its top bit set", position);
            }
            maskAt = 10;
        }
        else
        {
            payloadLength = length7;
            maskAt = 2;
        }
        for (int i = 0; i < 4; i++)
        {
            mask[i] = header[maskAt + i];
        }
        maskIndex = 0;
        headerCount = 0;
        headerNeeded = 2;
        if (isControl(opcode))
        {
            controlLength = 0;
        }
        else
        {
            if (payloadLength > maxFrameBytes)
            {
                return fail(CloseCodes.MESSAGE_TOO_BIG, "frame too big", position);
            }
            if (messageLength + payloadLength > maxMessageBytes)
            {
                return fail(CloseCodes.MESSAGE_TOO_BIG, "message too big", position);
            }
        }
        payloadRemaining = payloadLength;
        phase = PHASE_PAYLOAD;
        return position;
    }

    /** Checks what the first two bytes alone decide, and works out how long the header is. */
    private boolean checkFirstTwoBytes()
    {
        final int b0 = header[0] & 0xFF;
        final int b1 = header[1] & 0xFF;
        if ((b0 & 0x70) != 0)
        {
            fail(CloseCodes.PROTOCOL_ERROR, "reserved bit set", 0);
            return false;
        }
        fin = (b0 & 0x80) != 0;
        opcode = b0 & 0x0F;
        if ((b1 & 0x80) == 0)
        {
            fail(CloseCodes.PROTOCOL_ERROR, "client frame not masked", 0);
            return false;
        }
        final int length7 = b1 & 0x7F;
        switch (opcode)
        {
            case OPCODE_CLOSE:
            case OPCODE_PING:
            case OPCODE_PONG:
                if (!fin)
                {
                    fail(CloseCodes.PROTOCOL_ERROR, "fragmented control frame", 0);
                    return false;
                }
                if (length7 > MAX_CONTROL_PAYLOAD)
                {
                    fail(CloseCodes.PROTOCOL_ERROR, "control frame longer than 125 bytes", 0);
                    return false;
                }
                break;
            case OPCODE_CONTINUATION:
                if (messageOpcode < 0)
                {
                    fail(CloseCodes.PROTOCOL_ERROR, "continuation without a message", 0);
                    return false;
                }
                break;
            case OPCODE_TEXT:
            case OPCODE_BINARY:
                if (messageOpcode >= 0)
                {
                    fail(CloseCodes.PROTOCOL_ERROR, "new message inside a fragmented one", 0);
                    return false;
                }
                if (opcode == OPCODE_BINARY && !binaryAsText)
                {
                    fail(CloseCodes.UNSUPPORTED_DATA, "binary messages are not accepted", 0);
                    return false;
                }
                messageOpcode = opcode;
                messageLength = 0;
                validateUtf8 = true; // text, or binary read as text
                utf8.reset();
                break;
            default:
                fail(CloseCodes.PROTOCOL_ERROR, "unknown opcode", 0);
                return false;
        }
        headerNeeded = 2 + 4 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0);
        return true;
    }

    private int readPayload(final DirectBuffer buffer, final int position, final int n)
    {
        if (isControl(opcode))
        {
            unmask(buffer, position, control, controlLength, n);
            controlLength += n;
        }
        else
        {
            final int at = messageLength;
            message.checkLimit(at + n);
            messageLength = at + n;
            if (validateUtf8)
            {
                if (!unmaskText(buffer, position, message, at, n))
                {
                    fail(CloseCodes.INVALID_PAYLOAD, "invalid UTF-8", 0);
                    return FAIL;
                }
            }
            else
            {
                unmask(buffer, position, message, at, n);
            }
        }
        payloadRemaining -= n;
        return payloadRemaining == 0 ? frameComplete() : NEED_MORE;
    }

    /** The whole payload of a frame is in: hand out what it completes. */
    private int frameComplete()
    {
        phase = PHASE_HEADER;
        switch (opcode)
        {
            case OPCODE_PING:
                return PING;
            case OPCODE_PONG:
                return PONG;
            case OPCODE_CLOSE:
                return closeFrame();
            default:
                if (!fin)
                {
                    return NEED_MORE;
                }
                if (validateUtf8 && !utf8.isComplete())
                {
                    fail(CloseCodes.INVALID_PAYLOAD, "text ends inside a UTF-8 sequence", 0);
                    return FAIL;
                }
                messageComplete = true;
                return messageOpcode == OPCODE_TEXT ? TEXT : BINARY;
        }
    }

    private int closeFrame()
    {
        if (controlLength == 0)
        {
            closeCode = CloseCodes.NO_STATUS;
        }
        else if (controlLength == 1)
        {
            fail(CloseCodes.PROTOCOL_ERROR, "close frame of one byte", 0);
            return FAIL;
        }
        else
        {
            final int code = ((control.getByte(0) & 0xFF) << 8) | (control.getByte(1) & 0xFF);
            if (!CloseCodes.isValidReceived(code))
            {
                fail(CloseCodes.PROTOCOL_ERROR, "close code that may not be sent", 0);
                return FAIL;
            }
            closeReasonUtf8.reset();
            if (!closeReasonUtf8.update(control, 2, controlLength - 2) || !closeReasonUtf8.isComplete())
            {
                fail(CloseCodes.INVALID_PAYLOAD, "close reason is not UTF-8", 0);
                return FAIL;
            }
            closeCode = code;
        }
        phase = PHASE_CLOSED;
        return CLOSE;
    }

    private int fail(final int code, final String reason, final int position)
    {
        phase = PHASE_FAILED;
        closeCode = code;
        failReason = reason;
        return position;
    }

    /**
     * Copies {@code n} payload bytes, XOR-ing each with the mask byte of its position in the frame: eight at a
     * time with the mask spread over a long (eight is a multiple of the mask's four, so the rotation holds),
     * then the tail one by one.
     */
    private void unmask(
        final DirectBuffer src, final int srcOffset, final MutableDirectBuffer dst, final int dstOffset, final int n)
    {
        final int m = maskIndex;
        int i = 0;
        if (n >= 8)
        {
            final int word = (mask[m] & 0xFF) |
                ((mask[(m + 1) & 3] & 0xFF) << 8) |
                ((mask[(m + 2) & 3] & 0xFF) << 16) |
                ((mask[(m + 3) & 3] & 0xFF) << 24);
            final long wide = (word & 0xFFFF_FFFFL) | ((long)word << 32);
            for (; i + 8 <= n; i += 8)
            {
                dst.putLong(dstOffset + i, src.getLong(srcOffset + i, ByteOrder.LITTLE_ENDIAN) ^ wide,
                    ByteOrder.LITTLE_ENDIAN);
            }
        }
        for (; i < n; i++)
        {
            dst.putByte(dstOffset + i, (byte)(src.getByte(srcOffset + i) ^ mask[(m + i) & 3]));
        }
        maskIndex = (m + n) & 3;
    }

    /**
     * {@link #unmask} and the UTF-8 check in one pass over the payload (it is read once, not twice: a WebTorrent
     * announce is kilobytes of ASCII SDP): an unmasked word of ASCII between code points is valid as it is, and
     * only the other words, and the tail, go through the validator. Returns false at the first invalid byte (the
     * rest of the payload is then left masked; the decoder has failed and nobody reads it).
     */
    private boolean unmaskText(
        final DirectBuffer src, final int srcOffset, final MutableDirectBuffer dst, final int dstOffset, final int n)
    {
        final int m = maskIndex;
        maskIndex = (m + n) & 3;
        int i = 0;
        if (n >= 16)
        {
            // sixteen bytes a round with raw reads and writes of the ranges checked here once (per-access checks of
            // the buffers were a third of the loop); the mask spread over a long in memory order
            src.boundsCheck(srcOffset, n);
            dst.boundsCheck(dstOffset, n);
            final byte[] srcArray = src.byteArray();
            final long from = src.addressOffset() + srcOffset;
            final byte[] dstArray = dst.byteArray();
            final long to = dst.addressOffset() + dstOffset;
            final int word = (mask[m] & 0xFF) |
                ((mask[(m + 1) & 3] & 0xFF) << 8) |
                ((mask[(m + 2) & 3] & 0xFF) << 16) |
                ((mask[(m + 3) & 3] & 0xFF) << 24);
            final long little = (word & 0xFFFF_FFFFL) | ((long)word << 32);
            final long rotated = NATIVE_LITTLE_ENDIAN ? little : Long.reverseBytes(little);
            boolean between = utf8.isComplete();
            for (; i + 16 <= n; i += 16)
            {
                final long first = UnsafeApi.getLong(srcArray, from + i) ^ rotated;
                final long second = UnsafeApi.getLong(srcArray, from + i + 8) ^ rotated;
                UnsafeApi.putLong(dstArray, to + i, first);
                UnsafeApi.putLong(dstArray, to + i + 8, second);
                if (((first | second) & HIGH_BITS) != 0 || !between)
                {
                    if (!utf8.update(dst, dstOffset + i, 16))
                    {
                        return false;
                    }
                    between = utf8.isComplete();
                }
            }
        }
        final int tail = i;
        for (; i < n; i++)
        {
            dst.putByte(dstOffset + i, (byte)(src.getByte(srcOffset + i) ^ mask[(m + i) & 3]));
        }
        return utf8.update(dst, dstOffset + tail, n - tail);
    }

    private static boolean isControl(final int opcode)
    {
        return (opcode & 0x8) != 0;
    }
}
