package org.trackerd.io.http;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One client connection's state, pooled by slot and reused after close (its receive buffer too). The
 * generation changes on every reuse, so a response for a connection that has since closed is recognised and
 * dropped.
 *
 * <p>Thread: owned by one HTTP frontend thread.
 */
final class HttpConnection
{
    static final int READING = 0;
    /** A request is in the engine; nothing else is read or parsed until its answer is written. */
    static final int AWAITING = 1;
    /** A response is partly written; the rest waits in {@link #pending}. */
    static final int WRITING = 2;
    /** The last answer is written and FIN sent; input is read and discarded until the client's FIN or a bound. */
    static final int CLOSING = 3;

    final int slot;
    int generation;
    /** The JDK's channel, once the connection needs the selector or a socket option; null until then. */
    SocketChannel channel;
    /**
     * The socket accepted bare (see {@link TcpNatives}): read and written through it while there is no
     * {@link #channel}; once adopted, the channel owns it. Null when accepted through the channel API.
     */
    java.io.FileDescriptor fd;
    /** What {@link TcpNatives#adopt} builds the channel with. */
    java.net.ProtocolFamily protocolFamily;
    /** Built when first needed (adoption into a channel): a bare accept leaves it null. */
    java.net.InetSocketAddress remoteSocket;
    int remotePort;
    /**
     * The slot's descriptor object, pointed at each bare connection's socket in turn, so an accept allocates none;
     * null once a channel adopted it (the channel owns it then), and a new one is made for the slot's next socket.
     */
    java.io.FileDescriptor spareFd;
    /** Counted in the frontend's per-address connections (under {@link #address}). */
    boolean ipCounted;
    /**
     * The bare socket is still in the blocking mode the JDK's {@code accept} gave it (never after {@code accept4},
     * which makes it non-blocking). It takes one read, of bytes already waiting, while {@link #firstRead}, and one
     * small write into its empty send buffer while {@link #firstWrite}; anything else makes it non-blocking first.
     */
    boolean blocking;
    /** Accepted from a corked listener: a partial segment waits for the FIN until {@code TcpNatives.sendPromptly}. */
    boolean corked;
    boolean firstRead;
    boolean firstWrite;
    SelectionKey key;
    /** The interest set last given to {@link #key} (only through {@code HttpFrontend.interest}). */
    int ops;
    final ByteBuffer in;
    final UnsafeBuffer inView;
    final byte[] address = new byte[16];
    /** {@code RequestCounters.FAMILY_*} of the client's address. */
    int family;
    int state;
    boolean keepAlive;
    boolean closeAfterWrite;
    long lastActivityNs;
    /** When the first byte of a not yet complete request arrived; 0 when none is pending. */
    long partialSinceNs;
    ByteBuffer pending;
    /** The client's address as an object, made only when the WebSocket route needs it; null once closed. */
    java.net.InetAddress remote;
    /** TCP_NODELAY is set (only once the connection turns out to carry several requests). */
    boolean noDelay;
    /**
     * The request in the engine said it is the client's last ({@code Connection: close} or HTTP/1.0) and nothing
     * followed it in the buffer, so the socket can close right after the answer with nothing left unread.
     */
    boolean lastRequestOfClient;
    /** Bytes discarded while {@link #CLOSING}. */
    int lingerBytes;
    /** The TLS layer bytes pass through on a TLS listener's connection; null on plain HTTP. */
    org.trackerd.io.tls.TlsSession tls;
    /** The slot's TLS session kept with its buffers for the slot's next TLS connection. */
    org.trackerd.io.tls.TlsSession tlsSpare;
    /** The WebSocket (WebTorrent) state once the connection is upgraded; null on HTTP. */
    WebTorrentConnection ws;
    /** The slot's WebSocket state kept for its next upgraded connection. */
    WebTorrentConnection wsSpare;

    HttpConnection(final int slot, final int maxRequestBytes)
    {
        this.slot = slot;
        this.in = ByteBuffer.allocateDirect(maxRequestBytes);
        this.inView = new UnsafeBuffer(in);
    }

    long correlationId()
    {
        return ((long)generation << 32) | slot;
    }

    boolean isOpen()
    {
        return channel != null || fd != null;
    }
}
