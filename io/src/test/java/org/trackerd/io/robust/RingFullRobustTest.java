package org.trackerd.io.robust;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.BencodeTestDecoder;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.udp.UdpProtocol;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.trackerd.io.robust.RobustSupport.await;
import static org.trackerd.io.robust.RobustSupport.counter;

/**
 * The smallest rings (64 slots) and bursts over HTTP and UDP at once: HTTP clients past the budget get
 * {@code failure reason} with BEP 31 {@code retry in}, UDP requests are dropped, both are counted, every other
 * request is answered properly, and the tracker serves normally once the burst is over. UDP bursts into two sockets
 * at once: a cycle takes at most one batch (64) from each and answers them before the next, so one socket alone
 * can never overfill a 64-slot ring.
 */
@Timeout(60)
class RingFullRobustTest
{
    private static final int CONNECTIONS = 300;

    @TempDir
    Path dir;

    private TrackerHarness harness;
    private final List<RawHttpClient> clients = new ArrayList<>();

    @AfterEach
    void stop() throws IOException
    {
        for (final RawHttpClient c : clients)
        {
            c.close();
        }
        if (harness != null)
        {
            harness.close();
        }
    }

    @Test
    void burstGetsBusyAnswersOrDropsAndTheTrackerRecovers() throws Exception
    {
        harness = new TrackerHarness(dir)
            .set("engine", "request_ring_size", "64").set("engine", "response_ring_size", "64")
            .set("udp", "listen", "[\"127.0.0.1:0\", \"127.0.0.2:0\"]")
            .start();
        final InetSocketAddress udp = harness.tracker().udpAddresses().get(0);
        final InetSocketAddress udp2 = harness.tracker().udpAddresses().get(1);
        final byte[] hash = Announce.hash("ring-full");
        for (int i = 0; i < CONNECTIONS; i++)
        {
            clients.add(harness.connect());
        }

        long ok = 0;
        long busy = 0;
        for (int round = 0; round < 5 && busy == 0; round++)
        {
            final byte[][] requests = new byte[CONNECTIONS][];
            for (int i = 0; i < CONNECTIONS; i++)
            {
                requests[i] = RawHttpClient.get(Announce.leecher(hash, Announce.peerId(i), 10_000 + i).target())
                    .getBytes(StandardCharsets.ISO_8859_1);
            }
            for (int i = 0; i < CONNECTIONS; i++)
            {
                clients.get(i).send(requests[i]);
            }
            for (int i = 0; i < CONNECTIONS; i++)
            {
                final RawHttpClient.Response response = clients.get(i).readResponse();
                assertEquals(200, response.status);
                final Map<String, Object> body = response.bencoded();
                if (body.containsKey("failure reason"))
                {
                    assertEquals("tracker is busy, try again shortly",
                        BencodeTestDecoder.latin1((byte[])body.get("failure reason")));
                    assertEquals(1L, body.get("retry in"), "BEP 31 retry hint");
                    busy++;
                }
                else
                {
                    assertTrue(body.containsKey("peers"), body::toString);
                    ok++;
                }
            }
        }
        for (int round = 0; round < 5 && counter(harness.tracker(), "udp_dropped_busy") == 0; round++)
        {
            udpBurst(udp, udp2, hash);
        }
        System.out.println("RingFullRobustTest: http ok " + ok + ", busy " + busy + ", udp dropped busy " +
            counter(harness.tracker(), "udp_dropped_busy"));
        assertTrue(busy > 0, "some HTTP requests met a full ring");
        assertTrue(ok > 0, "the rest were served");
        assertEquals(busy, counter(harness.tracker(), "http_rejected_busy"), "every busy answer counted");
        assertTrue(counter(harness.tracker(), "udp_dropped_busy") > 0, "some UDP requests were dropped and counted");
        assertEquals(0, counter(harness.tracker(), "engine_responses_dropped"));

        // Load gone: the rings empty and every client is served again.
        assertTrue(await(5000, () -> harness.tracker().engine().requestRing().remainingCapacity() == 64));
        for (int i = 0; i < CONNECTIONS; i += 10)
        {
            final Map<String, Object> body = clients.get(i).exchange(
                Announce.leecher(hash, Announce.peerId(i), 10_000 + i).target()).bencoded();
            assertFalse(body.containsKey("failure reason"), body::toString);
        }
        try (RobustSupport.UdpClient client = new RobustSupport.UdpClient(udp, 2000))
        {
            assertEquals(UdpProtocol.ACTION_ANNOUNCE,
                client.announce(client.connect(), hash, Announce.peerId(5000), 5000, 0));
        }
    }

    /** 3000 announces to each of two sockets, sent in turn as fast as they go, answers not awaited. */
    private static void udpBurst(final InetSocketAddress udp, final InetSocketAddress udp2, final byte[] hash)
    {
        try (RobustSupport.UdpClient client = new RobustSupport.UdpClient(udp, 2000);
            RobustSupport.UdpClient client2 = new RobustSupport.UdpClient(udp2, 2000))
        {
            final long id = client.connect();
            final long id2 = client2.connect();
            for (int i = 0; i < 3000; i++)
            {
                final byte[] p = RobustSupport.UdpClient.announcePacket(id, i, hash, Announce.peerId(1000 + i % 500),
                    20_000 + i % 500, 1000, 0);
                client.send(p, p.length);
                final byte[] p2 = RobustSupport.UdpClient.announcePacket(id2, i, hash,
                    Announce.peerId(2000 + i % 500), 30_000 + i % 500, 1000, 0);
                client2.send(p2, p2.length);
            }
            client.drain();
            client2.drain();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
