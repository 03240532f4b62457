package org.trackerd.engine.site;

/**
 * Layout of one announce's accounting record on the queue from the swarm processor to the backend thread
 * (native byte order, Agrona ring buffer message) and, unchanged, in the backend's {@link DeltaLog}:
 * <pre>
 *   0                   4                   8
 *   +-------------------+-------------------+
 *   | userId            | torrentId         |
 *   +-------------------+-------------------+   8
 *   | upDelta   (credited to users_main.Uploaded)          |
 *   | downDelta (credited to users_main.Downloaded)        |  16
 *   | tokenDown (credited to users_freeleeches.Downloaded) |  24
 *   | uploaded   (client total, xbt_files_users)           |  32
 *   | downloaded (client total)                            |  40
 *   | left                                                 |  48
 *   | timeMs                                               |  56
 *   +-------------------+-------------------+  64
 *   | seeders           | leechers          |
 *   +-------------------+-------------------+  72
 *   | flags             | peerId (20 bytes) ...             76
 *   | address (16 bytes, IPv4-mapped for IPv4)           |  96
 *   +----------------------------------------------------+ 112
 *   | sequence (1, 2, 3 ... per recorder, across restarts) |
 *   +----------------------------------------------------+ 120
 *   | infoHash (20 bytes)                 | pad (4)      |
 *   +----------------------------------------------------+ 144
 * </pre>
 *
 * <p>The sequence lets recovery tell a record still in the queue file from its copy already in the log (a kill
 * between the copy and the queue's head moving); the infohash lets recovery replay the record's totals into the
 * peer's persisted baseline ({@link PeerBaselines}).
 */
public final class DeltaMessage
{
    public static final int TYPE_ANNOUNCE = 1;

    public static final int USER_ID_OFFSET = 0;
    public static final int TORRENT_ID_OFFSET = 4;
    public static final int UP_DELTA_OFFSET = 8;
    public static final int DOWN_DELTA_OFFSET = 16;
    public static final int TOKEN_DOWN_OFFSET = 24;
    public static final int UPLOADED_OFFSET = 32;
    public static final int DOWNLOADED_OFFSET = 40;
    public static final int LEFT_OFFSET = 48;
    public static final int TIME_MS_OFFSET = 56;
    public static final int SEEDERS_OFFSET = 64;
    public static final int LEECHERS_OFFSET = 68;
    public static final int FLAGS_OFFSET = 72;
    public static final int PEER_ID_OFFSET = 76;
    public static final int ADDRESS_OFFSET = 96;
    public static final int SEQUENCE_OFFSET = 112;
    public static final int INFO_HASH_OFFSET = 120;
    public static final int LENGTH = 144;

    /** The announce finished the download (event=completed, first time for this peer): a snatch. */
    public static final int FLAG_COMPLETED = 1;
    /** The peer left the swarm (stopped or expired): its xbt_files_users row goes inactive. */
    public static final int FLAG_INACTIVE = 2;

    private DeltaMessage()
    {
    }
}
