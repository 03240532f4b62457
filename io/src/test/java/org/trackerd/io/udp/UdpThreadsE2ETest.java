package org.trackerd.io.udp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.io.Tracker;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Two UDP threads sharing one port through SO_REUSEPORT, with a random secret (none configured). */
class UdpThreadsE2ETest
{
    @TempDir
    Path dataDir;

    @Test
    void severalThreadsShareThePortAndServeOneSwarm() throws Exception
    {
        final String json = """
            {
              "http": { "listen": [] },
              "udp": { "listen": ["127.0.0.1:0"], "threads": 2 },
              "storage": { "path": "%s", "max_torrents": 1000, "max_peers": 10000 }
            }
            """.formatted(dataDir.toString().replace("\\", "\\\\"));
        try (Tracker tracker = new Tracker(TrackerConfig.parse(json)).start())
        {
            assertEquals(1, tracker.udpAddresses().size());
            final byte[] hash = new byte[20];
            hash[0] = 0x42;
            final int clients = 6;
            final UdpTrackerE2ETest.Client[] c = new UdpTrackerE2ETest.Client[clients];
            try
            {
                for (int i = 0; i < clients; i++)
                {
                    c[i] = new UdpTrackerE2ETest.Client(tracker.udpAddresses().get(0));
                    final byte[] peerId = String.format("-MT0001-%012d", i).getBytes();
                    final AnnounceResponseFlyweight a = c[i].announce(c[i].connect(), hash, peerId, 8000 + i, 1, 2,
                        null);
                    assertEquals(i + 1, a.leechers(), "whichever thread took it, the swarm is one");
                }
            }
            finally
            {
                for (final UdpTrackerE2ETest.Client client : c)
                {
                    if (client != null)
                    {
                        client.close();
                    }
                }
            }
        }
    }
}
