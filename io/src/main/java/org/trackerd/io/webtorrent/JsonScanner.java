package org.trackerd.io.webtorrent;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

import java.nio.ByteOrder;

/**
 * A pull scanner of JSON (RFC 8259) over bytes: one token per {@link #next()}, strings and numbers reported as
 * positions in the input and decoded only when asked, nesting bounded, every grammar rule checked.
 *
 * <p>Why not Jackson or another library here: the WebTorrent announce is the per-message hot path of the
 * WebSocket frontend, and a general parser builds Strings (field names, the multi-kilobyte SDP that is only
 * relayed, never read), boxes numbers or maps, and walks class metadata; this scanner allocates nothing after
 * construction, reads the frame's message buffer in place, lets the SDP stay a slice of it, and bounds the
 * work of hostile input (depth limit; each call advances through the input, so a message is scanned in time
 * linear in its length). Jackson stays the config file's parser.
 *
 * <p>Input is expected to be valid UTF-8 already (the WebSocket decoder validates text messages); the scanner
 * checks JSON's own rules: structure, commas and colons, escapes, no raw control characters in strings, the
 * number grammar, nothing after the top-level value.
 *
 * <p>Thread: one instance per thread (it holds the position of the message being scanned).
 */
public final class JsonScanner
{
    /** The top-level value and whatever whitespace follows it are done. */
    public static final int END = 0;
    public static final int BEGIN_OBJECT = 1;
    public static final int END_OBJECT = 2;
    public static final int BEGIN_ARRAY = 3;
    public static final int END_ARRAY = 4;
    /** A member name: the string is at {@link #tokenOffset()}; the value's tokens follow. */
    public static final int NAME = 5;
    public static final int STRING = 6;
    public static final int NUMBER = 7;
    public static final int TRUE = 8;
    public static final int FALSE = 9;
    public static final int NULL = 10;
    /** Malformed input: {@link #error()} says what, {@link #errorPosition()} where; it stays so. */
    public static final int ERROR = -1;

    public static final int ERROR_SYNTAX = 1;
    public static final int ERROR_TOO_DEEP = 2;
    public static final int ERROR_BAD_STRING = 3;
    public static final int ERROR_BAD_NUMBER = 4;
    public static final int ERROR_TRUNCATED = 5;

    /** Deepest nesting a container-bit stack of one long can hold. */
    public static final int MAX_DEPTH_LIMIT = 63;

    private static final int EXPECT_VALUE = 0;
    private static final int EXPECT_FIRST_NAME_OR_END = 1;
    private static final int EXPECT_NAME = 2;
    private static final int EXPECT_COMMA_OR_END = 3;
    private static final int EXPECT_FIRST_VALUE_OR_END = 4;
    private static final int EXPECT_NOTHING = 5;

    private static final byte[] TRUE_TEXT = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE_TEXT = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] NULL_TEXT = {'n', 'u', 'l', 'l'};

    private final int maxDepth;
    private DirectBuffer buffer;
    /** The buffer's raw address (its array, or null, and offset): strings are scanned with one bounds check. */
    private byte[] array;
    private long base;
    private int position;
    private int end;
    private int expect;
    private int depth;
    /** Bit d set: the container at depth d + 1 is an object (else an array). */
    private long objectBits;
    private int tokenOffset;
    private int tokenLength;
    /** Where the last token's value began (its quote, first digit, or bracket). */
    private int valueStart;
    private boolean tokenEscaped;
    private int error;
    private int errorPosition;
    /** Set by {@link #charAt}: where the character after the one it decoded starts. */
    private int nextCharPosition;

    /** @param maxDepth deepest nesting of objects and arrays accepted, 1..63 */
    public JsonScanner(final int maxDepth)
    {
        if (maxDepth < 1 || maxDepth > MAX_DEPTH_LIMIT)
        {
            throw new IllegalArgumentException("maxDepth must be 1.." + MAX_DEPTH_LIMIT);
        }
        this.maxDepth = maxDepth;
    }

    /** Starts on the document in {@code buffer[offset, offset + length)}. */
    public JsonScanner wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        buffer.boundsCheck(offset, length); // once: the string scan reads [offset, offset + length) raw
        this.buffer = buffer;
        this.array = buffer.byteArray();
        this.base = buffer.addressOffset();
        this.position = offset;
        this.end = offset + length;
        this.expect = EXPECT_VALUE;
        this.depth = 0;
        this.objectBits = 0;
        this.error = 0;
        this.tokenOffset = 0;
        this.tokenLength = 0;
        return this;
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }

    /** Start of a string's content (after its quote, escapes not decoded) or of a number's text. */
    public int tokenOffset()
    {
        return tokenOffset;
    }

    public int tokenLength()
    {
        return tokenLength;
    }

    /** True when the last string or name has a backslash in it. */
    public boolean tokenEscaped()
    {
        return tokenEscaped;
    }

    /** Where the last value token began: with {@link #position()} after {@link #skipValue} it bounds a raw value. */
    public int valueStart()
    {
        return valueStart;
    }

    /** The input position: just after the last token. */
    public int position()
    {
        return position;
    }

    /** Nesting depth after the last token (1 inside the top-level object). */
    public int depth()
    {
        return depth;
    }

    public int error()
    {
        return error;
    }

    public int errorPosition()
    {
        return errorPosition;
    }

    /** The next token. */
    public int next()
    {
        if (error != 0)
        {
            return ERROR;
        }
        skipWhitespace();
        if (position >= end)
        {
            if (expect == EXPECT_NOTHING)
            {
                return END;
            }
            return fail(ERROR_TRUNCATED);
        }
        final byte c = buffer.getByte(position);
        switch (expect)
        {
            case EXPECT_NOTHING:
                return fail(ERROR_SYNTAX);
            case EXPECT_FIRST_NAME_OR_END:
                if (c == '}')
                {
                    return closeContainer(true);
                }
                return name(c);
            case EXPECT_NAME:
                return name(c);
            case EXPECT_FIRST_VALUE_OR_END:
                if (c == ']')
                {
                    return closeContainer(false);
                }
                return value(c);
            case EXPECT_COMMA_OR_END:
            {
                final boolean inObject = inObject();
                if (c == ',')
                {
                    position++;
                    if (inObject)
                    {
                        expect = EXPECT_NAME;
                        skipWhitespace();
                        return position < end ? name(buffer.getByte(position)) : fail(ERROR_TRUNCATED);
                    }
                    expect = EXPECT_VALUE;
                    skipWhitespace();
                    return position < end ? value(buffer.getByte(position)) : fail(ERROR_TRUNCATED);
                }
                if (c == (inObject ? '}' : ']'))
                {
                    return closeContainer(inObject);
                }
                return fail(ERROR_SYNTAX);
            }
            default:
                return value(c);
        }
    }

    /**
     * Skips the value whose first token was just returned: for {@link #BEGIN_OBJECT} or {@link #BEGIN_ARRAY}
     * everything up to its end, for a scalar nothing. Returns false on malformed input.
     */
    public boolean skipValue(final int token)
    {
        if (token != BEGIN_OBJECT && token != BEGIN_ARRAY)
        {
            return token != ERROR;
        }
        final int target = depth - 1;
        while (true)
        {
            final int t = next();
            if (t == ERROR || t == END)
            {
                return false;
            }
            if ((t == END_OBJECT || t == END_ARRAY) && depth == target)
            {
                return true;
            }
        }
    }

    /** True when the last string or name is exactly the ASCII text {@code ascii} (escaped forms included). */
    public boolean tokenEquals(final byte[] ascii)
    {
        if (!tokenEscaped)
        {
            if (tokenLength != ascii.length)
            {
                return false;
            }
            for (int i = 0; i < ascii.length; i++)
            {
                if (buffer.getByte(tokenOffset + i) != ascii[i])
                {
                    return false;
                }
            }
            return true;
        }
        int p = tokenOffset;
        final int stringEnd = tokenOffset + tokenLength;
        for (final byte expected : ascii)
        {
            if (p >= stringEnd)
            {
                return false;
            }
            final int unit = charAt(p);
            if (unit != expected)
            {
                return false;
            }
            p = nextCharPosition;
        }
        return p == stringEnd;
    }

    /**
     * Decodes the last string as a JavaScript "binary string" (every character one byte, U+0000..U+00FF) into
     * {@code dst[dstOffset, ...)}. Returns the number of bytes, or -1 when a character is above U+00FF or
     * there are more than {@code max}.
     */
    public int binaryString(final byte[] dst, final int dstOffset, final int max)
    {
        int p = tokenOffset;
        final int stringEnd = tokenOffset + tokenLength;
        if (!tokenEscaped && tokenLength <= max)
        {
            // no escape: while the bytes are ASCII each is a character as it is (ids of ASCII digits and letters,
            // as most clients' peer ids are, go without decoding character by character)
            int ascii = 0;
            while (ascii < tokenLength && UnsafeApi.getByte(array, base + p + ascii) >= 0)
            {
                dst[dstOffset + ascii] = UnsafeApi.getByte(array, base + p + ascii);
                ascii++;
            }
            if (ascii == tokenLength)
            {
                return ascii;
            }
        }
        int n = 0;
        while (p < stringEnd)
        {
            final int unit = charAt(p);
            if (unit > 0xFF || n == max)
            {
                return -1;
            }
            dst[dstOffset + n++] = (byte)unit;
            p = nextCharPosition;
        }
        return n;
    }

    /**
     * The last number as a long: the integer part of a fraction, an exponent applied, values beyond
     * {@code Long.MAX_VALUE} (or below {@code MIN_VALUE}) saturated. Counters in announces are integers; this
     * only keeps an odd client's {@code 1e3} or {@code 12.0} from being an error.
     */
    public long longValue()
    {
        int p = tokenOffset;
        final int numberEnd = tokenOffset + tokenLength;
        final boolean negative = buffer.getByte(p) == '-';
        if (negative)
        {
            p++;
        }
        long value = 0;
        boolean saturated = false;
        int fractionDigits = 0;
        boolean inFraction = false;
        int exponent = 0;
        while (p < numberEnd)
        {
            final byte c = buffer.getByte(p++);
            if (c == '.')
            {
                inFraction = true;
            }
            else if (c == 'e' || c == 'E')
            {
                boolean negativeExponent = false;
                if (buffer.getByte(p) == '+' || buffer.getByte(p) == '-')
                {
                    negativeExponent = buffer.getByte(p) == '-';
                    p++;
                }
                while (p < numberEnd)
                {
                    exponent = Math.min(exponent * 10 + (buffer.getByte(p++) - '0'), 1000);
                }
                exponent = negativeExponent ? -exponent : exponent;
            }
            else
            {
                if (inFraction)
                {
                    fractionDigits++;
                }
                if (!saturated)
                {
                    if (value > (Long.MAX_VALUE - 9) / 10)
                    {
                        saturated = true;
                    }
                    else
                    {
                        value = value * 10 + (c - '0');
                    }
                }
                else if (!inFraction)
                {
                    fractionDigits--; // an integer digit dropped: it still scales the value
                }
            }
        }
        int scale = exponent - fractionDigits;
        while (scale < 0 && value != 0)
        {
            value /= 10;
            scale++;
        }
        while (scale > 0 && value != 0)
        {
            if (value > Long.MAX_VALUE / 10)
            {
                value = Long.MAX_VALUE;
                break;
            }
            value *= 10;
            scale--;
        }
        if (saturated && scale >= 0)
        {
            value = Long.MAX_VALUE;
        }
        return negative ? -value : value;
    }

    /** The UTF-16 code unit (or, for a surrogate pair, the code point) at {@code p}; sets nextCharPosition. */
    private int charAt(final int p)
    {
        final int b = buffer.getByte(p) & 0xFF;
        if (b == '\\')
        {
            final byte e = buffer.getByte(p + 1);
            nextCharPosition = p + 2;
            switch (e)
            {
                case 'b':
                    return '\b';
                case 'f':
                    return '\f';
                case 'n':
                    return '\n';
                case 'r':
                    return '\r';
                case 't':
                    return '\t';
                case 'u':
                    nextCharPosition = p + 6;
                    return (hex(buffer.getByte(p + 2)) << 12) | (hex(buffer.getByte(p + 3)) << 8) |
                        (hex(buffer.getByte(p + 4)) << 4) | hex(buffer.getByte(p + 5));
                default:
                    return e; // \" \\ \/
            }
        }
        if (b < 0x80)
        {
            nextCharPosition = p + 1;
            return b;
        }
        if (b < 0xE0)
        {
            nextCharPosition = p + 2;
            return ((b & 0x1F) << 6) | (buffer.getByte(p + 1) & 0x3F);
        }
        if (b < 0xF0)
        {
            nextCharPosition = p + 3;
            return ((b & 0x0F) << 12) | ((buffer.getByte(p + 1) & 0x3F) << 6) | (buffer.getByte(p + 2) & 0x3F);
        }
        nextCharPosition = p + 4;
        return 0x10000; // above the BMP: never a byte, never ASCII, which is all callers ask
    }

    private static int hex(final byte c)
    {
        if (c >= '0' && c <= '9')
        {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f')
        {
            return c - 'a' + 10;
        }
        return c - 'A' + 10; // validated when scanned
    }

    private int name(final byte c)
    {
        if (c != '"')
        {
            return fail(ERROR_SYNTAX);
        }
        if (!scanString())
        {
            return ERROR;
        }
        skipWhitespace();
        if (position >= end)
        {
            return fail(ERROR_TRUNCATED);
        }
        if (buffer.getByte(position) != ':')
        {
            return fail(ERROR_SYNTAX);
        }
        position++;
        expect = EXPECT_VALUE;
        return NAME;
    }

    private int value(final byte c)
    {
        valueStart = position;
        switch (c)
        {
            case '{':
                return openContainer(true);
            case '[':
                return openContainer(false);
            case '"':
                if (!scanString())
                {
                    return ERROR;
                }
                afterValue();
                return STRING;
            case 't':
                return literal(TRUE, TRUE_TEXT);
            case 'f':
                return literal(FALSE, FALSE_TEXT);
            case 'n':
                return literal(NULL, NULL_TEXT);
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return number();
                }
                return fail(ERROR_SYNTAX);
        }
    }

    private int literal(final int token, final byte[] text)
    {
        if (position + text.length > end)
        {
            return fail(ERROR_TRUNCATED);
        }
        for (int i = 1; i < text.length; i++)
        {
            if (buffer.getByte(position + i) != text[i])
            {
                return fail(ERROR_SYNTAX);
            }
        }
        position += text.length;
        afterValue();
        return token;
    }

    private int number()
    {
        final int start = position;
        int p = position;
        if (buffer.getByte(p) == '-')
        {
            p++;
        }
        if (p >= end)
        {
            return fail(ERROR_TRUNCATED);
        }
        if (buffer.getByte(p) == '0')
        {
            p++;
        }
        else
        {
            final int digits = p;
            p = digits(p);
            if (p == digits)
            {
                return fail(ERROR_BAD_NUMBER);
            }
        }
        if (p < end && buffer.getByte(p) == '.')
        {
            final int digits = ++p;
            p = digits(p);
            if (p == digits)
            {
                return fail(ERROR_BAD_NUMBER);
            }
        }
        if (p < end && (buffer.getByte(p) == 'e' || buffer.getByte(p) == 'E'))
        {
            p++;
            if (p < end && (buffer.getByte(p) == '+' || buffer.getByte(p) == '-'))
            {
                p++;
            }
            final int digits = p;
            p = digits(p);
            if (p == digits)
            {
                return fail(ERROR_BAD_NUMBER);
            }
        }
        tokenOffset = start;
        tokenLength = p - start;
        position = p;
        afterValue();
        return NUMBER;
    }

    private int digits(final int from)
    {
        int p = from;
        while (p < end)
        {
            final byte c = buffer.getByte(p);
            if (c < '0' || c > '9')
            {
                break;
            }
            p++;
        }
        return p;
    }

    /** Scans a string from its opening quote at {@link #position}; checks escapes and control characters. */
    private boolean scanString()
    {
        final byte[] array = this.array;
        final long base = this.base;
        final int end = this.end;
        final int lastWord = end - 8;
        int p = position + 1;
        boolean escaped = false;
        while (true)
        {
            // Eight bytes at a time (two a round while there is room) up to the first quote, backslash or control
            // byte, with raw reads of the range wrap() checked: an SDP is kilobytes with an escape on every line
            // (bounds checks were a fifth of the scan). Loops of their own, with nothing else in them, so the JIT
            // keeps them tight.
            long special = 0;
            while (p <= lastWord - 8)
            {
                final long first = specialBytes(word(array, base + p));
                final long second = specialBytes(word(array, base + p + 8));
                if ((first | second) != 0)
                {
                    if (first != 0)
                    {
                        special = first;
                    }
                    else
                    {
                        special = second;
                        p += 8;
                    }
                    break;
                }
                p += 16;
            }
            while (special == 0 && p <= lastWord && (special = specialBytes(word(array, base + p))) == 0)
            {
                p += 8;
            }
            if (special != 0)
            {
                p += Long.numberOfTrailingZeros(special) >>> 3;
            }
            else if (p >= end)
            {
                break;
            }
            final int c = UnsafeApi.getByte(array, base + p) & 0xFF;
            if (c == '"')
            {
                tokenOffset = position + 1;
                tokenLength = p - tokenOffset;
                tokenEscaped = escaped;
                position = p + 1;
                return true;
            }
            if (c < 0x20)
            {
                fail(ERROR_BAD_STRING);
                return false;
            }
            if (c != '\\')
            {
                p++;
                continue;
            }
            escaped = true;
            // escapes in a row (an SDP's \r\n) without going back to the word loop
            do
            {
                if (p + 1 >= end)
                {
                    fail(ERROR_TRUNCATED);
                    return false;
                }
                final int e = UnsafeApi.getByte(array, base + p + 1);
                if (e == 'u')
                {
                    if (p + 6 > end)
                    {
                        fail(ERROR_TRUNCATED);
                        return false;
                    }
                    for (int i = 2; i < 6; i++)
                    {
                        if (!isHex(UnsafeApi.getByte(array, base + p + i)))
                        {
                            fail(ERROR_BAD_STRING);
                            return false;
                        }
                    }
                    p += 6;
                }
                else if (e >= 64 ? ((SIMPLE_ESCAPES_HIGH >>> e) & 1) != 0 : e >= 0 && ((SIMPLE_ESCAPES_LOW >>> e) & 1) != 0)
                {
                    p += 2;
                }
                else
                {
                    fail(ERROR_BAD_STRING);
                    return false;
                }
            }
            while (p < end && UnsafeApi.getByte(array, base + p) == '\\');
        }
        fail(ERROR_TRUNCATED);
        return false;
    }

    /** The characters after a backslash that make a two-byte escape: bit c of LOW (c < 64) or of HIGH (c - 64). */
    private static final long SIMPLE_ESCAPES_LOW = (1L << '"') | (1L << '/');
    private static final long SIMPLE_ESCAPES_HIGH = (1L << ('\\' - 64)) | (1L << ('b' - 64)) | (1L << ('f' - 64)) |
        (1L << ('n' - 64)) | (1L << ('r' - 64)) | (1L << ('t' - 64));
    private static final boolean BIG_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    /** Eight bytes at a raw address, the first in memory lowest (what {@link #specialBytes} expects). */
    private static long word(final byte[] array, final long address)
    {
        final long word = UnsafeApi.getLong(array, address);
        return BIG_ENDIAN ? Long.reverseBytes(word) : word;
    }

    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    /**
     * The high bit of each of the eight bytes (little-endian: the lowest is the first in memory) that may be a
     * quote, a backslash or a control character (below 0x20); 0 exactly when there is none. {@code (x - ONES)
     * & ~x & HIGHS} flags zero bytes and {@code (x - 0x20 * ONES) & ~x & HIGHS} bytes below 0x20; a borrow can
     * flag a byte above a true hit, never below one, so the lowest flag is always exact.
     */
    private static long specialBytes(final long word)
    {
        final long quote = word ^ (ONES * '"');
        final long backslash = word ^ (ONES * '\\');
        return (((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash) | ((word - ONES * 0x20) & ~word)) &
            HIGHS;
    }

    private static boolean isHex(final byte c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private int openContainer(final boolean object)
    {
        if (depth == maxDepth)
        {
            return fail(ERROR_TOO_DEEP);
        }
        if (object)
        {
            objectBits |= 1L << depth;
        }
        else
        {
            objectBits &= ~(1L << depth);
        }
        depth++;
        position++;
        expect = object ? EXPECT_FIRST_NAME_OR_END : EXPECT_FIRST_VALUE_OR_END;
        return object ? BEGIN_OBJECT : BEGIN_ARRAY;
    }

    private int closeContainer(final boolean object)
    {
        position++;
        depth--;
        afterValue();
        return object ? END_OBJECT : END_ARRAY;
    }

    private void afterValue()
    {
        expect = depth == 0 ? EXPECT_NOTHING : EXPECT_COMMA_OR_END;
    }

    private boolean inObject()
    {
        return (objectBits & (1L << (depth - 1))) != 0;
    }

    private void skipWhitespace()
    {
        while (position < end)
        {
            final byte c = buffer.getByte(position);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            {
                return;
            }
            position++;
        }
    }

    private int fail(final int code)
    {
        error = code;
        errorPosition = position;
        return ERROR;
    }
}
