package org.trackerd.engine.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the torrent and client list files: one entry per line, blank lines and {@code #} comments ignored
 * (a comment may follow an entry). A bad line fails the whole file, naming the file and line, so that a
 * half-written list is never taken for the real one.
 *
 * <p>Thread: any (stateless).
 */
public final class ListFiles
{
    private ListFiles()
    {
    }

    /** Infohashes, 40 hex digits each (either case). */
    public static InfoHashSet readTorrents(final Path file) throws PolicyException
    {
        final InfoHashSet.Builder builder = new InfoHashSet.Builder();
        final byte[] hash = new byte[InfoHashSet.HASH_LENGTH];
        final List<String> lines = readLines(file);
        for (int n = 0; n < lines.size(); n++)
        {
            final String entry = entry(lines.get(n));
            if (entry.isEmpty())
            {
                continue;
            }
            if (!parseHex(entry, hash))
            {
                throw new PolicyException(file + ":" + (n + 1) + ": '" + abbreviate(entry) +
                    "' is not an infohash of 40 hex digits");
            }
            builder.add(hash, 0);
        }
        return builder.build();
    }

    /** Client ids in the forms {@link ClientIdSet} takes. */
    public static ClientIdSet readClients(final Path file) throws PolicyException
    {
        final ClientIdSet.Builder builder = new ClientIdSet.Builder();
        final List<String> lines = readLines(file);
        for (int n = 0; n < lines.size(); n++)
        {
            final String entry = entry(lines.get(n));
            if (entry.isEmpty())
            {
                continue;
            }
            final String error = builder.add(entry);
            if (error != null)
            {
                throw new PolicyException(file + ":" + (n + 1) + ": " + error);
            }
        }
        return builder.build();
    }

    private static List<String> readLines(final Path file) throws PolicyException
    {
        try
        {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new PolicyException("cannot read list file '" + file + "': " + ex, ex);
        }
    }

    private static String entry(final String line)
    {
        final int hash = line.indexOf('#');
        return (hash < 0 ? line : line.substring(0, hash)).strip();
    }

    private static String abbreviate(final String s)
    {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }

    /** Parses 40 hex digits into 20 bytes; false if the text is anything else. */
    public static boolean parseHex(final CharSequence text, final byte[] out)
    {
        if (text.length() != 2 * out.length)
        {
            return false;
        }
        for (int i = 0; i < out.length; i++)
        {
            final int hi = hexDigit(text.charAt(2 * i));
            final int lo = hexDigit(text.charAt(2 * i + 1));
            if (hi < 0 || lo < 0)
            {
                return false;
            }
            out[i] = (byte)((hi << 4) | lo);
        }
        return true;
    }

    private static int hexDigit(final char c)
    {
        if (c >= '0' && c <= '9')
        {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f')
        {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F')
        {
            return c - 'A' + 10;
        }
        return -1;
    }
}
