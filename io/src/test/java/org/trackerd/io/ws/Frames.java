package org.trackerd.io.ws;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds client frames byte by byte for the tests, including the malformed ones a real client never sends. */
final class Frames
{
    static final byte[] MASK = {(byte)0x37, (byte)0xFA, (byte)0x21, (byte)0x3D};

    private Frames()
    {
    }

    static byte[] frame(final boolean fin, final int opcode, final byte[] payload)
    {
        return frame(fin, 0, opcode, true, payload, MASK, -1);
    }

    static byte[] text(final String s)
    {
        return frame(true, 0x1, s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param lengthForm -1 the minimal form, else 7, 16 or 64 to force a length encoding
     */
    static byte[] frame(final boolean fin, final int rsv, final int opcode, final boolean masked,
        final byte[] payload, final byte[] mask, final int lengthForm)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
        final int n = payload.length;
        final int form = lengthForm > 0 ? lengthForm : n < 126 ? 7 : n <= 0xFFFF ? 16 : 64;
        final int maskBit = masked ? 0x80 : 0;
        if (form == 7)
        {
            out.write(maskBit | n);
        }
        else if (form == 16)
        {
            out.write(maskBit | 126);
            out.write(n >>> 8);
            out.write(n & 0xFF);
        }
        else
        {
            out.write(maskBit | 127);
            for (int i = 7; i >= 0; i--)
            {
                out.write((int)(((long)n >>> (8 * i)) & 0xFF));
            }
        }
        if (masked)
        {
            out.write(mask, 0, 4);
        }
        for (int i = 0; i < n; i++)
        {
            out.write(masked ? payload[i] ^ mask[i & 3] : payload[i]);
        }
        return out.toByteArray();
    }

    /** A raw header: first byte, then the second byte, then {@code extra} bytes (extended length, mask). */
    static byte[] raw(final int... bytes)
    {
        final byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++)
        {
            b[i] = (byte)bytes[i];
        }
        return b;
    }

    static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] p : parts)
        {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    static byte[] closePayload(final int code, final byte[] reason)
    {
        final byte[] p = new byte[2 + reason.length];
        p[0] = (byte)(code >>> 8);
        p[1] = (byte)code;
        System.arraycopy(reason, 0, p, 2, reason.length);
        return p;
    }
}
