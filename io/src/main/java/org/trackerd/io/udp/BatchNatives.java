package org.trackerd.io.udp;

import com.sun.jna.Native;
import com.sun.jna.Platform;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Linux's {@code recvmmsg(2)} and {@code sendmmsg(2)}: many datagrams per system call, where the JDK offers one
 * ({@link DatagramNatives}). They are bound from the C library with JNA's direct mapping (a registered native method,
 * about 60 ns per call on this project's machine, paid once per batch) and take raw addresses of
 * {@code struct mmsghdr} arrays laid out by {@link DatagramBatch}; nothing is allocated per call.
 *
 * <p>The descriptor's number comes from the JDK's own {@code sun.nio.ch.IOUtil.fdVal}, so this path needs what
 * {@link DatagramNatives} needs ({@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED}, Linux) plus JNA's native
 * stub, which JNA unpacks into {@code jna.tmpdir} (default: {@code ~/.cache/JNA/temp}) at first use. When any of
 * that is missing, {@link #available()} is false, {@link #unavailableReason()} says why, and the frontend sends and
 * receives one datagram per call.
 *
 * <p>Thread: any; a socket's own thread is the only one that calls these on it.
 */
final class BatchNatives
{
    /** {@code MSG_DONTWAIT}: return at once when nothing is queued. */
    static final int MSG_DONTWAIT = 0x40;
    /** {@code MSG_TRUNC} in {@code msg_flags}: the datagram was longer than its buffer. */
    static final int MSG_TRUNC = 0x20;

    private static final MethodHandle FD_VAL;
    private static final String UNAVAILABLE_REASON;

    static
    {
        MethodHandle fdVal = null;
        String reason = null;
        try
        {
            if (!System.getProperty("os.name", "").startsWith("Linux"))
            {
                throw new UnsupportedOperationException("not Linux (struct mmsghdr layout)");
            }
            if (!DatagramNatives.available())
            {
                throw new UnsupportedOperationException("JDK datagram natives unavailable: " +
                    DatagramNatives.unavailableReason());
            }
            final Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil");
            fdVal = MethodHandles.privateLookupIn(ioUtil, MethodHandles.lookup())
                .findStatic(ioUtil, "fdVal", MethodType.methodType(int.class, FileDescriptor.class));
            Native.register(BatchNatives.class, Platform.C_LIBRARY_NAME);
        }
        catch (final Exception | LinkageError ex)
        {
            fdVal = null;
            reason = ex.getClass().getSimpleName() + ": " + ex.getMessage();
        }
        FD_VAL = fdVal;
        UNAVAILABLE_REASON = reason;
    }

    private BatchNatives()
    {
    }

    /** True when both calls are bound and descriptors can be read. */
    static boolean available()
    {
        return FD_VAL != null;
    }

    /** Why {@link #available()} is false, or null. */
    static String unavailableReason()
    {
        return UNAVAILABLE_REASON;
    }

    /** The descriptor's number, or -1 when it cannot be read. */
    static int fdVal(final FileDescriptor fd)
    {
        if (FD_VAL == null || fd == null)
        {
            return -1;
        }
        try
        {
            return (int)FD_VAL.invokeExact(fd);
        }
        catch (final Throwable ex)
        {
            return -1;
        }
    }

    /**
     * {@code int recvmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout)}
     * with no timeout: datagrams received, or -1 (nothing queued, or an error).
     */
    static native int recvmmsg(int fd, long messages, int count, int flags, long timeout);

    /**
     * {@code int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags)}: datagrams sent from the
     * first, or -1 when the first could not be sent.
     */
    static native int sendmmsg(int fd, long messages, int count, int flags);
}
