package org.trackerd.engine.site;

import org.agrona.DirectBuffer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accounting deltas merged per row, as they will be written: per user (uploaded, downloaded), per freeleech token
 * (downloaded), per torrent (seeders, leechers, snatches), per peer (its xbt_files_users row) and the snatches.
 * A batch under construction grows; once given an {@link #id} it is frozen and written as a whole or not at all,
 * and the id lets the database tell a retry of a batch it already committed.
 *
 * <p>Thread: the backend (flusher) thread only.
 */
public final class DeltaBatch
{
    /** users_main: uploaded and downloaded to add. */
    public final Map<Integer, long[]> users = new LinkedHashMap<>();
    /** users_freeleeches: (userId << 32 | torrentId) to downloaded to add. */
    public final Map<Long, long[]> tokens = new LinkedHashMap<>();
    /** torrents: seeders, leechers (latest), snatches to add, last seen with seeders (ms, 0 none). */
    public final Map<Integer, long[]> torrents = new LinkedHashMap<>();
    /** xbt_files_users: latest row per (torrent, peer id). */
    public final Map<PeerKey, Peer> peers = new LinkedHashMap<>();
    /** xbt_snatched. */
    public final List<Snatch> snatches = new ArrayList<>();
    /** Announces merged in. */
    public long deltas;
    /** 0 while growing; the batch's unique id once frozen. */
    public long id;
    /**
     * A dead letter being replayed (not journaled): older than what the tracker wrote since, so the backend applies
     * only what adds up and does not overwrite newer latest-value columns with it.
     */
    public boolean replayed;

    public record PeerKey(int torrentId, String peerId)
    {
    }

    /** One xbt_files_users row; {@code announces} adds up, the rest is the latest report. */
    public static final class Peer
    {
        public int userId;
        public boolean active;
        public boolean completed;
        public long announces;
        public long uploaded;
        public long downloaded;
        public long left;
        public String ip;
        public long timeMs;
    }

    public record Snatch(int userId, int torrentId, long timeMs, String ip)
    {
    }

    public boolean isEmpty()
    {
        return deltas == 0 && rows() == 0;
    }

    public int rows()
    {
        return users.size() + tokens.size() + torrents.size() + peers.size() + snatches.size();
    }

    /** The site tables a batch writes, in the order the backend writes them. */
    public enum Table
    {
        USERS("users_main"),
        TOKENS("users_freeleeches"),
        TORRENTS("torrents"),
        PEERS("xbt_files_users"),
        SNATCHES("xbt_snatched");

        /** The table's name in the site database. */
        public final String sqlName;

        Table(final String sqlName)
        {
            this.sqlName = sqlName;
        }
    }

    /** The rows this batch holds for one table. */
    public int rows(final Table table)
    {
        return switch (table)
        {
            case USERS -> users.size();
            case TOKENS -> tokens.size();
            case TORRENTS -> torrents.size();
            case PEERS -> peers.size();
            case SNATCHES -> snatches.size();
        };
    }

    /** The tables this batch has rows for. */
    public List<Table> tables()
    {
        final List<Table> tables = new ArrayList<>(5);
        for (final Table t : Table.values())
        {
            if (rows(t) > 0)
            {
                tables.add(t);
            }
        }
        return tables;
    }

    /**
     * This batch's rows of {@code table}, cut into pieces of at most {@code rowsPerPiece} rows each, in order. The
     * pieces share the row values (a frozen batch is never changed) and carry no id and no deltas.
     */
    public List<DeltaBatch> slices(final Table table, final int rowsPerPiece)
    {
        final List<DeltaBatch> pieces = new ArrayList<>();
        DeltaBatch piece = null;
        int n = 0;
        switch (table)
        {
            case USERS, TORRENTS ->
            {
                for (final Map.Entry<Integer, long[]> e : (table == Table.USERS ? users : torrents).entrySet())
                {
                    if (n++ % rowsPerPiece == 0)
                    {
                        pieces.add(piece = new DeltaBatch());
                    }
                    (table == Table.USERS ? piece.users : piece.torrents).put(e.getKey(), e.getValue());
                }
            }
            case TOKENS ->
            {
                for (final Map.Entry<Long, long[]> e : tokens.entrySet())
                {
                    if (n++ % rowsPerPiece == 0)
                    {
                        pieces.add(piece = new DeltaBatch());
                    }
                    piece.tokens.put(e.getKey(), e.getValue());
                }
            }
            case PEERS ->
            {
                for (final Map.Entry<PeerKey, Peer> e : peers.entrySet())
                {
                    if (n++ % rowsPerPiece == 0)
                    {
                        pieces.add(piece = new DeltaBatch());
                    }
                    piece.peers.put(e.getKey(), e.getValue());
                }
            }
            case SNATCHES ->
            {
                for (final Snatch s : snatches)
                {
                    if (n++ % rowsPerPiece == 0)
                    {
                        pieces.add(piece = new DeltaBatch());
                    }
                    piece.snatches.add(s);
                }
            }
        }
        return pieces;
    }

    /** Merges one {@link DeltaMessage}. */
    public void merge(final DirectBuffer m, final int o)
    {
        deltas++;
        final int userId = m.getInt(o + DeltaMessage.USER_ID_OFFSET);
        final int torrentId = m.getInt(o + DeltaMessage.TORRENT_ID_OFFSET);
        final long up = m.getLong(o + DeltaMessage.UP_DELTA_OFFSET);
        final long down = m.getLong(o + DeltaMessage.DOWN_DELTA_OFFSET);
        final long tokenDown = m.getLong(o + DeltaMessage.TOKEN_DOWN_OFFSET);
        final long timeMs = m.getLong(o + DeltaMessage.TIME_MS_OFFSET);
        final int flags = m.getInt(o + DeltaMessage.FLAGS_OFFSET);
        if (up != 0 || down != 0)
        {
            final long[] u = users.computeIfAbsent(userId, k -> new long[2]);
            u[0] += up;
            u[1] += down;
        }
        if (tokenDown != 0)
        {
            tokens.computeIfAbsent((long)userId << 32 | (torrentId & 0xFFFF_FFFFL), k -> new long[1])[0] += tokenDown;
        }
        final int seeders = m.getInt(o + DeltaMessage.SEEDERS_OFFSET);
        final long[] t = torrents.computeIfAbsent(torrentId, k -> new long[4]);
        t[0] = seeders;
        t[1] = m.getInt(o + DeltaMessage.LEECHERS_OFFSET);
        if (seeders > 0)
        {
            t[3] = timeMs;
        }
        final byte[] peerId = new byte[20];
        m.getBytes(o + DeltaMessage.PEER_ID_OFFSET, peerId);
        final byte[] address = new byte[16];
        m.getBytes(o + DeltaMessage.ADDRESS_OFFSET, address);
        final String ip = ipText(address);
        final Peer p = peers.computeIfAbsent(new PeerKey(torrentId, new String(peerId,
            java.nio.charset.StandardCharsets.ISO_8859_1)), k -> new Peer());
        p.userId = userId;
        p.active = (flags & DeltaMessage.FLAG_INACTIVE) == 0;
        p.announces++;
        p.uploaded = m.getLong(o + DeltaMessage.UPLOADED_OFFSET);
        p.downloaded = m.getLong(o + DeltaMessage.DOWNLOADED_OFFSET);
        p.left = m.getLong(o + DeltaMessage.LEFT_OFFSET);
        p.ip = ip;
        p.timeMs = timeMs;
        if ((flags & DeltaMessage.FLAG_COMPLETED) != 0)
        {
            p.completed = true;
            t[2]++;
            snatches.add(new Snatch(userId, torrentId, timeMs, ip));
        }
    }

    static String ipText(final byte[] a)
    {
        boolean mapped = true;
        for (int i = 0; i < 10; i++)
        {
            mapped &= a[i] == 0;
        }
        mapped &= a[10] == (byte)0xFF && a[11] == (byte)0xFF;
        try
        {
            return mapped ? (a[12] & 0xFF) + "." + (a[13] & 0xFF) + "." + (a[14] & 0xFF) + "." + (a[15] & 0xFF) :
                java.net.InetAddress.getByAddress(a).getHostAddress();
        }
        catch (final java.net.UnknownHostException ex)
        {
            return "";
        }
    }

    // ---- journal form ----

    private static final int MAGIC = 0x74644A31; // "tdJ1"

    public void writeTo(final DataOutputStream out) throws IOException
    {
        out.writeInt(MAGIC);
        out.writeLong(id);
        out.writeLong(deltas);
        out.writeInt(users.size());
        for (final Map.Entry<Integer, long[]> e : users.entrySet())
        {
            out.writeInt(e.getKey());
            out.writeLong(e.getValue()[0]);
            out.writeLong(e.getValue()[1]);
        }
        out.writeInt(tokens.size());
        for (final Map.Entry<Long, long[]> e : tokens.entrySet())
        {
            out.writeLong(e.getKey());
            out.writeLong(e.getValue()[0]);
        }
        out.writeInt(torrents.size());
        for (final Map.Entry<Integer, long[]> e : torrents.entrySet())
        {
            out.writeInt(e.getKey());
            for (final long v : e.getValue())
            {
                out.writeLong(v);
            }
        }
        out.writeInt(peers.size());
        for (final Map.Entry<PeerKey, Peer> e : peers.entrySet())
        {
            final Peer p = e.getValue();
            out.writeInt(e.getKey().torrentId());
            out.writeUTF(e.getKey().peerId());
            out.writeInt(p.userId);
            out.writeBoolean(p.active);
            out.writeBoolean(p.completed);
            out.writeLong(p.announces);
            out.writeLong(p.uploaded);
            out.writeLong(p.downloaded);
            out.writeLong(p.left);
            out.writeUTF(p.ip);
            out.writeLong(p.timeMs);
        }
        out.writeInt(snatches.size());
        for (final Snatch s : snatches)
        {
            out.writeInt(s.userId());
            out.writeInt(s.torrentId());
            out.writeLong(s.timeMs());
            out.writeUTF(s.ip());
        }
    }

    public static DeltaBatch readFrom(final DataInputStream in) throws IOException
    {
        if (in.readInt() != MAGIC)
        {
            throw new IOException("not a trackerd delta journal");
        }
        final DeltaBatch b = new DeltaBatch();
        b.id = in.readLong();
        b.deltas = in.readLong();
        for (int n = in.readInt(); n > 0; n--)
        {
            b.users.put(in.readInt(), new long[] {in.readLong(), in.readLong()});
        }
        for (int n = in.readInt(); n > 0; n--)
        {
            b.tokens.put(in.readLong(), new long[] {in.readLong()});
        }
        for (int n = in.readInt(); n > 0; n--)
        {
            b.torrents.put(in.readInt(), new long[] {in.readLong(), in.readLong(), in.readLong(), in.readLong()});
        }
        for (int n = in.readInt(); n > 0; n--)
        {
            final PeerKey key = new PeerKey(in.readInt(), in.readUTF());
            final Peer p = new Peer();
            p.userId = in.readInt();
            p.active = in.readBoolean();
            p.completed = in.readBoolean();
            p.announces = in.readLong();
            p.uploaded = in.readLong();
            p.downloaded = in.readLong();
            p.left = in.readLong();
            p.ip = in.readUTF();
            p.timeMs = in.readLong();
            b.peers.put(key, p);
        }
        for (int n = in.readInt(); n > 0; n--)
        {
            b.snatches.add(new Snatch(in.readInt(), in.readInt(), in.readLong(), in.readUTF()));
        }
        return b;
    }
}
