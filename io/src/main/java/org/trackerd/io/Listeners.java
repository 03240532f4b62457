package org.trackerd.io;

import org.trackerd.engine.config.HostPort;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds the listening sockets of the HTTP frontend threads ({@code http.listen} and {@code tls.listen}): one per
 * address and thread. With several threads they share the port through {@code SO_REUSEPORT}, so the kernel spreads
 * connections and no thread hands sockets to another.
 *
 * <p>Thread: the launcher's.
 */
public final class Listeners
{
    private Listeners()
    {
    }

    /**
     * @param key   the config key of the addresses, for the error message
     * @param bound receives each address as bound (an ephemeral port resolved)
     * @param hint  what a {@link BindException} adds to the message, in parentheses
     * @return per thread, its listening sockets; none are left open when it throws
     */
    public static List<List<ServerSocketChannel>> bind(final String key, final List<InetSocketAddress> listen,
        final int threads, final List<InetSocketAddress> bound, final String hint) throws IOException
    {
        final List<List<ServerSocketChannel>> perThread = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            perThread.add(new ArrayList<>());
        }
        for (int a = 0; a < listen.size(); a++)
        {
            InetSocketAddress address = listen.get(a);
            for (int t = 0; t < threads; t++)
            {
                // An IPv4 listen address gets an IPv4 socket: the kernel's IPv4 path, not IPv6 with mapped addresses.
                final ServerSocketChannel server = address.getAddress() instanceof java.net.Inet4Address ?
                    ServerSocketChannel.open(java.net.StandardProtocolFamily.INET) : ServerSocketChannel.open();
                perThread.get(t).add(server);
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                if (threads > 1)
                {
                    server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                }
                try
                {
                    server.bind(address, 4096);
                }
                catch (final BindException ex)
                {
                    closeAll(perThread);
                    throw new BindException(key + "[" + a + "] " + HostPort.format(address) + ": " +
                        ex.getMessage() + " (" + hint + ")");
                }
                if (t == 0)
                {
                    // Port 0 asks for an ephemeral port: the other threads must join the one we got.
                    address = (InetSocketAddress)server.getLocalAddress();
                    bound.add(address);
                }
            }
        }
        return perThread;
    }

    public static void closeAll(final List<List<ServerSocketChannel>> perThread)
    {
        for (final List<ServerSocketChannel> list : perThread)
        {
            for (final ServerSocketChannel s : list)
            {
                try
                {
                    s.close();
                }
                catch (final IOException ignored)
                {
                    // closing after a failed start: nothing more to do
                }
            }
        }
    }
}
