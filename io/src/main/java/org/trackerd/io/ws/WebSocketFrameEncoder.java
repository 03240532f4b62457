package org.trackerd.io.ws;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Writes server frames (never masked, RFC 6455 section 5.1) into a send buffer: one final frame per message,
 * the length in the fewest bytes that hold it (section 5.2 asks for the minimal form).
 *
 * <p>A JSON answer is usually written where its frame will go before its length is known: reserve
 * {@link #RESERVED_HEADER_LENGTH} bytes ({@link #payloadOffset}), write the payload, then
 * {@link #finishFrame} puts the header in front and moves the payload by the difference when the length
 * needs 2 or 10 header bytes instead of the 4 reserved (the common 126..65535-byte answer needs no move).
 * The buffer must have room for 6 more bytes after such a payload.
 *
 * <p>Thread: stateless static functions, any thread; each buffer belongs to its caller.
 */
public final class WebSocketFrameEncoder
{
    /** The longest server frame header: 2 bytes and a 64-bit length (servers send no mask). */
    public static final int MAX_HEADER_LENGTH = 10;
    /** Header bytes {@link #payloadOffset} leaves: the form with a 16-bit length. */
    public static final int RESERVED_HEADER_LENGTH = 4;

    private WebSocketFrameEncoder()
    {
    }

    /** Header length of a server frame with this payload length. */
    public static int headerLength(final int payloadLength)
    {
        return payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    }

    /** Writes the header of a final, unmasked frame. Returns its length. */
    public static int putHeader(
        final MutableDirectBuffer buffer, final int offset, final int opcode, final int payloadLength)
    {
        buffer.putByte(offset, (byte)(0x80 | opcode));
        if (payloadLength < 126)
        {
            buffer.putByte(offset + 1, (byte)payloadLength);
            return 2;
        }
        if (payloadLength <= 0xFFFF)
        {
            buffer.putByte(offset + 1, (byte)126);
            buffer.putByte(offset + 2, (byte)(payloadLength >>> 8));
            buffer.putByte(offset + 3, (byte)payloadLength);
            return 4;
        }
        buffer.putByte(offset + 1, (byte)127);
        for (int i = 0; i < 4; i++)
        {
            buffer.putByte(offset + 2 + i, (byte)0); // an int length: the top four bytes are zero
        }
        buffer.putByte(offset + 6, (byte)(payloadLength >>> 24));
        buffer.putByte(offset + 7, (byte)(payloadLength >>> 16));
        buffer.putByte(offset + 8, (byte)(payloadLength >>> 8));
        buffer.putByte(offset + 9, (byte)payloadLength);
        return 10;
    }

    /** Where to write the payload of a frame that starts at {@code frameOffset} (see {@link #finishFrame}). */
    public static int payloadOffset(final int frameOffset)
    {
        return frameOffset + RESERVED_HEADER_LENGTH;
    }

    /**
     * Completes a frame whose payload was written at {@link #payloadOffset}{@code (frameOffset)}: moves the
     * payload if its header is not 4 bytes long, then writes the header at {@code frameOffset}. Returns the
     * frame's length.
     */
    public static int finishFrame(
        final MutableDirectBuffer buffer, final int frameOffset, final int opcode, final int payloadLength)
    {
        final int headerLength = headerLength(payloadLength);
        if (headerLength != RESERVED_HEADER_LENGTH)
        {
            // putBytes within one buffer copies like memmove, so the overlapping ranges are safe
            buffer.putBytes(frameOffset + headerLength, buffer, frameOffset + RESERVED_HEADER_LENGTH, payloadLength);
        }
        putHeader(buffer, frameOffset, opcode, payloadLength);
        return headerLength + payloadLength;
    }

    /** A text frame carrying {@code length} bytes of {@code payload} (already UTF-8). Returns the frame length. */
    public static int text(
        final MutableDirectBuffer buffer, final int offset,
        final DirectBuffer payload, final int payloadOffset, final int length)
    {
        final int headerLength = putHeader(buffer, offset, WebSocketFrameDecoder.OPCODE_TEXT, length);
        buffer.putBytes(offset + headerLength, payload, payloadOffset, length);
        return headerLength + length;
    }

    /** The pong that answers a ping: its payload echoed (at most 125 bytes). Returns the frame length. */
    public static int pong(
        final MutableDirectBuffer buffer, final int offset,
        final DirectBuffer payload, final int payloadOffset, final int length)
    {
        return control(buffer, offset, WebSocketFrameDecoder.OPCODE_PONG, payload, payloadOffset, length);
    }

    /** A ping the server sends to an idle client; {@code length} at most 125. Returns the frame length. */
    public static int ping(
        final MutableDirectBuffer buffer, final int offset,
        final DirectBuffer payload, final int payloadOffset, final int length)
    {
        return control(buffer, offset, WebSocketFrameDecoder.OPCODE_PING, payload, payloadOffset, length);
    }

    /**
     * A close frame with {@code code} and an ASCII {@code reason} (cut to the 123 bytes a control frame leaves
     * for it; a constant, so nothing is built per close), or with no payload at all when {@code code} is
     * {@link CloseCodes#NO_STATUS}, which is how a close without a code is echoed. Returns the frame length.
     */
    public static int close(final MutableDirectBuffer buffer, final int offset, final int code, final String reason)
    {
        if (code == CloseCodes.NO_STATUS)
        {
            return putHeader(buffer, offset, WebSocketFrameDecoder.OPCODE_CLOSE, 0);
        }
        final int reasonLength = reason == null ? 0 :
            Math.min(reason.length(), WebSocketFrameDecoder.MAX_CONTROL_PAYLOAD - 2);
        final int headerLength = putHeader(buffer, offset, WebSocketFrameDecoder.OPCODE_CLOSE, 2 + reasonLength);
        buffer.putByte(offset + headerLength, (byte)(code >>> 8));
        buffer.putByte(offset + headerLength + 1, (byte)code);
        for (int i = 0; i < reasonLength; i++)
        {
            final char c = reason.charAt(i);
            buffer.putByte(offset + headerLength + 2 + i, (byte)(c < 0x80 ? c : '?'));
        }
        return headerLength + 2 + reasonLength;
    }

    private static int control(
        final MutableDirectBuffer buffer, final int offset, final int opcode,
        final DirectBuffer payload, final int payloadOffset, final int length)
    {
        if (length > WebSocketFrameDecoder.MAX_CONTROL_PAYLOAD)
        {
            throw new IllegalArgumentException("control payload longer than 125 bytes: " + length);
        }
        final int headerLength = putHeader(buffer, offset, opcode, length);
        if (length > 0)
        {
            buffer.putBytes(offset + headerLength, payload, payloadOffset, length);
        }
        return headerLength + length;
    }
}
