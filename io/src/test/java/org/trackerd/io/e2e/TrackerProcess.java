package org.trackerd.io.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code TrackerMain} as a child JVM, for tests that need a real process to kill. Its stderr is drained on a
 * thread the whole time (so the child never blocks on a full pipe) and watched for the {@code ready:} line.
 */
public final class TrackerProcess implements AutoCloseable
{
    /**
     * Where the JVM flags are written once: the build says so through {@code -Dtrackerd.jvm.required} (the parent
     * pom's surefire argLine); a test run from the module directory without it finds the file beside it.
     */
    public static final Path REQUIRED_FLAGS_FILE =
        Path.of(System.getProperty("trackerd.jvm.required", "../tuning/jvm-required.options"));

    /** The flags of {@link #REQUIRED_FLAGS_FILE}, as every tracker JVM is started with them. */
    public static final List<String> JVM_FLAGS = readFlags(REQUIRED_FLAGS_FILE);

    /** The options of a java argument file: one per line, whole-line {@code #} comments and blank lines skipped. */
    public static List<String> readFlags(final Path argumentFile)
    {
        try
        {
            return Files.readAllLines(argumentFile).stream().map(String::trim)
                .filter(line -> !line.isEmpty() && !line.startsWith("#")).collect(Collectors.toUnmodifiableList());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("the JVM flags file " + argumentFile.toAbsolutePath(), ex);
        }
    }

    private static final Pattern READY = Pattern.compile("ready: http=\\[([^\\]]*)\\]");

    private final Process process;
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final StringBuffer log = new StringBuffer();
    private final Thread reader;

    private TrackerProcess(final Process process)
    {
        this.process = process;
        this.reader = new Thread(this::drain, "trackerd-child-stderr");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code TrackerMain --config configFile} with {@code workDir} as its working directory. */
    public static TrackerProcess start(final Path configFile, final Path workDir) throws IOException
    {
        return start(configFile, workDir, JVM_FLAGS);
    }

    /** As {@link #start(Path, Path)}, with these module and system flags instead of {@link #JVM_FLAGS}. */
    public static TrackerProcess start(final Path configFile, final Path workDir, final List<String> jvmFlags)
        throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.addAll(jvmFlags);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("org.trackerd.io.TrackerMain");
        command.add("--config");
        command.add(configFile.toString());
        final ProcessBuilder builder = new ProcessBuilder(command)
            .directory(workDir.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectInput(ProcessBuilder.Redirect.PIPE);
        return new TrackerProcess(builder.start());
    }

    private void drain()
    {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(),
            StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                log.append(line).append('\n');
                final Matcher m = READY.matcher(line);
                if (!port.isDone() && m.find())
                {
                    final String address = m.group(1).split(",")[0].trim();
                    port.complete(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            port.completeExceptionally(ex);
        }
        port.completeExceptionally(new IllegalStateException("child stderr ended before 'ready:'"));
    }

    /** Waits for the {@code ready:} line and returns the bound HTTP port. */
    public int awaitReady(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        try
        {
            return port.get(timeout, unit);
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            throw new AssertionError("tracker child not ready (" + ex + "); alive=" + process.isAlive() + "; log:\n" +
                log, ex);
        }
    }

    /** SIGKILL, then waits for the process to be gone; returns its exit code. */
    public int kill9(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        process.destroyForcibly();
        return awaitExit(timeout, unit);
    }

    /**
     * SIGTERM, then waits for the process to exit on its own; returns its exit code. Sent through the
     * {@link ProcessHandle}: {@link Process#destroy()} sends the same SIGTERM but also closes our end of the
     * child's pipes at once, which would lose everything it logs while shutting down.
     */
    public int terminate(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        if (!process.toHandle().destroy())
        {
            throw new AssertionError("could not send SIGTERM to " + process.pid());
        }
        return awaitExit(timeout, unit);
    }

    /** Waits for the process to exit on its own (e.g. a start-up failure); returns its exit code. */
    public int awaitExit(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        if (!process.waitFor(timeout, unit))
        {
            throw new AssertionError("tracker child did not exit within " + timeout + " " + unit + "; log:\n" + log);
        }
        reader.join(TimeUnit.SECONDS.toMillis(5));
        return process.exitValue();
    }

    public String log()
    {
        return log.toString();
    }

    /**
     * The torrents and peers the start's {@code ready:} line reports (the store's counts when it began to answer);
     * fails when there is no such line.
     */
    public long[] readyCounts()
    {
        final String text = log.toString();
        final java.util.regex.Matcher m = READY_COUNTS.matcher(text);
        if (!m.find())
        {
            throw new AssertionError("no counts in a ready: line; log:\n" + text);
        }
        return new long[] { Long.parseLong(m.group(1)), Long.parseLong(m.group(2)) };
    }

    private static final java.util.regex.Pattern READY_COUNTS =
        java.util.regex.Pattern.compile("ready: .* torrents=(\\d+) peers=(\\d+)");

    public long pid()
    {
        return process.pid();
    }

    @Override
    public void close() throws InterruptedException
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
            process.waitFor(15, TimeUnit.SECONDS);
        }
    }
}
