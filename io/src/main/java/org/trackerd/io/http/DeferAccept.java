package org.trackerd.io.http;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.ServerSocketChannel;

/**
 * Linux {@code TCP_DEFER_ACCEPT} on a listening socket: the kernel completes the handshake but queues the
 * connection for {@code accept} only once the client's first bytes (its request) have arrived, or after the given
 * seconds. A tracker then reads every accepted connection's request at once, without a round through the selector.
 *
 * <p>The JDK has no socket option for it, so it goes through the JDK's own {@code setsockopt} entry point
 * ({@code sun.nio.ch.Net.setIntOption0}), reached once with a private lookup; that needs
 * {@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED}. Where it cannot be reached (not opened, another JDK,
 * another OS), {@link #apply} says so and nothing changes.
 */
final class DeferAccept
{
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_DEFER_ACCEPT = 9;
    private static final MethodHandle SET_INT_OPTION;
    private static final MethodHandle GET_FD;
    /** Why the handles are missing; null when they are there. */
    static final String UNAVAILABLE;

    static
    {
        MethodHandle set = null;
        MethodHandle fd = null;
        String why = null;
        if (!System.getProperty("os.name", "").startsWith("Linux"))
        {
            why = "not Linux";
        }
        else
        {
            try
            {
                final Class<?> net = Class.forName("sun.nio.ch.Net");
                set = MethodHandles.privateLookupIn(net, MethodHandles.lookup()).findStatic(net, "setIntOption0",
                    MethodType.methodType(void.class, FileDescriptor.class, boolean.class, int.class, int.class,
                        int.class, boolean.class));
                final Class<?> server = Class.forName("sun.nio.ch.ServerSocketChannelImpl");
                fd = MethodHandles.privateLookupIn(server, MethodHandles.lookup()).findVirtual(server, "getFD",
                    MethodType.methodType(FileDescriptor.class));
            }
            catch (final ReflectiveOperationException | RuntimeException ex)
            {
                set = null;
                fd = null;
                why = ex.toString();
            }
        }
        SET_INT_OPTION = set;
        GET_FD = fd;
        UNAVAILABLE = why;
    }

    private DeferAccept()
    {
    }

    /**
     * Sets the option on a listening socket.
     *
     * @return null when set, else why not
     */
    static String apply(final ServerSocketChannel server, final int seconds)
    {
        if (SET_INT_OPTION == null)
        {
            return UNAVAILABLE;
        }
        try
        {
            final FileDescriptor fd = (FileDescriptor)GET_FD.invoke(server);
            SET_INT_OPTION.invoke(fd, false, IPPROTO_TCP, TCP_DEFER_ACCEPT, seconds, false);
            return null;
        }
        catch (final Throwable ex)
        {
            return ex.toString();
        }
    }
}
