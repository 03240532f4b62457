package org.trackerd.engine.site;

/**
 * What a site backend's failures mean, told by the backend that threw them (the engine knows no database
 * driver): a failure a retry can fix (the database away, a timeout, a deadlock) keeps a batch for the next flush;
 * one it cannot (the schema or the data) would fail the same rows forever, so the flusher isolates those rows and
 * dead-letters them.
 *
 * <p>Anything an implementation does not recognise as permanent must count as transient: retrying something a
 * retry cannot fix stalls the accounting, while dead-lettering something that would have healed costs a replay.
 *
 * <p>Thread: any (implementations are stateless).
 */
public interface SiteFailures
{
    /** Every failure is transient and says no more than its text: for backends with no permanent failures. */
    SiteFailures TRANSIENT = new SiteFailures()
    {
        @Override
        public boolean isPermanent(final Throwable failure)
        {
            return false;
        }

        @Override
        public boolean isStatementLevel(final Throwable failure)
        {
            return false;
        }

        @Override
        public int code(final Throwable failure)
        {
            return 0;
        }

        @Override
        public String column(final Throwable failure)
        {
            return "";
        }

        @Override
        public String message(final Throwable failure)
        {
            return String.valueOf(failure);
        }
    };

    /** True when retrying the same write cannot succeed until the schema or the data changes. */
    boolean isPermanent(Throwable failure);

    /** True when the failure is about the whole statement (every row of it fails alike), not about one value. */
    boolean isStatementLevel(Throwable failure);

    /** The database's error number, or 0. */
    int code(Throwable failure);

    /** The column (or other object) the failure names, or "". */
    String column(Throwable failure);

    /** The failure's text for logs and the dead-letter file. */
    String message(Throwable failure);
}
