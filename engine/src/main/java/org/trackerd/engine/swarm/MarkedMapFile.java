package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.serialization.impl.ByteArraySizedReader;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One small persisted Chronicle Map of fixed-size byte keys and values with a clean-close marker beside it: the crash
 * story of the side files that have no in-flight journal ({@link WebRtcStore}'s {@code webrtc.dat}, private mode's
 * peer baselines). No file (or an empty one) creates the map; the marker, written by a clean close and deleted at
 * open, opens it as it is; a file without its marker was held by a process that died, and Chronicle's recovery runs
 * on the whole file (these files are small, so no narrowing down as {@link SwarmStore}'s shards need).
 *
 * <p>Thread: the launcher opens, the owner of the map closes (after its writer stopped).
 */
public final class MarkedMapFile
{
    private static final Logger LOG = LoggerFactory.getLogger(MarkedMapFile.class);

    /** The map as opened, and what the open found. */
    public record Opened(ChronicleMap<byte[], byte[]> map, boolean existed, boolean recovered)
    {
        /** "created", "opened" or "recovered", for the start-up log. */
        public String verb()
        {
            return recovered ? "recovered" : existed ? "opened" : "created";
        }
    }

    private MarkedMapFile()
    {
    }

    /**
     * A builder of a map named {@code name} with constant {@code keyLength}-byte keys and {@code valueLength}-byte
     * values read and written through reused arrays ({@link ReusedByteArrayDataAccess}: no garbage per look-up),
     * whose put and remove return nothing; the caller adds its sizing.
     */
    public static ChronicleMapBuilder<byte[], byte[]> builder(final String name, final int keyLength,
        final int valueLength)
    {
        return ChronicleMap.of(byte[].class, byte[].class)
            .name(name)
            .keyReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayDataAccess())
            .valueReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusedByteArrayDataAccess())
            .constantKeySizeBySample(new byte[keyLength])
            .constantValueSizeBySample(new byte[valueLength])
            .putReturnsNull(true)
            .removeReturnsNull(true);
    }

    /**
     * Creates, opens or recovers {@code file} in {@code directory} (created if missing) as the marker
     * {@code marker} beside it says, then deletes the marker (this process now holds the file).
     */
    public static Opened open(final Path directory, final String file, final String marker,
        final ChronicleMapBuilder<byte[], byte[]> builder) throws IOException
    {
        Files.createDirectories(directory);
        final Path path = directory.resolve(file);
        final Path markerPath = directory.resolve(marker);
        final boolean exists = Files.exists(path) && Files.size(path) > 0;
        final boolean recover = exists && !Files.exists(markerPath);
        final ChronicleMap<byte[], byte[]> map = recover ? builder.recoverPersistedTo(path.toFile(), true) :
            builder.createPersistedTo(path.toFile());
        Files.deleteIfExists(markerPath);
        return new Opened(map, exists, recover);
    }

    /**
     * Closes {@code map} and writes {@code marker} in {@code directory}, so that the next start opens the file as it
     * is. A marker that cannot be written is logged: the next start recovers the file, nothing is lost.
     */
    public static void closeClean(final ChronicleMap<byte[], byte[]> map, final Path directory, final String marker)
    {
        map.close();
        try
        {
            Files.writeString(directory.resolve(marker), "closed cleanly\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        }
        catch (final IOException ex)
        {
            LOG.warn("could not write {} in {}: {} (the next start recovers the file beside it)", marker, directory,
                ex.toString());
        }
    }
}
