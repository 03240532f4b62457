package org.trackerd.engine.site;

/**
 * A site database driver: loads what the tracker needs to admit requests and writes the accounting back. One
 * instance belongs to one thread (the loader or the flusher); implementations keep their own connection.
 *
 * <p>Every driver must pass the same conformance expectations (see the MariaDB end-to-end tests): a batch is
 * written in one transaction, all of it or nothing, and writing a batch whose {@link DeltaBatch#id} was already
 * committed changes nothing and returns false.
 */
public interface SiteBackend extends AutoCloseable
{
    /** Users, torrents, whitelist and active freeleech tokens. */
    SiteData load() throws Exception;

    /**
     * Writes one frozen batch atomically.
     *
     * @return true if written now, false if the database already had it (a retry after an unknown outcome)
     */
    boolean write(DeltaBatch batch) throws Exception;

    /**
     * Checks that the database has every table and column the tracker reads and writes, before it serves and at
     * each reload.
     */
    default SchemaReport checkSchema() throws Exception
    {
        return SchemaReport.OK;
    }

    /** What this backend's failures mean (which are permanent, what they name); all transient by default. */
    default SiteFailures failures()
    {
        return SiteFailures.TRANSIENT;
    }

    /** True when the database answers. */
    boolean ping();

    @Override
    void close();
}
