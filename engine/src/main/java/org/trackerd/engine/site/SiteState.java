package org.trackerd.engine.site;

import org.agrona.collections.IntHashSet;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the tracker knows of the site: users by passkey, torrents by infohash, the client whitelist and the
 * freeleech tokens. Frontend threads read it without locks on every private announce; site-control requests and
 * the periodic full reload change it. Entries are small objects whose mutable fields are volatile, token sets and
 * the whitelist are replaced whole (copy on write), so a reader sees either the old or the new value, never a mix.
 *
 * <p>Thread: reads from any thread; writes from the site-control (frontend) threads and the reload thread, each
 * a single map operation or a synchronized copy-on-write. A full load reads the database and builds its maps
 * without the lock; a site-control change that lands meanwhile is applied again after the swap
 * ({@link #beginLoad}, {@link #replace}).
 */
public final class SiteState
{
    /** One user. */
    public static final class User
    {
        public final int id;
        public volatile boolean canLeech;
        public volatile boolean enabled;

        public User(final int id, final boolean canLeech, final boolean enabled)
        {
            this.id = id;
            this.canLeech = canLeech;
            this.enabled = enabled;
        }
    }

    /** One registered torrent. */
    public static final class Torrent
    {
        public static final int NORMAL = 0;
        public static final int FREELEECH = 1;
        public static final int NEUTRAL = 2;

        public final int id;
        public volatile int freeTorrent;
        /**
         * {@code torrents.Snatched}: loaded, then counted up by the swarm processor (its only writer) as snatches
         * are recorded, so a scrape reports it without waiting for the database.
         */
        volatile long snatched;
        /** Users holding a freeleech token on it; never changed once published, replaced on change. */
        volatile IntHashSet tokenUsers = EMPTY;

        public Torrent(final int id, final int freeTorrent)
        {
            this.id = id;
            this.freeTorrent = freeTorrent;
        }

        public boolean hasToken(final int userId)
        {
            return tokenUsers.contains(userId);
        }

        public long snatched()
        {
            return snatched;
        }

        /** Swarm processor thread only: one more snatch recorded. */
        void snatch()
        {
            snatched = snatched + 1;
        }
    }

    private static final IntHashSet EMPTY = new IntHashSet();

    private volatile ConcurrentHashMap<ByteKey, User> users = new ConcurrentHashMap<>();
    private volatile ConcurrentHashMap<ByteKey, Torrent> torrents = new ConcurrentHashMap<>();
    /** Peer-id prefixes of allowed clients; empty allows every client. */
    private volatile byte[][] whitelist = new byte[0][];

    public User user(final ByteKey passkey)
    {
        return users.get(passkey);
    }

    public Torrent torrent(final ByteKey infoHash)
    {
        return torrents.get(infoHash);
    }

    public int userCount()
    {
        return users.size();
    }

    public int torrentCount()
    {
        return torrents.size();
    }

    /** True when the whitelist is empty or a prefix of it starts {@code peerId}. */
    public boolean clientAllowed(final byte[] peerId)
    {
        final byte[][] list = whitelist;
        if (list.length == 0)
        {
            return true;
        }
        for (final byte[] prefix : list)
        {
            if (prefix.length <= peerId.length &&
                java.util.Arrays.equals(prefix, 0, prefix.length, peerId, 0, prefix.length))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Site-control changes applied since {@link #beginLoad}: the load may have read the database before the site
     * wrote them, so {@link #replace} applies them again over the loaded snapshot. Null when no load runs.
     */
    private List<java.util.function.Consumer<SiteState>> changesDuringLoad;

    /** A full load from the database starts now: remember every site-control change until {@link #replace}. */
    public synchronized void beginLoad()
    {
        changesDuringLoad = new ArrayList<>();
    }

    /** The load failed: stop remembering. */
    public synchronized void abortLoad()
    {
        changesDuringLoad = null;
    }

    private void remember(final java.util.function.Consumer<SiteState> change)
    {
        if (changesDuringLoad != null)
        {
            changesDuringLoad.add(change);
        }
    }

    /**
     * Replaces everything with a fresh load (the periodic reload); readers switch over at once. The new maps are
     * built first, without the lock, so a site-control change (on a frontend thread) never waits for a build over
     * every user and torrent: it waits at most for the swap and for the changes to be applied again. Site-control
     * changes that arrived while the load ran ({@link #beginLoad}) or while the maps were built are applied again
     * on top, in order, so a reload never undoes one (each change is idempotent, so one the load already saw does
     * no harm).
     *
     * <p>Thread: the reload thread (one load at a time).
     */
    public void replace(final SiteData data)
    {
        synchronized (this)
        {
            if (changesDuringLoad == null)
            {
                // Called without beginLoad (the first load, a test): the build below still must not lose a change.
                changesDuringLoad = new ArrayList<>();
            }
        }
        final Loaded next;
        try
        {
            next = build(data);
        }
        catch (final RuntimeException ex)
        {
            abortLoad();
            throw ex;
        }
        synchronized (this)
        {
            users = next.users;
            torrents = next.torrents;
            whitelist = next.whitelist;
            final List<java.util.function.Consumer<SiteState>> changes = changesDuringLoad;
            changesDuringLoad = null;
            for (final java.util.function.Consumer<SiteState> change : changes)
            {
                change.accept(this);
            }
        }
    }

    /** A load turned into the maps readers use, not yet published. */
    private record Loaded(ConcurrentHashMap<ByteKey, User> users, ConcurrentHashMap<ByteKey, Torrent> torrents,
        byte[][] whitelist)
    {
    }

    /** Builds the maps of a load without the lock: reads the published torrents only to keep their snatches. */
    private Loaded build(final SiteData data)
    {
        final ConcurrentHashMap<ByteKey, User> u = new ConcurrentHashMap<>(data.users().size() * 2);
        for (final SiteData.User user : data.users())
        {
            if (user.passkey() != null && user.passkey().length() == 32)
            {
                u.put(passkey(user.passkey()), new User(user.id(), user.canLeech(), user.enabled()));
            }
        }
        final ConcurrentHashMap<ByteKey, Torrent> current = torrents;
        final ConcurrentHashMap<ByteKey, Torrent> t = new ConcurrentHashMap<>(data.torrents().size() * 2);
        final org.agrona.collections.Int2ObjectHashMap<Torrent> byId = new org.agrona.collections.Int2ObjectHashMap<>();
        for (final SiteData.Torrent torrent : data.torrents())
        {
            if (torrent.infoHash() != null && torrent.infoHash().length == 20)
            {
                final Torrent entry = new Torrent(torrent.id(), torrent.freeTorrent());
                final ByteKey key = new ByteKey(torrent.infoHash());
                final Torrent old = current.get(key);
                // The database lags the snatches still on their way to it: never report fewer than already counted.
                entry.snatched = old != null && old.id == torrent.id() ?
                    Math.max(torrent.snatched(), old.snatched) : torrent.snatched();
                t.put(key, entry);
                byId.put(torrent.id(), entry);
            }
        }
        for (final SiteData.Token token : data.tokens())
        {
            final Torrent entry = byId.get(token.torrentId());
            if (entry != null)
            {
                if (entry.tokenUsers == EMPTY)
                {
                    entry.tokenUsers = new IntHashSet();
                }
                entry.tokenUsers.add(token.userId());
            }
        }
        return new Loaded(u, t, data.whitelist().toArray(new byte[0][]));
    }

    // ---- site-control changes: each takes effect for the next request ----

    public synchronized void putUser(final String passkey, final int id, final boolean canLeech, final boolean enabled)
    {
        remember(st -> st.putUser(passkey, id, canLeech, enabled));
        users.put(passkey(passkey), new User(id, canLeech, enabled));
    }

    public synchronized boolean removeUser(final String passkey)
    {
        remember(st -> st.removeUser(passkey));
        return users.remove(passkey(passkey)) != null;
    }

    public synchronized boolean changePasskey(final String oldPasskey, final String newPasskey)
    {
        remember(st -> st.changePasskey(oldPasskey, newPasskey));
        final User user = users.remove(passkey(oldPasskey));
        if (user == null)
        {
            return false;
        }
        users.put(passkey(newPasskey), user);
        return true;
    }

    public User userByPasskey(final String passkey)
    {
        return users.get(passkey(passkey));
    }

    /** Changes a user's rights (null leaves one as it is); false if the passkey is unknown. */
    public synchronized boolean updateUser(final String passkey, final Boolean canLeech, final Boolean enabled)
    {
        remember(st -> st.updateUser(passkey, canLeech, enabled));
        final User user = users.get(passkey(passkey));
        if (user == null)
        {
            return false;
        }
        if (canLeech != null)
        {
            user.canLeech = canLeech;
        }
        if (enabled != null)
        {
            user.enabled = enabled;
        }
        return true;
    }

    /** Changes a torrent's freeleech state; false if the torrent is unknown. */
    public synchronized boolean updateTorrent(final byte[] infoHash, final int freeTorrent)
    {
        remember(st -> st.updateTorrent(infoHash, freeTorrent));
        final Torrent torrent = torrents.get(new ByteKey(infoHash));
        if (torrent == null)
        {
            return false;
        }
        torrent.freeTorrent = freeTorrent;
        return true;
    }

    public synchronized void putTorrent(final byte[] infoHash, final int id, final int freeTorrent)
    {
        remember(st -> st.putTorrent(infoHash, id, freeTorrent));
        final ByteKey key = new ByteKey(infoHash);
        final Torrent old = torrents.get(key);
        if (old != null && old.id == id)
        {
            old.freeTorrent = freeTorrent;
            return;
        }
        torrents.put(key, new Torrent(id, freeTorrent));
    }

    public Torrent torrentByHash(final byte[] infoHash)
    {
        return torrents.get(new ByteKey(infoHash));
    }

    public synchronized boolean removeTorrent(final byte[] infoHash)
    {
        remember(st -> st.removeTorrent(infoHash));
        return torrents.remove(new ByteKey(infoHash)) != null;
    }

    public synchronized boolean setToken(final byte[] infoHash, final int userId, final boolean present)
    {
        remember(st -> st.setToken(infoHash, userId, present));
        final Torrent torrent = torrents.get(new ByteKey(infoHash));
        if (torrent == null)
        {
            return false;
        }
        final IntHashSet next = new IntHashSet();
        next.addAll(torrent.tokenUsers);
        if (present)
        {
            next.add(userId);
        }
        else
        {
            next.remove(userId);
        }
        torrent.tokenUsers = next;
        return true;
    }

    public synchronized void addWhitelist(final byte[] prefix)
    {
        remember(st -> st.addWhitelist(prefix));
        for (final byte[] p : whitelist)
        {
            if (java.util.Arrays.equals(p, prefix))
            {
                return;
            }
        }
        final List<byte[]> next = new ArrayList<>(List.of(whitelist));
        next.add(prefix.clone());
        whitelist = next.toArray(new byte[0][]);
    }

    public synchronized boolean removeWhitelist(final byte[] prefix)
    {
        remember(st -> st.removeWhitelist(prefix));
        final List<byte[]> next = new ArrayList<>(List.of(whitelist));
        final boolean removed = next.removeIf(p -> java.util.Arrays.equals(p, prefix));
        whitelist = next.toArray(new byte[0][]);
        return removed;
    }

    public static ByteKey passkey(final String passkey)
    {
        return new ByteKey(passkey.getBytes(StandardCharsets.ISO_8859_1));
    }
}
