package org.trackerd.engine.swarm;

import net.openhft.chronicle.map.ChronicleMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.event.RequestEvent;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The record of the WebRTC peer sets ({@link WebRtcSwarms}): one small Chronicle Map persisted in
 * {@code webrtc.dat} under the storage directory, apart from the swarm shards, so a restart (clean or {@code kill -9})
 * comes back with each torrent's WebRTC peers (peer_id, address, last announce, seeder or not) and its completed
 * count. The heap sets are the index the processor works on; every join, leave, change of kind and completion is
 * written through here (a re-announce's time at most every 30 s), one fixed-size entry per peer and per torrent,
 * so nothing is ever rewritten in bulk.
 *
 * <pre>
 * key (41 bytes)                                 value (32 bytes, little-endian)
 * +-----------+------+-----------------------+   peer:    +---------+-------+---------+------------------+
 * | info_hash | kind | peer_id (0s: torrent) |            | seen ms | flags | 0 (7)   | address (16)     |
 * |   20      |  1   |        20             |            |   8     |   1   |         |                  |
 * +-----------+------+-----------------------+   torrent: +-----------------+---------+------------------+
 *   kind: 1 torrent, 2 peer                               | downloaded (8)  | left ms | 0 (16)           |
 *                                                         +-----------------+---------+------------------+
 * </pre>
 * A peer's entry is written when it joins, when it turns seeder or leecher, and otherwise at most every 30 s of
 * re-announces ({@code WebRtcSwarms.PERSIST_SEEN_MS}): its persisted time may lag that much. A torrent's entry
 * exists while it has a completed count to keep ({@code left ms}: when its last peer left, 0
 * while it has peers); a peer's while it is in the set.
 *
 * <p>What a restart does not keep: a peer's connection handle (the connection died with the old process, nothing
 * can be relayed to it) and the offers in flight (the npm client gives up on them after 50 s). So a reloaded peer
 * counts in announces and scrapes, but is sent no offer, until it announces again on a new connection (from the
 * address it announced from) or its lifetime runs out.
 *
 * <p>Crash story, SwarmStore's at a smaller scale: no file creates the map; a {@code webrtc.clean} marker (written
 * at a clean close, deleted at open) opens it as it is; otherwise the last process died holding it, and Chronicle's
 * recovery runs on the whole file (it is small: {@code webtorrent.max_peers} entries of 73 bytes plus a torrent
 * entry each; no in-flight journal to narrow it down, as SwarmStore's sixteen shards need). A write cut by the
 * death is at worst one entry lost or stale: a peer the client re-announces within its interval anyway.
 *
 * <p>Thread: opened by the launcher, then written only by the swarm processor (the one writer); closed after the
 * processor stopped.
 */
public final class WebRtcStore implements AutoCloseable
{
    public static final String FILE = "webrtc.dat";
    static final String CLEAN = "webrtc.clean";
    static final int KEY_LENGTH = 41;
    static final int VALUE_LENGTH = 32;
    static final byte KIND_TORRENT = 1;
    static final byte KIND_PEER = 2;
    static final int KIND_OFFSET = 20;
    static final int PEER_ID_OFFSET = 21;
    static final int SEEN_MS_OFFSET = 0;
    static final int FLAGS_OFFSET = 8;
    static final int ADDRESS_OFFSET = 16;
    static final int DOWNLOADED_OFFSET = 0;
    static final int LEFT_MS_OFFSET = 8;
    static final byte FLAG_SEEDER = 1;

    private static final Logger LOG = LoggerFactory.getLogger(WebRtcStore.class);

    private final Path directory;
    private final ChronicleMap<byte[], byte[]> map;
    private final byte[] key = new byte[KEY_LENGTH];
    private final byte[] value = new byte[VALUE_LENGTH];
    private final UnsafeBuffer valueBuffer = new UnsafeBuffer(value);
    private final boolean recovered;
    private boolean closed;

    private WebRtcStore(final Path directory, final ChronicleMap<byte[], byte[]> map, final boolean recovered)
    {
        this.directory = directory;
        this.map = map;
        this.recovered = recovered;
    }

    /**
     * Opens, creates or recovers {@code webrtc.dat} in {@code directory} (created if missing), sized for
     * {@code maxPeers} peers and {@code maxTorrents} torrents when first created.
     */
    public static WebRtcStore open(final Path directory, final int maxPeers, final int maxTorrents)
    {
        try
        {
            final long start = System.nanoTime();
            final var builder = MarkedMapFile.builder("webrtc", KEY_LENGTH, VALUE_LENGTH)
                .checksumEntries(false)
                .entries((long)maxPeers + Math.min(maxTorrents, maxPeers))
                .maxBloatFactor(2.0);
            final MarkedMapFile.Opened opened = MarkedMapFile.open(directory, FILE, CLEAN, builder);
            LOG.info("{} {} in {} ms: {} entries", opened.verb(), directory.resolve(FILE),
                (System.nanoTime() - start) / 1_000_000, opened.map().longSize());
            return new WebRtcStore(directory, opened.map(), opened.recovered());
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new SwarmStore.StoreException("storage.path '" + directory + "': cannot open " + FILE + " (" + ex +
                "); move the file away to start with no WebRTC peers");
        }
    }

    /** True when the last process died holding the file and this open recovered it. */
    public boolean recovered()
    {
        return recovered;
    }

    long size()
    {
        return map.longSize();
    }

    void putPeer(final byte[] infoHash, final int hashOffset, final byte[] peerId, final int idOffset,
        final long seenMs, final boolean seeder, final byte[] address, final int addressOffset)
    {
        peerKey(infoHash, hashOffset, peerId, idOffset);
        valueBuffer.putLong(SEEN_MS_OFFSET, seenMs, ByteOrder.LITTLE_ENDIAN);
        valueBuffer.setMemory(FLAGS_OFFSET, ADDRESS_OFFSET - FLAGS_OFFSET, (byte)0);
        valueBuffer.putByte(FLAGS_OFFSET, seeder ? FLAG_SEEDER : 0);
        valueBuffer.putBytes(ADDRESS_OFFSET, address, addressOffset, RequestEvent.ADDRESS_LENGTH);
        map.put(key, value);
    }

    void removePeer(final byte[] infoHash, final int hashOffset, final byte[] peerId, final int idOffset)
    {
        peerKey(infoHash, hashOffset, peerId, idOffset);
        map.remove(key);
    }

    /** The torrent's completed count, and when its last peer left (0: it has peers). */
    void putTorrent(final byte[] infoHash, final int hashOffset, final long downloaded, final long leftMs)
    {
        torrentKey(infoHash, hashOffset);
        valueBuffer.setMemory(0, VALUE_LENGTH, (byte)0);
        valueBuffer.putLong(DOWNLOADED_OFFSET, downloaded, ByteOrder.LITTLE_ENDIAN);
        valueBuffer.putLong(LEFT_MS_OFFSET, leftMs, ByteOrder.LITTLE_ENDIAN);
        map.put(key, value);
    }

    void removeTorrent(final byte[] infoHash, final int hashOffset)
    {
        torrentKey(infoHash, hashOffset);
        map.remove(key);
    }

    private void peerKey(final byte[] infoHash, final int hashOffset, final byte[] peerId, final int idOffset)
    {
        System.arraycopy(infoHash, hashOffset, key, 0, 20);
        key[KIND_OFFSET] = KIND_PEER;
        System.arraycopy(peerId, idOffset, key, PEER_ID_OFFSET, 20);
    }

    private void torrentKey(final byte[] infoHash, final int hashOffset)
    {
        System.arraycopy(infoHash, hashOffset, key, 0, 20);
        key[KIND_OFFSET] = KIND_TORRENT;
        java.util.Arrays.fill(key, PEER_ID_OFFSET, KEY_LENGTH, (byte)0);
    }

    /**
     * Hands every entry (key, value: arrays valid only during the call) to {@code visitor}; at start-up, before the
     * processor runs. Entries of an unknown kind (none are written) are skipped.
     */
    void forEach(final EntryVisitor visitor)
    {
        final Consumer<net.openhft.chronicle.map.MapEntry<byte[], byte[]>> each = e ->
        {
            final byte[] k = e.key().get();
            final byte[] v = e.value().get();
            if (k.length == KEY_LENGTH && v.length == VALUE_LENGTH)
            {
                visitor.entry(k, new UnsafeBuffer(v));
            }
        };
        for (int s = 0; s < map.segments(); s++)
        {
            try (var c = map.segmentContext(s))
            {
                c.forEachSegmentEntry(each);
            }
        }
    }

    /** One persisted entry: {@code key} as drawn above, {@code value} over its 32 bytes. */
    interface EntryVisitor
    {
        void entry(byte[] key, UnsafeBuffer value);
    }

    /** Closes the map and writes the clean-shutdown marker; any thread, once the processor stopped. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        MarkedMapFile.closeClean(map, directory, CLEAN);
    }
}
