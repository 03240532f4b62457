package org.trackerd.engine.site;

import java.util.List;

/**
 * Everything a full load from the site database gives: users, torrents, whitelisted client prefixes and active
 * freeleech tokens. Plain immutable records; built on the loading thread, then turned into a {@link SiteState}.
 */
public record SiteData(List<User> users, List<Torrent> torrents, List<byte[]> whitelist, List<Token> tokens)
{
    /** {@code users_main}: ID, torrent_pass, can_leech, Enabled = '1'. */
    public record User(int id, String passkey, boolean canLeech, boolean enabled)
    {
    }

    /** {@code torrents}: ID, info_hash, FreeTorrent ('0' normal, '1' freeleech, '2' neutral leech), Snatched. */
    public record Torrent(int id, byte[] infoHash, int freeTorrent, long snatched)
    {
    }

    /** {@code users_freeleeches}: an unexpired token of a user on a torrent. */
    public record Token(int userId, int torrentId)
    {
    }
}
