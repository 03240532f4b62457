package org.trackerd.io.ws;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The codec against a WebSocket client it was not written with: the JDK's own ({@code java.net.http}), over a
 * loopback socket. A small blocking echo server built from {@link WebSocketHandshake} and
 * {@link WebSocketSession} answers each text message with {@code echo:} and the message; the client sends a
 * fragmented message, a message needing a 64-bit length, a ping, and closes.
 */
class WebSocketJdkClientTest
{
    @Test
    void jdkClientTalksToTheCodec() throws Exception
    {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final CompletableFuture<Throwable> serverDone = new CompletableFuture<>();
            final Thread server = new Thread(() -> serve(listener, serverDone), "ws-echo");
            server.setDaemon(true);
            server.start();

            final List<String> received = new CopyOnWriteArrayList<>();
            final CompletableFuture<Integer> closed = new CompletableFuture<>();
            final CompletableFuture<String> pong = new CompletableFuture<>();
            final CompletableFuture<Void> threeMessages = new CompletableFuture<>();
            final StringBuilder partial = new StringBuilder();
            final WebSocket.Listener clientListener = new WebSocket.Listener()
            {
                @Override
                public CompletionStage<?> onText(final WebSocket ws, final CharSequence data, final boolean last)
                {
                    partial.append(data);
                    if (last)
                    {
                        received.add(partial.toString());
                        partial.setLength(0);
                        if (received.size() == 3)
                        {
                            threeMessages.complete(null);
                        }
                    }
                    ws.request(1);
                    return null;
                }

                @Override
                public CompletionStage<?> onPong(final WebSocket ws, final ByteBuffer message)
                {
                    pong.complete(StandardCharsets.US_ASCII.decode(message).toString());
                    ws.request(1);
                    return null;
                }

                @Override
                public CompletionStage<?> onClose(final WebSocket ws, final int statusCode, final String reason)
                {
                    closed.complete(statusCode);
                    return null;
                }
            };
            final WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + listener.getLocalPort() + "/announce"), clientListener)
                .get(10, TimeUnit.SECONDS);
            ws.sendText("{\"action\":", false).get(10, TimeUnit.SECONDS);
            ws.sendText("\"announce\",\"x\":\"\u00e9\u20ac\"}", true).get(10, TimeUnit.SECONDS);
            final String big = "v".repeat(70_000);
            ws.sendText(big, true).get(10, TimeUnit.SECONDS);
            ws.sendText("{}", true).get(10, TimeUnit.SECONDS);
            threeMessages.get(10, TimeUnit.SECONDS);
            assertEquals(List.of("echo:{\"action\":\"announce\",\"x\":\"\u00e9\u20ac\"}", "echo:" + big, "echo:{}"), received);
            ws.sendPing(ByteBuffer.wrap("are you there".getBytes(StandardCharsets.US_ASCII))).get(10, TimeUnit.SECONDS);
            assertEquals("are you there", pong.get(10, TimeUnit.SECONDS));
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
            assertEquals(1000, closed.get(10, TimeUnit.SECONDS));
            assertEquals(null, serverDone.get(10, TimeUnit.SECONDS));
        }
    }

    private static void serve(final ServerSocket listener, final CompletableFuture<Throwable> done)
    {
        try (Socket socket = listener.accept())
        {
            socket.setSoTimeout(10_000);
            final InputStream in = socket.getInputStream();
            final OutputStream out = socket.getOutputStream();
            final UnsafeBuffer input = new UnsafeBuffer(new byte[4096]);
            final UnsafeBuffer output = new UnsafeBuffer(new byte[200_000]);
            int filled = 0;
            int headEnd = -1;
            while (headEnd < 0)
            {
                final int n = in.read(input.byteArray(), filled, input.capacity() - filled);
                if (n < 0)
                {
                    throw new IllegalStateException("eof in handshake");
                }
                filled += n;
                headEnd = new String(input.byteArray(), 0, filled, StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
            }
            final WebSocketHandshake handshake = new WebSocketHandshake();
            assertEquals(WebSocketHandshake.ACCEPT, handshake.check(input, 0, headEnd + 4));
            out.write(output.byteArray(), 0, handshake.writeAccept(output, 0));
            final WebSocketSession session = new WebSocketSession(
                new WebSocketFrameDecoder(1 << 20, 1 << 20, 256, false), 0, TimeUnit.SECONDS.toNanos(30)).open(0);
            int offset = headEnd + 4;
            int remaining = filled - offset;
            while (session.state() != WebSocketSession.CLOSED)
            {
                if (remaining == 0)
                {
                    final int n = in.read(input.byteArray(), 0, input.capacity());
                    if (n < 0)
                    {
                        throw new IllegalStateException("eof before close");
                    }
                    offset = 0;
                    remaining = n;
                }
                final int event = session.onBytes(input, offset, remaining, 1);
                offset += session.consumed();
                remaining -= session.consumed();
                switch (event)
                {
                    case WebSocketFrameDecoder.TEXT:
                    {
                        final int at = WebSocketFrameEncoder.payloadOffset(0);
                        output.putStringWithoutLengthAscii(at, "echo:");
                        output.putBytes(at + 5, session.message(), 0, session.messageLength());
                        final int n = WebSocketFrameEncoder.finishFrame(
                            output, 0, WebSocketFrameDecoder.OPCODE_TEXT, 5 + session.messageLength());
                        out.write(output.byteArray(), 0, n);
                        break;
                    }
                    case WebSocketFrameDecoder.PING:
                        out.write(output.byteArray(), 0, session.writePong(output, 0));
                        break;
                    case WebSocketFrameDecoder.CLOSE:
                        assertEquals(1000, session.decoder().closeCode());
                        out.write(output.byteArray(), 0, session.writeCloseReply(output, 0));
                        break;
                    case WebSocketFrameDecoder.FAIL:
                        throw new IllegalStateException("codec refused the JDK client: " + session.decoder().failReason());
                    default:
                        break;
                }
            }
            out.flush();
            done.complete(null);
        }
        catch (final Throwable t)
        {
            done.complete(t);
        }
    }
}
