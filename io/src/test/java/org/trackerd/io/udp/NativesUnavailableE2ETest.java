package org.trackerd.io.udp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerProcess;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tracker JVM started without {@code --add-opens=java.base/sun.nio.ch} (only exported, as before the native paths)
 * cannot reach the JDK's datagram and TCP natives: it says so once at start, serves UDP through the
 * {@link DatagramChannel} API and accepts HTTP connections through the channel API.
 */
class NativesUnavailableE2ETest
{
    private static final Pattern UDP = Pattern.compile("ready: .* udp=\\[[^\\]]*:(\\d+)\\]");
    private static final Pattern HTTP = Pattern.compile("ready: http=\\[[^\\]]*:(\\d+)\\]");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void fallsBackToTheChannelApisAndServes() throws Exception
    {
        final Path config = dir.resolve("trackerd.json");
        Files.writeString(config, "{\"http\":{\"listen\":[\"127.0.0.1:0\"]},\"udp\":{\"listen\":[\"127.0.0.1:0\"]}," +
            "\"storage\":{\"path\":\"" + dir.resolve("data") + "\",\"max_torrents\":100,\"max_peers\":1000}}");
        final List<String> flags = TrackerProcess.JVM_FLAGS.stream()
            .map(f -> f.equals("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED") ?
                "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED" : f)
            .toList();
        assertTrue(flags.contains("--add-exports=java.base/sun.nio.ch=ALL-UNNAMED"), flags::toString);
        try (TrackerProcess child = TrackerProcess.start(config, dir, flags))
        {
            child.awaitReady(45, TimeUnit.SECONDS);
            final String log = child.log();
            assertTrue(log.contains("udp io: DatagramChannel API") && log.contains("natives unavailable"), log);
            final Matcher m = UDP.matcher(log);
            assertTrue(m.find(), log);
            final InetSocketAddress server = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));

            try (DatagramChannel client = DatagramChannel.open())
            {
                client.bind(new InetSocketAddress("127.0.0.1", 0));
                client.configureBlocking(false);
                final byte[] p = new byte[16];
                new RequestHeaderFlyweight().wrap(new UnsafeBuffer(p), 0)
                    .connectionId(UdpProtocol.PROTOCOL_ID).action(UdpProtocol.ACTION_CONNECT).transactionId(0x7E57);
                client.send(ByteBuffer.wrap(p), server);
                final ByteBuffer in = ByteBuffer.allocate(64);
                Object from = null;
                final long deadline = System.currentTimeMillis() + 5000;
                while (from == null && System.currentTimeMillis() < deadline)
                {
                    from = client.receive(in);
                    if (from == null)
                    {
                        Thread.sleep(5);
                    }
                }
                assertNotNull(from, "no connect reply");
                assertEquals(16, in.position());
                final ConnectResponseFlyweight c = new ConnectResponseFlyweight().wrap(new UnsafeBuffer(in.array()), 0);
                assertEquals(UdpProtocol.ACTION_CONNECT, c.action());
                assertEquals(0x7E57, c.transactionId());
            }

            assertTrue(log.contains("http io: connections accepted through the channel API"), log);
            final Matcher h = HTTP.matcher(log);
            assertTrue(h.find(), log);
            final int httpPort = Integer.parseInt(h.group(1));
            final String announce = Announce.leecher(Announce.hash("fallback"), Announce.peerId(1), 6881).target();
            try (RawHttpClient keepAlive = new RawHttpClient(httpPort))
            {
                // Two answers on one connection: the second needs the selector (and TCP_NODELAY) after the first.
                assertEquals(200, keepAlive.exchange(announce).status);
                assertEquals(200, keepAlive.exchange(announce).status);
            }
            try (RawHttpClient closing = new RawHttpClient(httpPort))
            {
                closing.send("GET " + announce + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                assertEquals(200, closing.readResponse().status);
                assertTrue(closing.awaitClose(5000), "closed after the answer");
            }
            assertEquals(0, child.terminate(30, TimeUnit.SECONDS), child::log);
        }
    }
}
