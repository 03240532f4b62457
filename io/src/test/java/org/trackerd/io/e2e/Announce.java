package org.trackerd.io.e2e;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds announce and scrape targets with raw 20-byte values percent-encoded by hand, and reads the peers out
 * of announce answers.
 */
public final class Announce
{
    private final byte[] infoHash;
    private final byte[] peerId;
    private int port;
    private long left;
    private String event;
    private String numWant;
    private String compact;
    private String noPeerId;
    private String key;
    private long downloaded;

    private Announce(final byte[] infoHash, final byte[] peerId, final int port, final long left)
    {
        this.infoHash = infoHash;
        this.peerId = peerId;
        this.port = port;
        this.left = left;
    }

    public static Announce leecher(final byte[] infoHash, final byte[] peerId, final int port)
    {
        return new Announce(infoHash, peerId, port, 1000);
    }

    public static Announce seeder(final byte[] infoHash, final byte[] peerId, final int port)
    {
        return new Announce(infoHash, peerId, port, 0);
    }

    public Announce port(final int value)
    {
        port = value;
        return this;
    }

    public Announce left(final long value)
    {
        left = value;
        return this;
    }

    public Announce event(final String value)
    {
        event = value;
        return this;
    }

    public Announce numWant(final int value)
    {
        numWant = Integer.toString(value);
        return this;
    }

    public Announce compact(final boolean value)
    {
        compact = value ? "1" : "0";
        return this;
    }

    public Announce noPeerId(final boolean value)
    {
        noPeerId = value ? "1" : "0";
        return this;
    }

    public Announce key(final String value)
    {
        key = value;
        return this;
    }

    public Announce downloaded(final long value)
    {
        downloaded = value;
        return this;
    }

    public String target()
    {
        final StringBuilder sb = new StringBuilder("/announce?info_hash=").append(encode(infoHash))
            .append("&peer_id=").append(encode(peerId))
            .append("&port=").append(port)
            .append("&uploaded=0&downloaded=").append(downloaded)
            .append("&left=").append(left);
        append(sb, "event", event);
        append(sb, "numwant", numWant);
        append(sb, "compact", compact);
        append(sb, "no_peer_id", noPeerId);
        append(sb, "key", key);
        return sb.toString();
    }

    private static void append(final StringBuilder sb, final String name, final String value)
    {
        if (value != null)
        {
            sb.append('&').append(name).append('=').append(value);
        }
    }

    public static String scrapeTarget(final byte[]... infoHashes)
    {
        final StringBuilder sb = new StringBuilder("/scrape");
        for (int i = 0; i < infoHashes.length; i++)
        {
            sb.append(i == 0 ? '?' : '&').append("info_hash=").append(encode(infoHashes[i]));
        }
        return sb.toString();
    }

    /** Percent-encodes raw bytes: unreserved characters stay as they are, every other byte becomes %XX. */
    public static String encode(final byte[] raw)
    {
        final StringBuilder sb = new StringBuilder(raw.length * 3);
        for (final byte b : raw)
        {
            final int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                c == '_' || c == '~')
            {
                sb.append((char)c);
            }
            else
            {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >>> 4, 16)))
                    .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return sb.toString();
    }

    /** A deterministic info hash: SHA-1 of the name, so hashes cover the full byte range. */
    public static byte[] hash(final String name)
    {
        try
        {
            return MessageDigest.getInstance("SHA-1").digest(name.getBytes(StandardCharsets.UTF_8));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** A 20-byte peer id in Azureus style with a few raw bytes that need escaping. */
    public static byte[] peerId(final int n)
    {
        final byte[] id = "-E2E01-\u00ff\u0000 ?&=%000000".getBytes(StandardCharsets.ISO_8859_1);
        final byte[] digits = String.format("%05d", n).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, id, 15, 5);
        if (id.length != 20)
        {
            throw new IllegalStateException("peer id length " + id.length);
        }
        return id;
    }

    /** The ports of a compact {@code peers} string, checking every entry is 127.0.0.1. */
    public static List<Integer> compactPorts(final Map<String, Object> response)
    {
        final byte[] peers = (byte[])response.get("peers");
        if (peers == null)
        {
            throw new AssertionError("no peers in " + response.keySet());
        }
        if (peers.length % 6 != 0)
        {
            throw new AssertionError("compact peers length " + peers.length + " is not a multiple of 6");
        }
        final List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < peers.length; i += 6)
        {
            final String ip = (peers[i] & 0xFF) + "." + (peers[i + 1] & 0xFF) + "." + (peers[i + 2] & 0xFF) + "." +
                (peers[i + 3] & 0xFF);
            if (!"127.0.0.1".equals(ip))
            {
                throw new AssertionError("compact peer address " + ip + ", expected 127.0.0.1");
            }
            ports.add(((peers[i + 4] & 0xFF) << 8) | (peers[i + 5] & 0xFF));
        }
        return ports;
    }
}
