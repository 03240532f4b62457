package org.trackerd.io.site;

import org.trackerd.engine.site.SiteFailures;


import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells a failure that a retry can fix (the database away, a timeout, a deadlock) from one it cannot (the schema
 * or the data: an unknown column, a column without a default, a value too long, a constraint). The first kind
 * keeps a batch for the next flush; the second would fail the same rows forever, so the flusher isolates them.
 *
 * <p>Anything not recognised as permanent counts as transient: retrying something a retry cannot fix stalls the
 * accounting (as before), while dead-lettering something that would have healed only costs a replay.
 *
 * <p>What MariaDB's (and MySQL's) failures mean for the engine's flusher ({@link SiteFailures}).
 *
 * <p>Thread: any (stateless).
 */
public final class SqlFailures implements SiteFailures
{
    /** The one instance (stateless). */
    public static final SqlFailures INSTANCE = new SqlFailures();

    /**
     * Server errors about the statement or the rows, the same however often they are retried (MariaDB/MySQL
     * error numbers): unknown column 1054, table 1146, column count 1136, access to a table or column 1142/1143,
     * no default 1364, cannot be null 1048, too long 1406, out of range 1264/1690, truncated 1265, incorrect
     * value 1366/1292/1411, duplicate key 1062, foreign keys 1216/1217/1451/1452, check constraints 3819/4025.
     */
    private static final Set<Integer> PERMANENT_CODES = Set.of(1054, 1146, 1136, 1142, 1143, 1364, 1048, 1406,
        1264, 1690, 1265, 1366, 1292, 1411, 1062, 1216, 1217, 1451, 1452, 3819, 4025);

    /**
     * Errors that affect every row of a statement alike (the statement or table is wrong, not a value): once a
     * statement over one table fails with one of these, isolating its rows one by one would only repeat it.
     */
    private static final Set<Integer> STATEMENT_CODES = Set.of(1054, 1146, 1136, 1142, 1143, 1364);

    /** Server errors a retry fixes: lock wait timeout, deadlock, too many connections, server shutting down. */
    private static final Set<Integer> TRANSIENT_CODES = Set.of(1205, 1213, 1040, 1053, 1927, 1317, 1969, 3024,
        2002, 2003, 2006, 2013);

    private static final Pattern QUOTED = Pattern.compile("'([^']*)'");

    private SqlFailures()
    {
    }

    /** True when retrying the same write cannot succeed until the schema or the data changes. */
    @Override
    public boolean isPermanent(final Throwable failure)
    {
        final SQLException sql = sqlException(failure);
        if (sql == null)
        {
            return false;
        }
        int depth = 0;
        for (Throwable t = failure; t != null && depth++ < 16; t = t.getCause())
        {
            if (t instanceof SQLException e)
            {
                for (SQLException next = e; next != null; next = next.getNextException())
                {
                    if (isTransient(next))
                    {
                        return false;
                    }
                }
            }
        }
        final String state = sql.getSQLState() == null ? "" : sql.getSQLState();
        return PERMANENT_CODES.contains(sql.getErrorCode()) || state.startsWith("22") || state.startsWith("23") ||
            state.startsWith("42") || state.startsWith("44");
    }

    private static boolean isTransient(final SQLException e)
    {
        final String state = e.getSQLState() == null ? "" : e.getSQLState();
        return e instanceof SQLTransientException || e instanceof SQLRecoverableException ||
            e instanceof SQLNonTransientConnectionException || state.startsWith("08") || state.startsWith("40") ||
            TRANSIENT_CODES.contains(e.getErrorCode());
    }

    /** True when the error is about the whole statement (every row of it fails alike), not about one value. */
    @Override
    public boolean isStatementLevel(final Throwable failure)
    {
        final SQLException sql = sqlException(failure);
        return sql != null && STATEMENT_CODES.contains(sql.getErrorCode());
    }

    /** The innermost SQL exception of a cause chain, or null. */
    static SQLException sqlException(final Throwable failure)
    {
        SQLException found = null;
        int depth = 0;
        for (Throwable t = failure; t != null && depth++ < 16; t = t.getCause())
        {
            if (t instanceof SQLException e)
            {
                found = e;
            }
        }
        return found;
    }

    /** The database's error number, or 0. */
    @Override
    public int code(final Throwable failure)
    {
        final SQLException sql = sqlException(failure);
        return sql == null ? 0 : sql.getErrorCode();
    }

    /** The column (or other object) the server's message names first, or "" ("Unknown column 'IP' in ..."). */
    @Override
    public String column(final Throwable failure)
    {
        final SQLException sql = sqlException(failure);
        if (sql == null || sql.getMessage() == null)
        {
            return "";
        }
        final Matcher m = QUOTED.matcher(sql.getMessage());
        return m.find() ? m.group(1) : "";
    }

    /** The server's message without the driver's connection prefix ("(conn=12) "). */
    @Override
    public String message(final Throwable failure)
    {
        final SQLException sql = sqlException(failure);
        final String text = sql == null ? String.valueOf(failure) : String.valueOf(sql.getMessage());
        return text.startsWith("(conn=") && text.indexOf(") ") > 0 ? text.substring(text.indexOf(") ") + 2) : text;
    }
}
