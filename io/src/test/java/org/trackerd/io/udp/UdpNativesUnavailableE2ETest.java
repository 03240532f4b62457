package org.trackerd.io.udp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
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
 * A tracker JVM started without {@code --add-opens=java.base/sun.nio.ch} (only exported, as before the native path)
 * cannot reach the JDK's datagram natives: it says so once at start and serves UDP through the
 * {@link DatagramChannel} API.
 */
class UdpNativesUnavailableE2ETest
{
    private static final Pattern UDP = Pattern.compile("ready: .* udp=\\[[^\\]]*:(\\d+)\\]");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void fallsBackToTheDatagramChannelApiAndServes() throws Exception
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
            assertEquals(0, child.terminate(30, TimeUnit.SECONDS), child::log);
        }
    }
}
