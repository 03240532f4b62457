package org.trackerd.engine.site;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The updates a Gazelle site pushes to its tracker (Ocelot's {@code /<secret>/update?action=...}), applied to the
 * {@link SiteState} at once. Parameter values arrive percent-decoded as ISO-8859-1 strings, so binary infohashes
 * and peer ids keep their bytes.
 *
 * <table>
 *   <caption>actions</caption>
 *   <tr><td>add_torrent</td><td>id, info_hash, freetorrent (0, 1, 2)</td></tr>
 *   <tr><td>update_torrent</td><td>info_hash, freetorrent</td></tr>
 *   <tr><td>delete_torrent</td><td>info_hash</td></tr>
 *   <tr><td>add_user</td><td>id, passkey (can_leech, default 1)</td></tr>
 *   <tr><td>update_user</td><td>passkey, can_leech (0 or 1) and/or enabled (0 or 1)</td></tr>
 *   <tr><td>remove_user</td><td>passkey</td></tr>
 *   <tr><td>change_passkey</td><td>oldpasskey, newpasskey</td></tr>
 *   <tr><td>add_token / remove_token</td><td>info_hash, userid</td></tr>
 *   <tr><td>add_whitelist / remove_whitelist</td><td>peer_id (a client prefix)</td></tr>
 *   <tr><td>edit_whitelist</td><td>old_peer_id, new_peer_id</td></tr>
 *   <tr><td>reload</td><td>(a full reload from the database, in the background)</td></tr>
 * </table>
 *
 * <p>Thread: any (the state's writers synchronize).
 */
public final class SiteControl
{
    public static final String SUCCESS = "success";

    private final SiteState state;
    private final Runnable reload;

    public SiteControl(final SiteState state, final Runnable reload)
    {
        this.state = state;
        this.reload = reload;
    }

    /** Applies one update; returns {@link #SUCCESS} or what was wrong with it. */
    public String apply(final Map<String, String> p)
    {
        final String action = p.getOrDefault("action", "");
        try
        {
            switch (action)
            {
                case "add_torrent" -> state.putTorrent(hash(p, "info_hash"), integer(p, "id"), free(p));
                case "update_torrent", "update_torrents" ->
                {
                    if (!state.updateTorrent(hash(p, "info_hash"), free(p)))
                    {
                        return "unknown torrent";
                    }
                }
                case "delete_torrent" ->
                {
                    if (!state.removeTorrent(hash(p, "info_hash")))
                    {
                        return "unknown torrent";
                    }
                }
                case "add_user" -> state.putUser(passkey(p, "passkey"), integer(p, "id"),
                    !"0".equals(p.getOrDefault("can_leech", "1")), !"0".equals(p.getOrDefault("enabled", "1")));
                case "update_user" ->
                {
                    final Boolean canLeech = p.containsKey("can_leech") ? !"0".equals(p.get("can_leech")) : null;
                    final Boolean enabled = p.containsKey("enabled") ? !"0".equals(p.get("enabled")) : null;
                    if (!state.updateUser(passkey(p, "passkey"), canLeech, enabled))
                    {
                        return "unknown passkey";
                    }
                }
                case "remove_user" ->
                {
                    if (!state.removeUser(passkey(p, "passkey")))
                    {
                        return "unknown passkey";
                    }
                }
                case "change_passkey" ->
                {
                    if (!state.changePasskey(passkey(p, "oldpasskey"), passkey(p, "newpasskey")))
                    {
                        return "unknown passkey";
                    }
                }
                case "add_token", "remove_token" ->
                {
                    if (!state.setToken(hash(p, "info_hash"), integer(p, "userid"), "add_token".equals(action)))
                    {
                        return "unknown torrent";
                    }
                }
                case "add_whitelist" -> state.addWhitelist(prefix(p, "peer_id"));
                case "remove_whitelist" ->
                {
                    if (!state.removeWhitelist(prefix(p, "peer_id")))
                    {
                        return "unknown client";
                    }
                }
                case "edit_whitelist" ->
                {
                    state.removeWhitelist(prefix(p, "old_peer_id"));
                    state.addWhitelist(prefix(p, "new_peer_id"));
                }
                case "reload" -> reload.run();
                default ->
                {
                    return "unknown action";
                }
            }
            return SUCCESS;
        }
        catch (final IllegalArgumentException ex)
        {
            return ex.getMessage();
        }
    }

    private static String required(final Map<String, String> p, final String name)
    {
        final String v = p.get(name);
        if (v == null || v.isEmpty())
        {
            throw new IllegalArgumentException("missing " + name);
        }
        return v;
    }

    private static byte[] hash(final Map<String, String> p, final String name)
    {
        final byte[] b = required(p, name).getBytes(StandardCharsets.ISO_8859_1);
        if (b.length != 20)
        {
            throw new IllegalArgumentException("invalid " + name);
        }
        return b;
    }

    private static String passkey(final Map<String, String> p, final String name)
    {
        final String v = required(p, name);
        if (v.length() != 32)
        {
            throw new IllegalArgumentException("invalid " + name);
        }
        return v;
    }

    private static int integer(final Map<String, String> p, final String name)
    {
        try
        {
            return Integer.parseInt(required(p, name));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("invalid " + name);
        }
    }

    private static int free(final Map<String, String> p)
    {
        final String v = p.getOrDefault("freetorrent", "0");
        if (!("0".equals(v) || "1".equals(v) || "2".equals(v)))
        {
            throw new IllegalArgumentException("invalid freetorrent");
        }
        return v.charAt(0) - '0';
    }

    private static byte[] prefix(final Map<String, String> p, final String name)
    {
        final byte[] b = required(p, name).getBytes(StandardCharsets.ISO_8859_1);
        if (b.length > 20)
        {
            throw new IllegalArgumentException("invalid " + name);
        }
        return b;
    }
}
