package org.trackerd.engine.site;

import java.util.List;

/**
 * What a site database's schema lacks for the tracker: {@link #errors} stop it (a column it reads or writes is
 * missing, or a column its inserts leave out has no default), {@link #warnings} only cost some rows (e.g. an
 * address column too narrow for IPv6). Each line names the table and column and ends with the statement that
 * fixes it.
 *
 * <p>Thread: immutable.
 */
public record SchemaReport(List<String> errors, List<String> warnings)
{
    public static final SchemaReport OK = new SchemaReport(List.of(), List.of());

    public boolean ok()
    {
        return errors.isEmpty();
    }
}
