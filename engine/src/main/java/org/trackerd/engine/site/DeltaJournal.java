package org.trackerd.engine.site;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The local journal of deltas not yet in the database, as of the last checkpoint: the frozen batch being retried
 * (with its id) and the batch still growing, written whole to a temporary file, forced to disk and renamed over
 * the journal, so the file is always one consistent state. Records taken since the checkpoint are in the
 * {@link DeltaLog}; the journal names the log generation that continues it. Deleted once everything is flushed.
 *
 * <pre>
 *   int magic "tdJ2" | long log generation | int batch count | batches ({@link DeltaBatch#writeTo})
 * </pre>
 * (A file of the first format starts with the batch count and names no generation.)
 *
 * <p>Thread: the backend (flusher) thread only; {@link #load} at start before it runs.
 */
public final class DeltaJournal
{
    private final Path file;
    private final Path temp;

    public DeltaJournal(final Path file)
    {
        this.file = file;
        this.temp = file.resolveSibling(file.getFileName() + ".tmp");
    }

    public Path file()
    {
        return file;
    }

    private static final int MAGIC = 0x74644A32; // "tdJ2"
    /** The generation of a journal that names none: the log continues it whatever its generation. */
    public static final long ANY_GENERATION = -1;

    /** What the last run kept: the log generation that continues it and the batches, oldest first. */
    public record Loaded(long generation, List<DeltaBatch> batches)
    {
    }

    /** The batches kept by the last run (none, and {@link #ANY_GENERATION}, when there is no journal). */
    public Loaded load() throws IOException
    {
        final List<DeltaBatch> batches = new ArrayList<>();
        if (!Files.exists(file))
        {
            return new Loaded(ANY_GENERATION, batches);
        }
        long generation = ANY_GENERATION;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file))))
        {
            int count = in.readInt();
            if (count == MAGIC)
            {
                generation = in.readLong();
                count = in.readInt();
            }
            for (int i = 0; i < count; i++)
            {
                batches.add(DeltaBatch.readFrom(in));
            }
        }
        return new Loaded(generation, batches);
    }

    /**
     * Replaces the journal with these batches, continued by log generation {@code generation}, or deletes it when
     * none has anything.
     */
    public void write(final long generation, final List<DeltaBatch> batches) throws IOException
    {
        final List<DeltaBatch> kept = new ArrayList<>();
        for (final DeltaBatch b : batches)
        {
            if (b != null && !b.isEmpty())
            {
                kept.add(b);
            }
        }
        if (kept.isEmpty())
        {
            Files.deleteIfExists(file);
            return;
        }
        if (file.getParent() != null)
        {
            Files.createDirectories(file.getParent());
        }
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            final OutputStream raw = java.nio.channels.Channels.newOutputStream(channel);
            final DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 16));
            out.writeInt(MAGIC);
            out.writeLong(generation);
            out.writeInt(kept.size());
            for (final DeltaBatch b : kept)
            {
                b.writeTo(out);
            }
            out.flush();
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
