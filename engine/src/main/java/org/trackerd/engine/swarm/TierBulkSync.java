package org.trackerd.engine.swarm;

import net.openhft.posix.MSyncFlag;
import net.openhft.posix.PosixAPI;
import net.openhft.posix.internal.PosixAPIHolder;
import net.openhft.posix.internal.jnr.JNRPosixAPI;
import net.openhft.posix.internal.noop.NoOpPosixAPI;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Takes Chronicle Map's synchronous {@code msync} of a new tier bulk off the swarm processor's thread: on a thread
 * that called {@link #deferOnThisThread()}, an {@code msync(MS_SYNC)} becomes {@code MS_ASYNC} (on Linux: left to the
 * kernel's ordinary write-back, as every other write to the maps is).
 *
 * <p>Why: when a segment's tiers are full, Chronicle chains an extra tier; when its free tiers are used up it first
 * maps one more bulk of tiers at the end of the file ({@code VanillaChronicleHash.allocateTierBulk}), zeroes the
 * tiers' hash lookups and free lists, and msyncs the whole bulk with {@code MS_SYNC} before it records the bulk in
 * the map's header. That wait for the disk was most of a growth step (StoreGrowthMeasurement: median 5.5 ms, worst
 * 110 ms, p99.9 of the inserts past the first tier 7 ms), and the processor thread makes it, inside a request.
 *
 * <p>Why it is safe: the msync orders the bulk's zeroes (and its free-tier links) on the disk before the header that
 * counts the bulk; it matters only if the host itself dies (a {@code kill -9} loses no write to a shared mapping),
 * and then the store recovers every shard ({@link InFlight}: another boot). A new bulk is always new file space
 * (Chronicle extends the file for it with {@code ftruncate} and {@code fallocate}, and never frees a bulk), which
 * reads as zeroes until written: what the msync would have made sure of is already so, but for the links between
 * the bulk's tiers, whose loss only leaves the rest of that bulk unused. Entries written into the new tiers are no
 * less durable than entries written anywhere else in the maps, which are never msynced either. Only threads that
 * ask for it are affected: the creation of a map (whose {@code msync} comes before its ready bit) and the resize
 * copy, on the launcher thread, keep theirs.
 *
 * <p>How: Chronicle calls {@code PosixAPI.posix().msync(...)} for it, which returns the public
 * {@link PosixAPIHolder#POSIX_API}; {@link #install()} puts a delegating {@link PosixAPI} there. TierBulkSyncTest
 * fails if a Chronicle or posix upgrade stops going through it (the growth of a map on a deferring thread must show
 * here as a deferred msync).
 *
 * <p>Start-up: installed before Chronicle's first class initialises, the delegate is loaded lazily. Chronicle core
 * loads the posix API eagerly in its {@code Jvm} class initialiser (binding it through jnr-ffi, which generates
 * classes with ASM: about a tenth of the store's opening, on the way to {@code ready:}) although opening existing
 * map files calls none of it; here it is bound on first use, or by {@link #loadInBackground()} once the tracker
 * answers.
 *
 * <p>Thread: {@link #install()} from any thread before the maps are used ({@link SwarmStore#open} calls it first);
 * {@link #deferOnThisThread()} from the thread it is for; the API from any thread.
 */
public final class TierBulkSync implements PosixAPI
{
    private static final ThreadLocal<Boolean> DEFERRING = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private static final int MS_SYNC = MSyncFlag.MS_SYNC.value();
    private static final int MS_ASYNC = MSyncFlag.MS_ASYNC.value();
    /** msyncs turned asynchronous since the start (for the test that guards the hook). */
    private static final AtomicLong DEFERRED = new AtomicLong();

    /** The implementation posix would have loaded; null until first needed. */
    private volatile PosixAPI loaded;

    private TierBulkSync(final PosixAPI loaded)
    {
        this.loaded = loaded;
    }

    /**
     * Puts the delegating API in place of posix's (once; later calls do nothing): around the one posix loaded
     * already, or, when none is loaded yet, around the one it would load, loaded when first used.
     */
    public static synchronized void install()
    {
        final PosixAPI current = PosixAPIHolder.POSIX_API;
        if (!(current instanceof TierBulkSync))
        {
            PosixAPIHolder.POSIX_API = new TierBulkSync(current);
        }
    }

    /** Binds the posix API now, on a daemon thread of its own, so that its first use does not pay for it. */
    public static void loadInBackground()
    {
        install();
        final Thread t = new Thread(() -> ((TierBulkSync)PosixAPIHolder.POSIX_API).delegate(), "trackerd-posix-init");
        t.setDaemon(true);
        t.start();
    }

    /** The implementation, bound on first use as posix binds it on Linux (jnr-ffi; a no-op API if that fails). */
    private PosixAPI delegate()
    {
        final PosixAPI api = loaded;
        return api != null ? api : load();
    }

    private synchronized PosixAPI load()
    {
        if (loaded == null)
        {
            PosixAPI api;
            try
            {
                api = new JNRPosixAPI();
            }
            catch (final Throwable ex)
            {
                api = new NoOpPosixAPI(ex.toString());
            }
            loaded = api;
        }
        return loaded;
    }

    /** From now on, a synchronous msync this thread makes (a new tier bulk's) is left to write-back. */
    public static void deferOnThisThread()
    {
        install();
        DEFERRING.set(Boolean.TRUE);
    }

    /** msyncs turned asynchronous so far, by every thread. */
    static long deferred()
    {
        return DEFERRED.get();
    }

    @Override
    public int msync(final long address, final long length, final int flags)
    {
        if ((flags & MS_SYNC) != 0 && DEFERRING.get())
        {
            DEFERRED.incrementAndGet();
            return delegate().msync(address, length, (flags & ~MS_SYNC) | MS_ASYNC);
        }
        return delegate().msync(address, length, flags);
    }

    // Everything else as the loaded implementation does it.

    @Override
    public int close(final int fd)
    {
        return delegate().close(fd);
    }

    @Override
    public int fallocate(final int fd, final int mode, final long offset, final long length)
    {
        return delegate().fallocate(fd, mode, offset, length);
    }

    @Override
    public int ftruncate(final int fd, final long offset)
    {
        return delegate().ftruncate(fd, offset);
    }

    @Override
    public long lseek(final int fd, final long offset, final int whence)
    {
        return delegate().lseek(fd, offset, whence);
    }

    @Override
    public int lockf(final int fd, final int cmd, final long len)
    {
        return delegate().lockf(fd, cmd, len);
    }

    @Override
    public int madvise(final long addr, final long length, final int advice)
    {
        return delegate().madvise(addr, length, advice);
    }

    @Override
    public long mmap(final long addr, final long length, final int prot, final int flags, final int fd,
        final long offset)
    {
        return delegate().mmap(addr, length, prot, flags, fd, offset);
    }

    @Override
    public boolean mlock(final long addr, final long length)
    {
        return delegate().mlock(addr, length);
    }

    @Override
    public boolean mlock2(final long addr, final long length, final boolean lockOnFault)
    {
        return delegate().mlock2(addr, length, lockOnFault);
    }

    @Override
    public void mlockall(final int flags)
    {
        delegate().mlockall(flags);
    }

    @Override
    public int munmap(final long addr, final long length)
    {
        return delegate().munmap(addr, length);
    }

    @Override
    public int open(final CharSequence path, final int flags, final int perm)
    {
        return delegate().open(path, flags, perm);
    }

    @Override
    public long read(final int fd, final long dst, final long len)
    {
        return delegate().read(fd, dst, len);
    }

    @Override
    public long write(final int fd, final long src, final long len)
    {
        return delegate().write(fd, src, len);
    }

    @Override
    public long du(final String filename) throws java.io.IOException
    {
        return delegate().du(filename);
    }

    @Override
    public int gettimeofday(final long timeval)
    {
        return delegate().gettimeofday(timeval);
    }

    @Override
    public int sched_setaffinity(final int pid, final int cpusetsize, final long mask)
    {
        return delegate().sched_setaffinity(pid, cpusetsize, mask);
    }

    @Override
    public int sched_getaffinity(final int pid, final int cpusetsize, final long mask)
    {
        return delegate().sched_getaffinity(pid, cpusetsize, mask);
    }

    @Override
    public String sched_getaffinity_summary(final int pid)
    {
        return delegate().sched_getaffinity_summary(pid);
    }

    @Override
    public int sched_setaffinity_as(final int pid, final int cpu)
    {
        return delegate().sched_setaffinity_as(pid, cpu);
    }

    @Override
    public int sched_setaffinity_range(final int pid, final int from, final int to)
    {
        return delegate().sched_setaffinity_range(pid, from, to);
    }

    @Override
    public int lastError()
    {
        return delegate().lastError();
    }

    @Override
    public long clock_gettime(final int clockId)
    {
        return delegate().clock_gettime(clockId);
    }

    @Override
    public long malloc(final long size)
    {
        return delegate().malloc(size);
    }

    @Override
    public void free(final long ptr)
    {
        delegate().free(ptr);
    }

    @Override
    public int get_nprocs()
    {
        return delegate().get_nprocs();
    }

    @Override
    public int get_nprocs_conf()
    {
        return delegate().get_nprocs_conf();
    }

    @Override
    public int getpid()
    {
        return delegate().getpid();
    }

    @Override
    public int gettid()
    {
        return delegate().gettid();
    }

    @Override
    public String strerror(final int errno)
    {
        return delegate().strerror(errno);
    }
}
