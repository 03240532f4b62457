package org.trackerd.io.udp;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.DatagramChannel;

/**
 * The JDK's own datagram natives ({@code sun.nio.ch.DatagramChannelImpl.receive0/send0}), reached once at class
 * initialisation through a private lookup and called with {@code invokeExact}, so the JIT makes a direct native
 * call: no lock, no state check, and no {@link java.net.InetSocketAddress} per sender, the sender and target being
 * the kernel's own {@code sockaddr} in native memory ({@link SocketAddresses}).
 *
 * <p>Needs {@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED} and a JDK whose {@code DatagramChannelImpl} has these
 * natives (OpenJDK 17 to 25 do), on Linux (the {@code sockaddr} layout). Otherwise {@link #available()} is false,
 * {@link #unavailableReason()} says why, and the frontend uses {@link DatagramChannel}'s public API.
 *
 * <p>Thread: any; the channel's own thread is the only one that receives and sends on it.
 */
final class DatagramNatives
{
    /** {@code IOStatus.UNAVAILABLE}: nothing to receive, or the socket would block. */
    static final int UNAVAILABLE = -2;
    /** {@code IOStatus.INTERRUPTED}: the call was interrupted (EINTR). */
    static final int INTERRUPTED = -3;

    /** {@code (FileDescriptor fd, long address, int len, long senderAddress, boolean connected) int}. */
    private static final MethodHandle RECEIVE0;
    /** {@code (FileDescriptor fd, long address, int len, long targetAddress, int targetAddressLen) int}. */
    private static final MethodHandle SEND0;
    /** {@code (DatagramChannel) FileDescriptor}: the channel's {@code fd} field. */
    private static final MethodHandle FD;
    private static final Class<?> IMPL;
    private static final String UNAVAILABLE_REASON;

    static
    {
        MethodHandle receive = null;
        MethodHandle send = null;
        MethodHandle fd = null;
        Class<?> impl = null;
        String reason = null;
        try
        {
            if (!System.getProperty("os.name", "").startsWith("Linux"))
            {
                throw new UnsupportedOperationException("not Linux (sockaddr layout)");
            }
            impl = Class.forName("sun.nio.ch.DatagramChannelImpl");
            final MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(impl, MethodHandles.lookup());
            receive = lookup.findStatic(impl, "receive0", MethodType.methodType(
                int.class, FileDescriptor.class, long.class, int.class, long.class, boolean.class));
            send = lookup.findStatic(impl, "send0", MethodType.methodType(
                int.class, FileDescriptor.class, long.class, int.class, long.class, int.class));
            fd = lookup.findGetter(impl, "fd", FileDescriptor.class)
                .asType(MethodType.methodType(FileDescriptor.class, DatagramChannel.class));
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            receive = null;
            send = null;
            fd = null;
            reason = ex.getClass().getSimpleName() + ": " + ex.getMessage();
        }
        RECEIVE0 = receive;
        SEND0 = send;
        FD = fd;
        IMPL = impl;
        UNAVAILABLE_REASON = reason;
    }

    private DatagramNatives()
    {
    }

    /** True when the natives were found and may be used. */
    static boolean available()
    {
        return RECEIVE0 != null;
    }

    /** Why {@link #available()} is false, or null. */
    static String unavailableReason()
    {
        return UNAVAILABLE_REASON;
    }

    /** The channel's file descriptor, or null when the natives are unavailable or it is not the JDK's own channel. */
    static FileDescriptor fd(final DatagramChannel channel)
    {
        if (FD == null || channel.getClass() != IMPL)
        {
            return null;
        }
        try
        {
            return (FileDescriptor)FD.invokeExact(channel);
        }
        catch (final Throwable ex)
        {
            return null;
        }
    }

    /**
     * One {@code recvfrom} on a non-blocking, unconnected socket.
     *
     * @param address native address of the buffer, {@code length} bytes
     * @param sender  native address of a {@link SocketAddresses#LENGTH}-byte {@code sockaddr} the sender is written to
     * @return bytes received (a datagram may be empty), {@link #UNAVAILABLE} or {@link #INTERRUPTED}
     */
    static int receive(final FileDescriptor fd, final long address, final int length, final long sender)
        throws IOException
    {
        try
        {
            return (int)RECEIVE0.invokeExact(fd, address, length, sender, false);
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IOException(ex);
        }
    }

    /**
     * One {@code sendto}.
     *
     * @param target       native address of the target's {@code sockaddr}
     * @param targetLength its length ({@link SocketAddresses#length})
     * @return bytes sent, {@link #UNAVAILABLE} or {@link #INTERRUPTED}; throws
     *     {@link java.net.PortUnreachableException} when an earlier datagram to that target met ICMP port unreachable
     */
    static int send(final FileDescriptor fd, final long address, final int length, final long target,
        final int targetLength) throws IOException
    {
        try
        {
            return (int)SEND0.invokeExact(fd, address, length, target, targetLength);
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IOException(ex);
        }
    }
}
