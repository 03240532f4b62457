package org.trackerd.engine.site;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The backend thread's write-ahead log of accounting records taken off the {@link DeltaRing} since the last
 * checkpoint, in a memory-mapped file ({@code deltas.log}): each record is copied here before it is merged into a
 * batch, so once it has left the ring it is still in the page cache when the process dies. A checkpoint writes
 * the merged batches to the {@link DeltaJournal} under a new generation and then empties the log; recovery
 * replays the log only when its generation is the one the journal names (otherwise the journal already holds
 * its records).
 *
 * <pre>
 *   0          4          8                     16                    24                    32       64
 *   +----------+----------+---------------------+---------------------+---------------------+--------+
 *   | magic    | rec len  | generation          | count               | last sequence       | unused |
 *   +----------+----------+---------------------+---------------------+---------------------+--------+
 *   64: count records of {@link DeltaMessage#LENGTH} bytes each
 * </pre>
 *
 * <p>Appending writes the record, then the count (ordered), then the last sequence, so a kill at any point
 * leaves either the record counted or not; {@link #lastSequence()} is the larger of the field and the last
 * counted record's sequence, and survives {@link #reset}.
 *
 * <p>Thread: the backend (flusher) thread; recovery from the controlling thread before it starts.
 */
public final class DeltaLog implements AutoCloseable
{
    static final int MAGIC = 0x74644C31; // "tdL1"
    static final int MAGIC_OFFSET = 0;
    static final int RECORD_LENGTH_OFFSET = 4;
    static final int GENERATION_OFFSET = 8;
    static final int COUNT_OFFSET = 16;
    static final int LAST_SEQUENCE_OFFSET = 24;
    static final int HEADER_LENGTH = 64;

    private final Path file;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final int maxRecords;

    /** Opens the log, or creates it with room for {@code capacityRecords} records. */
    public DeltaLog(final Path file, final int capacityRecords) throws IOException
    {
        this.file = file;
        if (Files.exists(file) && Files.size(file) >= HEADER_LENGTH + DeltaMessage.LENGTH)
        {
            mapped = IoUtil.mapExistingFile(file.toFile(), "delta log");
            buffer = new UnsafeBuffer(mapped);
            if (buffer.getInt(MAGIC_OFFSET) != MAGIC || buffer.getInt(RECORD_LENGTH_OFFSET) != DeltaMessage.LENGTH)
            {
                throw new IOException("delta log " + file + " is not a log of this version (magic " +
                    Integer.toHexString(buffer.getInt(MAGIC_OFFSET)) + "): move it away; its unflushed deltas, " +
                    "if any, would be lost");
            }
        }
        else
        {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
            mapped = IoUtil.mapNewFile(file.toFile(), HEADER_LENGTH + (long)capacityRecords * DeltaMessage.LENGTH, true);
            buffer = new UnsafeBuffer(mapped);
            buffer.putInt(RECORD_LENGTH_OFFSET, DeltaMessage.LENGTH);
            buffer.putLong(GENERATION_OFFSET, 1);
            buffer.putIntOrdered(MAGIC_OFFSET, MAGIC);
        }
        maxRecords = (buffer.capacity() - HEADER_LENGTH) / DeltaMessage.LENGTH;
        if (count() > maxRecords || count() < 0)
        {
            throw new IOException("delta log " + file + " is damaged (count " + count() + ")");
        }
    }

    public Path file()
    {
        return file;
    }

    public long generation()
    {
        return buffer.getLongVolatile(GENERATION_OFFSET);
    }

    public int count()
    {
        return (int)buffer.getLongVolatile(COUNT_OFFSET);
    }

    public boolean isFull()
    {
        return count() >= maxRecords;
    }

    /** The highest sequence ever appended (0 for none). */
    public long lastSequence()
    {
        final int count = count();
        final long field = buffer.getLong(LAST_SEQUENCE_OFFSET);
        return count == 0 ? field :
            Math.max(field, buffer.getLong(record(count - 1) + DeltaMessage.SEQUENCE_OFFSET));
    }

    private static int record(final int index)
    {
        return HEADER_LENGTH + index * DeltaMessage.LENGTH;
    }

    /** Appends one {@link DeltaMessage}; the caller checkpoints first when {@link #isFull()}. */
    public void append(final DirectBuffer src, final int offset)
    {
        final int count = count();
        final int at = record(count);
        buffer.putBytes(at, src, offset, DeltaMessage.LENGTH);
        buffer.putLongOrdered(COUNT_OFFSET, count + 1);
        buffer.putLongOrdered(LAST_SEQUENCE_OFFSET, buffer.getLong(at + DeltaMessage.SEQUENCE_OFFSET));
    }

    /** Hands every logged record to {@code handler}, oldest first. */
    public void forEach(final MessageHandler handler)
    {
        final int count = count();
        for (int i = 0; i < count; i++)
        {
            handler.onMessage(DeltaMessage.TYPE_ANNOUNCE, buffer, record(i), DeltaMessage.LENGTH);
        }
    }

    /** Empties the log under a new generation (the journal that now holds its records names it). */
    public void reset(final long generation)
    {
        buffer.putLongOrdered(LAST_SEQUENCE_OFFSET, lastSequence());
        buffer.putLongOrdered(COUNT_OFFSET, 0);
        buffer.putLongOrdered(GENERATION_OFFSET, generation);
    }

    /** Raises the last sequence (records recovered from the ring but merged without being logged). */
    public void lastSequence(final long sequence)
    {
        if (sequence > lastSequence())
        {
            buffer.putLongOrdered(LAST_SEQUENCE_OFFSET, sequence);
        }
    }

    @Override
    public void close()
    {
        IoUtil.unmap(mapped);
    }
}
