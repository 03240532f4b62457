package org.trackerd.io.ws;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Incremental UTF-8 validation (RFC 3629, Unicode table 3-7): bytes arrive in any number of pieces, a code
 * point may be split between them, and a violation is seen at the first byte that makes the sequence invalid
 * (RFC 6455 section 8.1 asks to fail fast, not at the end of the message). Overlong forms, surrogates
 * (U+D800-U+DFFF) and code points above U+10FFFF are invalid.
 *
 * <p>The state is one int: how many continuation bytes are still due and, for the second byte after E0, ED,
 * F0 and F4, which narrower range it must fall in.
 *
 * <p>Thread: one instance per decoder (per connection); not thread-safe.
 */
public final class Utf8Validator
{
    /** Between code points: the text so far is complete and valid. */
    public static final int ACCEPT = 0;
    /** Invalid, and it stays so until {@link #reset()}. */
    public static final int REJECT = 1;

    private static final int NEED_1 = 2;
    private static final int NEED_2 = 3;
    private static final int NEED_3 = 4;
    /** After E0: the next byte is A0..BF (no overlong three-byte form). */
    private static final int AFTER_E0 = 5;
    /** After ED: the next byte is 80..9F (no surrogates). */
    private static final int AFTER_ED = 6;
    /** After F0: the next byte is 90..BF (no overlong four-byte form). */
    private static final int AFTER_F0 = 7;
    /** After F4: the next byte is 80..8F (nothing above U+10FFFF). */
    private static final int AFTER_F4 = 8;

    private static final long HIGH_BITS = 0x8080808080808080L;

    private int state = ACCEPT;

    public void reset()
    {
        state = ACCEPT;
    }

    public int state()
    {
        return state;
    }

    /** True when everything seen so far is valid and no code point is left open. */
    public boolean isComplete()
    {
        return state == ACCEPT;
    }

    /**
     * Feeds {@code length} bytes. Returns false as soon as they make the text invalid (and from then on).
     * ASCII runs between code points are skipped eight bytes at a time.
     */
    public boolean update(final DirectBuffer buffer, final int offset, final int length)
    {
        int s = state;
        if (s == REJECT)
        {
            return false;
        }
        int i = offset;
        final int end = offset + length;
        while (i < end)
        {
            if (s == ACCEPT)
            {
                while (i + 8 <= end && (buffer.getLong(i, ByteOrder.LITTLE_ENDIAN) & HIGH_BITS) == 0)
                {
                    i += 8;
                }
                if (i == end)
                {
                    break;
                }
            }
            s = next(s, buffer.getByte(i) & 0xFF);
            if (s == REJECT)
            {
                state = REJECT;
                return false;
            }
            i++;
        }
        state = s;
        return true;
    }

    /** Feeds one byte (0..255). Returns false when it makes the text invalid. */
    public boolean update(final int b)
    {
        if (state != REJECT)
        {
            state = next(state, b);
        }
        return state != REJECT;
    }

    private static int next(final int state, final int b)
    {
        switch (state)
        {
            case ACCEPT:
                if (b < 0x80)
                {
                    return ACCEPT;
                }
                if (b < 0xC2)
                {
                    return REJECT; // a continuation byte where a code point starts, or an overlong C0/C1 lead
                }
                if (b < 0xE0)
                {
                    return NEED_1;
                }
                if (b == 0xE0)
                {
                    return AFTER_E0;
                }
                if (b == 0xED)
                {
                    return AFTER_ED;
                }
                if (b < 0xF0)
                {
                    return NEED_2;
                }
                if (b == 0xF0)
                {
                    return AFTER_F0;
                }
                if (b < 0xF4)
                {
                    return NEED_3;
                }
                return b == 0xF4 ? AFTER_F4 : REJECT;
            case NEED_1:
                return isContinuation(b) ? ACCEPT : REJECT;
            case NEED_2:
                return isContinuation(b) ? NEED_1 : REJECT;
            case NEED_3:
                return isContinuation(b) ? NEED_2 : REJECT;
            case AFTER_E0:
                return b >= 0xA0 && b <= 0xBF ? NEED_1 : REJECT;
            case AFTER_ED:
                return b >= 0x80 && b <= 0x9F ? NEED_1 : REJECT;
            case AFTER_F0:
                return b >= 0x90 && b <= 0xBF ? NEED_2 : REJECT;
            case AFTER_F4:
                return b >= 0x80 && b <= 0x8F ? NEED_2 : REJECT;
            default:
                return REJECT;
        }
    }

    private static boolean isContinuation(final int b)
    {
        return (b & 0xC0) == 0x80;
    }
}
