/**
 * RFC 6455 WebSocket on the server, written for the selector frontends: no thread per connection, no I/O of its
 * own, nothing allocated per frame or message once a connection's buffers have grown.
 *
 * <ul>
 * <li>{@link org.trackerd.io.ws.WebSocketHandshake}: is this HTTP request an upgrade, is it a valid one, and the
 * 101 (or 400/426) answer; one per frontend thread (it keeps a SHA-1 digest).</li>
 * <li>{@link org.trackerd.io.ws.WebSocketFrameDecoder}: the client's bytes, in any pieces, to messages and
 * control frames, with every framing rule of the RFC checked and the close code for each violation.</li>
 * <li>{@link org.trackerd.io.ws.WebSocketFrameEncoder}: unmasked server frames, written in place.</li>
 * <li>{@link org.trackerd.io.ws.WebSocketSession}: what an upgraded HTTP connection owns (decoder, close
 * handshake, idle and ping deadlines); its Javadoc draws the seam in the HTTP connection.</li>
 * <li>{@link org.trackerd.io.ws.Utf8Validator} and {@link org.trackerd.io.ws.CloseCodes}.</li>
 * </ul>
 *
 * <p>Why written here rather than taken from a library: the WebSocket libraries for Java (Netty's codec, Jetty,
 * Undertow, Java-WebSocket, Tyrus) each bring their own event loop, threads or server and hand messages over as
 * allocated objects (String, ByteBuffer per message); the frontend already owns the sockets, the selector, the
 * buffers and TLS, and needs only the framing state machine, which is small and fully specified. No extension
 * (permessage-deflate) and no subprotocol is negotiated: the npm client needs neither, and compression would
 * cost memory per connection for JSON that is mostly SDP.
 */
package org.trackerd.io.ws;
