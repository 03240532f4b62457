package org.trackerd.io.udp;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A fixed array of datagrams in native memory, laid out as the {@code struct mmsghdr} vector that
 * {@link BatchNatives#recvmmsg} fills and {@link BatchNatives#sendmmsg} sends: per message one header, one
 * {@code iovec}, a {@code sockaddr} of {@value #NAME_STRIDE} bytes and a data area of {@link #dataStride()} bytes,
 * all in one direct buffer allocated once.
 *
 * <p>Receiving: {@link #receive} takes up to {@link #capacity()} queued datagrams in one call; message {@code i}'s
 * bytes are at {@link #dataOffset}, its length {@link #length}, its sender at {@link #nameOffset}. Sending:
 * {@link #nextDataOffset} and {@link #nextNameOffset} are where the next message is written, {@link #add} counts it
 * in, {@link #send} sends all of them in as few calls as the kernel allows.
 *
 * <p>Layout (LP64 Linux, x86-64 and aarch64): {@code struct msghdr} is 56 bytes ({@code msg_name} at 0,
 * {@code msg_namelen} 8, {@code msg_iov} 16, {@code msg_iovlen} 24, {@code msg_control} 32, {@code msg_controllen}
 * 40, {@code msg_flags} 48), followed by {@code msg_len} at 56; {@code struct iovec} is {@code iov_base} at 0 and
 * {@code iov_len} at 8.
 *
 * <p>Thread: the one thread that owns the socket.
 */
final class DatagramBatch
{
    static final int HEADER_BYTES = 64;
    static final int NAME_STRIDE = 32;
    private static final int IOVEC_BYTES = 16;
    private static final int NAME = 0;
    private static final int NAME_LENGTH = 8;
    private static final int IOV = 16;
    private static final int IOV_COUNT = 24;
    private static final int FLAGS = 48;
    private static final int MESSAGE_LENGTH = 56;
    private static final int IOV_LENGTH = 8;

    private final int capacity;
    private final int dataStride;
    private final UnsafeBuffer memory;
    private final long address;
    private final int iovecs;
    private final int names;
    private final int data;
    private int size;
    /** Messages the last {@link #receive} filled. */
    private int lastReceived;
    private long bytesSent;
    private int failed;

    /**
     * @param capacity   messages per call
     * @param dataStride bytes of each message's data area at least (see {@link #stride})
     */
    DatagramBatch(final int capacity, final int dataStride)
    {
        this.capacity = capacity;
        this.dataStride = stride(dataStride);
        this.iovecs = capacity * HEADER_BYTES;
        this.names = iovecs + capacity * IOVEC_BYTES;
        this.data = BitUtil.align(names + capacity * NAME_STRIDE, BitUtil.CACHE_LINE_LENGTH);
        this.memory = new UnsafeBuffer(
            BufferUtil.allocateDirectAligned(data + capacity * this.dataStride, BitUtil.CACHE_LINE_LENGTH));
        this.address = memory.addressOffset();
        for (int i = 0; i < capacity; i++)
        {
            final int header = i * HEADER_BYTES;
            final int iovec = iovecs + i * IOVEC_BYTES;
            memory.putLong(header + NAME, address + nameOffset(i));
            memory.putInt(header + NAME_LENGTH, SocketAddresses.LENGTH);
            memory.putLong(header + IOV, address + iovec);
            memory.putLong(header + IOV_COUNT, 1);
            memory.putLong(iovec, address + dataOffset(i));
            memory.putLong(iovec + IOV_LENGTH, this.dataStride);
        }
    }

    /**
     * A data area of at least {@code dataBytes}, a whole number of cache lines, and not a multiple of 4 KiB: areas
     * a power of two apart (8 KiB for the receive batch) would start in the same few cache sets, so the first lines
     * of a batch's datagrams, the only ones a request fills, would evict each other between the kernel's copy and
     * the frontend's read. One more line per area spreads them over the sets.
     */
    static int stride(final int dataBytes)
    {
        final int aligned = BitUtil.align(dataBytes, BitUtil.CACHE_LINE_LENGTH);
        return (aligned & 4095) == 0 ? aligned + BitUtil.CACHE_LINE_LENGTH : aligned;
    }

    int capacity()
    {
        return capacity;
    }

    int dataStride()
    {
        return dataStride;
    }

    /** The batch's memory: headers, iovecs, names and data, at the offsets the methods below give. */
    UnsafeBuffer memory()
    {
        return memory;
    }

    int dataOffset(final int i)
    {
        return data + i * dataStride;
    }

    int nameOffset(final int i)
    {
        return names + i * NAME_STRIDE;
    }

    /**
     * Receives up to {@link #capacity()} datagrams queued on the non-blocking socket {@code fd} in one call; each
     * message's data area takes at most {@link #dataStride()} bytes ({@link #truncated} says a datagram was longer).
     *
     * @return datagrams received; 0 when none was queued (or the call failed)
     */
    int receive(final int fd)
    {
        // The kernel shortens msg_namelen only in the messages it fills: restore those of the last call.
        for (int i = 0; i < lastReceived; i++)
        {
            memory.putInt(i * HEADER_BYTES + NAME_LENGTH, SocketAddresses.LENGTH);
        }
        lastReceived = Math.max(BatchNatives.recvmmsg(fd, address, capacity, BatchNatives.MSG_DONTWAIT, 0L), 0);
        return lastReceived;
    }

    /** Bytes of received message {@code i}. */
    int length(final int i)
    {
        return memory.getInt(i * HEADER_BYTES + MESSAGE_LENGTH);
    }

    /** True when received message {@code i} was longer than its data area and lost its tail. */
    boolean truncated(final int i)
    {
        return (memory.getInt(i * HEADER_BYTES + FLAGS) & BatchNatives.MSG_TRUNC) != 0;
    }

    /** Messages added and not yet sent. */
    int size()
    {
        return size;
    }

    boolean isFull()
    {
        return size == capacity;
    }

    /** Where the next message's data goes ({@link #dataStride()} bytes). */
    int nextDataOffset()
    {
        return dataOffset(size);
    }

    /** Where the next message's target {@code sockaddr} goes ({@value #NAME_STRIDE} bytes). */
    int nextNameOffset()
    {
        return nameOffset(size);
    }

    /** Counts in the message written at {@link #nextDataOffset()} and {@link #nextNameOffset()}; not when full. */
    void add(final int length, final int nameLength)
    {
        final int header = size * HEADER_BYTES;
        memory.putInt(header + NAME_LENGTH, nameLength);
        memory.putLong(iovecs + size * IOVEC_BYTES + IOV_LENGTH, length);
        size++;
    }

    /**
     * Sends every added message from the non-blocking socket {@code fd}, in as few {@code sendmmsg} calls as the
     * kernel allows; a message it refuses is skipped (counted in {@link #failed()}) and the rest still go. Empties
     * the batch.
     *
     * @return messages sent
     */
    int send(final int fd)
    {
        bytesSent = 0;
        failed = 0;
        int start = 0;
        while (start < size)
        {
            final int sent = BatchNatives.sendmmsg(fd, address + (long)start * HEADER_BYTES, size - start, 0);
            if (sent <= 0)
            {
                failed++;
                start++;
                continue;
            }
            for (int i = start; i < start + sent; i++)
            {
                bytesSent += memory.getInt(i * HEADER_BYTES + MESSAGE_LENGTH);
            }
            start += sent;
        }
        final int sentMessages = size - failed;
        size = 0;
        return sentMessages;
    }

    /** Bytes the last {@link #send} sent. */
    long bytesSent()
    {
        return bytesSent;
    }

    /** Messages the last {@link #send} could not send. */
    int failed()
    {
        return failed;
    }
}
