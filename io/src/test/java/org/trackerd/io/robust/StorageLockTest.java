package org.trackerd.io.robust;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.trackerd.io.e2e.Announce;
import org.trackerd.io.e2e.RawHttpClient;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.e2e.TrackerProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One tracker per storage directory: while a trackerd process holds {@code storage.path}, a second one started on
 * it is refused before it touches the store (no clean-shutdown marker written for it, the first goes on
 * answering); once the first has died (the lock is the kernel's: a kill -9 frees it), the second starts with the
 * first one's swarms.
 */
@Timeout(120)
class StorageLockTest
{
    @TempDir
    Path dir;

    private TrackerProcess child;
    private TrackerHarness second;

    @AfterEach
    void stop() throws Exception
    {
        if (second != null)
        {
            second.close();
        }
        if (child != null)
        {
            child.close();
        }
    }

    @Test
    void aSecondTrackerOnTheSameDirectoryIsRefusedUntilTheFirstIsGone() throws Exception
    {
        final TrackerHarness first = new TrackerHarness(dir);
        child = TrackerProcess.start(first.writeConfig(), dir);
        final int port = child.awaitReady(60, TimeUnit.SECONDS);
        final byte[] hash = Announce.hash("storage-lock");
        try (RawHttpClient client = new RawHttpClient(port))
        {
            assertEquals(200, client.exchange(Announce.leecher(hash, Announce.peerId(1), 6881).event("started")
                .target()).status);
        }

        second = new TrackerHarness(dir.resolve("second")).set("storage", "path",
            "\"" + first.storagePath() + "\"");
        final IOException refused = assertThrows(IOException.class, second::start);
        assertTrue(refused.getMessage().contains("is in use by another trackerd"), refused::getMessage);
        assertTrue(refused.getMessage().contains(first.storagePath().toString()), refused::getMessage);
        assertFalse(Files.exists(first.storagePath().resolve("clean-shutdown")), "the refused start closed nothing");
        try (RawHttpClient client = new RawHttpClient(port))
        {
            assertEquals(200, client.exchange(Announce.leecher(hash, Announce.peerId(1), 6881).target()).status,
                "the first tracker still answers");
        }

        child.kill9(30, TimeUnit.SECONDS);
        child = null;
        second.start();
        try (RawHttpClient client = second.connect())
        {
            final RawHttpClient.Response r = client.exchange(Announce.leecher(hash, Announce.peerId(2), 6882)
                .event("started").target());
            assertEquals(200, r.status);
            assertEquals(2L, r.bencoded().get("incomplete"), "the second tracker has the first one's peer too");
        }
    }
}
