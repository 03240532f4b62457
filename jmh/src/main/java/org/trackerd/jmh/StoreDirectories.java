package org.trackerd.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The temporary store directories the benchmarks make: deleted with everything in them at tear-down. */
final class StoreDirectories
{
    private StoreDirectories()
    {
    }

    /** Deletes {@code directory} and everything below it, deepest first. */
    static void deleteTree(final Path directory) throws IOException
    {
        try (Stream<Path> files = Files.walk(directory))
        {
            files.sorted(Comparator.reverseOrder()).forEach(StoreDirectories::delete);
        }
    }

    private static void delete(final Path path)
    {
        try
        {
            Files.delete(path);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
