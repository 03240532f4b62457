package org.trackerd.engine.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListsTest
{
    @TempDir
    Path dir;

    static byte[] hash(final int seed)
    {
        final byte[] h = new byte[20];
        new Random(seed).nextBytes(h);
        return h;
    }

    static String hex(final byte[] b)
    {
        final StringBuilder s = new StringBuilder();
        for (final byte x : b)
        {
            s.append(String.format("%02x", x & 0xFF));
        }
        return s.toString();
    }

    static byte[] peerId(final String prefix)
    {
        final byte[] id = new byte[20];
        java.util.Arrays.fill(id, (byte)'x');
        final byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(p, 0, id, 0, p.length);
        return id;
    }

    @Test
    void infoHashSetFindsExactlyWhatWasAdded()
    {
        final InfoHashSet.Builder b = new InfoHashSet.Builder();
        for (int i = 0; i < 1000; i++)
        {
            b.add(hash(i), 0);
        }
        b.add(hash(7), 0); // duplicate
        final InfoHashSet set = b.build();
        assertEquals(1000, set.size());
        for (int i = 0; i < 1000; i++)
        {
            assertTrue(set.contains(hash(i), 0), "hash " + i);
        }
        for (int i = 1000; i < 3000; i++)
        {
            assertFalse(set.contains(hash(i), 0), "hash " + i);
        }
        final byte[] nearMiss = hash(3);
        nearMiss[19] ^= 1;
        assertFalse(set.contains(nearMiss, 0));
        final byte[] shifted = new byte[25];
        System.arraycopy(hash(5), 0, shifted, 5, 20);
        assertTrue(set.contains(shifted, 5));
        assertFalse(InfoHashSet.empty().contains(hash(1), 0));
    }

    @Test
    void torrentListFileTakesHexCommentsAndBlankLines() throws Exception
    {
        final Path file = dir.resolve("torrents.txt");
        Files.writeString(file, "# allowed torrents\n\n" + hex(hash(1)) + "\n  " + hex(hash(2)).toUpperCase() +
            "   # ubuntu\n");
        final InfoHashSet set = ListFiles.readTorrents(file);
        assertEquals(2, set.size());
        assertTrue(set.contains(hash(1), 0));
        assertTrue(set.contains(hash(2), 0));
        assertFalse(set.contains(hash(3), 0));
    }

    @Test
    void badTorrentLineNamesFileAndLine() throws Exception
    {
        final Path file = dir.resolve("torrents.txt");
        Files.writeString(file, hex(hash(1)) + "\n" + "abc\n");
        final PolicyException ex = assertThrows(PolicyException.class, () -> ListFiles.readTorrents(file));
        assertTrue(ex.getMessage().contains("torrents.txt:2"), ex.getMessage());
        assertThrows(PolicyException.class, () -> ListFiles.readTorrents(dir.resolve("missing.txt")));
    }

    @Test
    void clientIdsMatchAzureusCodeVersionAndShadowFirstChar() throws Exception
    {
        final Path file = dir.resolve("clients.txt");
        Files.writeString(file, "-UT-        # any uTorrent\nTR2940      # Transmission 2.94 only\n" +
            "-qB4250-\nT           # Shadow style: BitTornado\n");
        final ClientIdSet set = ListFiles.readClients(file);
        assertEquals(4, set.size());
        assertTrue(set.matches(peerId("-UT3550-"), 0));
        assertTrue(set.matches(peerId("-UT2210-"), 0));
        assertTrue(set.matches(peerId("-TR2940-"), 0));
        assertFalse(set.matches(peerId("-TR3000-"), 0));
        assertTrue(set.matches(peerId("-qB4250-"), 0));
        assertFalse(set.matches(peerId("-qB4251-"), 0));
        assertTrue(set.matches(peerId("T03I--"), 0));
        assertFalse(set.matches(peerId("S58B----"), 0));
        // An Azureus id is never read as Shadow style: "-" is not a client.
        assertFalse(set.matches(peerId("-DE1234-"), 0));
    }

    @Test
    void badClientEntryIsRejected() throws Exception
    {
        final Path file = dir.resolve("clients.txt");
        Files.writeString(file, "-UT-\nABC\n");
        final PolicyException ex = assertThrows(PolicyException.class, () -> ListFiles.readClients(file));
        assertTrue(ex.getMessage().contains("clients.txt:2"), ex.getMessage());
    }

    @Test
    void policyModes()
    {
        final InfoHashSet torrents = new InfoHashSet.Builder().add(hash(1), 0).build();
        final ClientIdSet.Builder cb = new ClientIdSet.Builder();
        cb.add("UT");
        final ClientIdSet clients = cb.build();

        final AccessPolicy allow = new AccessPolicy(AccessPolicy.MODE_ALLOW, torrents, AccessPolicy.MODE_ALLOW,
            clients, null);
        assertEquals(Reason.ALLOWED, allow.checkTorrent(hash(1), 0));
        assertEquals(Reason.TORRENT_NOT_ALLOWED, allow.checkTorrent(hash(2), 0));
        assertEquals(Reason.ALLOWED, allow.checkClient(peerId("-UT3550-"), 0));
        assertEquals(Reason.CLIENT_NOT_ALLOWED, allow.checkClient(peerId("-TR3000-"), 0));

        final AccessPolicy deny = new AccessPolicy(AccessPolicy.MODE_DENY, torrents, AccessPolicy.MODE_DENY,
            clients, null);
        assertEquals(Reason.TORRENT_BANNED, deny.checkTorrent(hash(1), 0));
        assertEquals(Reason.ALLOWED, deny.checkTorrent(hash(2), 0));
        assertEquals(Reason.CLIENT_BANNED, deny.checkClient(peerId("-UT3550-"), 0));
        assertEquals(Reason.ALLOWED, deny.checkClient(peerId("-TR3000-"), 0));

        assertFalse(AccessPolicy.allowAll().enabled());
        assertTrue(allow.enabled());
        assertTrue(deny.generation() != allow.generation());
    }
}
