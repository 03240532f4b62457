package org.trackerd.io.http;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;

/**
 * The JDK's own TCP natives, and Linux's {@code accept4} through JNA, so that the usual one-request connection costs
 * four system calls and no object: {@code accept4} (non-blocking from the start, the peer's address written into a
 * buffer of ours), read the request, write the answer, close. A system call is the largest single cost of such a
 * connection (3-6 us each on the project's virtual machines), so one fewer is worth about a tenth of it.
 *
 * <p>Where JNA cannot load, the JDK's {@code Net.accept}: the socket then stays in the blocking mode {@code accept}
 * gives it, which is safe while every read has bytes waiting (asked first with {@code ioctl FIONREAD}: five system
 * calls) and every write fits the empty send buffer. {@link ServerSocketChannel#accept()} also builds a {@code SocketChannelImpl} per connection, which asks
 * the kernel for the local address ({@code getsockname}) and the blocking mode ({@code fcntl}), and allocates two
 * locks and several objects the GC then reclaims; making the socket non-blocking costs two more {@code fcntl}.
 *
 * <p>Also the TCP options the JDK has no name for, set with its own {@code setsockopt} entry point
 * ({@code Net.setIntOption0}): {@code TCP_DEFER_ACCEPT} on listeners (a connection reaches {@code accept} with its
 * request already there) and {@code TCP_CORK} (a one-request answer and its FIN leave in one segment).
 *
 * <p>Reached once at class initialisation through private lookups into {@code sun.nio.ch} ({@code Net.accept},
 * {@code Net.available}, {@code Net.setIntOption0}, {@code IOUtil.configureBlocking}, {@code SocketDispatcher.read0},
 * the dispatcher's {@code write0} and close) and called with {@code invokeExact}. A connection that has to wait for
 * the selector, or needs a socket option of the public API, is {@linkplain #adopt adopted} into the JDK's own
 * {@code SocketChannelImpl} built around the same descriptor, so everything past the common case stays on the
 * public channel API.
 *
 * <p>Needs {@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED} and OpenJDK 17 to 25 on Linux. Otherwise
 * {@link #available()} is false, {@link #unavailableReason()} says why, and the frontend accepts with the channel
 * API; the options have their own verdict ({@link #deferAccept} says why it could not).
 *
 * <p>Thread: any; one frontend thread owns a listener and its connections.
 */
final class TcpNatives
{

    /** {@code IOStatus.EOF}. */
    static final int EOF = -1;
    /** {@code IOStatus.UNAVAILABLE}: nothing to accept or read, or the socket would block. */
    static final int UNAVAILABLE = -2;

    private static final int IPPROTO_TCP = 6;
    private static final int TCP_NODELAY = 1;
    private static final int TCP_CORK = 3;
    private static final int TCP_DEFER_ACCEPT = 9;

    // Listener and options: looked up on their own, so that TCP_DEFER_ACCEPT does not depend on the connection path.
    /** {@code (FileDescriptor, boolean mayNeedConversion, int level, int option, int value, boolean ipv6) void}. */
    private static final MethodHandle SET_INT_OPTION;
    /** {@code (ServerSocketChannel) FileDescriptor}. */
    private static final MethodHandle LISTENER_FD;
    /** {@code (ServerSocketChannel) ProtocolFamily}: the family its accepted channels are built with. */
    private static final MethodHandle LISTENER_FAMILY;
    private static final Class<?> SERVER_IMPL;
    private static final String OPTIONS_UNAVAILABLE_REASON;

    /** {@code (FileDescriptor listener, FileDescriptor accepted, InetSocketAddress[] remote) int}. */
    private static final MethodHandle ACCEPT;
    /** {@code (FileDescriptor, boolean blocking) void}. */
    private static final MethodHandle CONFIGURE_BLOCKING;
    /** {@code (FileDescriptor) int}: {@code ioctl(FIONREAD)}, the bytes waiting to be read. */
    private static final MethodHandle AVAILABLE;
    /** {@code (FileDescriptor, long address, int length) int}. */
    private static final MethodHandle READ;
    /** {@code (FileDescriptor, long address, int length) int}. */
    private static final MethodHandle WRITE;
    /** {@code (FileDescriptor) void}. */
    private static final MethodHandle CLOSE;
    /** {@code (SelectorProvider, ProtocolFamily, FileDescriptor, SocketAddress) SocketChannel}. */
    private static final MethodHandle NEW_CHANNEL;
    /** {@code (FileDescriptor) int}: the descriptor's number. */
    private static final MethodHandle FD_VAL;
    /** {@code (FileDescriptor, int) void}: sets the descriptor's number. */
    private static final MethodHandle SET_FD_VAL;
    private static final String UNAVAILABLE_REASON;
    private static final int ACCEPT4_NOT_LOADED = 0;
    private static final int ACCEPT4_LOADING = 1;
    static final int ACCEPT4_READY = 2;
    static final int ACCEPT4_UNAVAILABLE = 3;
    /** Where binding {@code accept4} stands: bound once, off the start path ({@link #prepareAccept4}). */
    private static volatile int accept4State = ACCEPT4_NOT_LOADED;
    /** Why {@code accept4} is unavailable, or null. */
    private static volatile String accept4Reason;

    static
    {
        MethodHandle setIntOption = null;
        MethodHandle listenerFd = null;
        MethodHandle listenerFamily = null;
        Class<?> serverImpl = null;
        String optionsReason = null;
        try
        {
            requireLinux();
            final Class<?> net = Class.forName("sun.nio.ch.Net");
            setIntOption = lookup(net).findStatic(net, "setIntOption0", MethodType.methodType(void.class,
                FileDescriptor.class, boolean.class, int.class, int.class, int.class, boolean.class));
            serverImpl = Class.forName("sun.nio.ch.ServerSocketChannelImpl");
            listenerFd = lookup(serverImpl).findVirtual(serverImpl, "getFD", MethodType.methodType(FileDescriptor.class))
                .asType(MethodType.methodType(FileDescriptor.class, ServerSocketChannel.class));
            listenerFamily = lookup(serverImpl).findGetter(serverImpl, "family", ProtocolFamily.class)
                .asType(MethodType.methodType(ProtocolFamily.class, ServerSocketChannel.class));
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            setIntOption = null;
            listenerFd = null;
            listenerFamily = null;
            optionsReason = ex.getClass().getSimpleName() + ": " + ex.getMessage();
        }
        SET_INT_OPTION = setIntOption;
        LISTENER_FD = listenerFd;
        LISTENER_FAMILY = listenerFamily;
        SERVER_IMPL = serverImpl;
        OPTIONS_UNAVAILABLE_REASON = optionsReason;

        MethodHandle accept = null;
        MethodHandle blocking = null;
        MethodHandle available = null;
        MethodHandle read = null;
        MethodHandle write = null;
        MethodHandle close = null;
        MethodHandle newChannel = null;
        MethodHandle fdVal = null;
        MethodHandle setFdVal = null;
        String reason = optionsReason;
        try
        {
            if (optionsReason != null)
            {
                throw new UnsupportedOperationException(optionsReason);
            }
            final MethodType io = MethodType.methodType(int.class, FileDescriptor.class, long.class, int.class);
            final Class<?> net = Class.forName("sun.nio.ch.Net");
            accept = lookup(net).findStatic(net, "accept", MethodType.methodType(
                int.class, FileDescriptor.class, FileDescriptor.class, InetSocketAddress[].class));
            available = lookup(net).findStatic(net, "available", MethodType.methodType(int.class, FileDescriptor.class));
            final Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil");
            fdVal = lookup(ioUtil).findStatic(ioUtil, "fdVal", MethodType.methodType(int.class, FileDescriptor.class));
            setFdVal = lookup(ioUtil).findStatic(ioUtil, "setfdVal",
                MethodType.methodType(void.class, FileDescriptor.class, int.class));
            blocking = lookup(ioUtil).findStatic(ioUtil, "configureBlocking",
                MethodType.methodType(void.class, FileDescriptor.class, boolean.class));
            final Class<?> socketDispatcher = Class.forName("sun.nio.ch.SocketDispatcher");
            read = lookup(socketDispatcher).findStatic(socketDispatcher, "read0", io);
            write = findStatic(socketDispatcher, "write0", io); // JDK 21+
            final Class<?> fileDispatcher = Class.forName("sun.nio.ch.FileDispatcherImpl");
            if (write == null)
            {
                write = lookup(fileDispatcher).findStatic(fileDispatcher, "write0", io); // JDK 17
            }
            close = findStatic(fileDispatcher, "closeIntFD", MethodType.methodType(void.class, int.class));
            if (close != null) // JDK 17: close(int), the descriptor's number from IOUtil.fdVal
            {
                close = MethodHandles.filterArguments(close, 0, lookup(ioUtil).findStatic(ioUtil, "fdVal",
                    MethodType.methodType(int.class, FileDescriptor.class)));
            }
            else // JDK 21+
            {
                final Class<?> unixDispatcher = Class.forName("sun.nio.ch.UnixDispatcher");
                close = lookup(unixDispatcher).findStatic(unixDispatcher, "close0",
                    MethodType.methodType(void.class, FileDescriptor.class));
            }
            final Class<?> channelImpl = Class.forName("sun.nio.ch.SocketChannelImpl");
            newChannel = lookup(channelImpl).findConstructor(channelImpl, MethodType.methodType(void.class,
                    SelectorProvider.class, ProtocolFamily.class, FileDescriptor.class, SocketAddress.class))
                .asType(MethodType.methodType(SocketChannel.class, SelectorProvider.class, ProtocolFamily.class,
                    FileDescriptor.class, SocketAddress.class));
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            accept = null;
            reason = reason != null ? reason : ex.getClass().getSimpleName() + ": " + ex.getMessage();
        }
        ACCEPT = accept;
        CONFIGURE_BLOCKING = blocking;
        AVAILABLE = available;
        READ = read;
        WRITE = write;
        CLOSE = close;
        NEW_CHANNEL = newChannel;
        FD_VAL = fdVal;
        SET_FD_VAL = setFdVal;
        UNAVAILABLE_REASON = reason;
    }

    /**
     * Binds {@code accept4} (JNA's class initialisation and native library: about 0.2 s of one core) on a short-lived
     * thread of its own, once, so that a start is not made slower by it (as the UDP frontend binds its batch calls).
     * Until it is bound the frontends accept through the JDK ({@code accept} and {@code FIONREAD}); each moves to
     * {@code accept4} at its next cycle after ({@link #accept4State}). Any thread; only the first call does anything.
     */
    static void prepareAccept4()
    {
        synchronized (TcpNatives.class)
        {
            if (accept4State != ACCEPT4_NOT_LOADED)
            {
                return;
            }
            accept4State = ACCEPT4_LOADING;
        }
        final Thread t = new Thread(TcpNatives::bindAccept4, "trackerd-accept4-init");
        t.setDaemon(true);
        t.start();
    }

    /** Binds {@code accept4} now, on the calling thread, unless that is decided already; the verdict. */
    static synchronized boolean bindAccept4()
    {
        if (accept4State == ACCEPT4_READY || accept4State == ACCEPT4_UNAVAILABLE)
        {
            return accept4State == ACCEPT4_READY;
        }
        String reason = UNAVAILABLE_REASON;
        if (reason == null)
        {
            try
            {
                Accept4.bind();
            }
            catch (final Exception | LinkageError ex)
            {
                reason = "accept4 through JNA: " + ex.getClass().getSimpleName() + ": " + ex.getMessage();
            }
        }
        accept4Reason = reason;
        accept4State = reason == null ? ACCEPT4_READY : ACCEPT4_UNAVAILABLE;
        return reason == null;
    }

    /** {@link #ACCEPT4_READY}, {@link #ACCEPT4_UNAVAILABLE}, or another value while not decided yet. */
    static int accept4State()
    {
        return accept4State;
    }

    /**
     * Linux's {@code accept4(2)}, bound from the C library with JNA's direct mapping (a registered native method, as
     * the UDP frontend binds {@code recvmmsg}): the new socket is non-blocking from the start ({@code SOCK_NONBLOCK},
     * so no {@code ioctl FIONREAD} guards its first read and no {@code fcntl} is needed later) and its address is
     * written into a buffer of ours, not into objects the JDK builds for every connection.
     */
    private static final class Accept4
    {
        static void bind()
        {
            com.sun.jna.Native.register(Accept4.class, com.sun.jna.Platform.C_LIBRARY_NAME);
        }

        /** {@code int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags)}. */
        static native int accept4(int fd, long address, long addressLength, int flags);
    }

    /** {@code SOCK_NONBLOCK | SOCK_CLOEXEC} (x86-64 and arm64 Linux values). */
    private static final int ACCEPT4_FLAGS = 0x800 | 0x80000;
    static final int EAGAIN = 11;
    static final int EINTR = 4;
    static final int ECONNABORTED = 103;
    static final int EMFILE = 24;
    static final int ENFILE = 23;
    /** Bytes {@link #accept4} may write at a {@code sockaddr} address: a {@code sockaddr_in6} (28) and some room. */
    static final int SOCKADDR_CAPACITY = 32;
    /** Where {@link #accept4} keeps the {@code socklen_t}: right after the address. */
    static final int SOCKADDR_LENGTH_OFFSET = SOCKADDR_CAPACITY;
    /** The scratch a caller gives {@link #accept4}: the address and its length. */
    static final int ACCEPT4_SCRATCH_BYTES = SOCKADDR_CAPACITY + 8;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;

    private static void requireLinux()
    {
        if (!System.getProperty("os.name", "").startsWith("Linux"))
        {
            throw new UnsupportedOperationException("not Linux");
        }
    }

    private static MethodHandles.Lookup lookup(final Class<?> type) throws IllegalAccessException
    {
        return MethodHandles.privateLookupIn(type, MethodHandles.lookup());
    }

    private static MethodHandle findStatic(final Class<?> type, final String name, final MethodType methodType)
        throws IllegalAccessException
    {
        try
        {
            return lookup(type).findStatic(type, name, methodType);
        }
        catch (final NoSuchMethodException ex)
        {
            return null;
        }
    }

    /** What a native call threw, as the {@link IOException} to throw (unchecked ones are rethrown as they are). */
    private static IOException rethrown(final Throwable ex)
    {
        if (ex instanceof RuntimeException runtime)
        {
            throw runtime;
        }
        if (ex instanceof Error error)
        {
            throw error;
        }
        return ex instanceof IOException io ? io : new IOException(ex);
    }

    private TcpNatives()
    {
    }

    /** Why {@code accept4} is unavailable (needs {@link #available()} and JNA's stub), or null (bound or not tried). */
    static String accept4UnavailableReason()
    {
        return accept4Reason;
    }

    /**
     * One {@code accept4} with {@code SOCK_NONBLOCK | SOCK_CLOEXEC} on a non-blocking listener: the new socket's
     * number, its peer's {@code sockaddr} written at {@code scratch} (at most {@link #SOCKADDR_CAPACITY} bytes, read
     * it with {@link #sockaddrFamily} and friends); or, when none was accepted, {@code -errno} ({@code -EAGAIN} when
     * nothing waits). Nothing is allocated.
     *
     * @param scratch {@link #ACCEPT4_SCRATCH_BYTES} bytes of native memory (a direct buffer's view)
     */
    static int accept4(final int listener, final UnsafeBuffer scratch)
    {
        scratch.putInt(SOCKADDR_LENGTH_OFFSET, SOCKADDR_CAPACITY);
        final long address = scratch.addressOffset();
        final int fd = Accept4.accept4(listener, address, address + SOCKADDR_LENGTH_OFFSET, ACCEPT4_FLAGS);
        if (fd >= 0)
        {
            return fd;
        }
        final int errno = com.sun.jna.Native.getLastError(); // JNA keeps the errno of the call it just made
        return errno > 0 ? -errno : -EAGAIN;
    }

    /**
     * The peer address {@link #accept4} wrote, as the 16 bytes trackerd keeps addresses in (IPv4 as
     * {@code ::ffff:a.b.c.d}, as a dual-stack listener reports it anyway); its port, or -1 when the family is
     * neither IPv4 nor IPv6.
     *
     * <pre>
     *   sockaddr_in:  family (2, host order) | port (2, network order) | address (4)
     *   sockaddr_in6: family (2, host order) | port (2, network order) | flow info (4) | address (16) | scope (4)
     * </pre>
     */
    static int sockaddr(final UnsafeBuffer scratch, final byte[] address16)
    {
        final int family = scratch.getShort(0, java.nio.ByteOrder.nativeOrder()) & 0xFFFF;
        final int port = scratch.getShort(2, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (family == AF_INET6)
        {
            scratch.getBytes(8, address16, 0, 16);
            return port;
        }
        if (family == AF_INET)
        {
            java.util.Arrays.fill(address16, 0, 10, (byte)0);
            address16[10] = (byte)0xFF;
            address16[11] = (byte)0xFF;
            scratch.getBytes(4, address16, 12, 4);
            return port;
        }
        return -1;
    }

    /** The descriptor's number. */
    static int fdVal(final FileDescriptor fd)
    {
        try
        {
            return (int)FD_VAL.invokeExact(fd);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** Points a descriptor object at a socket's number (a slot's object, reused from one bare connection to the next). */
    static void fdVal(final FileDescriptor fd, final int value)
    {
        try
        {
            SET_FD_VAL.invokeExact(fd, value);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** True when the connection natives were found and may be used. */
    static boolean available()
    {
        return ACCEPT != null;
    }

    /** Why {@link #available()} is false, or null. */
    static String unavailableReason()
    {
        return UNAVAILABLE_REASON;
    }

    /** A listening channel's descriptor, or null when it cannot be reached or it is not the JDK's own channel. */
    static FileDescriptor listenerFd(final ServerSocketChannel server)
    {
        return (FileDescriptor)listenerField(LISTENER_FD, server);
    }

    /** The protocol family the JDK gives a listener's accepted channels, or null when it cannot be read. */
    static ProtocolFamily listenerFamily(final ServerSocketChannel server)
    {
        return (ProtocolFamily)listenerField(LISTENER_FAMILY, server);
    }

    /** One of a listener's fields, read once per listener at start (not a hot path: plain {@code invoke}). */
    private static Object listenerField(final MethodHandle getter, final ServerSocketChannel server)
    {
        if (getter == null || server.getClass() != SERVER_IMPL)
        {
            return null;
        }
        try
        {
            return getter.invoke(server);
        }
        catch (final Throwable ex)
        {
            return null;
        }
    }

    /**
     * Sets {@code TCP_DEFER_ACCEPT} on a listener: the kernel completes the handshake but queues the connection for
     * {@code accept} only once the client's first bytes (its request) have arrived, or after the given seconds. A
     * tracker then reads every accepted connection's request at once, without a round through the selector.
     *
     * @return null when set, else why not
     */
    static String deferAccept(final ServerSocketChannel server, final int seconds)
    {
        final FileDescriptor fd = listenerFd(server);
        if (fd == null)
        {
            return OPTIONS_UNAVAILABLE_REASON != null ? OPTIONS_UNAVAILABLE_REASON : "not the JDK's own listener";
        }
        try
        {
            setTcpOption(fd, TCP_DEFER_ACCEPT, seconds);
            return null;
        }
        catch (final IOException | RuntimeException ex)
        {
            return ex.toString();
        }
    }

    /**
     * Sets {@code TCP_CORK} on a socket: a partial segment waits for more data, the socket's FIN or uncorking. On a
     * listener, every connection it accepts starts corked (Linux copies the option), so a one-request connection's
     * answer leaves together with its FIN, in one segment, when the socket closes right after the write.
     */
    static void cork(final FileDescriptor fd, final boolean on) throws IOException
    {
        setTcpOption(fd, TCP_CORK, on ? 1 : 0);
    }

    /** A connection that carries several answers: uncorked, and Nagle off, so each answer leaves at once. */
    static void sendPromptly(final FileDescriptor fd) throws IOException
    {
        setTcpOption(fd, TCP_CORK, 0);
        setTcpOption(fd, TCP_NODELAY, 1);
    }

    private static void setTcpOption(final FileDescriptor fd, final int option, final int value) throws IOException
    {
        try
        {
            SET_INT_OPTION.invokeExact(fd, false, IPPROTO_TCP, option, value, false);
        }
        catch (final Throwable ex)
        {
            throw rethrown(ex);
        }
    }

    /**
     * One {@code accept} on a non-blocking listener. The new socket is in blocking mode, as the kernel makes it:
     * read it only once {@link #available} says its request is there, write it only what its empty send buffer
     * takes at once, or make it {@linkplain #nonBlocking non-blocking} first.
     *
     * @param accepted a fresh descriptor object the new socket's number is written to
     * @param remote   one element, set to the client's address
     * @return true when a connection was accepted, false when none is waiting (or the call was interrupted)
     */
    static boolean accept(final FileDescriptor listener, final FileDescriptor accepted,
        final InetSocketAddress[] remote) throws IOException
    {
        try
        {
            return (int)ACCEPT.invokeExact(listener, accepted, remote) > 0;
        }
        catch (final Throwable ex)
        {
            throw rethrown(ex);
        }
    }

    /** Bytes waiting to be read on a socket ({@code ioctl FIONREAD}): 0 when none, or at the client's FIN. */
    static int available(final FileDescriptor fd) throws IOException
    {
        try
        {
            return (int)AVAILABLE.invokeExact(fd);
        }
        catch (final Throwable ex)
        {
            throw rethrown(ex);
        }
    }

    /** Puts a socket in non-blocking mode. */
    static void nonBlocking(final FileDescriptor fd) throws IOException
    {
        try
        {
            CONFIGURE_BLOCKING.invokeExact(fd, false);
        }
        catch (final Throwable ex)
        {
            throw rethrown(ex);
        }
    }

    /**
     * One {@code read}: on a blocking socket only with bytes {@link #available}, then it returns at once.
     *
     * @return bytes read, {@link #EOF} at the client's FIN, or {@link #UNAVAILABLE} when nothing is there yet
     */
    static int read(final FileDescriptor fd, final long address, final int length) throws IOException
    {
        // The handle is named here, not passed in: a static final handle at the call site is a constant the JIT
        // inlines through; one passed as an argument is invoked through its generic (slower) path.
        final int n;
        try
        {
            n = (int)READ.invokeExact(fd, address, length);
        }
        catch (final Throwable ex)
        {
            throw rethrown(ex);
        }
        return n == -3 ? UNAVAILABLE : n; // IOStatus.INTERRUPTED: nothing done, try again later
    }

    /**
     * One {@code write}: on a blocking socket only what its send buffer takes at once.
     *
     * @return bytes written, or {@link #UNAVAILABLE} when the send buffer is full
     */
    static int write(final FileDescriptor fd, final long address, final int length) throws IOException
    {
        final int n;
        try
        {
            n = (int)WRITE.invokeExact(fd, address, length);
        }
        catch (final Throwable ex)
        {
            throw rethrown(ex);
        }
        return n == -3 ? UNAVAILABLE : n;
    }

    /** Closes a socket that was never adopted; a failure to close is not reported (nothing is left to do). */
    static void close(final FileDescriptor fd)
    {
        try
        {
            CLOSE.invokeExact(fd);
        }
        catch (final Throwable ignored)
        {
            // the descriptor is gone either way
        }
    }

    /**
     * The JDK's channel around an accepted socket, as {@link ServerSocketChannel#accept()} would have built it: it
     * owns the descriptor from here on (close it through the channel). The new channel believes it is in blocking
     * mode, as the JDK's accept leaves it: call {@code configureBlocking(false)} before registering it.
     */
    static SocketChannel adopt(final FileDescriptor fd, final ProtocolFamily family, final InetSocketAddress remote)
        throws IOException
    {
        try
        {
            return (SocketChannel)NEW_CHANNEL.invokeExact(SelectorProvider.provider(), family, fd,
                (SocketAddress)remote);
        }
        catch (final Throwable ex)
        {
            throw rethrown(ex);
        }
    }
}
