package org.trackerd.io.e2e;

import com.lmax.disruptor.EventHandler;
import org.trackerd.io.BencodeTestDecoder;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.event.RequestEvent;
import org.trackerd.io.Tracker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Boots a whole {@link Tracker} in this JVM on an ephemeral loopback port with its store in a test directory.
 * {@link #start()} returning is readiness: the listeners are bound and the engine runs. Close it in
 * {@code @AfterEach}.
 */
public final class TrackerHarness implements AutoCloseable
{
    private final Path directory;
    private final Map<String, Map<String, String>> sections = new LinkedHashMap<>();
    private Tracker tracker;
    private int port;
    private UnaryOperator<EventHandler<RequestEvent>> processorDecorator = UnaryOperator.identity();

    /** {@code directory} holds the config file and, under {@code store/}, the tracker's data. */
    public TrackerHarness(final Path directory)
    {
        this.directory = directory;
        set("http", "listen", "[\"127.0.0.1:0\"]");
        set("storage", "path", quote(storagePath().toString()));
        set("storage", "max_torrents", "1000");
        set("storage", "max_peers", "10000");
        // A small byte budget keeps the files of test stores small (a default budget of half the memory would
        // size their first tiers for it).
        set("storage", "max_bytes", String.valueOf(64 << 20));
    }

    /** Sets a config key to a raw JSON value, e.g. {@code set("http", "max_request_bytes", "1024")}. */
    public TrackerHarness set(final String section, final String key, final String json)
    {
        sections.computeIfAbsent(section, s -> new LinkedHashMap<>()).put(key, json);
        return this;
    }

    /** Wraps the swarm processor of the trackers this harness starts (a fault injector, say). */
    public TrackerHarness processorDecorator(final UnaryOperator<EventHandler<RequestEvent>> decorator)
    {
        this.processorDecorator = decorator;
        return this;
    }

    public Path storagePath()
    {
        return directory.resolve("store");
    }

    public String configJson()
    {
        final StringBuilder sb = new StringBuilder("{\n");
        int s = 0;
        for (final Map.Entry<String, Map<String, String>> section : sections.entrySet())
        {
            sb.append("  ").append(quote(section.getKey())).append(": {");
            int k = 0;
            for (final Map.Entry<String, String> e : section.getValue().entrySet())
            {
                sb.append(k++ == 0 ? " " : ", ").append(quote(e.getKey())).append(": ").append(e.getValue());
            }
            sb.append(" }").append(++s < sections.size() ? ",\n" : "\n");
        }
        return sb.append("}\n").toString();
    }

    /** Writes the config as a file (what {@code TrackerMain --config} reads) and returns its path. */
    public Path writeConfig() throws IOException
    {
        Files.createDirectories(directory);
        final Path file = directory.resolve("trackerd.json");
        Files.writeString(file, configJson(), StandardCharsets.UTF_8);
        return file;
    }

    public TrackerHarness start() throws IOException
    {
        if (tracker != null)
        {
            throw new IllegalStateException("already started");
        }
        final TrackerConfig config = TrackerConfig.load(writeConfig());
        tracker = new Tracker(config, processorDecorator).start();
        port = tracker.httpAddresses().get(0).getPort();
        return this;
    }

    /** Closes the tracker cleanly and starts a new one on the same store. */
    public TrackerHarness restart() throws IOException
    {
        close();
        return start();
    }

    public int port()
    {
        return port;
    }

    public Tracker tracker()
    {
        return tracker;
    }

    public RawHttpClient connect() throws IOException
    {
        return new RawHttpClient(port);
    }

    /** One request on a fresh connection; the answer must be HTTP 200 with a bencoded dictionary. */
    public Map<String, Object> get(final String target) throws IOException
    {
        return get(port, target);
    }

    public Map<String, Object> announce(final Announce announce) throws IOException
    {
        return get(port, announce.target());
    }

    /** The scrape entry of one hash ({@code complete}, {@code incomplete}, {@code downloaded}). */
    public Map<String, Object> scrape(final byte[] infoHash) throws IOException
    {
        return scrape(port, infoHash);
    }

    /** One request to a tracker on {@code port} (in this JVM or a child) on a fresh connection. */
    public static Map<String, Object> get(final int port, final String target) throws IOException
    {
        try (RawHttpClient client = new RawHttpClient(port))
        {
            final RawHttpClient.Response response = client.exchange(target);
            if (response.status != 200)
            {
                throw new AssertionError("expected 200 for " + target + ", got " + response);
            }
            return response.bencoded();
        }
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> scrape(final int port, final byte[] infoHash) throws IOException
    {
        final Map<String, Object> response = get(port, Announce.scrapeTarget(infoHash));
        final Map<String, Object> files = (Map<String, Object>)response.get("files");
        if (files == null)
        {
            throw new AssertionError("scrape without files: " + response);
        }
        final Map<String, Object> entry = (Map<String, Object>)files.get(BencodeTestDecoder.latin1(infoHash));
        if (entry == null)
        {
            throw new AssertionError("scrape without an entry for the hash: " + files.keySet());
        }
        return entry;
    }

    @Override
    public void close()
    {
        if (tracker != null)
        {
            tracker.close();
            tracker = null;
        }
    }

    static String quote(final String s)
    {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
