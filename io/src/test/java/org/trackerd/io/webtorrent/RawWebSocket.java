package org.trackerd.io.webtorrent;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A minimal client side of RFC 6455 over a blocking socket (tests): masked frames out, frames in. */
public final class RawWebSocket implements AutoCloseable
{
    /** One frame received. */
    public record Frame(int opcode, byte[] payload)
    {
        public String text()
        {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public int closeCode()
        {
            return payload.length < 2 ? -1 : (payload[0] & 0xFF) << 8 | payload[1] & 0xFF;
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    public RawWebSocket(final int port) throws IOException
    {
        this(port, "/announce");
    }

    /** Connects and upgrades {@code path}; the 101 must come back. */
    public RawWebSocket(final int port, final String path) throws IOException
    {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        final byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n"))
        {
            head.write(in.readUnsignedByte());
        }
        final String answer = head.toString(StandardCharsets.US_ASCII);
        assertTrue(answer.startsWith("HTTP/1.1 101"), answer);
    }

    public void sendText(final String text) throws IOException
    {
        final byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        sendHeaderOnly(0x1, payload.length);
        out.write(payload); // mask key is zero: payload goes as is
        out.flush();
    }

    /** A text frame with these exact payload bytes (valid UTF-8 or not). */
    public void sendTextBytes(final byte[] payload) throws IOException
    {
        sendHeaderOnly(0x1, payload.length);
        out.write(payload);
        out.flush();
    }

    /** A frame header with a zero mask key (a valid mask: XOR with zero), no payload written. */
    public void sendHeaderOnly(final int opcode, final int length) throws IOException
    {
        final ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(0x80 | opcode);
        if (length < 126)
        {
            h.write(0x80 | length);
        }
        else if (length <= 0xFFFF)
        {
            h.write(0x80 | 126);
            h.write(length >>> 8);
            h.write(length);
        }
        else
        {
            h.write(0x80 | 127);
            for (int i = 7; i >= 0; i--)
            {
                h.write(i >= 4 ? 0 : length >>> (8 * i));
            }
        }
        h.write(new byte[4]);
        out.write(h.toByteArray());
        out.flush();
    }

    public Frame read() throws IOException
    {
        final int b0 = in.readUnsignedByte();
        int length = in.readUnsignedByte() & 0x7F;
        if (length == 126)
        {
            length = in.readUnsignedShort();
        }
        else if (length == 127)
        {
            length = (int)in.readLong();
        }
        final byte[] payload = new byte[length];
        in.readFully(payload);
        final Frame f = new Frame(b0 & 0x0F, payload);
        assertNotNull(f);
        return f;
    }

    public void expectEof() throws IOException
    {
        try
        {
            while (true)
            {
                if (in.read() < 0)
                {
                    return;
                }
            }
        }
        catch (final EOFException | java.net.SocketException ex)
        {
            // closed (a reset counts too)
        }
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}
