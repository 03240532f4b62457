package org.trackerd.io.ws;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The opening handshake of RFC 6455 section 4.2 on the server: decides whether a complete HTTP request head
 * asks for a WebSocket, checks what the RFC requires of it, and writes the {@code 101 Switching Protocols}
 * answer (or the 400 / 426 refusal).
 *
 * <p>Checked: the method is {@code GET} and the version HTTP/1.1; a {@code Host} header; {@code Upgrade} lists
 * the token {@code websocket} and {@code Connection} the token {@code upgrade} (any case, among others: Firefox
 * sends {@code keep-alive, Upgrade}); exactly one {@code Sec-WebSocket-Key} that is the base64 form of 16 bytes;
 * {@code Sec-WebSocket-Version: 13} (another version gets 426 with the version this server speaks). No
 * subprotocol and no extension is ever agreed (the npm client asks for neither; a {@code permessage-deflate}
 * offer is declined by leaving it out of the answer, which the RFC allows), so frames never carry RSV bits.
 *
 * <p>{@code Sec-WebSocket-Accept} is base64(SHA-1(key + the RFC's GUID)), computed with one
 * {@link MessageDigest} this object keeps: a digest is not thread-safe, and getting one per handshake would
 * allocate and look up the provider each time.
 *
 * <p>Thread: one instance per frontend thread; results stay here until the next {@link #check}.
 */
public final class WebSocketHandshake
{
    /** Not a WebSocket request (no {@code Upgrade: websocket}): serve it as plain HTTP. */
    public static final int NOT_WEBSOCKET = 0;
    /** A valid upgrade: answer with {@link #writeAccept} and switch the connection to frames. */
    public static final int ACCEPT = 1;
    /** An upgrade that breaks a rule: answer {@link #writeRefusal} (400) and close. */
    public static final int BAD_REQUEST = 2;
    /** An upgrade for another protocol version: answer {@link #writeRefusal} (426, version 13) and close. */
    public static final int UPGRADE_REQUIRED = 3;

    /** Length of a Sec-WebSocket-Key: base64 of 16 bytes. */
    public static final int KEY_LENGTH = 24;
    /** Length of a Sec-WebSocket-Accept: base64 of a 20-byte SHA-1. */
    public static final int ACCEPT_LENGTH = 28;

    private static final byte[] GUID = ascii("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    private static final byte[] BASE64 = ascii("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

    private static final byte[] H_UPGRADE = ascii("upgrade");
    private static final byte[] H_CONNECTION = ascii("connection");
    private static final byte[] H_KEY = ascii("sec-websocket-key");
    private static final byte[] H_VERSION = ascii("sec-websocket-version");
    private static final byte[] H_HOST = ascii("host");
    private static final byte[] T_WEBSOCKET = ascii("websocket");
    private static final byte[] T_UPGRADE = ascii("upgrade");

    private static final byte[] ANSWER_101 = ascii(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
    private static final byte[] ANSWER_400 = ascii(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 27\r\nConnection: close\r\n\r\n" +
        "invalid WebSocket handshake");
    private static final byte[] ANSWER_426 = ascii(
        "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Type: text/plain\r\n" +
        "Content-Length: 38\r\nConnection: close\r\n\r\nonly WebSocket version 13 is supported");

    private final MessageDigest sha1;
    private final byte[] key = new byte[KEY_LENGTH];
    private final byte[] digest = new byte[20];
    private final byte[] accept = new byte[ACCEPT_LENGTH];
    /** Why the last check refused, for the log and a counter (a constant). */
    private String refusal;

    public WebSocketHandshake()
    {
        try
        {
            sha1 = MessageDigest.getInstance("SHA-1");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every Java platform has SHA-1", ex);
        }
    }

    /**
     * Checks the request head in {@code buffer[offset, offset + length)}: request line, headers and the blank
     * line that ends them (CRLF or bare LF line ends). Returns {@link #NOT_WEBSOCKET}, {@link #ACCEPT},
     * {@link #BAD_REQUEST} or {@link #UPGRADE_REQUIRED}.
     */
    public int check(final DirectBuffer buffer, final int offset, final int length)
    {
        refusal = null;
        final int end = offset + length;
        final int lineEnd = lineEnd(buffer, offset, end);
        boolean upgradeWebSocket = false;
        boolean connectionUpgrade = false;
        boolean host = false;
        int keys = 0;
        int versions = 0;
        boolean version13 = false;
        boolean keyValid = false;
        int position = next(buffer, lineEnd, end);
        while (position < end)
        {
            final int headerEnd = lineEnd(buffer, position, end);
            if (headerEnd == position)
            {
                break; // the blank line
            }
            final int colon = indexOf(buffer, position, headerEnd, ':');
            if (colon > position)
            {
                final int valueStart = skipSpaces(buffer, colon + 1, headerEnd);
                final int valueEnd = trimEnd(buffer, valueStart, headerEnd);
                if (nameIs(buffer, position, colon, H_UPGRADE))
                {
                    upgradeWebSocket |= hasToken(buffer, valueStart, valueEnd, T_WEBSOCKET);
                }
                else if (nameIs(buffer, position, colon, H_CONNECTION))
                {
                    connectionUpgrade |= hasToken(buffer, valueStart, valueEnd, T_UPGRADE);
                }
                else if (nameIs(buffer, position, colon, H_KEY))
                {
                    keys++;
                    keyValid = readKey(buffer, valueStart, valueEnd);
                }
                else if (nameIs(buffer, position, colon, H_VERSION))
                {
                    versions++;
                    version13 = valueEnd - valueStart == 2 &&
                        buffer.getByte(valueStart) == '1' && buffer.getByte(valueStart + 1) == '3';
                }
                else if (nameIs(buffer, position, colon, H_HOST))
                {
                    host = true;
                }
            }
            position = next(buffer, headerEnd, end);
        }
        if (!upgradeWebSocket)
        {
            return NOT_WEBSOCKET;
        }
        if (!isGetHttp11(buffer, offset, lineEnd))
        {
            return refuse("not GET ... HTTP/1.1");
        }
        if (!connectionUpgrade)
        {
            return refuse("Connection does not list upgrade");
        }
        if (!host)
        {
            return refuse("no Host header");
        }
        if (keys != 1 || !keyValid)
        {
            return refuse("Sec-WebSocket-Key missing, repeated or not 16 bytes in base64");
        }
        if (versions != 1 || !version13)
        {
            refusal = "Sec-WebSocket-Version is not 13";
            return UPGRADE_REQUIRED;
        }
        return ACCEPT;
    }

    /** After a refusal: why (a constant). */
    public String refusal()
    {
        return refusal;
    }

    /** The 24 bytes of the accepted request's Sec-WebSocket-Key (valid after {@link #ACCEPT}). */
    public byte[] key()
    {
        return key;
    }

    /**
     * Writes the 101 answer to the request {@link #check} accepted. Returns its length (always
     * {@link #ACCEPT_ANSWER_LENGTH}).
     */
    public int writeAccept(final MutableDirectBuffer buffer, final int offset)
    {
        computeAccept(key, accept);
        buffer.putBytes(offset, ANSWER_101);
        int position = offset + ANSWER_101.length;
        buffer.putBytes(position, accept);
        position += ACCEPT_LENGTH;
        buffer.putByte(position++, (byte)'\r');
        buffer.putByte(position++, (byte)'\n');
        buffer.putByte(position++, (byte)'\r');
        buffer.putByte(position++, (byte)'\n');
        return position - offset;
    }

    /** Length of every 101 answer {@link #writeAccept} writes. */
    public static final int ACCEPT_ANSWER_LENGTH = ANSWER_101.length + ACCEPT_LENGTH + 4;

    /** Writes the 400 or 426 answer for {@code result}; the connection closes after it. Returns its length. */
    public static int writeRefusal(final MutableDirectBuffer buffer, final int offset, final int result)
    {
        final byte[] answer = result == UPGRADE_REQUIRED ? ANSWER_426 : ANSWER_400;
        buffer.putBytes(offset, answer);
        return answer.length;
    }

    /** Sec-WebSocket-Accept for a 24-byte key, written into {@code out[0, 28)}. */
    public void computeAccept(final byte[] key, final byte[] out)
    {
        sha1.reset();
        sha1.update(key, 0, KEY_LENGTH);
        sha1.update(GUID, 0, GUID.length);
        try
        {
            sha1.digest(digest, 0, digest.length);
        }
        catch (final DigestException ex)
        {
            throw new IllegalStateException("SHA-1 digest is 20 bytes", ex);
        }
        base64(digest, out);
    }

    private int refuse(final String why)
    {
        refusal = why;
        return BAD_REQUEST;
    }

    /** Copies the key and checks that it is base64 of exactly 16 bytes (22 symbols, the last with 4 zero bits). */
    private boolean readKey(final DirectBuffer buffer, final int start, final int end)
    {
        if (end - start != KEY_LENGTH)
        {
            return false;
        }
        for (int i = 0; i < KEY_LENGTH; i++)
        {
            key[i] = buffer.getByte(start + i);
        }
        for (int i = 0; i < 22; i++)
        {
            if (base64Value(key[i]) < 0)
            {
                return false;
            }
        }
        return (base64Value(key[21]) & 0x0F) == 0 && key[22] == '=' && key[23] == '=';
    }

    private static int base64Value(final byte c)
    {
        if (c >= 'A' && c <= 'Z')
        {
            return c - 'A';
        }
        if (c >= 'a' && c <= 'z')
        {
            return c - 'a' + 26;
        }
        if (c >= '0' && c <= '9')
        {
            return c - '0' + 52;
        }
        return c == '+' ? 62 : c == '/' ? 63 : -1;
    }

    /** Base64 (with padding) of 20 bytes: six groups of three, then two bytes and one '='. */
    private static void base64(final byte[] in, final byte[] out)
    {
        int o = 0;
        int i = 0;
        for (; i + 3 <= in.length; i += 3)
        {
            final int v = ((in[i] & 0xFF) << 16) | ((in[i + 1] & 0xFF) << 8) | (in[i + 2] & 0xFF);
            out[o++] = BASE64[v >>> 18];
            out[o++] = BASE64[(v >>> 12) & 63];
            out[o++] = BASE64[(v >>> 6) & 63];
            out[o++] = BASE64[v & 63];
        }
        final int v = ((in[i] & 0xFF) << 16) | ((in[i + 1] & 0xFF) << 8);
        out[o++] = BASE64[v >>> 18];
        out[o++] = BASE64[(v >>> 12) & 63];
        out[o++] = BASE64[(v >>> 6) & 63];
        out[o] = '=';
    }

    private static boolean isGetHttp11(final DirectBuffer buffer, final int start, final int end)
    {
        // "GET " target " HTTP/1.1": RFC 6455 asks for HTTP/1.1 or higher, and there is no 1.x above 1.1
        if (end - start < 14 || buffer.getByte(start) != 'G' || buffer.getByte(start + 1) != 'E' ||
            buffer.getByte(start + 2) != 'T' || buffer.getByte(start + 3) != ' ')
        {
            return false;
        }
        final int v = trimEnd(buffer, start, end) - 9;
        return buffer.getByte(v) == ' ' && buffer.getByte(v + 1) == 'H' && buffer.getByte(v + 2) == 'T' &&
            buffer.getByte(v + 3) == 'T' && buffer.getByte(v + 4) == 'P' && buffer.getByte(v + 5) == '/' &&
            buffer.getByte(v + 6) == '1' && buffer.getByte(v + 7) == '.' && buffer.getByte(v + 8) == '1';
    }

    /** True when the comma-separated list in {@code [start, end)} holds {@code token} in any case. */
    private static boolean hasToken(final DirectBuffer buffer, final int start, final int end, final byte[] token)
    {
        int position = start;
        while (position < end)
        {
            int itemEnd = indexOf(buffer, position, end, ',');
            if (itemEnd < 0)
            {
                itemEnd = end;
            }
            final int s = skipSpaces(buffer, position, itemEnd);
            final int e = trimEnd(buffer, s, itemEnd);
            if (equalsIgnoreCase(buffer, s, e, token))
            {
                return true;
            }
            position = itemEnd + 1;
        }
        return false;
    }

    private static boolean nameIs(final DirectBuffer buffer, final int start, final int end, final byte[] name)
    {
        return equalsIgnoreCase(buffer, start, trimEnd(buffer, start, end), name);
    }

    /** {@code lower} is lower-case ASCII. */
    private static boolean equalsIgnoreCase(
        final DirectBuffer buffer, final int start, final int end, final byte[] lower)
    {
        if (end - start != lower.length)
        {
            return false;
        }
        for (int i = 0; i < lower.length; i++)
        {
            int c = buffer.getByte(start + i);
            if (c >= 'A' && c <= 'Z')
            {
                c += 'a' - 'A';
            }
            if (c != lower[i])
            {
                return false;
            }
        }
        return true;
    }

    /** End of the line starting at {@code start}, without its CR; {@code end} when no LF follows. */
    private static int lineEnd(final DirectBuffer buffer, final int start, final int end)
    {
        final int lf = indexOf(buffer, start, end, '\n');
        if (lf < 0)
        {
            return end;
        }
        return lf > start && buffer.getByte(lf - 1) == '\r' ? lf - 1 : lf;
    }

    /** Start of the line after the one ending at {@code lineEnd}. */
    private static int next(final DirectBuffer buffer, final int lineEnd, final int end)
    {
        int position = lineEnd;
        if (position < end && buffer.getByte(position) == '\r')
        {
            position++;
        }
        return position < end ? position + 1 : end;
    }

    private static int indexOf(final DirectBuffer buffer, final int start, final int end, final char c)
    {
        for (int i = start; i < end; i++)
        {
            if (buffer.getByte(i) == c)
            {
                return i;
            }
        }
        return -1;
    }

    private static int skipSpaces(final DirectBuffer buffer, final int start, final int end)
    {
        int position = start;
        while (position < end && (buffer.getByte(position) == ' ' || buffer.getByte(position) == '\t'))
        {
            position++;
        }
        return position;
    }

    private static int trimEnd(final DirectBuffer buffer, final int start, final int end)
    {
        int position = end;
        while (position > start && (buffer.getByte(position - 1) == ' ' || buffer.getByte(position - 1) == '\t'))
        {
            position--;
        }
        return position;
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
