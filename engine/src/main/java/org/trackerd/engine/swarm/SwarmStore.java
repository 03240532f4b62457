package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.serialization.impl.ByteArraySizedReader;
import net.openhft.chronicle.map.ChronicleMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The record of swarm state: two Chronicle Maps persisted in memory-mapped files under the storage directory,
 * so a restart or a {@code kill -9} finds the torrents and peers it had.
 *
 * <pre>
 * torrents.dat : infohash (20) -> | downloaded (8) |
 * peers.dat    : infohash (20) + peer id (20) ->
 *   0                 16     18     19    20     24             32
 *   +-----------------+------+------+-----+------+--------------+
 *   | address (16)    | port | flags| pad | key  | last seen ms |
 *   +-----------------+------+------+-----+------+--------------+
 *   32                48     50           56             64
 *   +-----------------+------+------------+--------------+
 *   | alt address (16)| port | pad (6)    | alt last seen|
 *   +-----------------+------+------------+--------------+
 * </pre>
 *
 * <p>The alt fields are the peer's address in the other family (valid when {@code flags} has
 * {@code Swarm.FLAG_DUAL}). Format 1 had 32-byte peer values without them.
 *
 * <p>Opening: no files gives new maps; a {@code clean-shutdown} marker means the last process closed the maps
 * and they are opened as they are; otherwise the last process died holding them and Chronicle's recovery runs
 * (it clears segment locks a dead process left behind). The marker is deleted while the store is open.
 *
 * <p>Thread: opened by the launcher, then used only by the swarm processor; closed after the processor stops.
 */
public final class SwarmStore implements AutoCloseable
{
    static final String FORMAT = "trackerd-store 2";
    /** Lengths of the map files at the last open, one {@code name length} a line: a truncation check. */
    static final String LENGTHS = "map-lengths";
    static final int TORRENT_VALUE_LENGTH = 8;
    static final int PEER_KEY_LENGTH = 40;
    static final int PEER_VALUE_LENGTH = 64;
    static final int V_ADDRESS_OFFSET = 0;
    static final int V_PORT_OFFSET = 16;
    static final int V_FLAGS_OFFSET = 18;
    static final int V_KEY_OFFSET = 20;
    static final int V_LAST_SEEN_OFFSET = 24;
    static final int V_ALT_ADDRESS_OFFSET = 32;
    static final int V_ALT_PORT_OFFSET = 48;
    static final int V_ALT_LAST_SEEN_OFFSET = 56;

    private static final Logger LOG = LoggerFactory.getLogger(SwarmStore.class);

    private final Path directory;
    private final ChronicleMap<byte[], byte[]> torrents;
    private final ChronicleMap<byte[], byte[]> peers;
    private final boolean recovered;
    private final long openMs;

    private final byte[] torrentKey = new byte[20];
    private final byte[] torrentValue = new byte[TORRENT_VALUE_LENGTH];
    private final UnsafeBuffer torrentValueBuffer = new UnsafeBuffer(torrentValue);
    private final byte[] peerKey = new byte[PEER_KEY_LENGTH];
    private final byte[] peerValue = new byte[PEER_VALUE_LENGTH];
    private final UnsafeBuffer peerValueBuffer = new UnsafeBuffer(peerValue);
    private boolean closed;

    private SwarmStore(final Path directory, final ChronicleMap<byte[], byte[]> torrents,
        final ChronicleMap<byte[], byte[]> peers, final boolean recovered, final long openMs)
    {
        this.directory = directory;
        this.torrents = torrents;
        this.peers = peers;
        this.recovered = recovered;
        this.openMs = openMs;
    }

    /** Opens, creates or recovers the store; fails with a message an operator can act on. */
    public static SwarmStore open(final Path directory, final int maxTorrents, final int maxPeers)
    {
        final long start = System.nanoTime();
        if (Files.exists(directory) && !Files.isDirectory(directory))
        {
            throw new StoreException("storage.path '" + directory + "' is a file, not a directory");
        }
        try
        {
            Files.createDirectories(directory);
        }
        catch (final IOException ex)
        {
            throw new StoreException("storage.path '" + directory + "': cannot create the directory (" + ex + ")");
        }
        if (!Files.isDirectory(directory))
        {
            throw new StoreException("storage.path '" + directory + "' is not a directory");
        }
        checkWritable(directory);
        final Path formatFile = directory.resolve("FORMAT");
        final Path torrentsFile = directory.resolve("torrents.dat");
        final Path peersFile = directory.resolve("peers.dat");
        final Path marker = directory.resolve("clean-shutdown");
        final Path lengthsFile = directory.resolve(LENGTHS);
        try
        {
            final boolean exists = Files.exists(torrentsFile) || Files.exists(peersFile);
            if (Files.exists(formatFile))
            {
                final String format = Files.readString(formatFile, StandardCharsets.UTF_8).trim();
                if (!FORMAT.equals(format))
                {
                    throw new StoreException("storage.path '" + directory + "' holds a store of format '" + format +
                        "', this version reads '" + FORMAT + "': move it away or use another directory");
                }
            }
            else if (exists)
            {
                throw new StoreException("storage.path '" + directory + "' holds map files without a FORMAT file: " +
                    "not a store of this tracker");
            }
            if (exists)
            {
                checkComplete(directory, torrentsFile, peersFile, lengthsFile);
            }
            else
            {
                checkSpace(directory, maxTorrents, maxPeers);
            }
            final boolean clean = Files.exists(marker);
            final boolean recover = exists && !clean;
            final ChronicleMap<byte[], byte[]> torrents = openMap(torrentsFile.toFile(), "torrents", 20,
                TORRENT_VALUE_LENGTH, maxTorrents, recover);
            final ChronicleMap<byte[], byte[]> peers;
            try
            {
                peers = openMap(peersFile.toFile(), "peers", PEER_KEY_LENGTH, PEER_VALUE_LENGTH, maxPeers, recover);
            }
            catch (final IOException | RuntimeException ex)
            {
                torrents.close();
                throw ex;
            }
            Files.writeString(formatFile, FORMAT + "\n", StandardCharsets.UTF_8);
            Files.writeString(lengthsFile, "torrents.dat " + Files.size(torrentsFile) + "\npeers.dat " +
                Files.size(peersFile) + "\n", StandardCharsets.UTF_8);
            Files.deleteIfExists(marker);
            final long openMs = (System.nanoTime() - start) / 1_000_000;
            LOG.info("store {} at {} in {} ms: {} torrents, {} peers", !exists ? "created" : recover ? "recovered" : "opened",
                directory, openMs, torrents.longSize(), peers.longSize());
            return new SwarmStore(directory, torrents, peers, recover, openMs);
        }
        catch (final IOException ex)
        {
            throw new StoreException("storage.path '" + directory + "': cannot open the store (" + ex + "); if a " +
                "map file is damaged, restore it or move the directory away to start empty");
        }
        catch (final StoreException ex)
        {
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            throw new StoreException("storage.path '" + directory + "': the store cannot be opened (" + ex +
                "); it may be damaged or from another version");
        }
    }

    /** A probe file, not the permission bits: root ignores those, a read-only mount or immutable flag does not. */
    private static void checkWritable(final Path directory)
    {
        final Path probe = directory.resolve(".write-probe");
        try
        {
            Files.deleteIfExists(probe);
            Files.writeString(probe, "probe\n", StandardCharsets.UTF_8);
            Files.delete(probe);
        }
        catch (final IOException ex)
        {
            throw new StoreException("storage.path '" + directory + "' is not writable (" + ex + ")");
        }
    }

    /**
     * Refuses a store that lost a file or had one cut short (a copy that ran out of space, a bad restore): opened
     * as it is, Chronicle would re-create or "recover" it into an empty map and the swarms would be lost for good.
     * Map files never shrink, so each must be at least as long as at the last open.
     */
    private static void checkComplete(final Path directory, final Path torrentsFile, final Path peersFile,
        final Path lengthsFile) throws IOException
    {
        for (final Path file : new Path[]{torrentsFile, peersFile})
        {
            if (!Files.exists(file))
            {
                throw new StoreException("storage.path '" + directory + "': " + file.getFileName() + " is missing " +
                    "beside the other map file; restore it, or move the directory away to start empty");
            }
            if (Files.size(file) == 0)
            {
                throw new StoreException("storage.path '" + directory + "': " + file.getFileName() + " is empty " +
                    "(truncated); restore it, or move the directory away to start empty");
            }
        }
        if (!Files.exists(lengthsFile))
        {
            return;
        }
        for (final String line : Files.readAllLines(lengthsFile, StandardCharsets.UTF_8))
        {
            final String[] parts = line.trim().split(" ");
            if (parts.length != 2)
            {
                continue;
            }
            final Path file = directory.resolve(parts[0]);
            final long expected;
            try
            {
                expected = Long.parseLong(parts[1]);
            }
            catch (final NumberFormatException ex)
            {
                continue;
            }
            final long actual = Files.exists(file) ? Files.size(file) : 0;
            if ((file.equals(torrentsFile) || file.equals(peersFile)) && actual < expected)
            {
                throw new StoreException("storage.path '" + directory + "': " + parts[0] + " is " + actual +
                    " bytes but was " + expected + " (truncated, e.g. by a full disk or an incomplete copy); " +
                    "restore it, or move the directory away to start empty");
            }
        }
    }

    /** New map files are allocated in full at once: fail clearly now rather than with SIGBUS or ENOSPC later. */
    private static void checkSpace(final Path directory, final int maxTorrents, final int maxPeers) throws IOException
    {
        final long needed = estimatedBytes(maxTorrents, maxPeers);
        final long usable = Files.getFileStore(directory).getUsableSpace();
        if (usable < needed)
        {
            throw new StoreException("storage.path '" + directory + "': new map files need about " +
                (needed >> 20) + " MiB (storage.max_torrents " + maxTorrents + ", storage.max_peers " + maxPeers +
                ") but the file system has " + (usable >> 20) + " MiB free");
        }
    }

    /**
     * About what Chronicle allocates for the two maps: key and value plus about 32 bytes of entry and segment
     * overhead per entry (measured), for the entries the maps are sized with, plus headers.
     */
    public static long estimatedBytes(final int maxTorrents, final int maxPeers)
    {
        final long torrentEntry = 20 + TORRENT_VALUE_LENGTH + 32;
        final long peerEntry = PEER_KEY_LENGTH + PEER_VALUE_LENGTH + 32;
        return (maxTorrents + maxTorrents / 8L + 64) * torrentEntry + (maxPeers + maxPeers / 8L + 64) * peerEntry +
            (1 << 20);
    }

    private static ChronicleMap<byte[], byte[]> openMap(final File file, final String name, final int keyLength,
        final int valueLength, final int entries, final boolean recover) throws IOException
    {
        final var builder = ChronicleMap.of(byte[].class, byte[].class)
            .name(name)
            .keyReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayDataAccess())
            .valueReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayDataAccess())
            .constantKeySizeBySample(new byte[keyLength])
            .constantValueSizeBySample(new byte[valueLength])
            .entries(entries + entries / 8L + 64)
            .maxBloatFactor(1.5)
            .putReturnsNull(true)
            .removeReturnsNull(true);
        return recover ? builder.recoverPersistedTo(file, true) : builder.createPersistedTo(file);
    }

    public boolean recovered()
    {
        return recovered;
    }

    public long openMs()
    {
        return openMs;
    }

    public long torrentCount()
    {
        return torrents.longSize();
    }

    public long peerCount()
    {
        return peers.longSize();
    }

    void putTorrent(final byte[] infoHash, final long downloaded)
    {
        torrentValueBuffer.putLong(0, downloaded);
        torrents.put(infoHash, torrentValue);
    }

    void removeTorrent(final byte[] infoHash)
    {
        torrents.remove(infoHash);
    }

    /** Persists a peer from its in-memory slot. */
    void putPeer(final byte[] infoHash, final UnsafeBuffer slots, final int slotOffset)
    {
        System.arraycopy(infoHash, 0, peerKey, 0, 20);
        slots.getBytes(slotOffset + Swarm.PEER_ID_OFFSET, peerKey, 20, 20);
        slots.getBytes(slotOffset + Swarm.ADDRESS_OFFSET, peerValue, V_ADDRESS_OFFSET, 16);
        peerValueBuffer.putShort(V_PORT_OFFSET, slots.getShort(slotOffset + Swarm.PORT_OFFSET));
        peerValueBuffer.putByte(V_FLAGS_OFFSET, slots.getByte(slotOffset + Swarm.FLAGS_OFFSET));
        peerValueBuffer.putInt(V_KEY_OFFSET, slots.getInt(slotOffset + Swarm.KEY_OFFSET));
        peerValueBuffer.putLong(V_LAST_SEEN_OFFSET, slots.getLong(slotOffset + Swarm.LAST_SEEN_OFFSET));
        slots.getBytes(slotOffset + Swarm.ALT_ADDRESS_OFFSET, peerValue, V_ALT_ADDRESS_OFFSET, 16);
        peerValueBuffer.putShort(V_ALT_PORT_OFFSET, slots.getShort(slotOffset + Swarm.ALT_PORT_OFFSET));
        peerValueBuffer.putLong(V_ALT_LAST_SEEN_OFFSET, slots.getLong(slotOffset + Swarm.ALT_LAST_SEEN_OFFSET));
        peers.put(peerKey, peerValue);
    }

    void removePeer(final byte[] infoHash, final UnsafeBuffer slots, final int slotOffset)
    {
        System.arraycopy(infoHash, 0, peerKey, 0, 20);
        slots.getBytes(slotOffset + Swarm.PEER_ID_OFFSET, peerKey, 20, 20);
        peers.remove(peerKey);
    }

    void removePeerByKey(final byte[] key40)
    {
        peers.remove(key40);
    }

    /** Visits every persisted torrent (start-up only: allocates). */
    void forEachTorrent(final TorrentVisitor visitor)
    {
        torrents.forEachEntry(e ->
        {
            final byte[] key = e.key().get();
            final byte[] value = e.value().get();
            visitor.visit(key, new UnsafeBuffer(value).getLong(0));
        });
    }

    /** Visits every persisted peer (start-up only: allocates). */
    void forEachPeer(final PeerVisitor visitor)
    {
        peers.forEachEntry(e -> visitor.visit(e.key().get(), new UnsafeBuffer(e.value().get())));
    }

    interface TorrentVisitor
    {
        void visit(byte[] infoHash, long downloaded);
    }

    interface PeerVisitor
    {
        void visit(byte[] key40, UnsafeBuffer value);
    }

    /** Closes both maps and marks the store clean, so the next start opens it without recovery. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        torrents.close();
        peers.close();
        try
        {
            Files.writeString(directory.resolve("clean-shutdown"), "closed cleanly\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        }
        catch (final IOException ex)
        {
            LOG.warn("could not write the clean-shutdown marker in {}: {} (the next start will run recovery)",
                directory, ex.toString());
        }
    }

    /** A store that cannot be opened; the message names storage.path and what to do. */
    public static final class StoreException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        public StoreException(final String message)
        {
            super(message);
        }
    }
}
