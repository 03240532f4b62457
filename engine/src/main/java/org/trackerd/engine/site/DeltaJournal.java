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
 * The local journal of deltas not yet in the database: the frozen batch being retried (with its id) and the
 * batch still growing, written whole to a temporary file, forced to disk and renamed over the journal, so the
 * file is always one consistent state. Deleted once everything is flushed.
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

    /** The batches kept by the last run, oldest first (empty when there is no journal). */
    public List<DeltaBatch> load() throws IOException
    {
        final List<DeltaBatch> batches = new ArrayList<>();
        if (!Files.exists(file))
        {
            return batches;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file))))
        {
            final int count = in.readInt();
            for (int i = 0; i < count; i++)
            {
                batches.add(DeltaBatch.readFrom(in));
            }
        }
        return batches;
    }

    /** Replaces the journal with these batches, or deletes it when none has anything. */
    public void write(final List<DeltaBatch> batches) throws IOException
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
