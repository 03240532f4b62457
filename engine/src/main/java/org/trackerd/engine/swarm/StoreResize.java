package org.trackerd.engine.swarm;

import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Copies the shards into files of another {@link StoreSizing} at start-up, so that a crash at any moment leaves a
 * store that opens with nothing lost:
 *
 * <pre>
 * 1. write RESIZING (the new sizing)           crash: the old files are the store; the copy's read locks may
 * 2. copy each shard into swarms-NN.dat.new           be held in them, so the next start recovers every shard,
 *                                                     deletes the .new files and copies again
 * 3. close; write RESIZED (the new sizing)     crash from here: the next start finishes 4 and 5 first
 * 4. rename each .new over its shard (atomic)
 * 5. write store-size and map-lengths, delete RESIZED and RESIZING
 * </pre>
 *
 * <p>Entries go through a {@link PageConverter} on their way ({@link #copyEntries}): a change of the page format
 * converts pages there, in the same crash-safe copy.
 *
 * <p>Thread: the launcher, in {@link SwarmStore#open}, before the processor starts.
 */
final class StoreResize
{
    /** Written before the copy starts: the copy may be half done and the old files' locks held. */
    static final String RESIZING = "resizing";
    /** Written once every new file is whole and closed: from here the new files are the store. */
    static final String RESIZED = "resized";
    static final String NEW_SUFFIX = ".new";

    private static final Logger LOG = LoggerFactory.getLogger(StoreResize.class);

    /** Rewrites a page on its way into the new files; returns the value to write (may be {@code value} itself). */
    @FunctionalInterface
    interface PageConverter
    {
        byte[] convert(byte[] key, byte[] value);
    }

    /** Pages go across as they are. */
    static final PageConverter SAME = (key, value) -> value;

    private StoreResize()
    {
    }

    /**
     * Finishes or undoes a resize an earlier start did not finish, before anything else reads the files. Returns
     * true when a copy was cut short: the old files are the store, but the copy held read locks in them that no
     * in-flight record names, so every shard must be recovered.
     */
    static boolean finishOrUndo(final Path directory, final Path[] shardFiles) throws IOException
    {
        final Path resized = directory.resolve(RESIZED);
        if (Files.exists(resized))
        {
            final StoreSizing sizing = StoreSizing.parse(Files.readString(resized, StandardCharsets.UTF_8));
            if (sizing == null)
            {
                throw new SwarmStore.StoreException("storage.path '" + directory + "': " + RESIZED + " is " +
                    "unreadable; the resized files are the " + NEW_SUFFIX + " ones where present");
            }
            finish(directory, shardFiles, sizing);
            LOG.info("storage.path '{}': finished the resize an earlier start had copied ({})", directory,
                sizing.text());
            return false;
        }
        if (!Files.exists(directory.resolve(RESIZING)))
        {
            return false;
        }
        for (final Path file : shardFiles)
        {
            Files.deleteIfExists(newFile(file));
        }
        LOG.warn("storage.path '{}': an earlier start died copying the store into resized files; they are " +
            "deleted, the store is as it was and every shard is recovered", directory);
        return true;
    }

    /** Nothing to resize this time: the marker of a copy cut short goes (its recovery has run). */
    static void clear(final Path directory) throws IOException
    {
        Files.deleteIfExists(directory.resolve(RESIZING));
    }

    /**
     * Copies every shard of {@code maps} into new files of {@code sizing} and makes them the store; closes
     * {@code maps} and returns the new maps, open.
     */
    static ChronicleMap<byte[], byte[]>[] resize(final Path directory, final Path[] shardFiles,
        final ChronicleMap<byte[], byte[]>[] maps, final StoreSizing current, final StoreSizing sizing,
        final PageConverter converter) throws IOException
    {
        final long start = System.nanoTime();
        Files.writeString(directory.resolve(RESIZING), sizing.text() + "\n", StandardCharsets.UTF_8);
        long entries = 0;
        for (int s = 0; s < shardFiles.length; s++)
        {
            final Path target = newFile(shardFiles[s]);
            Files.deleteIfExists(target);
            try (ChronicleMap<byte[], byte[]> to = SwarmStore.openMap(target.toFile(), "swarms-" + s, sizing,
                false))
            {
                entries += copyEntries(maps[s], to, converter);
            }
        }
        for (int s = 0; s < maps.length; s++)
        {
            maps[s].close();
            maps[s] = null;
        }
        final Path tmp = directory.resolve(RESIZED + ".tmp");
        Files.writeString(tmp, sizing.text() + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, directory.resolve(RESIZED), StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
        finish(directory, shardFiles, sizing);
        final long ms = (System.nanoTime() - start) / 1_000_000;
        LOG.info("storage.path '{}': resized the store from {} to {}: {} pages copied in {} ms", directory,
            current == null ? "the files of before " + StoreSizing.FILE : current.text(), sizing.text(), entries, ms);
        return SwarmStore.openMaps(shardFiles, sizing, new boolean[shardFiles.length]);
    }

    /**
     * Copies every entry of {@code from} into {@code to}, each value through {@code converter}; returns how many.
     * Both maps are this process's alone (start-up): the segment contexts only keep Chronicle's invariants.
     */
    static long copyEntries(final ChronicleMap<byte[], byte[]> from, final ChronicleMap<byte[], byte[]> to,
        final PageConverter converter)
    {
        final long[] copied = { 0 };
        for (int segment = 0; segment < from.segments(); segment++)
        {
            try (var c = from.segmentContext(segment))
            {
                c.forEachSegmentEntry(e ->
                {
                    final Data<byte[]> k = e.key();
                    final byte[] key = k.getUsing(null);
                    to.put(key, converter.convert(key, e.value().getUsing(null)));
                    copied[0]++;
                });
            }
        }
        return copied[0];
    }

    private static void finish(final Path directory, final Path[] shardFiles, final StoreSizing sizing)
        throws IOException
    {
        for (final Path file : shardFiles)
        {
            final Path resized = newFile(file);
            if (Files.exists(resized))
            {
                Files.move(resized, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        sizing.write(directory);
        SwarmStore.writeLengths(directory.resolve(SwarmStore.LENGTHS), shardFiles);
        Files.delete(directory.resolve(RESIZED));
        Files.deleteIfExists(directory.resolve(RESIZING));
    }

    static Path newFile(final Path shardFile)
    {
        return shardFile.resolveSibling(shardFile.getFileName() + NEW_SUFFIX);
    }
}
