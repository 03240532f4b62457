package org.trackerd.engine.site;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A full reload racing site-control updates: the updates that landed while it read the database stay, and an
 * update never waits for the reload.
 */
class SiteStateTest
{
    static final String ALICE = "a".repeat(32);
    static final String DAVE = "d".repeat(32);
    static final byte[] HASH = "0123456789abcdefghij".getBytes(StandardCharsets.ISO_8859_1);

    /** The database as the load read it: before the site wrote the changes it then pushed. */
    static SiteData snapshot()
    {
        return new SiteData(List.of(new SiteData.User(1, ALICE, true, true)),
            List.of(new SiteData.Torrent(10, HASH, 0, 0)), List.of(), List.of());
    }

    @Test
    void aReloadDoesNotUndoControlChangesThatArrivedWhileItLoaded()
    {
        final SiteState state = new SiteState();
        state.replace(snapshot());
        final SiteControl control = new SiteControl(state, () ->
        {
        });
        final String hash = new String(HASH, StandardCharsets.ISO_8859_1);

        state.beginLoad();
        // ... the load reads the database here; meanwhile the site pushes:
        assertEquals(SiteControl.SUCCESS, control.apply(Map.of("action", "add_user", "id", "4", "passkey", DAVE)));
        assertEquals(SiteControl.SUCCESS, control.apply(Map.of("action", "update_user", "passkey", ALICE, "can_leech", "0")));
        assertEquals(SiteControl.SUCCESS, control.apply(Map.of("action", "update_torrent", "info_hash", hash, "freetorrent", "1")));
        assertEquals(SiteControl.SUCCESS, control.apply(Map.of("action", "add_token", "info_hash", hash, "userid", "1")));
        assertEquals(SiteControl.SUCCESS, control.apply(Map.of("action", "add_whitelist", "peer_id", "-TR")));
        state.replace(snapshot());

        assertNotNull(state.userByPasskey(DAVE), "a user added during the load");
        assertFalse(state.userByPasskey(ALICE).canLeech, "a right changed during the load");
        assertEquals(SiteState.Torrent.FREELEECH, state.torrentByHash(HASH).freeTorrent);
        assertTrue(state.torrentByHash(HASH).hasToken(1));
        assertFalse(state.clientAllowed("-XX0000-000000000000".getBytes(StandardCharsets.ISO_8859_1)));

        // The next load, with nothing pushed meanwhile, takes the database as it is.
        state.beginLoad();
        state.replace(snapshot());
        assertNull(state.userByPasskey(DAVE));
        assertTrue(state.userByPasskey(ALICE).canLeech);

        // A removal during a load stays removed; a failed load forgets what it remembered.
        state.beginLoad();
        assertEquals(SiteControl.SUCCESS, control.apply(Map.of("action", "remove_user", "passkey", ALICE)));
        state.replace(snapshot());
        assertNull(state.userByPasskey(ALICE));
        state.beginLoad();
        control.apply(Map.of("action", "add_user", "id", "4", "passkey", DAVE));
        state.abortLoad();
        state.replace(snapshot());
        assertNull(state.userByPasskey(DAVE));
    }

    /**
     * A database that answers a load only when let, with user rows that arrive only when let (a result set still
     * streaming in): the reload is held in the middle of reading and in the middle of building its maps.
     */
    static final class SlowDatabase implements SiteBackend
    {
        final CountDownLatch reading = new CountDownLatch(1);
        final CountDownLatch answer = new CountDownLatch(1);
        final CountDownLatch building = new CountDownLatch(1);
        final CountDownLatch rows = new CountDownLatch(1);

        @Override
        public SiteData load() throws InterruptedException
        {
            reading.countDown();
            assertTrue(answer.await(30, TimeUnit.SECONDS));
            final List<SiteData.User> users = new AbstractList<>()
            {
                @Override
                public SiteData.User get(final int index)
                {
                    building.countDown();
                    try
                    {
                        assertTrue(rows.await(30, TimeUnit.SECONDS));
                    }
                    catch (final InterruptedException ex)
                    {
                        throw new IllegalStateException(ex);
                    }
                    return snapshot().users().get(index);
                }

                @Override
                public int size()
                {
                    return 1;
                }
            };
            final SiteData data = snapshot();
            return new SiteData(users, data.torrents(), data.whitelist(), data.tokens());
        }

        @Override
        public boolean write(final DeltaBatch batch)
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean ping()
        {
            return true;
        }

        @Override
        public void close()
        {
        }
    }

    @Test
    void aSiteControlWriteDoesNotWaitForASlowReload() throws Exception
    {
        final SiteState state = new SiteState();
        state.replace(snapshot());
        final SiteControl control = new SiteControl(state, () ->
        {
        });
        final SlowDatabase db = new SlowDatabase();
        final ExecutorService reloader = Executors.newSingleThreadExecutor();
        final ExecutorService frontend = Executors.newSingleThreadExecutor();
        try
        {
            // What PrivateTracker.reload does on its own thread.
            final Future<?> reload = reloader.submit(() ->
            {
                state.beginLoad();
                state.replace(db.load());
                return null;
            });
            assertTrue(db.reading.await(30, TimeUnit.SECONDS));
            final Future<String> whileReading = frontend.submit(() ->
                control.apply(Map.of("action", "add_user", "id", "4", "passkey", DAVE)));
            assertEquals(SiteControl.SUCCESS, whileReading.get(10, TimeUnit.SECONDS),
                "a write while the reload reads the database");
            db.answer.countDown();

            assertTrue(db.building.await(30, TimeUnit.SECONDS));
            final Future<String> whileBuilding = frontend.submit(() ->
                control.apply(Map.of("action", "update_user", "passkey", ALICE, "can_leech", "0")));
            assertEquals(SiteControl.SUCCESS, whileBuilding.get(10, TimeUnit.SECONDS),
                "a write while the reload builds its maps");
            assertFalse(reload.isDone());

            db.rows.countDown();
            reload.get(30, TimeUnit.SECONDS);
            assertNotNull(state.userByPasskey(DAVE), "the write made while it read survives the reload");
            assertFalse(state.userByPasskey(ALICE).canLeech, "the write made while it built survives the reload");
        }
        finally
        {
            db.answer.countDown();
            db.rows.countDown();
            reloader.shutdownNow();
            frontend.shutdownNow();
        }
    }
}
