package org.trackerd.io.site;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.trackerd.engine.config.TrackerConfig;
import org.trackerd.engine.site.DeltaBatch;
import org.trackerd.engine.site.SchemaReport;
import org.trackerd.engine.site.SiteBackend;
import org.trackerd.engine.site.SiteData;
import org.trackerd.engine.site.SiteFailures;

import java.nio.charset.StandardCharsets;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The MariaDB (and MySQL) driver over MariaDB Connector/J, on the tables Gazelle and Ocelot share (see
 * {@code schema/gazelle-tracker.sql}). Reads with plain selects; writes each batch in one transaction of
 * multi-row statements of at most {@code private.batch_size} rows each. Users and torrents are changed with
 * {@code UPDATE ... JOIN} over the batch's rows, so a row the site deleted meanwhile is skipped instead of failing
 * the whole batch; peers, tokens and snatches are upserted or inserted as Ocelot does.
 *
 * <p>Connections come from a small HikariCP pool shared by the tracker's instances (loader, flusher): reused,
 * validated by the pool when they sat idle, replaced after a connection-level error. The pool starts without
 * a connection, so a database that is down at start-up fails the first load, not the construction, and a
 * borrow never waits longer than {@code private.connect_timeout_ms}.
 *
 * <p>Thread: one thread at a time.
 */
public final class MariaDbBackend implements SiteBackend
{
    private static final Logger LOG = LoggerFactory.getLogger(MariaDbBackend.class);

    private final HikariDataSource pool;
    private final boolean ownsPool;
    private final int batchSize;
    private long writes;

    /** An instance with a pool of its own (closed with it). */
    public MariaDbBackend(final TrackerConfig.Private config)
    {
        this(config, pool(config, 1), true);
    }

    /** An instance borrowing from a pool shared with others; the caller closes the pool. */
    public MariaDbBackend(final TrackerConfig.Private config, final HikariDataSource pool)
    {
        this(config, pool, false);
    }

    private MariaDbBackend(final TrackerConfig.Private config, final HikariDataSource pool, final boolean ownsPool)
    {
        this.pool = pool;
        this.ownsPool = ownsPool;
        this.batchSize = config.batchSize;
    }

    /** The pool for the site database: {@code size} connections at most, none opened until one is needed. */
    public static HikariDataSource pool(final TrackerConfig.Private config, final int size)
    {
        final HikariConfig c = new HikariConfig();
        c.setPoolName("trackerd-site-db");
        c.setJdbcUrl(config.databaseUrl);
        if (!config.databaseUser.isEmpty())
        {
            c.setUsername(config.databaseUser);
        }
        if (!config.databasePassword.isEmpty())
        {
            c.setPassword(config.databasePassword);
        }
        c.addDataSourceProperty("connectTimeout", Integer.toString(config.connectTimeoutMs));
        c.addDataSourceProperty("socketTimeout", Integer.toString(Math.max(10_000, 5 * config.connectTimeoutMs)));
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(0);
        c.setConnectionTimeout(Math.max(250, config.connectTimeoutMs));
        c.setValidationTimeout(Math.max(250, Math.min(2_000, config.connectTimeoutMs)));
        c.setInitializationFailTimeout(-1);
        c.setAutoCommit(true);
        return new HikariDataSource(c);
    }

    @Override
    public SiteData load() throws SQLException
    {
        try
        {
            try (Connection c = pool.getConnection())
            {
                c.setAutoCommit(true);
                final List<SiteData.User> users = new ArrayList<>();
                final List<SiteData.Torrent> torrents = new ArrayList<>();
                final List<byte[]> whitelist = new ArrayList<>();
                final List<SiteData.Token> tokens = new ArrayList<>();
                try (Statement s = c.createStatement())
                {
                    try (ResultSet r = s.executeQuery(
                        "SELECT ID, torrent_pass, can_leech, Enabled FROM users_main WHERE torrent_pass <> ''"))
                    {
                        while (r.next())
                        {
                            users.add(new SiteData.User(r.getInt(1), r.getString(2), r.getInt(3) != 0,
                                "1".equals(r.getString(4))));
                        }
                    }
                    try (ResultSet r = s.executeQuery("SELECT ID, info_hash, FreeTorrent, Snatched FROM torrents"))
                    {
                        while (r.next())
                        {
                            torrents.add(new SiteData.Torrent(r.getInt(1), r.getBytes(2), freeTorrent(r.getString(3)),
                                r.getLong(4)));
                        }
                    }
                    try (ResultSet r = s.executeQuery("SELECT peer_id FROM xbt_client_whitelist"))
                    {
                        while (r.next())
                        {
                            final String prefix = r.getString(1);
                            if (prefix != null && !prefix.isEmpty())
                            {
                                whitelist.add(prefix.getBytes(StandardCharsets.ISO_8859_1));
                            }
                        }
                    }
                    try (ResultSet r = s.executeQuery("SELECT UserID, TorrentID FROM users_freeleeches WHERE Expired = 0"))
                    {
                        while (r.next())
                        {
                            tokens.add(new SiteData.Token(r.getInt(1), r.getInt(2)));
                        }
                    }
                }
                return new SiteData(users, torrents, whitelist, tokens);
            }
        }
        catch (final SQLException ex)
        {
            LOG.debug("database error: {}", ex.toString());
            throw ex;
        }
    }

    private static int freeTorrent(final String value)
    {
        return value == null || value.isEmpty() ? 0 : value.charAt(0) - '0';
    }

    @Override
    public boolean write(final DeltaBatch batch) throws SQLException
    {
        try
        {
            try (Connection c = pool.getConnection())
            {
                c.setAutoCommit(false);
                try
                {
                    if (committed(c, batch.id))
                    {
                        c.rollback();
                        return false;
                    }
                    writeUsers(c, batch);
                    writeTokens(c, batch);
                    writeTorrents(c, batch);
                    writePeers(c, batch);
                    writeSnatches(c, batch);
                    markCommitted(c, batch.id);
                    if (++writes % 1000 == 0)
                    {
                        try (Statement s = c.createStatement())
                        {
                            s.executeUpdate("DELETE FROM trackerd_batches WHERE flushed_at < NOW() - INTERVAL 7 DAY");
                        }
                    }
                    c.commit();
                    return true;
                }
                catch (final SQLException ex)
                {
                    try
                    {
                        c.rollback();
                    }
                    catch (final SQLException ignored)
                    {
                        // the connection is gone; the transaction with it
                    }
                    throw ex;
                }
            }
        }
        catch (final SQLException ex)
        {
            LOG.debug("database error: {}", ex.toString());
            throw ex;
        }
    }

    /**
     * Whether a batch id is in trackerd_batches. Any error of this table is reported as transient: no row can
     * land without it, so a missing or broken trackerd_batches must hold the batch for a retry (the schema check
     * names the fix), not send every row to the dead-letter file.
     */
    private static boolean committed(final Connection c, final long id) throws SQLException
    {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM trackerd_batches WHERE id = ?"))
        {
            s.setLong(1, id);
            try (ResultSet r = s.executeQuery())
            {
                return r.next();
            }
        }
        catch (final SQLException ex)
        {
            throw batchTable(ex);
        }
    }

    private static void markCommitted(final Connection c, final long id) throws SQLException
    {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO trackerd_batches (id) VALUES (?)"))
        {
            s.setLong(1, id);
            s.executeUpdate();
        }
        catch (final SQLException ex)
        {
            throw batchTable(ex);
        }
    }

    private static SQLException batchTable(final SQLException ex)
    {
        return SqlFailures.INSTANCE.isPermanent(ex) ? new java.sql.SQLTransientException("trackerd_batches is unusable " +
            "(kept to retry; see CONFIGURATION.md, upgrading a Gazelle database): " + ex.getMessage(),
            ex.getSQLState(), ex.getErrorCode(), ex) : ex;
    }

    private void writeUsers(final Connection c, final DeltaBatch batch) throws SQLException
    {
        updateJoined(c, batch.users, "UPDATE users_main u JOIN (", "SELECT ? AS ID, ? AS up, ? AS down",
            ") d ON u.ID = d.ID SET u.Uploaded = u.Uploaded + d.up, u.Downloaded = u.Downloaded + d.down", 2);
    }

    private void writeTorrents(final Connection c, final DeltaBatch batch) throws SQLException
    {
        if (batch.replayed)
        {
            // A dead letter's seeders and leechers are stale (the tracker has written newer counts since): only
            // its snatches still count.
            updateJoined(c, batch.torrents, "UPDATE torrents t JOIN (", "SELECT ? AS ID, ? AS seeders, ? AS " +
                "leechers, ? AS snatched", ") d ON t.ID = d.ID SET t.Snatched = t.Snatched + d.snatched", 3);
            return;
        }
        updateJoined(c, batch.torrents, "UPDATE torrents t JOIN (",
            "SELECT ? AS ID, ? AS seeders, ? AS leechers, ? AS snatched",
            ") d ON t.ID = d.ID SET t.Seeders = d.seeders, t.Leechers = d.leechers, " +
            "t.Snatched = t.Snatched + d.snatched", 3);
        // last_action only where a seeder was seen, in a statement of its own: assigning a row's old value back
        // would store WhatCD's zero-date default again, which a strict sql_mode with NO_ZERO_DATE refuses.
        final Map<Integer, long[]> seen = new java.util.LinkedHashMap<>();
        for (final Map.Entry<Integer, long[]> e : batch.torrents.entrySet())
        {
            if (e.getValue()[3] > 0)
            {
                seen.put(e.getKey(), new long[] {e.getValue()[3] / 1000});
            }
        }
        updateJoined(c, seen, "UPDATE torrents t JOIN (", "SELECT ? AS ID, ? AS seen",
            ") d ON t.ID = d.ID SET t.last_action = FROM_UNIXTIME(d.seen)", 1);
    }

    /**
     * One multi-row {@code UPDATE ... JOIN (SELECT ... UNION ALL ...)} per chunk of rows keyed by an int id, each
     * row carrying its first {@code values} longs: rows the site has deleted simply match nothing.
     */
    private void updateJoined(final Connection c, final Map<Integer, long[]> rows, final String head,
        final String rowSelect, final String tail, final int values) throws SQLException
    {
        final Iterator<Map.Entry<Integer, long[]>> it = rows.entrySet().iterator();
        while (it.hasNext())
        {
            final List<Map.Entry<Integer, long[]>> chunk = take(it, batchSize);
            final StringBuilder sql = new StringBuilder(head);
            unionRows(sql, chunk.size(), rowSelect);
            sql.append(tail);
            try (PreparedStatement s = c.prepareStatement(sql.toString()))
            {
                int p = 1;
                for (final Map.Entry<Integer, long[]> e : chunk)
                {
                    s.setInt(p++, e.getKey());
                    for (int v = 0; v < values; v++)
                    {
                        s.setLong(p++, e.getValue()[v]);
                    }
                }
                s.executeUpdate();
            }
        }
    }

    private void writeTokens(final Connection c, final DeltaBatch batch) throws SQLException
    {
        final Iterator<Map.Entry<Long, long[]>> it = batch.tokens.entrySet().iterator();
        while (it.hasNext())
        {
            final List<Map.Entry<Long, long[]>> chunk = take(it, batchSize);
            // Time is NOT NULL without a default in Gazelle's schema: in strict mode an insert must name it even when
            // the row exists and only the update applies. NOW() is what Gazelle writes when a token is spent.
            final StringBuilder sql = new StringBuilder(
                "INSERT INTO users_freeleeches (UserID, TorrentID, Time, Downloaded) VALUES ");
            values(sql, chunk.size(), "(?, ?, NOW(), ?)");
            sql.append(" ON DUPLICATE KEY UPDATE Downloaded = Downloaded + VALUES(Downloaded)");
            try (PreparedStatement s = c.prepareStatement(sql.toString()))
            {
                int p = 1;
                for (final Map.Entry<Long, long[]> e : chunk)
                {
                    s.setInt(p++, (int)(e.getKey() >>> 32));
                    s.setInt(p++, (int)(long)e.getKey());
                    s.setLong(p++, e.getValue()[0]);
                }
                s.executeUpdate();
            }
        }
    }

    private void writePeers(final Connection c, final DeltaBatch batch) throws SQLException
    {
        final Iterator<Map.Entry<DeltaBatch.PeerKey, DeltaBatch.Peer>> it = batch.peers.entrySet().iterator();
        while (it.hasNext())
        {
            final List<Map.Entry<DeltaBatch.PeerKey, DeltaBatch.Peer>> chunk = take(it, batchSize);
            final StringBuilder sql = new StringBuilder("INSERT INTO xbt_files_users " +
                "(uid, fid, peer_id, active, announced, completed, uploaded, downloaded, remaining, ip, mtime) VALUES ");
            values(sql, chunk.size(), "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
            if (batch.replayed)
            {
                // A dead letter is older than what the tracker wrote since: its report applies only where it is
                // newer than the row (MariaDB assigns left to right, so mtime, which the guards read, goes last).
                sql.append(" ON DUPLICATE KEY UPDATE announced = announced + VALUES(announced), ")
                    .append("completed = completed OR VALUES(completed)");
                for (final String column : new String[] {"active", "uploaded", "downloaded", "remaining", "ip"})
                {
                    sql.append(", ").append(column).append(" = IF(VALUES(mtime) > mtime, VALUES(").append(column)
                        .append("), ").append(column).append(")");
                }
                sql.append(", mtime = GREATEST(mtime, VALUES(mtime))");
            }
            else
            {
                sql.append(" ON DUPLICATE KEY UPDATE uid = VALUES(uid), active = VALUES(active), ")
                    .append("announced = announced + VALUES(announced), completed = completed OR VALUES(completed), ")
                    .append("uploaded = VALUES(uploaded), downloaded = VALUES(downloaded), ")
                    .append("remaining = VALUES(remaining), ip = VALUES(ip), mtime = VALUES(mtime)");
            }
            try (PreparedStatement s = c.prepareStatement(sql.toString()))
            {
                int p = 1;
                for (final Map.Entry<DeltaBatch.PeerKey, DeltaBatch.Peer> e : chunk)
                {
                    final DeltaBatch.Peer peer = e.getValue();
                    s.setInt(p++, peer.userId);
                    s.setInt(p++, e.getKey().torrentId());
                    s.setBytes(p++, e.getKey().peerId().getBytes(StandardCharsets.ISO_8859_1));
                    s.setInt(p++, peer.active ? 1 : 0);
                    s.setLong(p++, peer.announces);
                    s.setInt(p++, peer.completed ? 1 : 0);
                    s.setLong(p++, peer.uploaded);
                    s.setLong(p++, peer.downloaded);
                    s.setLong(p++, peer.left);
                    s.setString(p++, peer.ip);
                    s.setLong(p++, peer.timeMs / 1000);
                }
                s.executeUpdate();
            }
        }
    }

    private void writeSnatches(final Connection c, final DeltaBatch batch) throws SQLException
    {
        final Iterator<DeltaBatch.Snatch> it = batch.snatches.iterator();
        while (it.hasNext())
        {
            final List<DeltaBatch.Snatch> chunk = take(it, batchSize);
            final StringBuilder sql = new StringBuilder("INSERT INTO xbt_snatched (uid, fid, tstamp, IP) VALUES ");
            values(sql, chunk.size(), "(?, ?, ?, ?)");
            try (PreparedStatement s = c.prepareStatement(sql.toString()))
            {
                int p = 1;
                for (final DeltaBatch.Snatch snatch : chunk)
                {
                    s.setInt(p++, snatch.userId());
                    s.setInt(p++, snatch.torrentId());
                    s.setLong(p++, snatch.timeMs() / 1000);
                    s.setString(p++, snatch.ip());
                }
                s.executeUpdate();
            }
        }
    }

    private static <T> List<T> take(final Iterator<T> it, final int n)
    {
        final List<T> chunk = new ArrayList<>(Math.min(n, 1024));
        while (chunk.size() < n && it.hasNext())
        {
            chunk.add(it.next());
        }
        return chunk;
    }

    private static void values(final StringBuilder sql, final int rows, final String row)
    {
        for (int i = 0; i < rows; i++)
        {
            sql.append(i == 0 ? "" : ", ").append(row);
        }
    }

    private static void unionRows(final StringBuilder sql, final int rows, final String firstRow)
    {
        sql.append(firstRow);
        final int columns = (int)firstRow.chars().filter(ch -> ch == '?').count();
        final String row = " UNION ALL SELECT " + String.join(", ", java.util.Collections.nCopies(columns, "?"));
        for (int i = 1; i < rows; i++)
        {
            sql.append(row);
        }
    }

    /**
     * The columns the tracker reads or writes, per table, with the definition that adds a missing one (Gazelle's
     * own; the address columns widened for IPv6). Tables whose rows the tracker inserts are checked further: any
     * other column that is NOT NULL without a default would fail every insert in strict mode.
     */
    private static final String[][] COLUMNS = {
        {"users_main", "ID", "int(10) unsigned NOT NULL AUTO_INCREMENT"},
        {"users_main", "torrent_pass", "char(32) NOT NULL"},
        {"users_main", "can_leech", "tinyint(4) NOT NULL DEFAULT '1'"},
        {"users_main", "Enabled", "enum('0','1','2') NOT NULL DEFAULT '0'"},
        {"users_main", "Uploaded", "bigint(20) unsigned NOT NULL DEFAULT '0'"},
        {"users_main", "Downloaded", "bigint(20) unsigned NOT NULL DEFAULT '0'"},
        {"torrents", "ID", "int(10) NOT NULL AUTO_INCREMENT"},
        {"torrents", "info_hash", "blob NOT NULL"},
        {"torrents", "FreeTorrent", "enum('0','1','2') NOT NULL DEFAULT '0'"},
        {"torrents", "Snatched", "int(10) unsigned NOT NULL DEFAULT '0'"},
        {"torrents", "Seeders", "int(6) NOT NULL DEFAULT '0'"},
        {"torrents", "Leechers", "int(6) NOT NULL DEFAULT '0'"},
        {"torrents", "last_action", "datetime NOT NULL DEFAULT '1000-01-01 00:00:00'"},
        {"xbt_client_whitelist", "peer_id", "varchar(20) DEFAULT NULL"},
        {"users_freeleeches", "UserID", "int(10) NOT NULL"},
        {"users_freeleeches", "TorrentID", "int(10) NOT NULL"},
        {"users_freeleeches", "Time", "datetime NOT NULL"},
        {"users_freeleeches", "Expired", "tinyint(1) NOT NULL DEFAULT '0'"},
        {"users_freeleeches", "Downloaded", "bigint(20) NOT NULL DEFAULT '0'"},
        {"xbt_files_users", "uid", "int(11) NOT NULL"},
        {"xbt_files_users", "fid", "int(11) NOT NULL"},
        {"xbt_files_users", "peer_id", "binary(20) NOT NULL"},
        {"xbt_files_users", "active", "tinyint(1) NOT NULL DEFAULT '1'"},
        {"xbt_files_users", "announced", "int(11) NOT NULL DEFAULT '0'"},
        {"xbt_files_users", "completed", "tinyint(1) NOT NULL DEFAULT '0'"},
        {"xbt_files_users", "uploaded", "bigint(20) NOT NULL DEFAULT '0'"},
        {"xbt_files_users", "downloaded", "bigint(20) NOT NULL DEFAULT '0'"},
        {"xbt_files_users", "remaining", "bigint(20) NOT NULL DEFAULT '0'"},
        {"xbt_files_users", "ip", "varchar(39) NOT NULL DEFAULT ''"},
        {"xbt_files_users", "mtime", "int(11) NOT NULL DEFAULT '0'"},
        {"xbt_snatched", "uid", "int(11) NOT NULL DEFAULT '0'"},
        {"xbt_snatched", "fid", "int(11) NOT NULL"},
        {"xbt_snatched", "tstamp", "int(11) NOT NULL"},
        {"xbt_snatched", "IP", "varchar(39) NOT NULL"},
        {"trackerd_batches", "id", "bigint(20) unsigned NOT NULL"},
        {"trackerd_batches", "flushed_at", "datetime NOT NULL DEFAULT CURRENT_TIMESTAMP"},
    };

    /** The statement that creates trackerd's own table (CONFIGURATION.md lists it among the upgrade statements). */
    public static final String CREATE_BATCHES = "CREATE TABLE trackerd_batches (id bigint(20) unsigned NOT NULL, " +
        "flushed_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (id), KEY flushed_at (flushed_at)) " +
        "ENGINE=InnoDB";

    private static final java.util.Set<String> INSERTED = java.util.Set.of("users_freeleeches", "xbt_files_users",
        "xbt_snatched", "trackerd_batches");

    /** Characters an IPv6 address takes in text ({@code ffff:...} in full). */
    private static final int IPV6_TEXT = 39;

    @Override
    public SchemaReport checkSchema() throws SQLException
    {
        final Map<String, Map<String, String[]>> found = new java.util.TreeMap<>();
        try (Connection c = pool.getConnection();
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT TABLE_NAME, COLUMN_NAME, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, " +
                 "COLUMN_TYPE, CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS " +
                 "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('users_main', 'torrents', " +
                 "'xbt_client_whitelist', 'users_freeleeches', 'xbt_files_users', 'xbt_snatched', 'trackerd_batches')"))
        {
            c.setAutoCommit(true);
            while (r.next())
            {
                found.computeIfAbsent(r.getString(1).toLowerCase(java.util.Locale.ROOT), t -> new java.util.HashMap<>())
                    .put(r.getString(2).toLowerCase(java.util.Locale.ROOT), new String[] {r.getString(2),
                        r.getString(3), r.getString(4), r.getString(5), r.getString(6), r.getString(7)});
            }
        }
        final List<String> errors = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();
        final java.util.Set<String> missingTables = new java.util.LinkedHashSet<>();
        final Map<String, java.util.Set<String>> known = new java.util.HashMap<>();
        for (final String[] column : COLUMNS)
        {
            final String table = column[0];
            known.computeIfAbsent(table, t -> new java.util.HashSet<>())
                .add(column[1].toLowerCase(java.util.Locale.ROOT));
            final Map<String, String[]> columns = found.get(table);
            if (columns == null)
            {
                missingTables.add(table);
                continue;
            }
            final String[] have = columns.get(column[1].toLowerCase(java.util.Locale.ROOT));
            if (have == null)
            {
                errors.add(table + "." + column[1] + " is missing: ALTER TABLE " + table + " ADD COLUMN " +
                    column[1] + " " + column[2] + ";");
            }
            else if (column[2].startsWith("varchar(39)") && have[5] != null && Long.parseLong(have[5]) < IPV6_TEXT)
            {
                warnings.add(table + "." + column[1] + " is " + have[4] + ": IPv6 peers' rows will go to the " +
                    "dead-letter file until it is widened: ALTER TABLE " + table + " MODIFY " + column[1] + " " +
                    column[2] + ";");
            }
        }
        for (final String table : missingTables)
        {
            errors.add("table " + table + " is missing: " + ("trackerd_batches".equals(table) ? CREATE_BATCHES + ";" :
                "create it as in schema/gazelle-tracker.sql"));
        }
        for (final String table : INSERTED)
        {
            final Map<String, String[]> columns = found.get(table);
            if (columns == null)
            {
                continue;
            }
            for (final Map.Entry<String, String[]> e : new java.util.TreeMap<>(columns).entrySet())
            {
                final String[] col = e.getValue();
                final String extra = col[3] == null ? "" : col[3].toLowerCase(java.util.Locale.ROOT);
                if (!known.get(table).contains(e.getKey()) && "NO".equals(col[1]) && col[2] == null &&
                    !extra.contains("auto_increment") && !extra.contains("generated"))
                {
                    errors.add(table + "." + col[0] + " is NOT NULL without a default and the tracker does not " +
                        "write it, so every insert fails in strict mode: ALTER TABLE " + table + " MODIFY " + col[0] +
                        " " + col[4] + " NOT NULL DEFAULT " + defaultFor(col[4]) + ";");
                }
            }
        }
        return new SchemaReport(errors, warnings);
    }

    private static String defaultFor(final String columnType)
    {
        final String t = columnType.toLowerCase(java.util.Locale.ROOT);
        if (t.startsWith("datetime") || t.startsWith("timestamp"))
        {
            return "CURRENT_TIMESTAMP";
        }
        if (t.startsWith("date"))
        {
            return "'1000-01-01'";
        }
        if (t.startsWith("time"))
        {
            return "'00:00:00'";
        }
        if (t.contains("int") || t.startsWith("decimal") || t.startsWith("float") || t.startsWith("double") ||
            t.startsWith("bit"))
        {
            return "0";
        }
        return "''";
    }

    @Override
    public SiteFailures failures()
    {
        return SqlFailures.INSTANCE;
    }

    @Override
    public boolean ping()
    {
        try
        {
            try (Connection c = pool.getConnection())
            {
                return c.isValid(2);
            }
        }
        catch (final SQLException ex)
        {
            LOG.debug("database ping failed: {}", ex.toString());
            return false;
        }
    }

    @Override
    public void close()
    {
        if (ownsPool)
        {
            pool.close();
        }
    }
}
