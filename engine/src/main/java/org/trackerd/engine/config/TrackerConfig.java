package org.trackerd.engine.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.trackerd.engine.address.CidrList;

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
    public final Access access;
    /** Private-tracker (Gazelle/Ocelot) settings; read only when {@code tracker.mode} is {@code private}. */
    public final Private privateTracker;
    /** HTTPS listeners and their certificate; off unless {@code tls.listen} is set. */
    public final TlsConfig tls;
    /** WebTorrent (WebSocket announces with offer/answer relay) on the HTTP listeners; off unless enabled. */
    public final WebTorrent webtorrent;

    private TrackerConfig(final ConfigReader root)
    {
        http = new Http(root.section("http"));
        udp = new Udp(root.section("udp"));
        metrics = new Metrics(root.section("metrics"));
        storage = new Storage(root.section("storage"));
        tracker = new Tracker(root.section("tracker"));
        engine = new Engine(root.section("engine"));
        access = new Access(root.section("access"));
        privateTracker = new Private(root.section("private"), tracker.isPrivate());
        tls = new TlsConfig(root.section("tls"), http.deferAcceptSeconds);
        webtorrent = new WebTorrent(root.section("webtorrent"));
        root.rejectUnknownKeys();
        engine.resolve(http.threads, udp.threads);
        if (engine.isShared() && http.threads > 1)
        {
            throw new ConfigException("config key 'http.threads': " + http.threads + " threads, but " +
                "engine.threading is 'shared' (one thread for everything): set it to 1 or remove it");
        }
        if (engine.isShared() && udp.threads > 1)
        {
            throw new ConfigException("config key 'udp.threads': " + udp.threads + " threads, but " +
                "engine.threading is 'shared' (one thread for everything): set it to 1 or remove it");
        }
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

    static List<InetSocketAddress> addresses(final ConfigReader r, final String name, final List<String> defaults)
    {
        final List<String> texts = r.stringList(name, defaults);
        final List<InetSocketAddress> result = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++)
        {
            result.add(HostPort.parse(r.key(name) + "[" + i + "]", texts.get(i)));
        }
        return List.copyOf(result);
    }

    /**
     * WebTorrent: a GET with {@code Upgrade: websocket} to the announce path (or a passkey path in private mode) of
     * an HTTP or TLS listener becomes a WebSocket tracker connection owned by the same frontend thread.
     */
    public static final class WebTorrent
    {
        /** The most offers one announce may carry; a hard bound of the request ring's slots. */
        public static final int MAX_OFFERS_BOUND = 16;

        public final boolean enabled;
        /** Largest WebSocket frame or reassembled message; a larger one closes the connection with 1009. */
        public final int maxMessageBytes;
        /** Offers of one announce that are relayed; the rest are left out and counted. */
        public final int maxOffers;
        /** Silence after which the server pings (0: never). */
        public final long pingIntervalMs;
        /** Silence (no frame, not even a pong) after which the connection is closed with 1001. */
        public final long idleTimeoutMs;
        /** Open WebSocket connections one client address may hold per frontend thread. */
        public final int maxConnectionsPerIp;
        /** The interval told to WebSocket clients (the npm client re-announces at it). */
        public final int announceIntervalSeconds;
        /** WebRTC peers kept per torrent; a new one past it gets a failure reason. */
        public final int maxPeersPerTorrent;
        /** Torrents with WebRTC peers; a new one past it gets a failure reason. */
        public final int maxTorrents;
        /** WebRTC peers over all torrents (and the size of webrtc.dat); a new one past it gets a failure reason. */
        public final int maxPeers;
        /** Answers to offers never sent to the answering peer a connection may send before it is closed (1008). */
        public final int maxUnsolicitedAnswers;
        /** Messages one connection may send per second (a fixed one-second window); past it it is closed (1008). */
        public final int maxMessagesPerSecond;

        WebTorrent(final ConfigReader r)
        {
            enabled = r.boolValue("enabled", false);
            maxMessageBytes = r.intValue("max_message_bytes", 64 * 1024, 1024, 1 << 20);
            maxOffers = r.intValue("max_offers", 10, 0, MAX_OFFERS_BOUND);
            pingIntervalMs = r.longValue("ping_interval_ms", 30_000, 0, 3_600_000);
            idleTimeoutMs = r.longValue("idle_timeout_ms", 120_000, 1_000, 3_600_000);
            maxConnectionsPerIp = r.intValue("max_connections_per_ip", 64, 1, 10_000_000);
            announceIntervalSeconds = r.intValue("announce_interval_seconds", 120, 1, 86_400);
            maxPeersPerTorrent = r.intValue("max_peers_per_torrent", 1000, 2, 1_000_000);
            maxTorrents = r.intValue("max_torrents", 100_000, 1, 10_000_000);
            maxPeers = r.intValue("max_peers", 100_000, 2, 100_000_000);
            maxUnsolicitedAnswers = r.intValue("max_unsolicited_answers", 8, 0, 1_000_000);
            maxMessagesPerSecond = r.intValue("max_messages_per_second", 50, 1, 1_000_000);
            r.rejectUnknownKeys();
            if (enabled && pingIntervalMs != 0 && pingIntervalMs >= idleTimeoutMs)
            {
                throw new ConfigException("config key 'webtorrent.ping_interval_ms': must be less than " +
                    "webtorrent.idle_timeout_ms, or an idle client is closed before it is pinged");
            }
        }
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
        /** Seconds a new connection may wait for its first bytes before it is accepted (TCP_DEFER_ACCEPT); 0: off. */
        public final int deferAcceptSeconds;
        public final Proxy proxy;

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
            deferAcceptSeconds = r.intValue("defer_accept_s", 1, 0, 60);
            proxy = new Proxy(r.section("proxy"));
            r.rejectUnknownKeys();
        }
    }

    /**
     * A reverse proxy in front of the HTTP frontend: the client address comes from {@link #header} only when
     * the socket peer lies in {@link #trusted}.
     */
    public static final class Proxy
    {
        /** Lower-case header name ({@code x-forwarded-for}, {@code x-real-ip}, ...); empty means off. */
        public final String header;
        public final CidrList trusted;

        Proxy(final ConfigReader r)
        {
            final String name = r.stringValue("header", "").trim();
            for (int i = 0; i < name.length(); i++)
            {
                final char ch = name.charAt(i);
                if (!(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_'))
                {
                    throw new ConfigException("config key '" + r.key("header") + "': '" + name +
                        "' is not a header name");
                }
            }
            header = name.toLowerCase(java.util.Locale.ROOT);
            try
            {
                trusted = CidrList.parse(r.stringList("trusted", List.of()));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ConfigException("config key '" + r.key("trusted") + "': " + ex.getMessage());
            }
            if (!header.isEmpty() && trusted.isEmpty())
            {
                throw new ConfigException("config key '" + r.key("header") + "': needs " + r.key("trusted") +
                    " (the proxies allowed to set it); without them nobody's header would be believed");
            }
            r.rejectUnknownKeys();
        }

        public boolean enabled()
        {
            return !header.isEmpty();
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

    /**
     * Persisted swarm state. {@code max_torrents} and {@code max_peers} are the sizing hint of the map files (the
     * population they are laid out for; the store grows past it), {@code max_bytes} the budget the store may grow
     * to (0: what the machine has room for, resolved by the store at open).
     */
    public static final class Storage
    {
        public final Path path;
        public final int maxTorrents;
        public final int maxPeers;
        /** The store's byte budget; 0 means the default the store works out from memory and free disk space. */
        public final long maxBytes;
        /** The smallest budget: 1 MiB, a few thousand torrents (tests use budgets this small). */
        public static final long MIN_BYTES = 1L << 20;

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
            final long bytes = r.longValue("max_bytes", 0, 0, 1L << 50);
            if (bytes != 0 && bytes < MIN_BYTES)
            {
                throw new ConfigException("config key '" + r.key("max_bytes") + "': " + bytes + " is below the " +
                    "smallest store budget, " + MIN_BYTES + " bytes (or 0 for the default)");
            }
            maxBytes = bytes;
            r.rejectUnknownKeys();
        }
    }

    /** What clients are told and how swarms behave. */
    public static final class Tracker
    {
        public final int announceIntervalSeconds;
        public final int minAnnounceIntervalSeconds;
        public final int peerLifetimeSeconds;
        /**
         * How long a torrent whose last peer left keeps its downloaded count (scrape: 0, 0, downloaded) without
         * an announce; 0 forgets it with its last peer.
         */
        public final int torrentRetentionSeconds;
        public final int defaultNumWant;
        public final int maxNumWant;
        public final int maxScrapeHashes;
        public final boolean allowIpSpoofing;
        /** May {@code ip}/{@code ipv4}/{@code ipv6} name an address of the family the request did not arrive on. */
        public final boolean allowCrossFamilyIp;
        /** Which families a client is given: {@link #PEER_FAMILY_SAME} or {@link #PEER_FAMILY_BOTH}. */
        public final String peerFamily;
        /** Preferred-subnet prefix lengths; 0 turns preference off for that family. */
        public final int preferredIpv4Prefix;
        public final int preferredIpv6Prefix;

        /** {@link #MODE_PUBLIC} (anyone, any torrent) or {@link #MODE_PRIVATE} (passkeys, Gazelle database). */
        public final String mode;

        public static final String MODE_PUBLIC = "public";
        public static final String MODE_PRIVATE = "private";
        public static final String PEER_FAMILY_SAME = "same";
        public static final String PEER_FAMILY_BOTH = "both";

        Tracker(final ConfigReader r)
        {
            mode = r.choice("mode", MODE_PUBLIC, MODE_PUBLIC, MODE_PRIVATE);
            announceIntervalSeconds = r.intValue("announce_interval_seconds", 1800, 1, 86_400);
            minAnnounceIntervalSeconds = r.intValue("min_announce_interval_seconds", 900, 1, 86_400);
            peerLifetimeSeconds = r.intValue("peer_lifetime_seconds", 2100, 1, 7 * 86_400);
            torrentRetentionSeconds = r.intValue("torrent_retention_seconds", 30 * 86_400, 0, 3650 * 86_400);
            defaultNumWant = r.intValue("default_numwant", 50, 0, 1000);
            maxNumWant = r.intValue("max_numwant", 200, 1, 1000);
            maxScrapeHashes = r.intValue("max_scrape_hashes", 74, 1, 1000);
            allowIpSpoofing = r.boolValue("allow_ip_spoofing", false);
            allowCrossFamilyIp = r.boolValue("allow_cross_family_ip", false);
            peerFamily = r.choice("peer_family", PEER_FAMILY_SAME, PEER_FAMILY_SAME, PEER_FAMILY_BOTH);
            final ConfigReader subnet = r.section("preferred_subnet");
            preferredIpv4Prefix = subnet.intValue("ipv4_prefix", 0, 0, 32);
            preferredIpv6Prefix = subnet.intValue("ipv6_prefix", 0, 0, 128);
            subnet.rejectUnknownKeys();
            r.rejectUnknownKeys();
        }

        public boolean isPrivate()
        {
            return MODE_PRIVATE.equals(mode);
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
        /**
         * {@link #THREADING_DEDICATED}: a runner and thread per frontend agent and one for the swarm processor agent
         * (which publishes its own clock ticks), meeting at the rings; {@link #THREADING_SHARED}: one thread runs every frontend and the swarm processor as one duty cycle;
         * {@link #THREADING_AUTO} (the default): shared when there is one HTTP and one UDP thread and the default
         * wait strategy, else dedicated.
         */
        public final String threading;
        private boolean shared;

        public static final String THREADING_AUTO = "auto";
        public static final String THREADING_DEDICATED = "dedicated";
        public static final String THREADING_SHARED = "shared";

        Engine(final ConfigReader r)
        {
            requestRingSize = powerOfTwo(r, "request_ring_size", 16_384);
            responseRingSize = powerOfTwo(r, "response_ring_size", 1024);
            waitStrategy = r.choice("wait_strategy", "lite_blocking", "blocking", "lite_blocking", "batch_wake", "sleeping", "yielding",
                "busy_spin");
            frontendIdle = r.choice("frontend_idle", "block", "block", "yield", "busy_spin");
            expiryTickMs = r.longValue("expiry_tick_ms", 100, 1, 60_000);
            expirySweepSeconds = r.longValue("expiry_sweep_seconds", 60, 1, 86_400);
            threading = r.choice("threading", THREADING_AUTO, THREADING_AUTO, THREADING_DEDICATED, THREADING_SHARED);
            r.rejectUnknownKeys();
        }

        /** Settles {@code auto}: one thread for everything when nothing asks for more. */
        void resolve(final int httpThreads, final int udpThreads)
        {
            shared = THREADING_SHARED.equals(threading) || (THREADING_AUTO.equals(threading) && httpThreads == 1 &&
                udpThreads == 1 && "lite_blocking".equals(waitStrategy));
        }

        /** Whether one thread runs every frontend and the swarm processor ({@code threading} as resolved). */
        public boolean isShared()
        {
            return shared;
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

    /**
     * Access control: torrent and client lists and JWT approval (see CONFIGURATION.md). The lists and keys are read
     * from files at start and on every reload; this section itself is re-read from the config file on SIGHUP.
     */
    public static final class Access
    {
        public final String torrentListMode;
        public final Path torrentListFile;
        public final String clientListMode;
        public final Path clientListFile;
        public final int reloadCheckSeconds;
        public final Jwt jwt;

        Access(final ConfigReader r)
        {
            torrentListMode = r.choice("torrent_list_mode", "off", "off", "allow", "deny");
            torrentListFile = listFile(r, "torrent_list_file", torrentListMode, "torrent_list_mode");
            clientListMode = r.choice("client_list_mode", "off", "off", "allow", "deny");
            clientListFile = listFile(r, "client_list_file", clientListMode, "client_list_mode");
            reloadCheckSeconds = r.intValue("reload_check_seconds", 5, 0, 86_400);
            jwt = new Jwt(r.section("jwt"));
            r.rejectUnknownKeys();
        }

        private static Path listFile(final ConfigReader r, final String name, final String mode, final String modeKey)
        {
            final String text = r.stringValue(name, "");
            if (!"off".equals(mode) && text.isBlank())
            {
                throw new ConfigException("config key '" + r.key(name) + "': required when " + r.key(modeKey) +
                    " is '" + mode + "'");
            }
            return text.isBlank() ? null : Path.of(text);
        }

        /** True when any check is on: the frontends skip the policy entirely otherwise. */
        public boolean anyEnabled()
        {
            return !"off".equals(torrentListMode) || !"off".equals(clientListMode) || jwt.enabled;
        }
    }

    /** JWT approval of infohashes. */
    public static final class Jwt
    {
        /** HS256 keys shorter than the hash output (32 bytes) are brute-forceable; RFC 7518 3.2 forbids them. */
        public static final int MIN_HS256_SECRET_BYTES = 32;

        public final boolean enabled;
        public final String hs256Secret;
        public final Path jwksFile;
        public final String jwksUrl;
        public final int jwksRefreshSeconds;
        public final String issuer;
        public final String audience;
        public final int leewaySeconds;
        public final boolean requireForScrape;
        public final int cacheEntries;

        Jwt(final ConfigReader r)
        {
            enabled = r.boolValue("enabled", false);
            hs256Secret = r.stringValue("hs256_secret", "");
            if (!hs256Secret.isEmpty() &&
                hs256Secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < MIN_HS256_SECRET_BYTES)
            {
                throw new ConfigException("config key '" + r.key("hs256_secret") + "': must be at least " +
                    MIN_HS256_SECRET_BYTES + " bytes");
            }
            final String file = r.stringValue("jwks_file", "");
            jwksFile = file.isBlank() ? null : Path.of(file);
            jwksUrl = r.stringValue("jwks_url", "");
            if (!jwksUrl.isEmpty())
            {
                try
                {
                    final java.net.URI uri = new java.net.URI(jwksUrl);
                    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null)
                    {
                        throw new java.net.URISyntaxException(jwksUrl, "expected an http:// or https:// URL");
                    }
                }
                catch (final java.net.URISyntaxException ex)
                {
                    throw new ConfigException("config key '" + r.key("jwks_url") + "': " + ex.getMessage());
                }
            }
            jwksRefreshSeconds = r.intValue("jwks_refresh_seconds", 300, 1, 86_400);
            issuer = r.stringValue("issuer", "");
            audience = r.stringValue("audience", "");
            leewaySeconds = r.intValue("leeway_seconds", 30, 0, 3600);
            requireForScrape = r.boolValue("require_for_scrape", false);
            cacheEntries = r.intValue("cache_entries", 4096, 16, 1 << 20);
            if (Integer.bitCount(cacheEntries) != 1)
            {
                throw new ConfigException("config key '" + r.key("cache_entries") + "': " + cacheEntries +
                    " is not a power of two");
            }
            if (enabled && hs256Secret.isEmpty() && jwksFile == null && jwksUrl.isEmpty())
            {
                throw new ConfigException("config key '" + r.key("enabled") + "': JWT needs a key: set " +
                    r.key("hs256_secret") + ", " + r.key("jwks_file") + " or " + r.key("jwks_url"));
            }
            if (jwksFile != null && !jwksUrl.isEmpty())
            {
                throw new ConfigException("config key '" + r.key("jwks_url") + "': set " + r.key("jwks_file") +
                    " or " + r.key("jwks_url") + ", not both");
            }
            r.rejectUnknownKeys();
        }
    }

    /**
     * Private-tracker mode: the Gazelle database the users, torrents, whitelist and freeleech tokens come from
     * and the accounting deltas go to, how often and in what batches, the site-control secret and the journal.
     */
    public static final class Private
    {
        /** Passkeys are 32 characters, as Gazelle makes them. */
        public static final int PASSKEY_LENGTH = 32;
        public static final int MIN_SITE_SECRET_LENGTH = 16;

        /** JDBC URL, e.g. {@code jdbc:mariadb://127.0.0.1:3306/gazelle} or with {@code ?localSocket=/run/mysqld/mysqld.sock}. */
        public final String databaseUrl;
        public final String databaseUser;
        public final String databasePassword;
        public final int connectTimeoutMs;
        public final long flushIntervalMs;
        /** Rows per multi-row INSERT statement. */
        public final int batchSize;
        public final int reloadIntervalSeconds;
        /** The path segment of site-control requests ({@code /<secret>/update?action=...}); empty turns them off. */
        public final String siteSecret;
        /** The journal of unflushed deltas (checkpoints); null puts it at {@code <storage.path>/private/journal.bin}. */
        public final Path journalPath;
        /** Capacity of the queue from the swarm processor to the backend thread, in announces. */
        public final int queueCapacity;
        /** Most distinct pending rows (users + torrents + peers + snatches) held while the database is away. */
        public final int maxPendingRows;

        Private(final ConfigReader r, final boolean enabled)
        {
            databaseUrl = r.stringValue("database_url", "");
            databaseUser = r.stringValue("database_user", "");
            databasePassword = r.stringValue("database_password", "");
            connectTimeoutMs = r.intValue("connect_timeout_ms", 2000, 100, 60_000);
            flushIntervalMs = r.longValue("flush_interval_ms", 3000, 10, 3_600_000);
            batchSize = r.intValue("batch_size", 1000, 1, 100_000);
            reloadIntervalSeconds = r.intValue("reload_interval_seconds", 600, 0, 86_400);
            siteSecret = r.stringValue("site_secret", "");
            final String journal = r.stringValue("journal_path", "");
            journalPath = journal.isBlank() ? null : Path.of(journal);
            queueCapacity = r.intValue("queue_capacity", 65_536, 64, 1 << 22);
            maxPendingRows = r.intValue("max_pending_rows", 5_000_000, 1000, 500_000_000);
            if (enabled)
            {
                if (!databaseUrl.startsWith("jdbc:mariadb:") && !databaseUrl.startsWith("jdbc:mysql:"))
                {
                    throw new ConfigException("config key '" + r.key("database_url") + "': required in private mode, " +
                        "a jdbc:mariadb:// URL (got '" + databaseUrl + "')");
                }
                if (!siteSecret.isEmpty() && (siteSecret.length() < MIN_SITE_SECRET_LENGTH || !urlSafe(siteSecret)))
                {
                    throw new ConfigException("config key '" + r.key("site_secret") + "': must be at least " +
                        MIN_SITE_SECRET_LENGTH + " characters of [A-Za-z0-9_-]");
                }
            }
            r.rejectUnknownKeys();
        }

        private static boolean urlSafe(final String s)
        {
            for (int i = 0; i < s.length(); i++)
            {
                final char ch = s.charAt(i);
                if (!(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_'))
                {
                    return false;
                }
            }
            return true;
        }
    }
}
