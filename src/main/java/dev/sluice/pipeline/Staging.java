package dev.sluice.pipeline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.Collections;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.unsafe.types.UTF8String;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * Rows on their way into one session-local staging table, by the configured {@link WriteMethod}.
 * Buffers and sends in chunks; each chunk is a complete statement, so stagings of several tables
 * can be filled in turn on one connection. Not thread-safe: lives for one task.
 */
abstract sealed class Staging implements AutoCloseable {

    private static final int COPY_FLUSH_BYTES = 1 << 20;
    private static final int DIRECT_FLUSH_BYTES = 4 << 20;
    private static final int INSERT_BATCH_ROWS = 1_000;

    private long rows;

    static Staging open(WriteMethod method, Connection connection, String table, List<String> columns)
            throws SQLException {
        return method == WriteMethod.BATCH_INSERT
                ? new BatchInsert(connection, table, columns)
                : new Copy(connection, table, columns, COPY_FLUSH_BYTES);
    }

    /**
     * Rows for a table whose merge only skips keys it already has ({@code ON CONFLICT DO NOTHING}).
     * With {@code COPY}, each chunk goes straight into the target table under a savepoint; a chunk
     * that hits a key already there (a replayed micro-batch, a repeated event) is rolled back to the
     * savepoint and staged for the merge instead, and so is the rest of the partition after it. The
     * outcome is the merge's, at the cost of a plain {@code COPY} when nothing conflicts.
     */
    static Staging openSkippingExisting(
            WriteMethod method, Connection connection, String target, String staging, List<String> columns)
            throws SQLException {
        return method == WriteMethod.BATCH_INSERT
                ? new BatchInsert(connection, staging, columns)
                : new DirectCopy(connection, target, staging, columns);
    }

    /** Adds one row: the row's values from column {@code from} on, a value per column. */
    final void add(Row row, int from) throws SQLException {
        append(row, from);
        rows++;
    }

    /** The rows added so far. */
    final long rows() {
        return rows;
    }

    /** Of those, the rows already written to the target table rather than staged for the merge. */
    long rowsInTarget() {
        return 0;
    }

    /** Sends what is buffered. */
    abstract void finish() throws SQLException;

    protected abstract void append(Row row, int from) throws SQLException;

    @Override
    public void close() throws SQLException {}

    private static String copyStatement(String table, List<String> columns) {
        return "COPY " + table + " (" + String.join(", ", columns) + ") FROM STDIN";
    }

    /** COPY in the text format, a chunk at a time. */
    private static sealed class Copy extends Staging {
        private final CopyManager copy;
        private final CopyText buffer = new CopyText();
        private final int flushBytes;
        final String statement;
        /** The rows in the buffer. */
        long buffered;

        Copy(Connection connection, String table, List<String> columns, int flushBytes) throws SQLException {
            this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
            this.statement = copyStatement(table, columns);
            this.flushBytes = flushBytes;
        }

        @Override
        protected void append(Row row, int from) throws SQLException {
            for (int i = from; i < row.length(); i++) {
                if (i > from) {
                    buffer.nextValue();
                }
                buffer.value(row.get(i));
            }
            buffer.endRow();
            buffered++;
            if (buffer.size() >= flushBytes) {
                finish();
            }
        }

        @Override
        void finish() throws SQLException {
            if (buffered > 0) {
                send(statement);
                clear();
            }
        }

        /** Empties the buffer. */
        final void clear() {
            buffer.clear();
            buffered = 0;
        }

        /** Sends the buffer's rows with the given COPY statement; keeps them in the buffer. */
        final void send(String copyStatement) throws SQLException {
            CopyIn in = copy.copyIn(copyStatement);
            try {
                in.writeToCopy(buffer.bytes(), 0, buffer.size());
                in.endCopy();
            } finally {
                if (in.isActive()) {
                    in.cancelCopy();
                }
            }
        }
    }

    /** COPY into the target table while no key conflicts, into the staging table from the first conflict on. */
    private static final class DirectCopy extends Copy {
        private static final String UNIQUE_VIOLATION = "23505";
        private final Connection connection;
        private final String direct;
        private long rowsInTarget;
        private boolean conflicted;

        DirectCopy(Connection connection, String target, String staging, List<String> columns) throws SQLException {
            super(connection, staging, columns, DIRECT_FLUSH_BYTES);
            this.connection = connection;
            this.direct = copyStatement(target, columns);
        }

        @Override
        void finish() throws SQLException {
            if (buffered == 0) {
                return;
            }
            if (conflicted) {
                super.finish();
                return;
            }
            Savepoint savepoint = connection.setSavepoint();
            try {
                send(direct);
                connection.releaseSavepoint(savepoint);
                rowsInTarget += buffered;
            } catch (SQLException e) {
                if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    throw e;
                }
                connection.rollback(savepoint);
                conflicted = true;
                send(statement);
            }
            clear();
        }

        @Override
        long rowsInTarget() {
            return rowsInTarget;
        }
    }

    /** One prepared INSERT, executed in batches of a thousand rows. */
    private static final class BatchInsert extends Staging {
        private final PreparedStatement insert;
        private int batched;

        BatchInsert(Connection connection, String table, List<String> columns) throws SQLException {
            this.insert = connection.prepareStatement("INSERT INTO " + table + " (" + String.join(", ", columns)
                    + ") VALUES (" + String.join(", ", Collections.nCopies(columns.size(), "?")) + ")");
        }

        @Override
        protected void append(Row row, int from) throws SQLException {
            for (int i = from; i < row.length(); i++) {
                Object value = row.get(i);
                insert.setObject(i - from + 1, value instanceof UTF8String text ? text.toString() : value);
            }
            insert.addBatch();
            if (++batched >= INSERT_BATCH_ROWS) {
                finish();
            }
        }

        @Override
        void finish() throws SQLException {
            if (batched > 0) {
                insert.executeBatch();
                batched = 0;
            }
        }

        @Override
        public void close() throws SQLException {
            insert.close();
        }
    }
}
