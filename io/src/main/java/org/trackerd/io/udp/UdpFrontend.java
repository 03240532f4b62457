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
import org.trackerd.engine.policy.AccessChecker;
import org.trackerd.engine.policy.AccessPolicy;
import org.trackerd.engine.policy.Reason;
import org.trackerd.io.agent.FrontendAgent;
import org.trackerd.metrics.LatencyRecorder;
import org.trackerd.metrics.TrackerMetrics;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
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
 * responses; the thread idles through {@code engine.frontend_idle} when there was nothing to do. Readiness of its
 * channels is only a wake-up call: every cycle tries every channel. Datagrams are received into one reused direct buffer
 * and answers encoded into another, so steady state allocates nothing of its own; the JDK still allocates the
 * sender's {@link InetSocketAddress} in every {@link DatagramChannel#receive} (and the address bytes of an IPv6
 * sender), accepted for now: a recvmmsg-style path would remove it.
 *
 * <p>Thread: the agent's thread (its own, or the shared one); {@link #requestStop} from any thread.
 */
public final class UdpFrontend extends FrontendAgent
{
    private static final Logger LOG = LoggerFactory.getLogger(UdpFrontend.class);
    private static final int MAX_RECEIVES_PER_CHANNEL = 64;
    private static final byte[][] STATUS_REASONS = new byte[Status.values().length][];

    static
    {
        for (final Status s : Status.values())
        {
            STATUS_REASONS[s.ordinal()] = s.reason() == null ? new byte[0] : s.reason().getBytes(StandardCharsets.US_ASCII);
        }
    }

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

    /** In-flight requests: where each answer goes. The slot rides in the high half of the correlation id. */
    private final SocketAddress[] slotAddress;
    private final int[] slotChannel;
    private final int[] freeSlots;
    private int freeCount;

    private long epochSeconds;
    /** Null: no access control at all (set before the thread starts). */
    private AccessChecker access;

    /**
     * @param sharedSelector the selector of the thread this frontend shares ({@code engine.threading = shared}),
     *                       or null for a selector of its own
     */
    public UdpFrontend(final int index, final List<DatagramChannel> channels, final TrackerEngine engine,
        final TrackerConfig config, final TrackerMetrics metrics, final byte[] connectionIdKey,
        final Selector sharedSelector) throws IOException
    {
        super("udp-" + index, sharedSelector, engine);
        this.index = index;
        this.channels = channels.toArray(new DatagramChannel[0]);
        this.counters = new UdpCounters(metrics.countersManager(), index);
        this.requests = new RequestCounters(metrics.countersManager(), "udp", index);
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
        this.slotAddress = new SocketAddress[capacity];
        this.slotChannel = new int[capacity];
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

    /** Null in public mode. */
    private org.trackerd.engine.site.SiteChecker site;

    /** Private mode: announces carry {@code /<passkey>/announce} in BEP 41 URLData; call before the thread starts. */
    public void privateMode(final org.trackerd.engine.site.SiteChecker checker)
    {
        this.site = checker;
    }

    /** Installs the access check (torrent/client lists, JWT from BEP 41 URLData); call before the thread starts. */
    public void accessChecker(final AccessChecker checker)
    {
        this.access = checker;
    }

    @Override
    protected int pollInbound(final boolean stopping)
    {
        epochSeconds = System.currentTimeMillis() / 1000;
        return stopping ? 0 : receiveAll();
    }

    private int receiveAll()
    {
        int work = 0;
        for (int c = 0; c < channels.length; c++)
        {
            work += receive(c);
        }
        return work;
    }

    private int receive(final int channelIndex)
    {
        final DatagramChannel channel = channels[channelIndex];
        int work = 0;
        while (work < MAX_RECEIVES_PER_CHANNEL)
        {
            receiveBytes.clear();
            final SocketAddress from;
            try
            {
                from = channel.receive(receiveBytes);
            }
            catch (final IOException ex)
            {
                counters.dropped.incrementRelease();
                break;
            }
            if (from == null)
            {
                break;
            }
            work++;
            final int length = receiveBytes.position();
            counters.received.incrementRelease();
            counters.bytesIn.getAndAddRelease(length);
            try
            {
                onDatagram(channelIndex, (InetSocketAddress)from, length);
            }
            catch (final RuntimeException ex)
            {
                // A bug must not take the thread down with it; the datagram is lost, the tracker keeps serving.
                counters.dropped.incrementRelease();
                counters.internalErrors.incrementRelease();
                LOG.warn("udp frontend {}: datagram of {} bytes failed: {}", index, length, ex.toString());
            }
        }
        return work;
    }

    private void onDatagram(final int channelIndex, final InetSocketAddress from, final int length)
    {
        toAddress16(from.getAddress(), sender16);
        final int outcome = decoder.decode(receive, length, sender16, from.getPort(), epochSeconds, scratch);
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
                send(channels[channelIndex], from, encoder.connect(send, decoder.transactionId(), decoder.connectionId()));
            }
            case UdpRequestDecoder.PUBLISH -> publish(channelIndex, from, action, family);
            case UdpRequestDecoder.ERROR ->
            {
                counters.errorsSent.incrementRelease();
                requests.increment(action, family, decoder.badConnectionId() || action == RequestCounters.ACTION_OTHER ?
                    RequestCounters.OUTCOME_MALFORMED : RequestCounters.OUTCOME_CLIENT_ERROR);
                send(channels[channelIndex], from,
                    encoder.error(send, decoder.transactionId(), decoder.error().message));
            }
            default ->
            {
                counters.dropped.incrementRelease();
                requests.increment(action, family, RequestCounters.OUTCOME_MALFORMED);
            }
        }
    }

    private void publish(final int channelIndex, final SocketAddress from, final int action, final int family)
    {
        final RequestEvent e = scratch;
        final org.trackerd.engine.site.SiteReason denied = site == null ? org.trackerd.engine.site.SiteReason.ALLOWED :
            checkSite(e);
        if (denied != org.trackerd.engine.site.SiteReason.ALLOWED)
        {
            counters.errorsSent.incrementRelease();
            requests.increment(action, family, RequestCounters.OUTCOME_REJECTED);
            send(channels[channelIndex], from, encoder.error(send, decoder.transactionId(), denied.message));
            return;
        }
        final Reason refused = checkAccess(e);
        if (refused != Reason.ALLOWED)
        {
            // The sender proved its address with a valid connection id, so an error packet amplifies nothing.
            counters.errorsSent.incrementRelease();
            requests.increment(action, family, RequestCounters.OUTCOME_REJECTED);
            send(channels[channelIndex], from, encoder.error(send, decoder.transactionId(), refused.message));
            return;
        }
        if (freeCount == 0)
        {
            counters.droppedBusy.incrementRelease();
            requests.increment(action, family, RequestCounters.OUTCOME_DROPPED);
            return;
        }
        final int slot = freeSlots[--freeCount];
        e.correlationId |= (long)slot << 32;
        e.frontendId = queue.id();
        e.receivedNs = nowNs;
        if (!publish(e))
        {
            // Ring full: drop; the client retries after 15 s, which costs it time, not correctness.
            freeSlots[freeCount++] = slot;
            counters.droppedBusy.incrementRelease();
            requests.increment(action, family, RequestCounters.OUTCOME_DROPPED);
            return;
        }
        slotAddress[slot] = from;
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
     * Private mode's verdict; the passkey comes from the announce's URLData path. A UDP scrape has no URLData to
     * carry one, so it is refused.
     */
    private org.trackerd.engine.site.SiteReason checkSite(final RequestEvent e)
    {
        if (e.kind != RequestEvent.KIND_ANNOUNCE)
        {
            return org.trackerd.engine.site.SiteReason.UNKNOWN_PASSKEY;
        }
        final int passkey = UrlDataQuery.passkeyOffset(decoder.urlData(), decoder.announce().urlDataLength());
        return passkey < 0 ? org.trackerd.engine.site.SiteReason.UNKNOWN_PASSKEY :
            site.announce(decoder.urlData(), passkey, e);
    }

    /** The access policy's verdict on the decoded request; the JWT comes from the announce's URLData. */
    private Reason checkAccess(final RequestEvent e)
    {
        if (access == null)
        {
            return Reason.ALLOWED;
        }
        final AccessPolicy policy = access.policy();
        if (!policy.enabled())
        {
            return Reason.ALLOWED;
        }
        long token = UrlDataQuery.ABSENT;
        if (e.kind == RequestEvent.KIND_ANNOUNCE)
        {
            token = UrlDataQuery.find(decoder.urlData(), decoder.announce().urlDataLength(), JWT_PARAMETER);
        }
        return token == UrlDataQuery.ABSENT ?
            access.check(policy, e, null, 0, AccessChecker.NO_TOKEN, System.currentTimeMillis()) :
            access.check(policy, e, decoder.urlData(), UrlDataQuery.offset(token), UrlDataQuery.length(token),
                System.currentTimeMillis());
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
    }

    private boolean answer(final ResponseEvent r)
    {
        final int slot = (int)(r.correlationId >>> 32);
        final int transactionId = (int)r.correlationId;
        if (slot < 0 || slot >= slotAddress.length || slotAddress[slot] == null)
        {
            return true;
        }
        final SocketAddress to = slotAddress[slot];
        final DatagramChannel channel = channels[slotChannel[slot]];
        slotAddress[slot] = null;
        freeSlots[freeCount++] = slot;
        outstanding--;
        final boolean announce = r.kind == RequestEvent.KIND_ANNOUNCE;
        requests.increment(announce ? RequestCounters.ACTION_ANNOUNCE : RequestCounters.ACTION_SCRAPE, slotFamily[slot],
            r.status == Status.OK ? RequestCounters.OUTCOME_OK : RequestCounters.OUTCOME_REJECTED);
        final int length;
        if (r.status != Status.OK)
        {
            counters.errorsSent.incrementRelease();
            length = encoder.error(send, transactionId, STATUS_REASONS[r.status.ordinal()]);
        }
        else if (r.kind == RequestEvent.KIND_ANNOUNCE)
        {
            counters.responses.incrementRelease();
            length = encoder.announce(send, transactionId, r, (r.context & UdpRequestDecoder.CONTEXT_IPV6) != 0);
        }
        else
        {
            counters.responses.incrementRelease();
            length = encoder.scrape(send, transactionId, r);
        }
        send(channel, to, length);
        (announce ? announceLatency : scrapeLatency).recordNs(System.nanoTime() - r.receivedNs);
        return true;
    }

    private void send(final DatagramChannel channel, final SocketAddress to, final int length)
    {
        sendBytes.clear().limit(length);
        try
        {
            final int sent = channel.send(sendBytes, to);
            if (sent == 0)
            {
                counters.sendFailed.incrementRelease();
            }
            else
            {
                counters.bytesOut.getAndAddRelease(sent);
            }
        }
        catch (final IOException ex)
        {
            counters.sendFailed.incrementRelease();
        }
    }

    /** The 16-byte form of an address: IPv4 (the JDK reports IPv4-mapped senders as IPv4) becomes ::ffff:a.b.c.d. */
    static void toAddress16(final InetAddress address, final byte[] address16)
    {
        if (address instanceof Inet4Address)
        {
            // Inet4Address's hash code is its address: read without the copy getAddress() makes.
            final int v4 = address.hashCode();
            java.util.Arrays.fill(address16, 0, 10, (byte)0);
            address16[10] = (byte)0xFF;
            address16[11] = (byte)0xFF;
            address16[12] = (byte)(v4 >>> 24);
            address16[13] = (byte)(v4 >>> 16);
            address16[14] = (byte)(v4 >>> 8);
            address16[15] = (byte)v4;
        }
        else
        {
            System.arraycopy(address.getAddress(), 0, address16, 0, RequestEvent.ADDRESS_LENGTH);
        }
    }

    @Override
    protected void closeChannels()
    {
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
