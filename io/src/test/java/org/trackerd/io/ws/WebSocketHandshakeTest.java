package org.trackerd.io.ws;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebSocketHandshakeTest
{
    private final WebSocketHandshake handshake = new WebSocketHandshake();

    private int check(final String head)
    {
        final byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[b.length + 10]);
        buffer.putBytes(5, b);
        return handshake.check(buffer, 5, b.length);
    }

    private static String request(final String extraHeaders)
    {
        return "GET /announce HTTP/1.1\r\nHost: tracker.example:8000\r\n" + extraHeaders + "\r\n";
    }

    private static final String NPM_CLIENT = request(
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: Upgrade\r\n" +
        "Upgrade: websocket\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");

    @Test
    void acceptsTheRfcExampleAndAnswersWithItsAcceptValue()
    {
        assertEquals(WebSocketHandshake.ACCEPT, check(NPM_CLIENT));
        final UnsafeBuffer out = new UnsafeBuffer(new byte[256]);
        final int n = handshake.writeAccept(out, 3);
        assertEquals(WebSocketHandshake.ACCEPT_ANSWER_LENGTH, n);
        // RFC 6455 section 1.3: this key's accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
        assertEquals("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", out.getStringWithoutLengthAscii(3, n));
    }

    @Test
    void headerNamesAndTokensInAnyCaseAmongOthers()
    {
        // Firefox: Connection: keep-alive, Upgrade; names in odd case; bare LF line ends; spaces around values
        assertEquals(WebSocketHandshake.ACCEPT, check(
            "GET /announce HTTP/1.1\nhost: x\nCONNECTION:  keep-alive ,  Upgrade \nupgrade: WebSocket\n" +
            "sec-websocket-key: AQIDBAUGBwgJCgsMDQ4PEA==\nSEC-WEBSOCKET-VERSION: 13\n\n"));
    }

    @Test
    void plainHttpIsNotWebSocket()
    {
        assertEquals(WebSocketHandshake.NOT_WEBSOCKET, check(request("Connection: keep-alive\r\n")));
        assertEquals(WebSocketHandshake.NOT_WEBSOCKET, check(request("Upgrade: h2c\r\nConnection: Upgrade\r\n")));
    }

    @Test
    void brokenUpgradesAreRefused()
    {
        final String key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        final String up = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
        assertEquals(WebSocketHandshake.BAD_REQUEST, check(request(up)));
        assertEquals(WebSocketHandshake.BAD_REQUEST, check(request(up + key + key)));
        assertEquals(WebSocketHandshake.BAD_REQUEST, check(request(up + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=\r\n")));
        assertEquals(WebSocketHandshake.BAD_REQUEST, check(request(up + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n")));
        assertEquals(WebSocketHandshake.BAD_REQUEST, check(request(up + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==\r\n")));
        assertEquals(WebSocketHandshake.BAD_REQUEST,
            check(request("Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" + key)));
        assertEquals(WebSocketHandshake.BAD_REQUEST, check(NPM_CLIENT.replace("GET ", "POST ")));
        assertEquals(WebSocketHandshake.BAD_REQUEST, check(NPM_CLIENT.replace("HTTP/1.1", "HTTP/1.0")));
        assertEquals(WebSocketHandshake.BAD_REQUEST, check(NPM_CLIENT.replace("Host: tracker.example:8000\r\n", "")));
        assertEquals(WebSocketHandshake.UPGRADE_REQUIRED, check(NPM_CLIENT.replace("Version: 13", "Version: 8")));
        assertEquals(WebSocketHandshake.UPGRADE_REQUIRED, check(request(up.replace("Sec-WebSocket-Version: 13\r\n", "") + key)));
        final UnsafeBuffer out = new UnsafeBuffer(new byte[512]);
        final int n = WebSocketHandshake.writeRefusal(out, 0, WebSocketHandshake.UPGRADE_REQUIRED);
        final String answer = out.getStringWithoutLengthAscii(0, n);
        assertTrue(answer.startsWith("HTTP/1.1 426 ") && answer.contains("\r\nSec-WebSocket-Version: 13\r\n"), answer);
        final int bodyAt = answer.indexOf("\r\n\r\n") + 4;
        assertTrue(answer.contains("Content-Length: " + (n - bodyAt) + "\r\n"), answer);
        final int m = WebSocketHandshake.writeRefusal(out, 0, WebSocketHandshake.BAD_REQUEST);
        final String bad = out.getStringWithoutLengthAscii(0, m);
        assertTrue(bad.contains("Content-Length: " + (m - bad.indexOf("\r\n\r\n") - 4) + "\r\n"), bad);
    }
}
