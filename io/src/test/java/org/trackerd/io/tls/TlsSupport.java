package org.trackerd.io.tls;

import org.agrona.concurrent.status.CountersReader;
import org.trackerd.io.Tracker;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Shared bits of the TLS tests: a harness with TLS listeners, TLS clients, counters, bounded waits, processes. */
final class TlsSupport
{
    private TlsSupport()
    {
    }

    /** A harness serving plain HTTP on 127.0.0.1 and HTTPS on 127.0.0.1 and ::1 with {@code pair}. */
    static TrackerHarness harness(final Path dir, final TestCa.Pair pair)
    {
        return new TrackerHarness(dir)
            .set("tls", "listen", "[\"127.0.0.1:0\", \"[::1]:0\"]")
            .set("tls", "certificate_chain_file", quote(pair.chain().toString()))
            .set("tls", "private_key_file", quote(pair.key().toString()));
    }

    static String quote(final String s)
    {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static int tlsPort(final Tracker tracker, final int index)
    {
        return tracker.tlsAddresses().get(index).getPort();
    }

    /** A TLS connection to the tracker, handshake done, as a raw HTTP client. */
    static RawHttpClient connect(final SSLContext context, final String host, final int port) throws IOException
    {
        final SSLSocket socket = (SSLSocket)context.getSocketFactory().createSocket();
        socket.connect(new InetSocketAddress(host, port), RawHttpClient.READ_TIMEOUT_MS);
        socket.setSoTimeout(RawHttpClient.READ_TIMEOUT_MS);
        socket.startHandshake();
        return new RawHttpClient(socket);
    }

    /** The sum of every counter named {@code name} (all threads). */
    static long counter(final Tracker tracker, final String name)
    {
        final CountersReader reader = tracker.counters();
        final long[] sum = {0};
        reader.forEach((id, type, key, label) ->
        {
            if (label.equals(name) || label.startsWith(name + "{"))
            {
                sum[0] += reader.getCounterValue(id);
            }
        });
        return sum[0];
    }

    /** Polls {@code condition} every 20 ms for at most {@code timeoutMs}; true if it held in time. */
    static boolean await(final long timeoutMs, final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Runs a command to its end (bounded) and returns its exit code and output (stdout and stderr together). */
    static Result run(final byte[] stdin, final long timeoutMs, final String... command) throws Exception
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            p.getOutputStream().write(stdin);
            p.getOutputStream().close();
        }
        catch (final IOException ignored)
        {
            // the command ended before reading it all
        }
        final byte[][] out = new byte[1][];
        final Thread reader = new Thread(() ->
        {
            try
            {
                out[0] = p.getInputStream().readAllBytes();
            }
            catch (final IOException ex)
            {
                out[0] = new byte[0];
            }
        });
        reader.start();
        if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            p.destroyForcibly();
        }
        reader.join(5_000);
        return new Result(p.isAlive() ? -1 : p.exitValue(),
            out[0] == null ? "" : new String(out[0], StandardCharsets.ISO_8859_1));
    }

    record Result(int exit, String output)
    {
    }

    static List<String> list(final String... parts)
    {
        return new ArrayList<>(List.of(parts));
    }
}
