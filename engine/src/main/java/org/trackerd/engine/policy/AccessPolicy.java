package org.trackerd.engine.policy;

import org.trackerd.engine.config.TrackerConfig;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One immutable snapshot of the access rules: torrent allow/deny list, client allow/deny list and JWT validation.
 * A reload builds a new snapshot and swaps it in through {@link PolicyHolder}; a request reads the holder once
 * and checks everything against that one snapshot, so it sees the old rules or the new ones, never a mix.
 * Each snapshot has its own {@link #generation}, which keys the per-thread token caches: a reload (new keys,
 * new issuer) invalidates every cached approval at once.
 *
 * <p>Thread: immutable; any thread.
 */
public final class AccessPolicy
{
    public static final int MODE_OFF = 0;
    public static final int MODE_ALLOW = 1;
    public static final int MODE_DENY = 2;

    private static final AtomicLong GENERATIONS = new AtomicLong();
    private static final AccessPolicy ALLOW_ALL =
        new AccessPolicy(MODE_OFF, InfoHashSet.empty(), MODE_OFF, ClientIdSet.empty(), null);

    private final long generation = GENERATIONS.incrementAndGet();
    private final int torrentMode;
    private final InfoHashSet torrents;
    private final int clientMode;
    private final ClientIdSet clients;
    private final JwtValidator jwt;
    private final boolean enabled;

    /**
     * Builds a snapshot from the config, reading its list files and its JWKS file (through {@code keySource});
     * {@code urlKeys} are the keys last fetched from the JWKS URL (null: none yet).
     */
    public static AccessPolicy build(final TrackerConfig.Access c, final KeySource keySource, final JwtKeys urlKeys)
        throws PolicyException
    {
        final int torrentMode = AccessPolicy.mode(c.torrentListMode);
        final int clientMode = AccessPolicy.mode(c.clientListMode);
        final InfoHashSet torrents = torrentMode == AccessPolicy.MODE_OFF ? InfoHashSet.empty() :
            ListFiles.readTorrents(c.torrentListFile);
        final ClientIdSet clients = clientMode == AccessPolicy.MODE_OFF ? ClientIdSet.empty() :
            ListFiles.readClients(c.clientListFile);
        JwtValidator jwt = null;
        if (c.jwt.enabled)
        {
            final JwtKeys keys;
            if (c.jwt.jwksFile != null)
            {
                keys = keySource.read(c.jwt.jwksFile);
            }
            else if (!c.jwt.jwksUrl.isEmpty())
            {
                keys = urlKeys == null ? JwtKeys.empty() : urlKeys;
            }
            else
            {
                keys = null;
            }
            jwt = new JwtValidator(c.jwt.hs256Secret, keys, c.jwt.issuer, c.jwt.audience, c.jwt.leewaySeconds,
                c.jwt.requireForScrape);
        }
        return new AccessPolicy(torrentMode, torrents, clientMode, clients, jwt);
    }

    /**
     * @param jwt null when JWT approval is off
     */
    public AccessPolicy(final int torrentMode, final InfoHashSet torrents, final int clientMode,
        final ClientIdSet clients, final JwtValidator jwt)
    {
        this.torrentMode = torrentMode;
        this.torrents = torrents;
        this.clientMode = clientMode;
        this.clients = clients;
        this.jwt = jwt;
        this.enabled = torrentMode != MODE_OFF || clientMode != MODE_OFF || jwt != null;
    }

    /** The policy of a tracker without access control. */
    public static AccessPolicy allowAll()
    {
        return ALLOW_ALL;
    }

    public static int mode(final String text)
    {
        return switch (text)
        {
            case "allow" -> MODE_ALLOW;
            case "deny" -> MODE_DENY;
            default -> MODE_OFF;
        };
    }

    public long generation()
    {
        return generation;
    }

    /** False when every check is off: the frontends then skip the policy altogether. */
    public boolean enabled()
    {
        return enabled;
    }

    /** Null when JWT approval is off. */
    public JwtValidator jwt()
    {
        return jwt;
    }

    public InfoHashSet torrents()
    {
        return torrents;
    }

    public ClientIdSet clients()
    {
        return clients;
    }

    public Reason checkTorrent(final byte[] hash, final int offset)
    {
        return switch (torrentMode)
        {
            case MODE_ALLOW -> torrents.contains(hash, offset) ? Reason.ALLOWED : Reason.TORRENT_NOT_ALLOWED;
            case MODE_DENY -> torrents.contains(hash, offset) ? Reason.TORRENT_BANNED : Reason.ALLOWED;
            default -> Reason.ALLOWED;
        };
    }

    public Reason checkClient(final byte[] peerId, final int offset)
    {
        return switch (clientMode)
        {
            case MODE_ALLOW -> clients.matches(peerId, offset) ? Reason.ALLOWED : Reason.CLIENT_NOT_ALLOWED;
            case MODE_DENY -> clients.matches(peerId, offset) ? Reason.CLIENT_BANNED : Reason.ALLOWED;
            default -> Reason.ALLOWED;
        };
    }

    @Override
    public String toString()
    {
        return "AccessPolicy{generation=" + generation + ", torrents=" + modeName(torrentMode) + "(" + torrents.size() +
            "), clients=" + modeName(clientMode) + "(" + clients.size() + "), jwt=" + (jwt == null ? "off" : "on") + "}";
    }

    private static String modeName(final int mode)
    {
        return mode == MODE_ALLOW ? "allow" : mode == MODE_DENY ? "deny" : "off";
    }
}
