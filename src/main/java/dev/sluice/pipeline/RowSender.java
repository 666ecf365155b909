package dev.sluice.pipeline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.unsafe.types.UTF8String;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * Sends rows into one table by a {@link WriteMethod}: {@code COPY} in the binary or the text
 * format, or one prepared {@code INSERT} in batches. Rows are buffered as they come ({@code COPY} encodes them
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
                : new Copy(connection, table, columns, from, method == WriteMethod.COPY);
    }

    /** Adds a row to the buffer. */
    abstract void buffer(Row row) throws SQLException;

    /** About how many bytes the buffer holds. */
    abstract long bufferedBytes();

    /** Sends the buffer, which held exactly {@code rows}, and empties it, whether or not the send fails. */
    abstract void sendBuffered(List<Row> rows) throws SQLException;

    /** Sends these rows; a failure leaves the connection's transaction to roll back. */
    abstract void send(List<Row> rows) throws SQLException;

    /** The form rows are sent in from now on: {@code binary} or {@code text} COPY, or {@code insert}. */
    String format() throws SQLException {
        return "insert";
    }

    @Override
    public void close() throws SQLException {}

    /**
     * COPY in the binary format when every column's type takes it ({@link CopyBinary}), in the
     * text format otherwise, or from the first value whose binary form would not be what the text
     * format stores; with {@link WriteMethod#COPY_TEXT}, always in the text format.
     */
    private static final class Copy extends RowSender {
        private final Connection connection;
        private final String table;
        private final List<String> columns;
        private final CopyManager copy;
        private final String textStatement;
        private final String binaryStatement;
        /** Whether the columns' types are still to be read: the binary format is wanted, nothing sent yet. */
        private boolean typesToRead;
        /** The columns' type OIDs while rows go in the binary format; null in the text format. */
        private int[] types;

        private final CopyText buffered = new CopyText();
        private CopyText again;
        /** Rows in the binary format; any left here once the text format took over are sent re-encoded. */
        private final CopyBinary binary = new CopyBinary();

        Copy(Connection connection, String table, List<String> columns, int from, boolean binaryFormat)
                throws SQLException {
            super(from);
            this.connection = connection;
            this.table = table;
            this.columns = columns;
            this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
            this.textStatement = "COPY " + table + " (" + String.join(", ", columns) + ") FROM STDIN";
            this.binaryStatement = textStatement + " (FORMAT binary)";
            this.typesToRead = binaryFormat;
        }

        @Override
        String format() throws SQLException {
            return types() != null ? "binary" : "text";
        }

        @Override
        void buffer(Row row) throws SQLException {
            if (types() != null) {
                if (binary.row(row, from, types)) {
                    return;
                }
                textFromNowOn();
            }
            encode(row, buffered);
        }

        @Override
        long bufferedBytes() {
            return types != null ? binary.size() : buffered.size();
        }

        @Override
        void sendBuffered(List<Row> rows) throws SQLException {
            try {
                if (types != null) {
                    copyBinary(binary);
                    return;
                }
                if (binary.rows() > 0) {
                    buffered.clear();
                    rows.forEach(row -> encode(row, buffered));
                }
                copy(buffered);
            } finally {
                binary.clear();
                buffered.clear();
            }
        }

        @Override
        void send(List<Row> rows) throws SQLException {
            if (types() != null) {
                CopyBinary rowsInBinary = new CopyBinary();
                if (rows.stream().allMatch(row -> rowsInBinary.row(row, from, types))) {
                    copyBinary(rowsInBinary);
                    return;
                }
                textFromNowOn();
            }
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

        /** A value's binary form would not be what the text format stores: the text format from here on. */
        private void textFromNowOn() {
            types = null;
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
            if (text.size() > 0) {
                copy(textStatement, text.bytes(), text.size());
            }
        }

        private void copyBinary(CopyBinary rows) throws SQLException {
            if (rows.rows() > 0) {
                byte[] bytes = rows.finish();
                copy(binaryStatement, bytes, rows.size());
            }
        }

        private void copy(String statement, byte[] bytes, int size) throws SQLException {
            CopyIn in = copy.copyIn(statement);
            try {
                in.writeToCopy(bytes, 0, size);
                in.endCopy();
            } finally {
                if (in.isActive()) {
                    in.cancelCopy();
                }
            }
        }

        /**
         * The columns' types, read when first needed (a sender that sends nothing, as most
         * dead-letter and staging senders, asks nothing).
         */
        private int[] types() throws SQLException {
            if (typesToRead) {
                typesToRead = false;
                types = binaryTypes();
            }
            return types;
        }

        /**
         * The type OIDs of the table's columns, in order, when the binary format writes them all
         * (a domain or a type it does not write: null).
         */
        private int[] binaryTypes() throws SQLException {
            Map<String, Integer> found = new HashMap<>();
            try (PreparedStatement query = connection.prepareStatement("SELECT attname, atttypid FROM pg_attribute"
                    + " WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped")) {
                query.setString(1, table);
                try (ResultSet result = query.executeQuery()) {
                    while (result.next()) {
                        found.put(result.getString(1), result.getInt(2));
                    }
                }
            }
            int[] types = new int[columns.size()];
            for (int i = 0; i < types.length; i++) {
                String column = columns.get(i);
                Integer type =
                        found.containsKey(column) ? found.get(column) : found.get(column.toLowerCase(Locale.ROOT));
                if (type == null) {
                    return null;
                }
                types[i] = type;
            }
            return CopyBinary.writes(types) ? types : null;
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
