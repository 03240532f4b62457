package org.trackerd.io.privatemode;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away MariaDB server for the private-mode tests: Debian's {@code mariadbd} on a temporary data
 * directory, its own unix socket and a free port on 127.0.0.1, no grant tables (so no password), in the strict
 * {@code sql_mode} OPS runs its Gazelle with ({@link #SQL_MODE}), and database {@code gazelle} holding Gazelle's
 * tables as Gazelle ships them ({@code gazelle/gazelle-shipped.sql}) upgraded by the statements CONFIGURATION.md
 * lists ({@link #upgradeStatements()}, parsed out of the document). {@link #stop} and {@link #start} again keep
 * the data, so a
 * test can take the database away mid-run.
 *
 * <p>Without a MariaDB installation the tests are skipped with a message, except under CI ({@code CI=true}),
 * where they fail: CI installs it (see {@code .ci/run}).
 */
public final class MariaDbServer implements AutoCloseable
{
    private static final long READY_TIMEOUT_MS = 30_000;
    /** OPS's sql_mode (its docker-compose and CI run MariaDB with it). */
    public static final String SQL_MODE =
        "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";

    /** What database {@code gazelle} starts with. */
    public enum Schema
    {
        /** Gazelle's tables as shipped, then CONFIGURATION.md's upgrade statements. */
        GAZELLE_UPGRADED,
        /** Gazelle's tables as shipped, not upgraded. */
        GAZELLE_SHIPPED,
        /** The project's own DDL, {@code schema/gazelle-tracker.sql}. */
        PROJECT
    }

    private final Path directory;
    private final int port;
    private Process process;

    private MariaDbServer(final Path directory, final int port)
    {
        this.directory = directory;
        this.port = port;
    }

    static String binary(final String... names)
    {
        for (final String name : names)
        {
            for (final String dir : new String[] {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"})
            {
                final Path p = Path.of(dir, name);
                if (Files.isExecutable(p))
                {
                    return p.toString();
                }
            }
        }
        return null;
    }

    /** Installs a fresh data directory under {@code directory} and starts the server with the schema loaded. */
    public static MariaDbServer create(final Path directory) throws Exception
    {
        return create(directory, Schema.GAZELLE_UPGRADED);
    }

    public static MariaDbServer create(final Path directory, final Schema schema) throws Exception
    {
        final String installDb = binary("mariadb-install-db", "mysql_install_db");
        final String server = binary("mariadbd", "mysqld");
        if (installDb == null || server == null)
        {
            final String message = "MariaDB server not installed (apt-get install mariadb-server): " +
                "private-mode tests need a real one";
            if ("true".equalsIgnoreCase(System.getenv("CI")))
            {
                throw new AssertionError(message);
            }
            Assumptions.abort(message);
        }
        final Path data = directory.resolve("data");
        Files.createDirectories(data);
        // A temporary directory of its own: servers bootstrapping at once in a shared /tmp have been seen to
        // remove each other's temporary tables ("Could not remove temporary table '/tmp/#sql-temptable-...'").
        final Path tmp = directory.resolve("tmp");
        Files.createDirectories(tmp);
        final List<String> install = new ArrayList<>(List.of(installDb, "--no-defaults", "--datadir=" + data,
            "--tmpdir=" + tmp, "--auth-root-authentication-method=normal", "--skip-test-db"));
        if (isRoot())
        {
            install.add("--user=root");
        }
        run(install, directory.resolve("install.log"));
        final MariaDbServer db = new MariaDbServer(directory, freePort());
        db.start();
        try (Connection c = DriverManager.getConnection(db.rootUrl());
             Statement s = c.createStatement())
        {
            s.execute("CREATE DATABASE gazelle");
            s.execute("USE gazelle");
            final List<String> statements = new ArrayList<>(statements(schema == Schema.PROJECT ?
                projectFile("schema", "gazelle-tracker.sql") : resource("gazelle/gazelle-shipped.sql")));
            if (schema == Schema.GAZELLE_UPGRADED)
            {
                statements.addAll(upgradeStatements());
            }
            for (final String sql : statements)
            {
                s.execute(sql);
            }
        }
        return db;
    }

    private static Path projectFile(final String... parts)
    {
        Path file = Path.of("", parts);
        if (!Files.exists(file))
        {
            file = Path.of("..", parts);
        }
        return file;
    }

    private static Path resource(final String name) throws Exception
    {
        return Path.of(MariaDbServer.class.getClassLoader().getResource(name).toURI());
    }

    /** The statements of an SQL file: comment lines dropped, split at semicolons. */
    static List<String> statements(final Path file) throws IOException
    {
        return statements(Files.readString(file, StandardCharsets.UTF_8));
    }

    static List<String> statements(final String text)
    {
        final StringBuilder sb = new StringBuilder();
        for (final String line : text.split("\n"))
        {
            if (!line.trim().startsWith("--"))
            {
                sb.append(line).append('\n');
            }
        }
        final List<String> statements = new ArrayList<>();
        for (final String part : sb.toString().split(";"))
        {
            if (!part.isBlank())
            {
                statements.add(part.trim());
            }
        }
        return statements;
    }

    /** The heading in CONFIGURATION.md whose first {@code sql} block lists the upgrade of a Gazelle database. */
    static final String UPGRADE_HEADING = "**Upgrading an existing Gazelle database.**";

    /** The statements CONFIGURATION.md tells an operator to run on an existing Gazelle database, in order. */
    static List<String> upgradeStatements() throws IOException
    {
        final String doc = Files.readString(projectFile("CONFIGURATION.md"), StandardCharsets.UTF_8);
        final int heading = doc.indexOf(UPGRADE_HEADING);
        if (heading < 0)
        {
            throw new IllegalStateException("CONFIGURATION.md has no '" + UPGRADE_HEADING + "' paragraph");
        }
        final int open = doc.indexOf("```sql\n", heading);
        final int close = doc.indexOf("```", open + 7);
        if (open < 0 || close < 0)
        {
            throw new IllegalStateException("CONFIGURATION.md: no ```sql block after '" + UPGRADE_HEADING + "'");
        }
        return statements(doc.substring(open + 7, close));
    }

    private static boolean isRoot()
    {
        return "root".equals(System.getProperty("user.name"));
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return s.getLocalPort();
        }
    }

    private static void run(final List<String> command, final Path log) throws Exception
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
        {
            p.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " failed: " + Files.readString(log));
        }
    }

    /** Starts the server on the existing data directory and waits (bounded) until it accepts connections. */
    public void start() throws Exception
    {
        if (process != null && process.isAlive())
        {
            return;
        }
        final List<String> command = new ArrayList<>(List.of(binary("mariadbd", "mysqld"), "--no-defaults",
            "--datadir=" + directory.resolve("data"), "--tmpdir=" + directory.resolve("tmp"),
            "--socket=" + directory.resolve("mysqld.sock"),
            "--port=" + port, "--bind-address=127.0.0.1", "--skip-grant-tables", "--skip-name-resolve",
            "--pid-file=" + directory.resolve("mysqld.pid"), "--innodb-buffer-pool-size=16M",
            "--innodb-log-file-size=8M", "--skip-log-bin", "--performance-schema=OFF", "--sql-mode=" + SQL_MODE));
        if (isRoot())
        {
            command.add("--user=root");
        }
        process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("server.log").toFile())).start();
        final long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (true)
        {
            try (Connection c = DriverManager.getConnection(rootUrl() + "&connectTimeout=500"))
            {
                return;
            }
            catch (final SQLException ex)
            {
                if (!process.isAlive() || System.currentTimeMillis() > deadline)
                {
                    stop();
                    throw new IllegalStateException("MariaDB did not start: " +
                        Files.readString(directory.resolve("server.log")), ex);
                }
                Thread.sleep(100);
            }
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL after a bound) and waits for it to be gone. */
    public void stop() throws InterruptedException
    {
        if (process != null)
        {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            process = null;
        }
    }

    public int port()
    {
        return port;
    }

    private String rootUrl()
    {
        return "jdbc:mariadb://127.0.0.1:" + port + "/?user=root";
    }

    /** The URL the tracker is configured with. */
    public String url()
    {
        return "jdbc:mariadb://127.0.0.1:" + port + "/gazelle";
    }

    /** Adds a user as a Gazelle site does, giving every column Gazelle's users_main requires. */
    static void insertUser(final Connection c, final int id, final String name, final String enabled,
        final int canLeech, final String passkey) throws SQLException
    {
        try (java.sql.PreparedStatement p = c.prepareStatement("INSERT INTO users_main (ID, Username, Email, " +
            "PassHash, Secret, Title, PermissionID, Enabled, can_leech, torrent_pass) " +
            "VALUES (?, ?, ?, '', '', '', 2, ?, ?, ?)"))
        {
            p.setInt(1, id);
            p.setString(2, name);
            p.setString(3, name + "@example.org");
            p.setString(4, enabled);
            p.setInt(5, canLeech);
            p.setString(6, passkey);
            p.executeUpdate();
        }
    }

    /** Adds a torrent as a Gazelle site does, giving every column Gazelle's torrents requires. */
    static void insertTorrent(final Connection c, final int id, final byte[] infoHash, final String freeTorrent)
        throws SQLException
    {
        try (java.sql.PreparedStatement p = c.prepareStatement("INSERT INTO torrents (ID, GroupID, info_hash, " +
            "FileCount, FileList, Size, FreeTorrent, Time) VALUES (?, 1, ?, 1, '', 1000, ?, NOW())"))
        {
            p.setInt(1, id);
            p.setBytes(2, infoHash);
            p.setString(3, freeTorrent);
            p.executeUpdate();
        }
    }

    /** Spends a freeleech token as Gazelle does. */
    static void insertToken(final Connection c, final int userId, final int torrentId) throws SQLException
    {
        try (Statement s = c.createStatement())
        {
            s.execute("INSERT INTO users_freeleeches (UserID, TorrentID, Time) VALUES (" + userId + ", " + torrentId +
                ", NOW())");
        }
    }

    public Connection connect() throws SQLException
    {
        return DriverManager.getConnection(url() + "?user=root");
    }

    @Override
    public void close() throws InterruptedException
    {
        stop();
    }
}
