package org.trackerd.io.webtorrent;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;

/**
 * The relay rings of the WebTorrent frontends, one per frontend thread that serves WebSocket connections, indexed
 * by that frontend's response queue id (the "frontend" of a connection handle). A forwarded offer or a relayed
 * answer is written, already encoded as the target's JSON message, by the thread that read it (any frontend thread)
 * into the ring of the thread that owns the target connection, which frames and writes it in its duty cycle. So
 * the session descriptions cross threads once, never through the swarm processor, and only a socket's owner ever
 * writes to it.
 *
 * <p>A message: the target connection's correlation id (slot and generation, 8 bytes), then the JSON text.
 *
 * <p>Thread: {@link #register} on the launcher thread before the frontends start; {@link #offer}, {@link #claim},
 * {@link #buffer} and {@link #commit} from any frontend thread; {@link #drain} by the ring's owner only.
 */
public final class WebTorrentRelays
{
    /** Room for as many frontends as there are response queues (HTTP, UDP and TLS threads together). */
    public static final int MAX_FRONTENDS = 256;
    private static final int MSG_TYPE = 1;

    private final ManyToOneRingBuffer[] rings = new ManyToOneRingBuffer[MAX_FRONTENDS];
    private final Runnable[] wakers = new Runnable[MAX_FRONTENDS];
    private final int capacity;

    /** @param capacityBytes each ring's size, a power of two */
    public WebTorrentRelays(final int capacityBytes)
    {
        this.capacity = capacityBytes;
    }

    /** The ring of frontend {@code frontendId}, woken by {@code waker} when a message is written to it. */
    public void register(final int frontendId, final Runnable waker)
    {
        rings[frontendId] = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH)));
        wakers[frontendId] = waker;
    }

    /** The largest JSON text one message may carry. */
    public int maxJsonLength()
    {
        return rings[firstRegistered()].maxMsgLength() - Long.BYTES;
    }

    private int firstRegistered()
    {
        for (int i = 0; i < MAX_FRONTENDS; i++)
        {
            if (rings[i] != null)
            {
                return i;
            }
        }
        throw new IllegalStateException("no WebTorrent frontend registered");
    }

    /**
     * Writes the message in {@code buffer[offset, offset + 8 + jsonLength)} (the correlation id at {@code offset},
     * the JSON after it) into frontend {@code frontendId}'s ring and wakes it. False when there is no such ring or
     * it is full (the offer is lost; the client's offer times out). {@code fromFrontendId}: the writer's own id.
     */
    public boolean offer(final int frontendId, final DirectBuffer buffer, final int offset, final int length,
        final int fromFrontendId)
    {
        if (frontendId < 0 || frontendId >= MAX_FRONTENDS || rings[frontendId] == null)
        {
            return false;
        }
        if (!rings[frontendId].write(MSG_TYPE, buffer, offset, length))
        {
            return false;
        }
        if (frontendId != fromFrontendId)
        {
            wakers[frontendId].run(); // its own ring the writer drains in this very duty cycle: no wake-up call
        }
        return true;
    }

    /**
     * Claims room for a message of {@code length} bytes (the correlation id, then the JSON) in frontend
     * {@code frontendId}'s ring, for the caller to write in place in {@link #buffer} and then {@link #commit} at
     * once (the ring's reader waits at an uncommitted message): the index of its first byte, or -1 when there is no
     * such ring or it is full (the message is lost, as with {@link #offer}).
     */
    public int claim(final int frontendId, final int length)
    {
        if (frontendId < 0 || frontendId >= MAX_FRONTENDS || rings[frontendId] == null)
        {
            return -1;
        }
        final int index = rings[frontendId].tryClaim(MSG_TYPE, length);
        return index < 0 ? -1 : index;
    }

    /** The buffer of frontend {@code frontendId}'s ring, where a {@link #claim}ed message is written. */
    public MutableDirectBuffer buffer(final int frontendId)
    {
        return rings[frontendId].buffer();
    }

    /** Makes a {@link #claim}ed message readable and wakes the ring's owner (unless it is the writer itself). */
    public void commit(final int frontendId, final int index, final int fromFrontendId)
    {
        rings[frontendId].commit(index);
        if (frontendId != fromFrontendId)
        {
            wakers[frontendId].run();
        }
    }

    /** True when frontend {@code frontendId}'s ring holds no message; its owner only. */
    public boolean isEmpty(final int frontendId)
    {
        return rings[frontendId].size() == 0;
    }

    /** Hands up to {@code limit} messages of frontend {@code frontendId}'s ring to {@code handler}. */
    public int drain(final int frontendId, final MessageHandler handler, final int limit)
    {
        return rings[frontendId].read(handler, limit);
    }
}
