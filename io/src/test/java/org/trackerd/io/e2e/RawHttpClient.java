package org.trackerd.io.e2e;

import org.trackerd.io.BencodeTestDecoder;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A tiny HTTP/1.x client over a plain socket: writes whatever bytes a test gives it (well-formed or not) and
 * reads responses one at a time (status line, headers, Content-Length body), so keep-alive, pipelining and
 * malformed input can be tested exactly.
 */
public final class RawHttpClient implements AutoCloseable
{
    /** Longest any single read may block: every wait in these tests is bounded. */
    public static final int READ_TIMEOUT_MS = 10_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttpClient(final int port) throws IOException
    {
        this(port, null);
    }

    /** Connects from {@code localAddress} (e.g. 127.0.0.2, another loopback address on Linux), or any if null. */
    public RawHttpClient(final int port, final String localAddress) throws IOException
    {
        socket = new Socket();
        if (localAddress != null)
        {
            socket.bind(new InetSocketAddress(localAddress, 0));
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MS);
        socket.setSoTimeout(READ_TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Over a socket already connected (a TLS socket, say); reads are bounded as with the others. */
    public RawHttpClient(final Socket connected) throws IOException
    {
        socket = connected;
        socket.setSoTimeout(READ_TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** One HTTP response as read from the wire. */
    public static final class Response
    {
        public final int status;
        public final String statusLine;
        /** Header names lower-cased. */
        public final Map<String, String> headers;
        public final byte[] body;

        Response(final String statusLine, final Map<String, String> headers, final byte[] body)
        {
            this.statusLine = statusLine;
            this.status = Integer.parseInt(statusLine.split(" ")[1]);
            this.headers = headers;
            this.body = body;
        }

        public String header(final String name)
        {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public Map<String, Object> bencoded()
        {
            return BencodeTestDecoder.decodeDict(body);
        }

        @Override
        public String toString()
        {
            return statusLine + " " + headers + " " + new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    public static String get(final String target)
    {
        return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    }

    public RawHttpClient send(final String request) throws IOException
    {
        return send(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttpClient send(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends {@code GET target} as HTTP/1.1 (keep-alive by default) and reads the answer. */
    public Response exchange(final String target) throws IOException
    {
        send(get(target));
        return readResponse();
    }

    public Response readResponse() throws IOException
    {
        final String statusLine = readLine();
        if (statusLine == null)
        {
            throw new IOException("connection closed before a response");
        }
        final Map<String, String> headers = new LinkedHashMap<>();
        while (true)
        {
            final String line = readLine();
            if (line == null)
            {
                throw new IOException("connection closed inside the response head");
            }
            if (line.isEmpty())
            {
                break;
            }
            final int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        final String length = headers.get("content-length");
        if (length == null)
        {
            throw new IOException("response without Content-Length: " + statusLine + " " + headers);
        }
        final byte[] body = in.readNBytes(Integer.parseInt(length));
        if (body.length != Integer.parseInt(length))
        {
            throw new IOException("connection closed inside the body");
        }
        return new Response(statusLine, headers, body);
    }

    /** A CRLF-terminated line without its terminator; null at EOF before any byte. */
    private String readLine() throws IOException
    {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true)
        {
            final int b = in.read();
            if (b < 0)
            {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n')
            {
                final byte[] bytes = line.toByteArray();
                final int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
    }

    /**
     * Reads until the server closes the connection, for at most {@code timeoutMs}. Returns true on EOF (or a
     * reset, which is also the server closing), false if the connection was still open at the deadline. Any
     * bytes that arrive meanwhile fail the call: a closing server has nothing more to say.
     */
    public boolean awaitClose(final long timeoutMs) throws IOException
    {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        try
        {
            while (true)
            {
                final long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
                if (leftMs <= 0)
                {
                    return false;
                }
                socket.setSoTimeout((int)Math.max(1, leftMs));
                final int b = in.read();
                if (b < 0)
                {
                    return true;
                }
                throw new IOException("unexpected byte " + b + " while waiting for the server to close");
            }
        }
        catch (final SocketTimeoutException ex)
        {
            return false;
        }
        catch (final SocketException ex)
        {
            return true; // connection reset
        }
        finally
        {
            if (!socket.isClosed())
            {
                socket.setSoTimeout(READ_TIMEOUT_MS);
            }
        }
    }

    /**
     * Like {@link #awaitClose} but discards whatever the server sends first (an error answer to bad input):
     * true once the server closes, false if it is still open at the deadline.
     */
    public boolean awaitCloseAfterAnyResponse(final long timeoutMs) throws IOException
    {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        final byte[] sink = new byte[4096];
        try
        {
            while (true)
            {
                final long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
                if (leftMs <= 0)
                {
                    return false;
                }
                socket.setSoTimeout((int)Math.max(1, leftMs));
                if (in.read(sink) < 0)
                {
                    return true;
                }
            }
        }
        catch (final SocketTimeoutException ex)
        {
            return false;
        }
        catch (final SocketException ex)
        {
            return true; // connection reset
        }
        finally
        {
            if (!socket.isClosed())
            {
                socket.setSoTimeout(READ_TIMEOUT_MS);
            }
        }
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}
