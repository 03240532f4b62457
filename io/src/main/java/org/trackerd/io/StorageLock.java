package org.trackerd.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The storage directory held by one tracker at a time: an exclusive lock on {@code storage.path/lock}, taken before
 * the store opens and released after it closed. A second trackerd started on the same directory (a second unit, a
 * copy-pasted config) would otherwise open the maps the first one is writing, reset its in-flight file and leave
 * both with crash state that describes neither; it now fails to start and says why. The lock is the kernel's (an
 * {@code fcntl} lock), so it goes with the process however that ends: a {@code kill -9} leaves nothing to clean up.
 *
 * <p>Thread: the launcher's (acquired in {@link Tracker#start}, released in {@link Tracker#close}).
 */
final class StorageLock implements AutoCloseable
{
    static final String FILE = "lock";

    private final FileChannel channel;
    private final FileLock lock;

    private StorageLock(final FileChannel channel, final FileLock lock)
    {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code directory} (created if missing), or fails with an error that names it if another holds it. A
     * directory that cannot be made or written is not locked: the store's opening then refuses it with its own
     * message (a file in its place, no permission, ...).
     */
    static StorageLock acquire(final Path directory) throws IOException
    {
        final Path file = directory.resolve(FILE);
        final FileChannel channel;
        try
        {
            Files.createDirectories(directory);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }
        catch (final IOException | SecurityException ex)
        {
            return new StorageLock(null, null);
        }
        FileLock lock;
        try
        {
            lock = channel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            lock = null; // held by another tracker in this JVM
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
        if (lock == null)
        {
            channel.close();
            throw new IOException("storage.path '" + directory + "' is in use by another trackerd (it holds " + file +
                "): stop that one first, or give this one another storage.path");
        }
        return new StorageLock(channel, lock);
    }

    @Override
    public void close() throws IOException
    {
        if (channel == null)
        {
            return;
        }
        try
        {
            lock.release();
        }
        finally
        {
            channel.close();
        }
    }
}
