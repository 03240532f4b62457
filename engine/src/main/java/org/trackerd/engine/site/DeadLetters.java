package org.trackerd.engine.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dead-letter file of private mode ({@code <storage.path>/private/dead-letters.jsonl}): accounting rows the
 * database refused for a reason a retry cannot fix (a column missing or without a default, a value too long, a
 * constraint), one JSON object per line and per row, appended and forced to disk before the flusher forgets them.
 * Each row keeps the id of the one-row batch it was, so {@link #replay} writes it through the same
 * {@code trackerd_batches} check as any batch: a row the database already has (twice in the file after a crash,
 * or replayed before) changes nothing. Ids that have been replayed are appended to
 * {@code dead-letters.replayed}, so a second replay does not even ask the database.
 *
 * <pre>
 * {"id":1765100000000123,"table":"users_freeleeches","row":{"UserID":1,"TorrentID":13,"Downloaded":700},
 *  "code":1364,"column":"Time","error":"Field 'Time' doesn't have a default value","time":"2026-12-07T18:00:00Z"}
 * </pre>
 *
 * <p>Thread: the flusher thread appends; the replay command runs in another process. Appends open, write, force
 * and close the file each time, so a replay running beside a tracker reads whole lines (a torn last line, from a
 * crash in the middle of an append, is skipped and the next append starts a new line).
 */
public final class DeadLetters
{
    public static final String FILE_NAME = "dead-letters.jsonl";
    public static final String REPLAYED_FILE_NAME = "dead-letters.replayed";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Path replayed;
    /** Ids the file holds, read at the first append (flusher thread only). */
    private Set<Long> appendedIds;

    /** @param directory private mode's directory ({@code <storage.path>/private}) */
    public DeadLetters(final Path directory)
    {
        this.file = directory.resolve(FILE_NAME);
        this.replayed = directory.resolve(REPLAYED_FILE_NAME);
    }

    public Path file()
    {
        return file;
    }

    /** One row of the file. */
    public record Entry(long id, DeltaBatch.Table table, DeltaBatch batch, int code, String error)
    {
    }

    /**
     * Appends one record per piece (each a one-row batch with its id) and forces them to disk. A piece whose id the
     * file already holds is skipped: a kill between this append and the journal forgetting the rows makes the next
     * start refuse and dead-letter them again, and the file must still hold each row once.
     */
    public void append(final List<DeltaBatch> pieces, final Throwable failure, final SiteFailures failures)
        throws IOException
    {
        if (appendedIds == null)
        {
            appendedIds = new HashSet<>();
            for (final Entry e : read())
            {
                appendedIds.add(e.id());
            }
        }
        final StringBuilder text = new StringBuilder();
        final String time = Instant.now().toString();
        final List<Long> added = new ArrayList<>();
        for (final DeltaBatch piece : pieces)
        {
            if (appendedIds.contains(piece.id) || added.contains(piece.id))
            {
                continue;
            }
            added.add(piece.id);
            final DeltaBatch.Table table = piece.tables().get(0);
            final ObjectNode record = JSON.createObjectNode();
            record.put("id", piece.id);
            record.put("table", table.sqlName);
            record.set("row", row(piece, table));
            record.put("code", failures.code(failure));
            record.put("column", failures.column(failure));
            record.put("error", failures.message(failure));
            record.put("time", time);
            text.append(JSON.writeValueAsString(record)).append('\n');
        }
        if (added.isEmpty())
        {
            return;
        }
        Files.createDirectories(file.getParent());
        appendForced(file, text.toString());
        appendedIds.addAll(added);
    }

    private static void appendForced(final Path path, final String text) throws IOException
    {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.READ))
        {
            final long size = channel.size();
            String out = text;
            if (size > 0)
            {
                final ByteBuffer last = ByteBuffer.allocate(1);
                channel.read(last, size - 1);
                if (last.get(0) != '\n')
                {
                    out = "\n" + text; // a torn line from a crash stays alone on its line
                }
            }
            final ByteBuffer bytes = ByteBuffer.wrap(out.getBytes(StandardCharsets.UTF_8));
            long at = size;
            while (bytes.hasRemaining())
            {
                at += channel.write(bytes, at);
            }
            channel.force(true);
        }
    }

    private static ObjectNode row(final DeltaBatch b, final DeltaBatch.Table table)
    {
        final ObjectNode row = JSON.createObjectNode();
        switch (table)
        {
            case USERS ->
            {
                final Map.Entry<Integer, long[]> e = b.users.entrySet().iterator().next();
                row.put("ID", e.getKey()).put("Uploaded", e.getValue()[0]).put("Downloaded", e.getValue()[1]);
            }
            case TOKENS ->
            {
                final Map.Entry<Long, long[]> e = b.tokens.entrySet().iterator().next();
                row.put("UserID", (int)(e.getKey() >>> 32)).put("TorrentID", (int)(long)e.getKey())
                    .put("Downloaded", e.getValue()[0]);
            }
            case TORRENTS ->
            {
                final Map.Entry<Integer, long[]> e = b.torrents.entrySet().iterator().next();
                row.put("ID", e.getKey()).put("Seeders", e.getValue()[0]).put("Leechers", e.getValue()[1])
                    .put("Snatched", e.getValue()[2]).put("last_seen_ms", e.getValue()[3]);
            }
            case PEERS ->
            {
                final Map.Entry<DeltaBatch.PeerKey, DeltaBatch.Peer> e = b.peers.entrySet().iterator().next();
                final DeltaBatch.Peer p = e.getValue();
                row.put("uid", p.userId).put("fid", e.getKey().torrentId())
                    .put("peer_id", hex(e.getKey().peerId().getBytes(StandardCharsets.ISO_8859_1)))
                    .put("active", p.active).put("announced", p.announces).put("completed", p.completed)
                    .put("uploaded", p.uploaded).put("downloaded", p.downloaded).put("remaining", p.left)
                    .put("ip", p.ip).put("time_ms", p.timeMs);
            }
            case SNATCHES ->
            {
                final DeltaBatch.Snatch s = b.snatches.get(0);
                row.put("uid", s.userId()).put("fid", s.torrentId()).put("time_ms", s.timeMs()).put("IP", s.ip());
            }
        }
        return row;
    }

    private static DeltaBatch batch(final long id, final DeltaBatch.Table table, final JsonNode row)
    {
        final DeltaBatch b = new DeltaBatch();
        b.id = id;
        b.replayed = true;
        switch (table)
        {
            case USERS -> b.users.put(row.get("ID").asInt(),
                new long[] {row.get("Uploaded").asLong(), row.get("Downloaded").asLong()});
            case TOKENS -> b.tokens.put((long)row.get("UserID").asInt() << 32 |
                (row.get("TorrentID").asInt() & 0xFFFF_FFFFL), new long[] {row.get("Downloaded").asLong()});
            case TORRENTS -> b.torrents.put(row.get("ID").asInt(), new long[] {row.get("Seeders").asLong(),
                row.get("Leechers").asLong(), row.get("Snatched").asLong(), row.get("last_seen_ms").asLong()});
            case PEERS ->
            {
                final DeltaBatch.Peer p = new DeltaBatch.Peer();
                p.userId = row.get("uid").asInt();
                p.active = row.get("active").asBoolean();
                p.announces = row.get("announced").asLong();
                p.completed = row.get("completed").asBoolean();
                p.uploaded = row.get("uploaded").asLong();
                p.downloaded = row.get("downloaded").asLong();
                p.left = row.get("remaining").asLong();
                p.ip = row.get("ip").asText();
                p.timeMs = row.get("time_ms").asLong();
                b.peers.put(new DeltaBatch.PeerKey(row.get("fid").asInt(),
                    new String(unhex(row.get("peer_id").asText()), StandardCharsets.ISO_8859_1)), p);
            }
            case SNATCHES -> b.snatches.add(new DeltaBatch.Snatch(row.get("uid").asInt(), row.get("fid").asInt(),
                row.get("time_ms").asLong(), row.get("IP").asText()));
        }
        return b;
    }

    private static String hex(final byte[] bytes)
    {
        final StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (final byte b : bytes)
        {
            sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }

    private static byte[] unhex(final String text)
    {
        final byte[] bytes = new byte[text.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    private static DeltaBatch.Table table(final String sqlName)
    {
        for (final DeltaBatch.Table t : DeltaBatch.Table.values())
        {
            if (t.sqlName.equals(sqlName))
            {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown table " + sqlName);
    }

    /** The records of the file, first occurrence of each id, oldest first; unreadable (torn) lines are skipped. */
    public List<Entry> read() throws IOException
    {
        final Map<Long, Entry> entries = new LinkedHashMap<>();
        if (!Files.exists(file))
        {
            return new ArrayList<>();
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            for (String line = in.readLine(); line != null; line = in.readLine())
            {
                if (line.isBlank())
                {
                    continue;
                }
                try
                {
                    final JsonNode n = JSON.readTree(line);
                    final long id = n.get("id").asLong();
                    final DeltaBatch.Table table = table(n.get("table").asText());
                    entries.putIfAbsent(id, new Entry(id, table, batch(id, table, n.get("row")),
                        n.path("code").asInt(), n.path("error").asText()));
                }
                catch (final IOException | RuntimeException ex)
                {
                    // a line torn by a crash in the middle of an append: its row was still in the journal then
                }
            }
        }
        return new ArrayList<>(entries.values());
    }

    /** The ids a replay has already resolved. */
    public Set<Long> replayedIds() throws IOException
    {
        final Set<Long> ids = new HashSet<>();
        if (Files.exists(replayed))
        {
            for (final String line : Files.readAllLines(replayed, StandardCharsets.US_ASCII))
            {
                try
                {
                    ids.add(Long.parseLong(line.trim()));
                }
                catch (final NumberFormatException ex)
                {
                    // a torn last line: that id is simply replayed again (and found in trackerd_batches)
                }
            }
        }
        return ids;
    }

    /** Rows in the file that no replay has resolved yet. */
    public long pending() throws IOException
    {
        final Set<Long> done = replayedIds();
        long n = 0;
        for (final Entry e : read())
        {
            if (!done.contains(e.id()))
            {
                n++;
            }
        }
        return n;
    }

    /** What a replay did. */
    public record Result(int landed, int alreadyInDatabase, int skipped, List<String> stillFailing)
    {
    }

    /**
     * Writes every row not replayed before, each as its one-row batch under its own id, and records the ids that
     * landed (or that the database already had). A row that still fails permanently stays for the next replay; a
     * transient failure (the database away) stops the replay with that exception, keeping what was done.
     */
    public Result replay(final SiteBackend backend) throws Exception
    {
        final Set<Long> done = replayedIds();
        int landed = 0;
        int already = 0;
        int skipped = 0;
        final List<String> failing = new ArrayList<>();
        final StringBuilder resolved = new StringBuilder();
        try
        {
            for (final Entry e : read())
            {
                if (done.contains(e.id()))
                {
                    skipped++;
                    continue;
                }
                try
                {
                    if (backend.write(e.batch()))
                    {
                        landed++;
                    }
                    else
                    {
                        already++;
                    }
                    resolved.append(e.id()).append('\n');
                }
                catch (final Exception ex)
                {
                    if (!backend.failures().isPermanent(ex))
                    {
                        throw ex;
                    }
                    failing.add(e.table().sqlName + " row " + e.id() + ": " + backend.failures().message(ex));
                }
            }
        }
        finally
        {
            if (resolved.length() > 0)
            {
                appendForced(replayed, resolved.toString());
            }
        }
        return new Result(landed, already, skipped, failing);
    }
}
