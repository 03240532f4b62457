package org.trackerd.engine.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole configuration as one typed tree with a default for every key (see CONFIGURATION.md).
 * Immutable once loaded; any thread may read it.
 */
public final class TrackerConfig
{
    public final Http http;
    public final Udp udp;
    public final Metrics metrics;
    public final Storage storage;
    public final Tracker tracker;
    public final Engine engine;

    private TrackerConfig(final ConfigReader root)
    {
        http = new Http(root.section("http"));
        udp = new Udp(root.section("udp"));
        metrics = new Metrics(root.section("metrics"));
        storage = new Storage(root.section("storage"));
        tracker = new Tracker(root.section("tracker"));
        engine = new Engine(root.section("engine"));
        root.rejectUnknownKeys();
        if (tracker.defaultNumWant > tracker.maxNumWant)
        {
            throw new ConfigException("config key 'tracker.default_numwant': " + tracker.defaultNumWant +
                " is larger than tracker.max_numwant (" + tracker.maxNumWant + ")");
        }
        if (tracker.minAnnounceIntervalSeconds > tracker.announceIntervalSeconds)
        {
            throw new ConfigException("config key 'tracker.min_announce_interval_seconds': must not exceed " +
                "tracker.announce_interval_seconds");
        }
        if (tracker.peerLifetimeSeconds < tracker.announceIntervalSeconds)
        {
            throw new ConfigException("config key 'tracker.peer_lifetime_seconds': must be at least " +
                "tracker.announce_interval_seconds, or every peer expires before it re-announces");
        }
    }

    public static TrackerConfig parse(final String json)
    {
        final ObjectMapper mapper = new ObjectMapper();
        final JsonNode tree;
        try
        {
            tree = mapper.readTree(json);
        }
        catch (final JsonProcessingException ex)
        {
            throw new ConfigException("config is not valid JSON: " + ex.getOriginalMessage() +
                " (line " + (ex.getLocation() == null ? "?" : ex.getLocation().getLineNr()) + ")");
        }
        if (tree == null || tree.isMissingNode())
        {
            throw new ConfigException("config is empty: expected a JSON object");
        }
        return new TrackerConfig(new ConfigReader("", tree));
    }

    public static TrackerConfig load(final Path file)
    {
        try
        {
            return parse(Files.readString(file));
        }
        catch (final IOException ex)
        {
            throw new ConfigException("cannot read config file '" + file + "': " + ex);
        }
    }

    public static TrackerConfig load(final InputStream in) throws IOException
    {
        return parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Defaults for every key: what an empty JSON object gives. */
    public static TrackerConfig defaults()
    {
        return parse("{}");
    }

    private static List<InetSocketAddress> addresses(final ConfigReader r, final String name, final List<String> defaults)
    {
        final List<String> texts = r.stringList(name, defaults);
        final List<InetSocketAddress> result = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++)
        {
            result.add(HostPort.parse(r.key(name) + "[" + i + "]", texts.get(i)));
        }
        return List.copyOf(result);
    }

    /** The HTTP frontend. */
    public static final class Http
    {
        public final List<InetSocketAddress> listen;
        public final int threads;
        public final int maxConnections;
        /** Open connections one client address may hold (per selector thread). */
        public final int maxConnectionsPerIp;
        public final int maxRequestBytes;
        public final int maxHeaders;
        public final long idleTimeoutMs;
        public final long requestTimeoutMs;

        Http(final ConfigReader r)
        {
            listen = addresses(r, "listen", List.of("[::]:6969"));
            threads = r.intValue("threads", 1, 1, 64);
            maxConnections = r.intValue("max_connections", 10_000, 1, 10_000_000);
            maxConnectionsPerIp = r.intValue("max_connections_per_ip", 1000, 1, 10_000_000);
            maxRequestBytes = r.intValue("max_request_bytes", 8192, 512, 1 << 20);
            maxHeaders = r.intValue("max_headers", 64, 4, 1024);
            idleTimeoutMs = r.longValue("idle_timeout_ms", 30_000, 100, 3_600_000);
            requestTimeoutMs = r.longValue("request_timeout_ms", 10_000, 100, 3_600_000);
            r.rejectUnknownKeys();
        }
    }

    /** The UDP (BEP 15) frontend. */
    public static final class Udp
    {
        /** BEP 15: a client may use a connection id for a minute, the tracker should accept it for two. */
        public static final int MIN_CONNECTION_ID_LIFETIME_SECONDS = 120;

        public final List<InetSocketAddress> listen;
        public final int threads;
        /** Key material for connection ids; empty means a random secret chosen at start. */
        public final String connectionIdSecret;
        /** One time window: an id is accepted in its window and the next, so it lives 1 to 2 windows. */
        public final int connectionIdLifetimeSeconds;

        Udp(final ConfigReader r)
        {
            listen = addresses(r, "listen", List.of());
            threads = r.intValue("threads", 1, 1, 64);
            connectionIdSecret = r.stringValue("connection_id_secret", "");
            final int lifetime = r.intValue("connection_id_lifetime_seconds", 300, 1, 86_400);
            if (lifetime < MIN_CONNECTION_ID_LIFETIME_SECONDS)
            {
                throw new ConfigException("config key '" + r.key("connection_id_lifetime_seconds") + "': " + lifetime +
                    " is below " + MIN_CONNECTION_ID_LIFETIME_SECONDS + " (BEP 15: ids must be accepted for 2 minutes)");
            }
            connectionIdLifetimeSeconds = lifetime;
            r.rejectUnknownKeys();
        }
    }

    /** The Prometheus exporter; an empty {@code listen} disables it. */
    public static final class Metrics
    {
        public final InetSocketAddress listen;

        Metrics(final ConfigReader r)
        {
            final String text = r.stringValue("listen", "");
            listen = text.isEmpty() ? null : HostPort.parse(r.key("listen"), text);
            r.rejectUnknownKeys();
        }
    }

    /** Persisted swarm state. Maps are sized from these limits when first created. */
    public static final class Storage
    {
        public final Path path;
        public final int maxTorrents;
        public final int maxPeers;

        Storage(final ConfigReader r)
        {
            final String text = r.stringValue("path", "./data");
            if (text.isBlank())
            {
                throw new ConfigException("config key '" + r.key("path") + "': must not be empty");
            }
            path = Path.of(text);
            maxTorrents = r.intValue("max_torrents", 100_000, 16, 100_000_000);
            maxPeers = r.intValue("max_peers", 1_000_000, 16, 500_000_000);
            r.rejectUnknownKeys();
        }
    }

    /** What clients are told and how swarms behave. */
    public static final class Tracker
    {
        public final int announceIntervalSeconds;
        public final int minAnnounceIntervalSeconds;
        public final int peerLifetimeSeconds;
        public final int defaultNumWant;
        public final int maxNumWant;
        public final int maxScrapeHashes;
        public final boolean allowIpSpoofing;

        Tracker(final ConfigReader r)
        {
            announceIntervalSeconds = r.intValue("announce_interval_seconds", 1800, 1, 86_400);
            minAnnounceIntervalSeconds = r.intValue("min_announce_interval_seconds", 900, 1, 86_400);
            peerLifetimeSeconds = r.intValue("peer_lifetime_seconds", 2100, 1, 7 * 86_400);
            defaultNumWant = r.intValue("default_numwant", 50, 0, 1000);
            maxNumWant = r.intValue("max_numwant", 200, 1, 1000);
            maxScrapeHashes = r.intValue("max_scrape_hashes", 74, 1, 1000);
            allowIpSpoofing = r.boolValue("allow_ip_spoofing", false);
            r.rejectUnknownKeys();
        }
    }

    /** Rings, threads and idling. */
    public static final class Engine
    {
        public final int requestRingSize;
        public final int responseRingSize;
        public final String waitStrategy;
        public final String frontendIdle;
        public final long expiryTickMs;
        public final long expirySweepSeconds;

        Engine(final ConfigReader r)
        {
            requestRingSize = powerOfTwo(r, "request_ring_size", 16_384);
            responseRingSize = powerOfTwo(r, "response_ring_size", 1024);
            waitStrategy = r.choice("wait_strategy", "blocking", "blocking", "sleeping", "yielding", "busy_spin");
            frontendIdle = r.choice("frontend_idle", "block", "block", "yield", "busy_spin");
            expiryTickMs = r.longValue("expiry_tick_ms", 100, 1, 60_000);
            expirySweepSeconds = r.longValue("expiry_sweep_seconds", 60, 1, 86_400);
            r.rejectUnknownKeys();
        }

        private static int powerOfTwo(final ConfigReader r, final String name, final int defaultValue)
        {
            final int v = r.intValue(name, defaultValue, 64, 1 << 24);
            if (Integer.bitCount(v) != 1)
            {
                throw new ConfigException("config key '" + r.key(name) + "': " + v + " is not a power of two");
            }
            return v;
        }
    }
}
