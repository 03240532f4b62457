package org.trackerd.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;

/**
 * A file's modification time and size, as the reloaders poll them to notice a changed file (an access list or JWKS
 * file edited in place, a certificate and key replaced by an ACME client on renewal). Two stamps of the same file
 * differ once it has changed; a missing file and an unreadable one get stamps of their own, so appearing,
 * disappearing and becoming readable again count as changes too.
 *
 * <p>Thread: immutable; {@link #of} from any thread.
 */
public record FileStamp(Path file, long modifiedNs, long size)
{
    /** Reads the stamp now; never throws. */
    public static FileStamp of(final Path file)
    {
        try
        {
            final BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileStamp(file, a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size());
        }
        catch (final NoSuchFileException ex)
        {
            return new FileStamp(file, -1, -1);
        }
        catch (final IOException ex)
        {
            return new FileStamp(file, -2, -2);
        }
    }
}
