package org.trackerd.io.site;

import org.junit.jupiter.api.Test;

import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MariaDB's failures told apart for the flusher: what a retry fixes, what only the schema or the data can. */
class SqlFailuresTest
{
    @Test
    void failuresAreToldApart()
    {
        final SqlFailures sql = SqlFailures.INSTANCE;
        assertFalse(sql.isPermanent(new SQLTransientConnectionException("pool", "08000", 0)));
        assertFalse(sql.isPermanent(new SQLException("Deadlock found", "40001", 1213)));
        assertFalse(sql.isPermanent(new SQLException("Lock wait timeout exceeded", "HY000", 1205)));
        assertFalse(sql.isPermanent(new SQLException("Server has gone away", "HY000", 2006)));
        assertFalse(sql.isPermanent(new java.sql.SQLNonTransientConnectionException("gone", "08S01", 0)));
        assertFalse(sql.isPermanent(new java.io.IOException("disk")));
        assertFalse(sql.isPermanent(new SQLException("wrapped",
            new java.sql.SQLRecoverableException("socket closed"))));
        final SQLException unknownColumn =
            new SQLException("(conn=5) Unknown column 'IP' in 'field list'", "42S22", 1054);
        assertTrue(sql.isPermanent(unknownColumn));
        assertTrue(sql.isPermanent(
            new SQLException("Field 'Time' doesn't have a default value", "HY000", 1364)));
        assertTrue(sql.isPermanent(
            new SQLDataException("Data too long for column 'ip' at row 3", "22001", 1406)));
        assertTrue(sql.isPermanent(new SQLException("Cannot add or update a child row", "23000", 1452)));
        assertFalse(sql.isPermanent(new java.sql.SQLTransientException("trackerd_batches is unusable", "42S02",
            1146, new SQLException("Table 'gazelle.trackerd_batches' doesn't exist", "42S02", 1146))),
            "a broken batch table holds the batch rather than dead-lettering every row");
        assertTrue(sql.isStatementLevel(new SQLException("Unknown column 'IP'", "42S22", 1054)));
        assertFalse(sql.isStatementLevel(new SQLDataException("Data too long", "22001", 1406)));
        assertEquals("IP", sql.column(unknownColumn));
        assertEquals("Unknown column 'IP' in 'field list'", sql.message(unknownColumn));
    }
}
