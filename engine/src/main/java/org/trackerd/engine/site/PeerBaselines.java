package org.trackerd.engine.site;

import net.openhft.chronicle.map.ChronicleMap;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.swarm.MarkedMapFile;
import org.trackerd.engine.swarm.ReusedByteArrayDataAccess;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What each peer last reported, the baseline of its next delta, in a Chronicle Map persisted to
 * {@code baselines.dat} so a restart (clean or {@code kill -9}) credits the traffic between the last announce
 * before it and the first one after.
 *
 * <pre>
 * key   : infohash (20) + peer id (20)
 * value :
 *   0          4           8                    16                   24
 *   +----------+-----------+--------------------+--------------------+
 *   | userId   | torrentId | uploaded           | downloaded         |
 *   +----------+-----------+--------------------+--------------------+
 * </pre>
 *
 * <p>Opening follows the swarm store's rule: no file creates, a {@code baselines.clean} marker (written by
 * {@link #close}, deleted while open) opens as is, anything else ran when a process died holding the map and is
 * recovered. Look-ups and puts reuse one key and one value array ({@link ReusedByteArrayDataAccess}): no garbage.
 *
 * <p>Thread: the swarm processor ({@link #find}, {@link #put}, {@link #remove}); recovery replay from the
 * controlling thread before it runs; {@link #close} after it stopped.
 */
public final class PeerBaselines implements AutoCloseable
{
    static final int KEY_LENGTH = 40;
    static final int VALUE_LENGTH = 24;
    static final int USER_ID_OFFSET = 0;
    static final int TORRENT_ID_OFFSET = 4;
    static final int UPLOADED_OFFSET = 8;
    static final int DOWNLOADED_OFFSET = 16;
    static final String FILE = "baselines.dat";
    static final String MARKER = "baselines.clean";

    private static final Logger LOG = LoggerFactory.getLogger(PeerBaselines.class);

    private final Path directory;
    private final ChronicleMap<byte[], byte[]> map;
    private final byte[] key = new byte[KEY_LENGTH];
    private final byte[] value = new byte[VALUE_LENGTH];
    private final UnsafeBuffer valueBuffer = new UnsafeBuffer(value);
    private boolean closed;

    private PeerBaselines(final Path directory, final ChronicleMap<byte[], byte[]> map)
    {
        this.directory = directory;
        this.map = map;
    }

    /** Creates, opens or recovers {@code directory/baselines.dat}, sized for {@code maxPeers} peers. */
    public static PeerBaselines open(final Path directory, final int maxPeers) throws IOException
    {
        final var builder = MarkedMapFile.builder("peer-baselines", KEY_LENGTH, VALUE_LENGTH)
            .entries(maxPeers + maxPeers / 8L + 64)
            // storage.max_peers is a sizing hint, no longer a limit: a new file grows (extra tiers) as far as the
            // swarm store does. A file made before keeps the factor it was created with (1.5).
            .maxBloatFactor(1000.0);
        final MarkedMapFile.Opened opened = MarkedMapFile.open(directory, FILE, MARKER, builder);
        LOG.info("peer baselines {} at {}: {} peers", opened.verb(), directory.resolve(FILE), opened.map().longSize());
        return new PeerBaselines(directory, opened.map());
    }

    /** Points at the peer {@code infoHash} + {@code peerId} and loads its baseline; false if it has none. */
    public boolean find(final byte[] infoHash, final int infoHashOffset, final byte[] peerId, final int peerIdOffset)
    {
        System.arraycopy(infoHash, infoHashOffset, key, 0, 20);
        System.arraycopy(peerId, peerIdOffset, key, 20, 20);
        return map.getUsing(key, value) != null;
    }

    public int userId()
    {
        return valueBuffer.getInt(USER_ID_OFFSET);
    }

    public int torrentId()
    {
        return valueBuffer.getInt(TORRENT_ID_OFFSET);
    }

    public long uploaded()
    {
        return valueBuffer.getLong(UPLOADED_OFFSET);
    }

    public long downloaded()
    {
        return valueBuffer.getLong(DOWNLOADED_OFFSET);
    }

    /** Sets the baseline of the peer last {@link #find found}. */
    public void put(final int userId, final int torrentId, final long uploaded, final long downloaded)
    {
        valueBuffer.putInt(USER_ID_OFFSET, userId);
        valueBuffer.putInt(TORRENT_ID_OFFSET, torrentId);
        valueBuffer.putLong(UPLOADED_OFFSET, uploaded);
        valueBuffer.putLong(DOWNLOADED_OFFSET, downloaded);
        map.put(key, value);
    }

    /** Forgets the peer last {@link #find found}. */
    public void remove()
    {
        map.remove(key);
    }

    /** Applies a {@link DeltaMessage} as the recorder did after writing it (recovery replay). */
    public void replay(final DirectBuffer m, final int o)
    {
        m.getBytes(o + DeltaMessage.INFO_HASH_OFFSET, key, 0, 20);
        m.getBytes(o + DeltaMessage.PEER_ID_OFFSET, key, 20, 20);
        if ((m.getInt(o + DeltaMessage.FLAGS_OFFSET) & DeltaMessage.FLAG_INACTIVE) != 0)
        {
            map.remove(key);
        }
        else
        {
            put(m.getInt(o + DeltaMessage.USER_ID_OFFSET), m.getInt(o + DeltaMessage.TORRENT_ID_OFFSET),
                m.getLong(o + DeltaMessage.UPLOADED_OFFSET), m.getLong(o + DeltaMessage.DOWNLOADED_OFFSET));
        }
    }

    public long size()
    {
        return map.longSize();
    }

    /** Closes the map and marks it clean, so the next start opens it without recovery. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        MarkedMapFile.closeClean(map, directory, MARKER);
    }
}
