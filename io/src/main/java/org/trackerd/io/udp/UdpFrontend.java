package org.trackerd.io.udp;

import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.RequestCounters;
import org.trackerd.engine.TrackerEngine;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.engine.event.ResponseEvent;
import org.trackerd.engine.event.Status;
import org.trackerd.engine.metrics.LatencyRecorder;
import org.trackerd.engine.metrics.TrackerMetrics;
import org.trackerd.engine.policy.AccessChecker;
import org.trackerd.io.admission.Admission;
import org.trackerd.io.agent.FrontendAgent;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One UDP frontend thread (BEP 15): receives datagrams on its own channels (several threads share a port through
 * {@code SO_REUSEPORT}), answers connects itself, publishes announces and scrapes into the request ring, drains
 * its own response queue and sends the answers from the channel the request came in on. It is the only thread
 * that touches its channels.
 *
 * <p>Duty cycle ({@link FrontendAgent}): read the clock once, receive a bounded batch from each channel, drain
 * responses; the thread idles through {@code engine.frontend_idle} when there was nothing to do (shared mode: or
 * nothing left queued, {@link #settled()}). Readiness of its channels is only a wake-up call: every cycle tries
 * every channel.
 *
 * <p>I/O paths, best first ({@link #describeIo} names the one in use):
 * <ul>
 *   <li>batches ({@link BatchNatives}): one {@code recvmmsg} takes in up to {@value #MAX_RECEIVES_PER_CHANNEL}
 *       queued datagrams of a channel ({@link DatagramBatch}), and the answers a cycle produces (connects, errors,
 *       the engine's answers) are encoded straight into an outgoing batch that leaves in one {@code sendmmsg} at the
 *       cycle's end (or when full, or before an answer from another channel);</li>
 *   <li>one datagram per call through the JDK's natives ({@link DatagramNatives}), received into one reused direct
 *       buffer and answered from another.</li>
 * </ul>
 * Both keep the sender as the kernel's raw {@code sockaddr} ({@link SocketAddresses}), one per in-flight slot in an
 * off-heap table, so steady state allocates nothing. Where those natives cannot be reached (no
 * {@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED}, another JDK, or {@value #JDK_IO_PROPERTY} set) the frontend
 * uses {@link DatagramChannel#receive}/{@link DatagramChannel#send}, and the JDK allocates the sender's
 * {@link InetSocketAddress} in every receive whose sender differs from the previous one (and the address bytes of an
 * IPv6 sender); {@link #nativeIo()} tells which path is in use.
 *
 * <p>Thread: the agent's thread (its own, or the shared one); {@link #requestStop} from any thread.
 */
public final class UdpFrontend extends FrontendAgent
{
    private static final Logger LOG = LoggerFactory.getLogger(UdpFrontend.class);
    private static final int MAX_RECEIVES_PER_CHANNEL = 64;
    /** System property: {@code true} forces the public {@link DatagramChannel} API even where the natives work. */
    public static final String JDK_IO_PROPERTY = "trackerd.udp.jdk_io";
    /**
     * System property: {@code true} makes the native path receive and send one datagram per system call even where
     * {@code recvmmsg}/{@code sendmmsg} ({@link BatchNatives}) work.
     */
    public static final String SINGLE_IO_PROPERTY = "trackerd.udp.single_io";
    /**
     * Data area of each datagram a batch receives: far above any BEP 15 request a client sends (98 bytes, plus
     * URLData options; a scrape of the most hashes is sized in); a longer datagram loses its tail and is dropped.
     */
    private static final int BATCH_RECEIVE_BYTES = 8192;
    private static final int BATCH_NOT_LOADED = 0;
    private static final int BATCH_LOADING = 1;
    private static final int BATCH_READY = 2;
    private static final int BATCH_UNAVAILABLE = 3;
    /** Where binding the batch calls stands, for every frontend of the process ({@link #prepareBatchIo}). */
    private static volatile int batchState;
    /** Bytes per entry of the {@code sockaddr} table: {@link SocketAddresses#LENGTH}, 8-byte aligned. */
    private static final int ADDRESS_STRIDE = 32;
    private static final byte[] JWT_PARAMETER = "jwt".getBytes(StandardCharsets.US_ASCII);

    private final int index;
    private final DatagramChannel[] channels;
    private final UdpCounters counters;
    private final RequestCounters requests;
    private final LatencyRecorder announceLatency;
    private final LatencyRecorder scrapeLatency;
    /** Address family ({@code RequestCounters.FAMILY_*}) of each in-flight slot's client. */
    private final int[] slotFamily;

    private final UdpRequestDecoder decoder;
    private final UdpResponseEncoder encoder = new UdpResponseEncoder();
    private final RequestEvent scratch;
    private final ByteBuffer receiveBytes = ByteBuffer.allocateDirect(UdpProtocol.MAX_DATAGRAM_LENGTH);
    private final UnsafeBuffer receive = new UnsafeBuffer(receiveBytes);
    private final ByteBuffer sendBytes;
    private final UnsafeBuffer send;
    private final byte[] sender16 = new byte[RequestEvent.ADDRESS_LENGTH];

    /** Each channel's file descriptor for {@link DatagramNatives}; null on the public-API path. */
    private final FileDescriptor[] fds;
    /** Each channel's descriptor number for {@link BatchNatives}; null unless datagrams go in batches. */
    private int[] fdNumbers;
    /** Batch path only (null otherwise): what one {@code recvmmsg} took in, and the answers the cycle queued. */
    private DatagramBatch received;
    private DatagramBatch outgoing;
    /** Batches are wanted but the calls are not bound yet ({@link #prepareBatchIo}): this frontend checks each cycle. */
    private boolean batchPending;
    /** {@link #fdNumbers} is set: what other threads read ({@link #batchIo()}). */
    private volatile boolean batchActive;
    private final int batchReceiveBytes;
    /** Channel the queued answers leave from (a batch holds one channel's answers). */
    private int outgoingChannel;
    /**
     * Raw {@code sockaddr}s, {@link #ADDRESS_STRIDE} bytes apart: entry {@code s} is where in-flight slot {@code s}'s
     * answer goes (the slot rides in the high half of the correlation id); entry {@link #senderEntry} is the sender of
     * the datagram being handled.
     */
    private final UnsafeBuffer addresses;
    private final int senderEntry;
    /** Public-API path only (null otherwise): each slot's destination, and the sender being handled. */
    private final InetSocketAddress[] slotTarget;
    private InetSocketAddress sender;
    /** Channel of each in-flight slot's request, -1 for a free slot. */
    private final int[] slotChannel;
    private final int[] freeSlots;
    private int freeCount;

    private long epochSeconds;
    /** {@link #answerClockNs()}: the clock of the drain under way, and whether the next answer starts a new one. */
    private long answerNs;
    private boolean answerClockStale = true;
    /** The last cycle took a full batch from some channel. */
    private boolean moreQueued;
    /**
     * @param sharedSelector the selector of the thread this frontend shares ({@code engine.threading = shared}),
     *                       or null for a selector of its own
     */
    public UdpFrontend(final int index, final List<DatagramChannel> channels, final TrackerEngine engine,
        final TrackerConfig config, final TrackerMetrics metrics, final byte[] connectionIdKey,
        final Admission admission, final Selector sharedSelector) throws IOException
    {
        super("udp-" + index, sharedSelector, engine, admission);
        this.index = index;
        this.channels = channels.toArray(new DatagramChannel[0]);
        this.counters = new UdpCounters(metrics.countersManager(), index);
        this.requests = admission.requests();
        this.announceLatency = metrics.latency("udp", "announce", index);
        this.scrapeLatency = metrics.latency("udp", "scrape", index);
        this.decoder = new UdpRequestDecoder(
            new ConnectionIds(connectionIdKey, config.udp.connectionIdLifetimeSeconds), config.tracker.allowIpSpoofing,
            config.tracker.allowCrossFamilyIp);
        this.scratch = new RequestEvent(config.tracker.maxScrapeHashes);
        this.sendBytes = ByteBuffer.allocateDirect(
            UdpResponseEncoder.maxMessageBytes(config.tracker.maxNumWant, config.tracker.maxScrapeHashes));
        this.send = new UnsafeBuffer(sendBytes);
        final int capacity = queue.capacity();
        this.fds = nativeFds(this.channels);
        this.batchReceiveBytes = Math.max(BATCH_RECEIVE_BYTES,
            ScrapeRequestFlyweight.INFO_HASHES_OFFSET + config.tracker.maxScrapeHashes * UdpProtocol.INFO_HASH_LENGTH);
        this.batchPending = fds != null && !Boolean.getBoolean(SINGLE_IO_PROPERTY);
        if (batchPending)
        {
            checkBatchIo(); // bound already by an earlier start in this process
        }
        this.addresses = new UnsafeBuffer(ByteBuffer.allocateDirect((capacity + 1) * ADDRESS_STRIDE));
        this.senderEntry = capacity;
        this.slotTarget = fds == null ? new InetSocketAddress[capacity] : null;
        this.slotChannel = new int[capacity];
        java.util.Arrays.fill(slotChannel, -1);
        this.slotFamily = new int[capacity];
        this.freeSlots = new int[capacity];
        for (int i = capacity - 1; i >= 0; i--)
        {
            freeSlots[freeCount++] = i;
        }
        for (final DatagramChannel channel : this.channels)
        {
            channel.configureBlocking(false);
            // Attached to tell them from the keys of other frontends on a shared selector.
            channel.register(selector, SelectionKey.OP_READ, this);
        }
    }

    /** The channels' file descriptors when the natives are usable for all of them (and not switched off), else null. */
    private static FileDescriptor[] nativeFds(final DatagramChannel[] channels)
    {
        if (!DatagramNatives.available() || Boolean.getBoolean(JDK_IO_PROPERTY))
        {
            return null;
        }
        final FileDescriptor[] fds = new FileDescriptor[channels.length];
        for (int i = 0; i < channels.length; i++)
        {
            fds[i] = DatagramNatives.fd(channels[i]);
            if (fds[i] == null)
            {
                return null;
            }
        }
        return fds;
    }

    /**
     * Moves to batches once {@link #prepareBatchIo} has bound the calls: between two cycles, when nothing is queued
     * for sending (one-per-call sends leave at once), so the switch loses nothing.
     */
    private void checkBatchIo()
    {
        final int state = batchState;
        if (state < BATCH_READY)
        {
            return;
        }
        batchPending = false;
        final int[] numbers = state == BATCH_READY ? fdNumbers(fds) : null;
        if (numbers != null)
        {
            received = new DatagramBatch(MAX_RECEIVES_PER_CHANNEL, batchReceiveBytes);
            outgoing = new DatagramBatch(MAX_RECEIVES_PER_CHANNEL, sendBytes.capacity());
            fdNumbers = numbers;
            batchActive = true;
        }
    }

    /** The channels' descriptor numbers for {@link BatchNatives}, or null when one cannot be read. */
    private static int[] fdNumbers(final FileDescriptor[] fds)
    {
        final int[] numbers = new int[fds.length];
        for (int i = 0; i < fds.length; i++)
        {
            numbers[i] = BatchNatives.fdVal(fds[i]);
            if (numbers[i] < 0)
            {
                return null;
            }
        }
        return numbers;
    }

    /**
     * Binds {@code recvmmsg}/{@code sendmmsg} ({@link BatchNatives}: JNA's class initialisation and native library,
     * about 0.2 s of one core) on a short-lived thread of its own, once, after the tracker answers: a start is not
     * made slower by it. Until it is done the frontends send and receive one datagram per call; each moves to
     * batches at its next cycle after ({@link #checkBatchIo}). Nothing when batches are switched off.
     */
    public static void prepareBatchIo()
    {
        if (Boolean.getBoolean(SINGLE_IO_PROPERTY) || Boolean.getBoolean(JDK_IO_PROPERTY))
        {
            return;
        }
        synchronized (UdpFrontend.class)
        {
            if (batchState != BATCH_NOT_LOADED)
            {
                return;
            }
            batchState = BATCH_LOADING;
        }
        final Thread t = new Thread(() ->
        {
            final boolean available = BatchNatives.available();
            batchState = available ? BATCH_READY : BATCH_UNAVAILABLE;
            LOG.info("udp io: {}", available ? describeIo(true, true) : "stays one datagram per system call: " +
                "recvmmsg/sendmmsg unavailable: " + BatchNatives.unavailableReason());
        }, "trackerd-batch-io-init");
        t.setDaemon(true);
        t.start();
    }

    /** True when this frontend receives and sends through the JDK's natives, allocation-free; false: public API. */
    public boolean nativeIo()
    {
        return fds != null;
    }

    /** True when datagrams are received and sent in batches ({@code recvmmsg}/{@code sendmmsg}). */
    public boolean batchIo()
    {
        return batchActive;
    }

    /**
     * The one-line description of the UDP I/O path {@link #nativeIo()} and {@link #batchIo()} report: what the
     * launcher logs at start.
     */
    public static String describeIo(final boolean nativeIo, final boolean batchIo)
    {
        if (batchIo)
        {
            return "batched (recvmmsg/sendmmsg, up to " + MAX_RECEIVES_PER_CHANNEL + " datagrams per system call, " +
                "raw sockaddrs: no allocation per datagram)";
        }
        if (nativeIo)
        {
            final int state = batchState;
            return "native, one datagram per system call (DatagramChannelImpl.receive0/send0 with raw sockaddrs: no " +
                "allocation per datagram; " + (Boolean.getBoolean(SINGLE_IO_PROPERTY) ? "-D" + SINGLE_IO_PROPERTY +
                "=true" : state == BATCH_UNAVAILABLE ? "recvmmsg/sendmmsg unavailable: " +
                BatchNatives.unavailableReason() : "batches of recvmmsg/sendmmsg once JNA is loaded, after start") + ")";
        }
        return "DatagramChannel API (allocates the sender's address per datagram; " + (DatagramNatives.available() ?
            "-D" + JDK_IO_PROPERTY + "=true)" : "natives unavailable: " + DatagramNatives.unavailableReason() +
            "; the allocation-free path needs --add-opens=java.base/sun.nio.ch=ALL-UNNAMED on OpenJDK 17+ on Linux)");
    }

    @Override
    protected int pollInbound(final boolean stopping)
    {
        if (batchPending)
        {
            checkBatchIo();
        }
        epochSeconds = System.currentTimeMillis() / 1000;
        return stopping ? 0 : receiveAll();
    }

    private int receiveAll()
    {
        int work = 0;
        boolean full = false;
        for (int c = 0; c < channels.length; c++)
        {
            final int received = receive(c);
            full |= received == MAX_RECEIVES_PER_CHANNEL;
            work += received;
        }
        moreQueued = full;
        return work;
    }

    /** A channel gave a whole batch last cycle: more may be queued, so the thread had better not sleep first. */
    @Override
    public boolean settled()
    {
        return !moreQueued && super.settled();
    }

    private int receive(final int channelIndex)
    {
        if (fdNumbers != null)
        {
            return receiveBatch(channelIndex);
        }
        final DatagramChannel channel = channels[channelIndex];
        int work = 0;
        final FileDescriptor fd = fds == null ? null : fds[channelIndex];
        final long senderAddress = addresses.addressOffset() + (long)senderEntry * ADDRESS_STRIDE;
        while (work < MAX_RECEIVES_PER_CHANNEL)
        {
            final int length;
            try
            {
                length = fd != null ?
                    DatagramNatives.receive(fd, receive.addressOffset(), receive.capacity(), senderAddress) :
                    receiveJdk(channel);
            }
            catch (final IOException ex)
            {
                counters.dropped.incrementRelease();
                break;
            }
            if (length < 0)
            {
                break;
            }
            work++;
            counters.received.incrementRelease();
            counters.bytesIn.getAndAddRelease(length);
            handle(channelIndex, length);
        }
        return work;
    }

    /** {@link #onDatagram}, where a bug must not take the thread down: that datagram is lost, the tracker serves on. */
    private void handle(final int channelIndex, final int length)
    {
        try
        {
            onDatagram(channelIndex, length);
        }
        catch (final RuntimeException ex)
        {
            counters.dropped.incrementRelease();
            counters.internalErrors.incrementRelease();
            LOG.warn("udp frontend {}: datagram of {} bytes failed: {}", index, length, ex.toString());
        }
    }

    /** Takes in every datagram one {@code recvmmsg} gives (at most a batch) and handles them in order. */
    private int receiveBatch(final int channelIndex)
    {
        final DatagramBatch batch = received;
        final int count = batch.receive(fdNumbers[channelIndex]);
        if (count == 0)
        {
            return 0;
        }
        counters.received.getAndAddRelease(count);
        final UnsafeBuffer memory = batch.memory();
        final int senderOffset = senderEntry * ADDRESS_STRIDE;
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            final int length = batch.length(i);
            bytes += length;
            if (batch.truncated(i))
            {
                counters.dropped.incrementRelease();
                continue;
            }
            addresses.putBytes(senderOffset, memory, batch.nameOffset(i), SocketAddresses.LENGTH);
            receive.wrap(memory, batch.dataOffset(i), batch.dataStride());
            handle(channelIndex, length);
        }
        counters.bytesIn.getAndAddRelease(bytes);
        return count;
    }

    /** Public-API receive: the datagram's length, or -1 when there is none; the sender goes to the sender entry. */
    private int receiveJdk(final DatagramChannel channel) throws IOException
    {
        receiveBytes.clear();
        final InetSocketAddress from = (InetSocketAddress)channel.receive(receiveBytes);
        if (from == null)
        {
            return -1;
        }
        sender = from;
        SocketAddresses.encode(from, addresses, senderEntry * ADDRESS_STRIDE);
        return receiveBytes.position();
    }

    private void onDatagram(final int channelIndex, final int length)
    {
        final int from = senderEntry * ADDRESS_STRIDE;
        if (!SocketAddresses.toAddress16(addresses, from, sender16))
        {
            counters.dropped.incrementRelease();
            return;
        }
        final int outcome = decoder.decode(receive, length, sender16, SocketAddresses.port(addresses, from),
            epochSeconds, scratch);
        if (decoder.badConnectionId())
        {
            counters.badConnectionId.incrementRelease();
        }
        final int family = RequestEvent.isIpv4Mapped(sender16, 0) ? RequestCounters.FAMILY_IPV4 :
            RequestCounters.FAMILY_IPV6;
        final int action = switch (decoder.action())
        {
            case UdpProtocol.ACTION_CONNECT -> RequestCounters.ACTION_CONNECT;
            case UdpProtocol.ACTION_ANNOUNCE -> RequestCounters.ACTION_ANNOUNCE;
            case UdpProtocol.ACTION_SCRAPE -> RequestCounters.ACTION_SCRAPE;
            default -> RequestCounters.ACTION_OTHER;
        };
        switch (outcome)
        {
            case UdpRequestDecoder.CONNECT ->
            {
                counters.connects.incrementRelease();
                requests.increment(action, family, RequestCounters.OUTCOME_OK);
                send(channelIndex, senderEntry, sender,
                    encoder.connect(sendBuffer(channelIndex), decoder.transactionId(), decoder.connectionId()));
            }
            case UdpRequestDecoder.PUBLISH -> publish(channelIndex, action, family);
            case UdpRequestDecoder.ERROR ->
            {
                counters.errorsSent.incrementRelease();
                requests.increment(action, family, decoder.badConnectionId() || action == RequestCounters.ACTION_OTHER ?
                    RequestCounters.OUTCOME_MALFORMED : RequestCounters.OUTCOME_CLIENT_ERROR);
                send(channelIndex, senderEntry, sender,
                    encoder.error(sendBuffer(channelIndex), decoder.transactionId(), decoder.error().message));
            }
            default ->
            {
                counters.dropped.incrementRelease();
                requests.increment(action, family, RequestCounters.OUTCOME_MALFORMED);
            }
        }
    }

    private void publish(final int channelIndex, final int action, final int family)
    {
        final RequestEvent e = scratch;
        final byte[] refusal = refusal(e, action, family);
        if (refusal != null)
        {
            // The sender proved its address with a valid connection id, so an error packet amplifies nothing.
            counters.errorsSent.incrementRelease();
            send(channelIndex, senderEntry, sender, encoder.error(sendBuffer(channelIndex), decoder.transactionId(),
                refusal));
            return;
        }
        final boolean room = freeCount > 0;
        final int slot = room ? freeSlots[--freeCount] : 0;
        e.correlationId |= (long)slot << 32;
        e.frontendId = queue.id();
        e.receivedNs = nowNs;
        if (!publish(e, action, family, room))
        {
            if (!room)
            {
                counters.droppedBusy.incrementRelease();
                return;
            }
            // Ring full: drop; the client retries after 15 s, which costs it time, not correctness.
            freeSlots[freeCount++] = slot;
            counters.droppedBusy.incrementRelease();
            return;
        }
        addresses.putBytes(slot * ADDRESS_STRIDE, addresses, senderEntry * ADDRESS_STRIDE, SocketAddresses.LENGTH);
        if (slotTarget != null)
        {
            slotTarget[slot] = sender;
        }
        slotChannel[slot] = channelIndex;
        slotFamily[slot] = family;
        if (e.kind == RequestEvent.KIND_ANNOUNCE)
        {
            counters.announces.incrementRelease();
            if (decoder.announce().optionsTruncated())
            {
                counters.optionsTruncated.incrementRelease();
            }
        }
        else
        {
            counters.scrapes.incrementRelease();
        }
    }

    /**
     * The {@link Admission}'s verdict, with what it reads from the announce's URLData: private mode's passkey (a
     * UDP scrape has no URLData to carry one, so it is refused) and a JWT ({@code ?jwt=}, BEP 41).
     */
    private byte[] refusal(final RequestEvent e, final int action, final int family)
    {
        final UnsafeBuffer urlData = decoder.urlData();
        final boolean announce = e.kind == RequestEvent.KIND_ANNOUNCE;
        final int urlDataLength = announce ? decoder.announce().urlDataLength() : 0;
        final int passkey = announce ? UrlDataQuery.passkeyOffset(urlData, urlDataLength) : -1;
        final long token = announce ? UrlDataQuery.find(urlData, urlDataLength, JWT_PARAMETER) : UrlDataQuery.ABSENT;
        return token == UrlDataQuery.ABSENT ?
            admission.refusal(e, action, family, urlData, passkey, null, 0, AccessChecker.NO_TOKEN) :
            admission.refusal(e, action, family, urlData, passkey, urlData, UrlDataQuery.offset(token),
                UrlDataQuery.length(token));
    }

    /** A bug in one answer loses that answer only: the poller still moves past the event, the thread lives on. */
    @Override
    protected boolean onResponse(final ResponseEvent r, final long sequence, final boolean endOfBatch)
    {
        try
        {
            return answer(r);
        }
        catch (final RuntimeException ex)
        {
            counters.internalErrors.incrementRelease();
            LOG.warn("udp frontend {}: response failed", index, ex);
            return true;
        }
        finally
        {
            if (endOfBatch)
            {
                answerClockStale = true;
            }
        }
    }

    /**
     * The time the answers of one drain of the response queue are encoded, for their latency: read at the drain's
     * first answer, not once per answer (a drain encodes in microseconds what its one {@code sendmmsg} then sends).
     */
    private long answerClockNs()
    {
        if (answerClockStale)
        {
            answerClockStale = false;
            answerNs = System.nanoTime();
        }
        return answerNs;
    }

    private boolean answer(final ResponseEvent r)
    {
        final int slot = (int)(r.correlationId >>> 32);
        final int transactionId = (int)r.correlationId;
        if (slot < 0 || slot >= slotChannel.length || slotChannel[slot] < 0)
        {
            return true;
        }
        final int channelIndex = slotChannel[slot];
        slotChannel[slot] = -1;
        InetSocketAddress to = null;
        if (slotTarget != null)
        {
            to = slotTarget[slot];
            slotTarget[slot] = null;
        }
        // The slot's sockaddr stays as it is until the next publish, after this answer has gone.
        freeSlots[freeCount++] = slot;
        outstanding--;
        final boolean announce = r.kind == RequestEvent.KIND_ANNOUNCE;
        admission.answered(announce ? RequestCounters.ACTION_ANNOUNCE : RequestCounters.ACTION_SCRAPE, slotFamily[slot],
            r.status);
        final UnsafeBuffer out = sendBuffer(channelIndex);
        final int length;
        if (r.status != Status.OK)
        {
            counters.errorsSent.incrementRelease();
            length = encoder.error(out, transactionId, Admission.reason(r.status));
        }
        else if (r.kind == RequestEvent.KIND_ANNOUNCE)
        {
            counters.responses.incrementRelease();
            length = encoder.announce(out, transactionId, r, (r.context & UdpRequestDecoder.CONTEXT_IPV6) != 0);
        }
        else
        {
            counters.responses.incrementRelease();
            length = encoder.scrape(out, transactionId, r);
        }
        send(channelIndex, slot, to, length);
        (announce ? announceLatency : scrapeLatency).recordNs(answerClockNs() - r.receivedNs);
        return true;
    }

    /**
     * The buffer the next answer from channel {@code channelIndex} is encoded into, from index 0: the next free
     * message of the outgoing batch (sending the batch first when it is full or holds another channel's answers),
     * or the one send buffer.
     */
    private UnsafeBuffer sendBuffer(final int channelIndex)
    {
        final DatagramBatch batch = outgoing;
        if (batch == null)
        {
            return send;
        }
        if (batch.size() > 0 && (batch.isFull() || outgoingChannel != channelIndex))
        {
            flushOutgoing();
        }
        outgoingChannel = channelIndex;
        send.wrap(batch.memory(), batch.nextDataOffset(), batch.dataStride());
        return send;
    }

    /** Sends the answers the cycle queued in the outgoing batch, in one {@code sendmmsg} when the kernel takes all. */
    private void flushOutgoing()
    {
        final DatagramBatch batch = outgoing;
        if (batch == null || batch.size() == 0)
        {
            return;
        }
        batch.send(fdNumbers[outgoingChannel]);
        counters.bytesOut.getAndAddRelease(batch.bytesSent());
        if (batch.failed() > 0)
        {
            counters.sendFailed.getAndAddRelease(batch.failed());
        }
    }

    @Override
    protected void endOfCycle()
    {
        flushOutgoing();
    }

    /**
     * Sends {@code length} bytes of the send buffer from channel {@code channelIndex} to the {@code sockaddr} of
     * {@code entry} (native path) or to {@code to} (public-API path).
     */
    private void send(final int channelIndex, final int entry, final InetSocketAddress to, final int length)
    {
        final DatagramBatch batch = outgoing;
        if (batch != null)
        {
            // Queued; the cycle's end (or a full batch) sends it.
            final int offset = entry * ADDRESS_STRIDE;
            batch.memory().putBytes(batch.nextNameOffset(), addresses, offset, SocketAddresses.LENGTH);
            batch.add(length, SocketAddresses.length(addresses, offset));
            return;
        }
        try
        {
            final int sent;
            if (fds != null)
            {
                final int offset = entry * ADDRESS_STRIDE;
                sent = DatagramNatives.send(fds[channelIndex], send.addressOffset(), length,
                    addresses.addressOffset() + offset, SocketAddresses.length(addresses, offset));
            }
            else
            {
                sendBytes.clear().limit(length);
                sent = channels[channelIndex].send(sendBytes, to);
            }
            if (sent <= 0)
            {
                counters.sendFailed.incrementRelease();
            }
            else
            {
                counters.bytesOut.getAndAddRelease(sent);
            }
        }
        catch (final PortUnreachableException ex)
        {
            // An ICMP error left by an earlier datagram: the JDK's send counts this one as sent on an unconnected
            // channel, and so do we on the native path.
            counters.bytesOut.getAndAddRelease(length);
        }
        catch (final IOException ex)
        {
            counters.sendFailed.incrementRelease();
        }
    }

    @Override
    protected void closeChannels()
    {
        flushOutgoing();
        for (final DatagramChannel channel : channels)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                LOG.warn("closing udp channel: {}", ex.toString());
            }
        }
    }
}
