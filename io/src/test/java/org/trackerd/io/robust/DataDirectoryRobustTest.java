package org.trackerd.io.robust;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.trackerd.engine.swarm.SwarmStore;
import org.trackerd.io.e2e.TrackerHarness;
import org.trackerd.io.e2e.TrackerProcess;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An unusable data directory stops start-up with a message naming {@code storage.path} and leaves every file as
 * it was: a path that cannot be created, a file in the directory's place, a read-only directory, a store of
 * another format, a map file missing, truncated or damaged, and too little free space for new maps.
 */
@Timeout(60)
class DataDirectoryRobustTest
{
    private static final int TORRENTS = 100;
    private static final int PEERS = 1000;

    @TempDir
    Path dir;

    private static SwarmStore.StoreException refused(final Path store)
    {
        final SwarmStore.StoreException ex = assertThrows(SwarmStore.StoreException.class,
            () -> SwarmStore.open(store, TORRENTS, PEERS));
        assertTrue(ex.getMessage().startsWith("storage.path '" + store + "'"), ex::getMessage);
        return ex;
    }

    @Test
    void directoryThatCannotBeCreated() throws IOException
    {
        final Path file = Files.writeString(dir.resolve("plain-file"), "x");
        final Path store = file.resolve("sub").resolve("store");
        assertTrue(refused(store).getMessage().contains("cannot create the directory"));
    }

    @Test
    void fileWhereTheDirectoryShouldBe() throws IOException
    {
        final Path store = Files.writeString(dir.resolve("store"), "not a directory");
        assertTrue(refused(store).getMessage().contains("is a file, not a directory"));
        assertEquals("not a directory", Files.readString(store));
    }

    @Test
    void readOnlyDirectory() throws Exception
    {
        final Path store = Files.createDirectory(dir.resolve("store"));
        Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("r-xr-xr-x"));
        boolean immutable = false;
        try
        {
            if (canWrite(store))
            {
                // root ignores permission bits; the immutable flag stops even root (ext4 and most file systems).
                immutable = run("chattr", "+i", store.toString()) == 0;
            }
            Assumptions.assumeFalse(canWrite(store), "cannot make a read-only directory here");
            assertTrue(refused(store).getMessage().contains("is not writable"));
        }
        finally
        {
            if (immutable)
            {
                run("chattr", "-i", store.toString());
            }
            Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static boolean canWrite(final Path directory)
    {
        try
        {
            Files.delete(Files.createFile(directory.resolve("probe")));
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static int run(final String... command) throws Exception
    {
        try
        {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
        }
        catch (final IOException noSuchTool)
        {
            return -1;
        }
    }

    /** A store with some content, closed cleanly; returns its directory. */
    private Path populatedStore() throws IOException
    {
        final Path store = dir.resolve("store");
        try (TrackerHarness harness = new TrackerHarness(dir).start())
        {
            for (int i = 0; i < 20; i++)
            {
                harness.announce(org.trackerd.io.e2e.Announce.leecher(org.trackerd.io.e2e.Announce.hash("d" + i % 3),
                    org.trackerd.io.e2e.Announce.peerId(i), 7000 + i));
            }
        }
        return store;
    }

    @Test
    void storeOfAnotherFormat() throws Exception
    {
        final Path store = populatedStore();
        Files.writeString(store.resolve("FORMAT"), "trackerd-store 0\n");
        final String before = digest(store);
        assertTrue(refused(store).getMessage().contains("format 'trackerd-store 0'"));
        assertEquals(before, digest(store), "nothing touched");
    }

    @Test
    void mapFilesWithoutFormat() throws Exception
    {
        final Path store = populatedStore();
        Files.delete(store.resolve("FORMAT"));
        final String before = digest(store);
        assertTrue(refused(store).getMessage().contains("without a FORMAT file"));
        assertEquals(before, digest(store), "nothing touched");
    }

    @Test
    void mapFileMissing() throws Exception
    {
        final Path store = populatedStore();
        Files.delete(store.resolve("swarms-05.dat"));
        final String before = digest(store);
        assertTrue(refused(store).getMessage().contains("swarms-05.dat is missing"));
        assertEquals(before, digest(store), "nothing touched");
    }

    /**
     * {@code how}: half, tiny or zero length, or a garbage header; {@code stop}: clean (marker present) or
     * killed (no marker, so recovery would run: it used to "recover" a truncated file into an empty map).
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({
        "swarms-00.dat, half, killed", "swarms-07.dat, half, clean", "swarms-15.dat, zero, killed",
        "swarms-03.dat, tiny, clean", "swarms-00.dat, tiny, killed", "swarms-09.dat, garbage, killed",
        "swarms-00.dat, garbage, clean",
    })
    void damagedMapFile(final String file, final String how, final String stop) throws Exception
    {
        final Path store = populatedStore();
        final Path map = store.resolve(file);
        try (RandomAccessFile raf = new RandomAccessFile(map.toFile(), "rw"))
        {
            switch (how)
            {
                case "half" -> raf.setLength(raf.length() / 2);
                case "zero" -> raf.setLength(0);
                case "tiny" -> raf.setLength(100);
                default ->
                {
                    final byte[] garbage = new byte[4096];
                    java.util.Arrays.fill(garbage, (byte)0x5a);
                    raf.write(garbage);
                }
            }
        }
        if ("killed".equals(stop))
        {
            Files.delete(store.resolve("clean-shutdown"));
        }
        final String before = digest(store);
        final String message = refused(store).getMessage();
        assertTrue(message.contains("restore it") || message.contains("damaged"), message);
        assertEquals(before, digest(store), "the damaged store is left exactly as it was");
    }

    @Test
    void tooLittleSpaceForNewMaps() throws Exception
    {
        final Path shm = Path.of("/dev/shm");
        Assumptions.assumeTrue(Files.isDirectory(shm), "no /dev/shm");
        final int maxTorrents = 100_000_000;
        final int maxPeers = 500_000_000;
        Assumptions.assumeTrue(Files.getFileStore(shm).getUsableSpace() < SwarmStore.estimatedBytes(maxTorrents, maxPeers),
            "/dev/shm is large enough for the biggest store: cannot provoke a full disk");
        final Path store = Files.createTempDirectory(shm, "trackerd-robust-");
        try
        {
            final SwarmStore.StoreException ex = assertThrows(SwarmStore.StoreException.class,
                () -> SwarmStore.open(store, maxTorrents, maxPeers));
            assertTrue(ex.getMessage().contains("free") && ex.getMessage().contains("storage.max_peers"), ex::getMessage);
            try (Stream<Path> files = Files.list(store))
            {
                assertEquals(0, files.count(), "no map file was started");
            }
        }
        finally
        {
            try (Stream<Path> files = Files.list(store))
            {
                for (final Path p : (Iterable<Path>)files::iterator)
                {
                    Files.delete(p);
                }
            }
            Files.delete(store);
        }
    }

    @Test
    void estimateCoversWhatChronicleAllocates() throws Exception
    {
        final Path store = dir.resolve("sized");
        SwarmStore.open(store, 10_000, 100_000, 64L << 20).close(); // a budget whose thousandth is below the hint
        long actual = 0;
        for (int s = 0; s < SwarmStore.SHARDS; s++)
        {
            actual += Files.size(store.resolve(String.format("swarms-%02d.dat", s)));
        }
        final long total = actual;
        final long estimate = SwarmStore.estimatedBytes(10_000, 100_000);
        assertTrue(estimate >= total && estimate < total * 2, () -> "estimate " + estimate + " vs " + total);
    }

    @Test
    void trackerMainExitsOneNamingStoragePath() throws Exception
    {
        final TrackerHarness harness = new TrackerHarness(dir);
        Files.writeString(harness.storagePath(), "in the way", StandardCharsets.UTF_8);
        try (TrackerProcess child = TrackerProcess.start(harness.writeConfig(), dir))
        {
            assertEquals(1, child.awaitExit(60, TimeUnit.SECONDS), child::log);
            assertTrue(child.log().contains("storage.path '" + harness.storagePath() + "' is a file"), child::log);
        }
        assertEquals("in the way", Files.readString(harness.storagePath()));
    }

    /** SHA-256 over every file's name and content, so any change to the directory shows. */
    private static String digest(final Path directory) throws Exception
    {
        final MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> files = Files.list(directory))
        {
            for (final Path p : (Iterable<Path>)files.sorted()::iterator)
            {
                md.update(p.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                md.update(Files.readAllBytes(p));
            }
        }
        assertFalse(Files.exists(directory.resolve(".write-probe")));
        return HexFormat.of().formatHex(md.digest());
    }
}
