package org.trackerd.io.tls;

import org.trackerd.engine.config.HostPort;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds the {@code tls.listen} addresses for the HTTP frontend threads, as the launcher binds {@code http.listen}:
 * one listening socket per address and thread, sharing the port through {@code SO_REUSEPORT} when there are
 * several threads.
 *
 * <p>Thread: the launcher's.
 */
public final class TlsListeners
{
    private TlsListeners()
    {
    }

    /**
     * @param bound receives each address as bound (an ephemeral port resolved)
     * @return per thread, its listening sockets
     */
    public static List<List<ServerSocketChannel>> bind(final List<InetSocketAddress> listen, final int threads,
        final List<InetSocketAddress> bound) throws IOException
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
                    throw new BindException("tls.listen[" + a + "] " + HostPort.format(address) + ": " +
                        ex.getMessage() + " (another process on this port, or the same port as http.listen?)");
                }
                if (t == 0)
                {
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
