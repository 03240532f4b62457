package org.trackerd.engine.site;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A full reload racing site-control updates: the updates that landed while it read the database stay. */
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
}
