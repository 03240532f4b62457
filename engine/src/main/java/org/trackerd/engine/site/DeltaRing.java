package org.trackerd.engine.site;

import org.agrona.IoUtil;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The queue from the swarm processor to the backend thread: an Agrona {@link OneToOneRingBuffer} laid over a
 * memory-mapped file ({@code deltas.ring}), so a record is in the page cache, and survives the death of the
 * process, the moment the swarm processor has written it. Agrona's ring keeps its head and tail in the trailer of
 * the same buffer, so after a {@code kill -9} the file still says which records the backend had not taken yet.
 *
 * <p>At start, before either thread runs, {@link #recover} hands every complete record left between head and
 * tail to the caller (a record the dead process was half-way through writing has a negative length and ends the
 * scan: its announce was never answered), then {@link #reset} zeroes the file for this run.
 *
 * <p>Thread: {@link #ring()} written by the swarm processor and read by the backend thread; {@link #recover} and
 * {@link #reset} from the controlling thread before both.
 */
public final class DeltaRing
{
    private static final Logger LOG = LoggerFactory.getLogger(DeltaRing.class);
    /** Bytes a record takes in the ring: the message and Agrona's 8-byte header, 8-aligned. */
    static final int RECORD_BYTES = DeltaMessage.LENGTH + 8;

    private final Path file;
    private final int capacity;
    private final ByteBuffer mapped;
    private final OneToOneRingBuffer ring;
    /** The last run's ring when {@code queue_capacity} changed since: recovered first, then deleted. */
    private Path previousFile;
    private MappedByteBuffer previousMapped;

    /**
     * Maps (or creates) the ring file, or an anonymous buffer when {@code file} is null. A file of another
     * capacity (the configuration changed) is kept aside as {@code deltas.ring.previous} until {@link #reset}, so
     * its records are recovered and the ring this run writes to is never remapped.
     *
     * @param capacityMessages records the ring must hold at least
     */
    public DeltaRing(final Path file, final int capacityMessages) throws IOException
    {
        this.file = file;
        this.capacity = capacityBytes(capacityMessages);
        final long length = capacity + RingBufferDescriptor.TRAILER_LENGTH;
        if (file == null)
        {
            mapped = ByteBuffer.allocateDirect((int)length);
        }
        else
        {
            Files.createDirectories(file.getParent());
            final Path previous = file.resolveSibling(file.getFileName() + ".previous");
            if (Files.exists(file) && Files.size(file) != length)
            {
                if (!validLength(Files.size(file)))
                {
                    final Path aside = file.resolveSibling(file.getFileName() + ".invalid");
                    LOG.warn("delta ring {} has an invalid length {}: moved to {}", file, Files.size(file), aside);
                    Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                }
                else if (Files.exists(previous))
                {
                    Files.delete(file); // made by a start that died before recovering the previous one: empty
                }
                else
                {
                    Files.move(file, previous, StandardCopyOption.ATOMIC_MOVE);
                }
            }
            if (Files.exists(previous) && validLength(Files.size(previous)))
            {
                previousFile = previous;
                previousMapped = IoUtil.mapExistingFile(previous.toFile(), "previous delta ring");
            }
            mapped = Files.exists(file) ? IoUtil.mapExistingFile(file.toFile(), "delta ring") :
                IoUtil.mapNewFile(file.toFile(), length, true);
        }
        ring = new OneToOneRingBuffer(new UnsafeBuffer(mapped));
    }

    static int capacityBytes(final int capacityMessages)
    {
        return Integer.highestOneBit(Math.max(64, capacityMessages) * RECORD_BYTES - 1) << 1;
    }

    private static boolean validLength(final long length)
    {
        final long data = length - RingBufferDescriptor.TRAILER_LENGTH;
        return data >= 1024 && data <= (1 << 30) && Long.bitCount(data) == 1;
    }

    public OneToOneRingBuffer ring()
    {
        return ring;
    }

    /** Hands every complete record the last run left unread to {@code handler}, oldest first; returns how many. */
    public int recover(final MessageHandler handler)
    {
        int total = 0;
        if (previousMapped != null)
        {
            total += drain(new OneToOneRingBuffer(new UnsafeBuffer(previousMapped)), handler);
        }
        return total + drain(ring, handler);
    }

    private int drain(final OneToOneRingBuffer from, final MessageHandler handler)
    {
        int total = 0;
        int n;
        while ((n = from.read(handler, Integer.MAX_VALUE)) > 0)
        {
            total += n;
        }
        if (from.size() > 0)
        {
            LOG.warn("delta ring {}: skipped a record the last process was still writing", file);
        }
        return total;
    }

    /** Empties the ring for this run (and drops a previous one). Call after {@link #recover}. */
    public void reset() throws IOException
    {
        ring.buffer().setMemory(0, ring.buffer().capacity(), (byte)0);
        if (previousMapped != null)
        {
            IoUtil.unmap(previousMapped);
            previousMapped = null;
            Files.deleteIfExists(previousFile);
            previousFile = null;
        }
    }

    /** Flushes the mapping towards the disk (process death needs nothing: the page cache keeps it). */
    public void force()
    {
        if (mapped instanceof MappedByteBuffer)
        {
            ((MappedByteBuffer)mapped).force();
        }
    }
}
