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
 * directory, its own unix socket and a free port on 127.0.0.1, no grant tables (so no password), the shipped
 * Gazelle schema loaded into database {@code gazelle}. {@link #stop} and {@link #start} again keep the data, so a
 * test can take the database away mid-run.
 *
 * <p>Without a MariaDB installation the tests are skipped with a message, except under CI ({@code CI=true}),
 * where they fail: CI installs it (see {@code .ci/run}).
 */
public final class MariaDbServer implements AutoCloseable
{
    private static final long READY_TIMEOUT_MS = 30_000;

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
        final List<String> install = new ArrayList<>(List.of(installDb, "--no-defaults", "--datadir=" + data,
            "--auth-root-authentication-method=normal", "--skip-test-db"));
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
            for (final String sql : schema())
            {
                s.execute(sql);
            }
        }
        return db;
    }

    static List<String> schema() throws IOException
    {
        Path file = Path.of("schema", "gazelle-tracker.sql");
        if (!Files.exists(file))
        {
            file = Path.of("..", "schema", "gazelle-tracker.sql");
        }
        final StringBuilder sb = new StringBuilder();
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
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
            "--datadir=" + directory.resolve("data"), "--socket=" + directory.resolve("mysqld.sock"),
            "--port=" + port, "--bind-address=127.0.0.1", "--skip-grant-tables", "--skip-name-resolve",
            "--pid-file=" + directory.resolve("mysqld.pid"), "--innodb-buffer-pool-size=16M",
            "--innodb-log-file-size=8M", "--skip-log-bin", "--performance-schema=OFF"));
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
