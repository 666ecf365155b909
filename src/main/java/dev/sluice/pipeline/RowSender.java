package dev.sluice.pipeline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.unsafe.types.UTF8String;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * Sends rows into one table by a {@link WriteMethod}: {@code COPY} in the text format, or one
 * prepared {@code INSERT} in batches. Rows are buffered as they come ({@code COPY} encodes them
 * at once) and sent as one chunk; any rows can also be sent again, re-encoded, to find which of a
 * chunk the table refuses. Each send is complete statements, so sends into several tables can
 * take turns on one connection. Not thread-safe: lives for one task.
 */
abstract sealed class RowSender implements AutoCloseable {

    private static final int INSERT_BATCH_ROWS = 1_000;
    /** What a buffered row is taken to weigh when rows are not encoded until sent. */
    private static final int INSERT_ROW_BYTES = 256;

    /** The row's value of the table's first column: those before it are not sent. */
    final int from;

    private RowSender(int from) {
        this.from = from;
    }

    static RowSender open(WriteMethod method, Connection connection, String table, List<String> columns, int from)
            throws SQLException {
        return method == WriteMethod.BATCH_INSERT
                ? new Insert(connection, table, columns, from)
                : new Copy(connection, table, columns, from);
    }

    /** Adds a row to the buffer. */
    abstract void buffer(Row row);

    /** About how many bytes the buffer holds. */
    abstract long bufferedBytes();

    /** Sends the buffer, which held exactly {@code rows}, and empties it, whether or not the send fails. */
    abstract void sendBuffered(List<Row> rows) throws SQLException;

    /** Sends these rows; a failure leaves the connection's transaction to roll back. */
    abstract void send(List<Row> rows) throws SQLException;

    @Override
    public void close() throws SQLException {}

    /** COPY in the text format. */
    private static final class Copy extends RowSender {
        private final CopyManager copy;
        private final String statement;
        private final CopyText buffered = new CopyText();
        private CopyText again;

        Copy(Connection connection, String table, List<String> columns, int from) throws SQLException {
            super(from);
            this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
            this.statement = "COPY " + table + " (" + String.join(", ", columns) + ") FROM STDIN";
        }

        @Override
        void buffer(Row row) {
            encode(row, buffered);
        }

        @Override
        long bufferedBytes() {
            return buffered.size();
        }

        @Override
        void sendBuffered(List<Row> rows) throws SQLException {
            try {
                copy(buffered);
            } finally {
                buffered.clear();
            }
        }

        @Override
        void send(List<Row> rows) throws SQLException {
            if (again == null) {
                again = new CopyText();
            }
            try {
                rows.forEach(row -> encode(row, again));
                copy(again);
            } finally {
                again.clear();
            }
        }

        private void encode(Row row, CopyText text) {
            for (int i = from; i < row.length(); i++) {
                if (i > from) {
                    text.nextValue();
                }
                text.value(row.get(i));
            }
            text.endRow();
        }

        private void copy(CopyText text) throws SQLException {
            if (text.size() == 0) {
                return;
            }
            CopyIn in = copy.copyIn(statement);
            try {
                in.writeToCopy(text.bytes(), 0, text.size());
                in.endCopy();
            } finally {
                if (in.isActive()) {
                    in.cancelCopy();
                }
            }
        }
    }

    /** One prepared INSERT, executed in batches of a thousand rows. */
    private static final class Insert extends RowSender {
        private final PreparedStatement insert;
        private long buffered;

        Insert(Connection connection, String table, List<String> columns, int from) throws SQLException {
            super(from);
            this.insert = connection.prepareStatement("INSERT INTO " + table + " (" + String.join(", ", columns)
                    + ") VALUES (" + String.join(", ", Collections.nCopies(columns.size(), "?")) + ")");
        }

        @Override
        void buffer(Row row) {
            buffered++;
        }

        @Override
        long bufferedBytes() {
            return buffered * INSERT_ROW_BYTES;
        }

        @Override
        void sendBuffered(List<Row> rows) throws SQLException {
            buffered = 0;
            send(rows);
        }

        @Override
        void send(List<Row> rows) throws SQLException {
            int batched = 0;
            try {
                for (Row row : rows) {
                    for (int i = from; i < row.length(); i++) {
                        Object value = row.get(i);
                        insert.setObject(i - from + 1, value instanceof UTF8String text ? text.toString() : value);
                    }
                    insert.addBatch();
                    if (++batched >= INSERT_BATCH_ROWS) {
                        insert.executeBatch();
                        batched = 0;
                    }
                }
                if (batched > 0) {
                    insert.executeBatch();
                }
            } finally {
                insert.clearBatch();
            }
        }

        @Override
        public void close() throws SQLException {
            insert.close();
        }
    }
}
