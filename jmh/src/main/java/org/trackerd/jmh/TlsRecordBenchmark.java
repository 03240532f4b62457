package org.trackerd.jmh;

import org.agrona.concurrent.status.CountersManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.tls.TlsContextHolder;
import org.trackerd.io.tls.TlsFrontend;
import org.trackerd.io.tls.TlsSession;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

/**
 * The TLS record path of a keep-alive HTTPS connection, over a real loopback socket: the client (a JDK engine in
 * the same thread) sends a qBittorrent announce in one record, the tracker's {@link TlsSession} reads and decrypts
 * it into a request buffer and encrypts and writes a 50-peer compact answer, the client reads it. The handshake is
 * done once in setup.
 *
 * <p>{@code -prof gc}'s B/op counts both ends. What the tracker's side allocates alone (its {@code read} and
 * {@code write}, measured per thread with {@code ThreadMXBean}) is printed at the end of each trial as
 * {@code server B/op}: the JDK's engine allocates per record (its cipher state), which no buffer reuse of ours
 * removes. Needs {@code openssl} on the PATH for the certificate.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TlsRecordBenchmark extends ForkedBenchmark
{
    private static final int ANSWER_BYTES = 450;

    private Path dir;
    private TlsContextHolder holder;
    private ServerSocketChannel listener;
    private SocketChannel client;
    private SocketChannel server;
    private SSLEngine clientEngine;
    private TlsSession session;
    private final ByteBuffer request = ByteBuffer.allocateDirect(1024);
    private final ByteBuffer answer = ByteBuffer.allocateDirect(ANSWER_BYTES);
    private final ByteBuffer serverIn = ByteBuffer.allocateDirect(8192);
    private final ByteBuffer clientNetOut = ByteBuffer.allocateDirect(32 * 1024);
    private final ByteBuffer clientNetIn = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer clientAppIn = ByteBuffer.allocateDirect(64 * 1024);
    private int requestLength;
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private long serverBytes;
    private long operations;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        dir = Files.createTempDirectory("trackerd-tls-bench");
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(), "-days", "2",
            "-subj", "/CN=127.0.0.1");
        final TrackerConfig config = TrackerConfig.parse("{\"tls\":{\"listen\":[\"127.0.0.1:0\"]," +
            "\"certificate_chain_file\":\"" + dir.resolve("cert.pem") + "\",\"private_key_file\":\"" +
            dir.resolve("key.pem") + "\",\"reload_check_seconds\":0,\"handshake_threads\":0},\"http\":{\"defer_accept_s\":0}}");
        final CountersManager counters = BenchCounters.of(64);
        holder = TlsContextHolder.start(config.tls, counters);
        final TlsFrontend frontend = new TlsFrontend(holder, config.tls, 0, counters, 0);

        listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = SocketChannel.open(listener.getLocalAddress());
        server = listener.accept();
        server.configureBlocking(false);
        client.configureBlocking(false);
        session = frontend.open(null, InetAddress.getLoopbackAddress(), System.nanoTime(), 0);

        clientEngine = trustingContext().createSSLEngine("127.0.0.1", 1);
        clientEngine.setUseClientMode(true);
        clientEngine.beginHandshake();
        clientNetOut.clear().limit(0);
        for (int step = 0; step < 10_000 && !(session.handshakeDone() && clientDone()); step++)
        {
            clientStep();
            session.read(server, serverIn);
        }
        if (!session.handshakeDone())
        {
            throw new IllegalStateException("handshake did not finish");
        }
        final byte[] text = HttpParseBenchmark.announceRequest(new byte[20]).getBytes(StandardCharsets.US_ASCII);
        request.put(text).flip();
        requestLength = text.length;
        for (int i = 0; i < ANSWER_BYTES; i++)
        {
            answer.put((byte)('a' + i % 26));
        }
    }

    private boolean clientDone()
    {
        final SSLEngineResult.HandshakeStatus hs = clientEngine.getHandshakeStatus();
        return hs == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING || hs == SSLEngineResult.HandshakeStatus.FINISHED;
    }

    /** One step of the client engine: run tasks, wrap and send, or read and unwrap. */
    private void clientStep() throws IOException
    {
        switch (clientEngine.getHandshakeStatus())
        {
            case NEED_TASK ->
            {
                for (Runnable t = clientEngine.getDelegatedTask(); t != null; t = clientEngine.getDelegatedTask())
                {
                    t.run();
                }
            }
            case NEED_WRAP ->
            {
                clientNetOut.clear();
                clientEngine.wrap(ByteBuffer.allocate(0), clientNetOut);
                clientNetOut.flip();
                while (clientNetOut.hasRemaining())
                {
                    client.write(clientNetOut);
                }
            }
            default ->
            {
                client.read(clientNetIn);
                clientNetIn.flip();
                clientEngine.unwrap(clientNetIn, clientAppIn);
                clientNetIn.compact();
                clientAppIn.clear();
            }
        }
    }

    /** One keep-alive exchange: request in, answer out, both through TLS records on a real socket. */
    @Benchmark
    public int exchange() throws IOException
    {
        request.position(0).limit(requestLength);
        clientNetOut.clear();
        clientEngine.wrap(request, clientNetOut);
        clientNetOut.flip();
        while (clientNetOut.hasRemaining())
        {
            client.write(clientNetOut);
        }
        serverIn.clear();
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int spin = 0; serverIn.position() < requestLength && spin < 1_000_000; spin++)
        {
            session.read(server, serverIn);
        }
        answer.clear();
        session.write(server, answer);
        serverBytes += threads.getCurrentThreadAllocatedBytes() - before;
        operations++;
        int got = 0;
        for (int spin = 0; got < ANSWER_BYTES && spin < 1_000_000; spin++)
        {
            client.read(clientNetIn);
            clientNetIn.flip();
            final SSLEngineResult r = clientEngine.unwrap(clientNetIn, clientAppIn);
            clientNetIn.compact();
            got += r.bytesProduced();
        }
        clientAppIn.clear();
        return got;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        System.out.printf("%nserver B/op (TlsSession read + write, ThreadMXBean): %.1f over %d exchanges%n",
            operations == 0 ? 0.0 : (double)serverBytes / operations, operations);
        client.close();
        server.close();
        listener.close();
        holder.close();
        for (final String f : new String[] { "key.pem", "cert.pem" })
        {
            Files.deleteIfExists(dir.resolve(f));
        }
        Files.deleteIfExists(dir);
    }

    private static SSLContext trustingContext() throws Exception
    {
        final SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, new TrustManager[] { new X509TrustManager()
        {
            @Override
            public void checkClientTrusted(final X509Certificate[] chain, final String authType)
            {
            }

            @Override
            public void checkServerTrusted(final X509Certificate[] chain, final String authType)
            {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers()
            {
                return new X509Certificate[0];
            }
        } }, null);
        return context;
    }

    private static void run(final String... command) throws Exception
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
        {
            throw new IllegalStateException(String.join(" ", command) + " failed");
        }
    }
}
