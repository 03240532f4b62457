package org.trackerd.engine.policy;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.trackerd.engine.Counters;
import org.trackerd.engine.event.RequestEvent;

import java.nio.charset.StandardCharsets;

/**
 * The access check of one frontend thread, run on that thread before a request is published, so nothing refused
 * ever reaches the swarm processor and no signature is ever verified on its thread. Cheap checks first (torrent
 * list, client list), then the JWT: a lookup in this thread's {@link TokenCache}, and only on a miss a full
 * verification.
 *
 * <p>Counts every refusal by reason ({@code access_rejected{reason,protocol,thread}}), and the JWT work done
 * ({@code access_jwt_cache_hits}, {@code access_jwt_verifications}).
 *
 * <p>Thread: created on the launcher thread (it allocates counters); then used only by its frontend thread.
 */
public final class AccessChecker
{
    /** Token length meaning "the request carried no token". */
    public static final int NO_TOKEN = -1;
    /** Longest token accepted (percent-decoded); longer ones are refused as malformed. */
    public static final int MAX_TOKEN_BYTES = 4096;

    private final PolicyHolder holder;
    private final TokenCache cache;
    private final AtomicCounter[] rejected = new AtomicCounter[Reason.values().length];
    private final AtomicCounter cacheHits;
    private final AtomicCounter verifications;
    private final byte[] token = new byte[MAX_TOKEN_BYTES];
    private final JwtValidator.Result result = new JwtValidator.Result();

    public AccessChecker(final PolicyHolder holder, final int cacheEntries, final CountersManager manager,
        final String protocol, final int thread)
    {
        this.holder = holder;
        this.cache = new TokenCache(cacheEntries);
        final String labels = "protocol=\"" + protocol + "\",thread=\"" + thread + "\"";
        for (final Reason r : Reason.values())
        {
            if (r != Reason.ALLOWED)
            {
                rejected[r.ordinal()] = Counters.counter(manager, "access_rejected",
                    "reason=\"" + r.label + "\"," + labels);
            }
        }
        cacheHits = Counters.counter(manager, "access_jwt_cache_hits", labels);
        verifications = Counters.counter(manager, "access_jwt_verifications", labels);
    }

    /** The snapshot in force; a frontend that sees {@code !enabled()} skips {@link #check} altogether. */
    public AccessPolicy policy()
    {
        return holder.current();
    }

    /**
     * Checks an announce or scrape in {@code e} against {@code policy} (read once by the caller with
     * {@link #policy()}). The token, if any, is {@code tokenLength} raw (percent-encoded) bytes of
     * {@code tokenBuffer} from {@code tokenOffset}; {@link #NO_TOKEN} when absent.
     *
     * @return {@link Reason#ALLOWED} or why not (already counted).
     */
    public Reason check(final AccessPolicy policy, final RequestEvent e, final DirectBuffer tokenBuffer,
        final int tokenOffset, final int tokenLength, final long nowMs)
    {
        final Reason reason = e.kind == RequestEvent.KIND_ANNOUNCE ?
            checkAnnounce(policy, e, tokenBuffer, tokenOffset, tokenLength, nowMs) :
            checkScrape(policy, e, tokenBuffer, tokenOffset, tokenLength, nowMs);
        if (reason != Reason.ALLOWED)
        {
            rejected[reason.ordinal()].incrementRelease();
        }
        return reason;
    }

    public long rejectedCount(final Reason reason)
    {
        return rejected[reason.ordinal()].get();
    }

    private Reason checkAnnounce(final AccessPolicy policy, final RequestEvent e, final DirectBuffer tokenBuffer,
        final int tokenOffset, final int tokenLength, final long nowMs)
    {
        Reason r = policy.checkTorrent(e.infoHash, 0);
        if (r != Reason.ALLOWED)
        {
            return r;
        }
        r = policy.checkClient(e.peerId, 0);
        if (r != Reason.ALLOWED)
        {
            return r;
        }
        final JwtValidator jwt = policy.jwt();
        if (jwt == null)
        {
            return Reason.ALLOWED;
        }
        final int length = decodeToken(tokenBuffer, tokenOffset, tokenLength);
        if (length < 0)
        {
            return length == NO_TOKEN ? Reason.JWT_MISSING : Reason.JWT_MALFORMED;
        }
        return checkToken(policy, jwt, length, e.infoHash, 0, nowMs);
    }

    private Reason checkScrape(final AccessPolicy policy, final RequestEvent e, final DirectBuffer tokenBuffer,
        final int tokenOffset, final int tokenLength, final long nowMs)
    {
        for (int i = 0; i < e.scrapeCount; i++)
        {
            final Reason r = policy.checkTorrent(e.scrapeHashes, i * RequestEvent.HASH_LENGTH);
            if (r != Reason.ALLOWED)
            {
                return r;
            }
        }
        final JwtValidator jwt = policy.jwt();
        if (jwt == null || !jwt.requireForScrape())
        {
            return Reason.ALLOWED;
        }
        final int length = decodeToken(tokenBuffer, tokenOffset, tokenLength);
        if (length < 0)
        {
            return length == NO_TOKEN ? Reason.JWT_MISSING : Reason.JWT_MALFORMED;
        }
        for (int i = 0; i < e.scrapeCount; i++)
        {
            final Reason r = checkToken(policy, jwt, length, e.scrapeHashes, i * RequestEvent.HASH_LENGTH, nowMs);
            if (r != Reason.ALLOWED)
            {
                return r;
            }
        }
        return Reason.ALLOWED;
    }

    private Reason checkToken(final AccessPolicy policy, final JwtValidator jwt, final int length, final byte[] hash,
        final int hashOffset, final long nowMs)
    {
        final long h = TokenCache.hash(token, length, hash, hashOffset);
        if (cache.contains(h, token, length, hash, hashOffset, policy.generation(), nowMs))
        {
            cacheHits.incrementRelease();
            return Reason.ALLOWED;
        }
        verifications.incrementRelease();
        jwt.verify(new String(token, 0, length, StandardCharsets.US_ASCII), hash, hashOffset, result);
        if (result.reason == Reason.ALLOWED)
        {
            cache.put(h, token, length, hash, hashOffset, policy.generation(), result.validUntilMs);
        }
        else if (result.reason == Reason.JWT_UNKNOWN_KEY)
        {
            holder.requestKeyRefresh();
        }
        return result.reason;
    }

    /** Percent-decodes the token into {@link #token}: its length, {@link #NO_TOKEN}, or -2 when unusable. */
    private int decodeToken(final DirectBuffer src, final int offset, final int length)
    {
        if (length <= 0 || src == null)
        {
            return NO_TOKEN; // an empty jwt= is as good as none
        }
        int n = 0;
        final int end = offset + length;
        int i = offset;
        while (i < end)
        {
            byte b = src.getByte(i);
            if (b == '%')
            {
                if (i + 2 >= end)
                {
                    return -2;
                }
                final int hi = hex(src.getByte(i + 1));
                final int lo = hex(src.getByte(i + 2));
                if (hi < 0 || lo < 0)
                {
                    return -2;
                }
                b = (byte)((hi << 4) | lo);
                i += 3;
            }
            else
            {
                i++;
            }
            if (n == token.length || b < 0x21 || b > 0x7E)
            {
                return -2;
            }
            token[n++] = b;
        }
        return n;
    }

    private static int hex(final byte b)
    {
        return org.trackerd.engine.Ascii.hexDigit(b);
    }
}
