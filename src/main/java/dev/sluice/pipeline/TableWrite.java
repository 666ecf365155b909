package dev.sluice.pipeline;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * One partition's rows on their way into a table, a chunk at a time, each chunk under a savepoint
 * of the partition's transaction.
 *
 * <p>With {@code COPY}, chunks go straight into the table while none of their rows is refused. A
 * chunk the table refuses (a key it holds already, or a value it does not take) is rolled back to
 * its savepoint, and it and the rest of the partition go through the staging table instead, each
 * chunk merged into the table on its own ({@link PostgresSink.Table#mergeStatement}).
 *
 * <p>When the database refuses a staged chunk for its data (SQLSTATE classes 22 and 23: a value
 * too long, a NOT NULL or CHECK constraint, a foreign key, another unique key), the chunk is
 * halved, and the halves tried again, until each refused row stands alone: it goes to the
 * {@link Refusals} and the rest are written, in the same transaction. Any other failure (the
 * connection, the server) fails the partition, so its micro-batch is retried. Not thread-safe:
 * lives for one task.
 */
final class TableWrite implements AutoCloseable {

    /**
     * A direct chunk's full size: about 10,000 car_info rows in the binary format. A chunk's rows
     * are kept until it is written (a refused one is staged again), so larger chunks kept far more
     * memory alive through each collection: at 4 MiB, the young collections of a 1M-record catch-up
     * took 230 to 520 ms each and paused the service for 2.8 s of its 12; at 1 MiB, 1.3 s of 10.
     */
    private static final int DIRECT_FLUSH_BYTES = 1 << 20;

    private static final int STAGED_FLUSH_BYTES = 1 << 20;
    /**
     * The first direct chunk's size: direct chunks double from here up to their full size, so the
     * first rows are written (and, with chunk commits, seen) moments after a partition starts.
     */
    private static final int FIRST_FLUSH_BYTES = 64 << 10;

    /** Where the rows the table refuses for their data go. */
    interface Refusals {
        void refuse(Row row, SQLException refusal);
    }

    private final Connection connection;
    private final String merge;
    private final String empty;
    /** Rows into the table itself; null when rows are only staged. */
    private final RowSender direct;

    private final RowSender staged;
    /** Null when a refused row fails the partition. */
    private final Refusals refusals;

    private List<Row> chunk = new ArrayList<>();
    private boolean staging;
    private int flushBytes = FIRST_FLUSH_BYTES;
    private long rows;
    private long written;

    /**
     * @param staging the session-local staging table, with the table's columns and
     *     {@link PostgresSink#STAGED_ORDER}
     * @param from the row's value of the table's first column
     */
    TableWrite(
            Connection connection,
            PostgresSink.Table table,
            String staging,
            WriteMethod method,
            int from,
            Refusals refusals)
            throws SQLException {
        this.connection = connection;
        this.merge = table.mergeStatement(staging);
        this.empty = "TRUNCATE " + staging;
        this.direct = method != WriteMethod.BATCH_INSERT
                ? RowSender.open(method, connection, table.name(), table.columns(), from)
                : null;
        this.staged = RowSender.open(method, connection, staging, table.columns(), from);
        this.staging = direct == null;
        this.refusals = refusals;
    }

    /**
     * Adds a row; when that fills a chunk, writes the chunk.
     *
     * @return whether a chunk was written: every row added so far is in the table, or refused
     */
    boolean add(Row row) throws SQLException {
        rows++;
        chunk.add(row);
        RowSender sender = staging ? staged : direct;
        sender.buffer(row);
        if (sender.bufferedBytes() < (staging ? STAGED_FLUSH_BYTES : flushBytes)) {
            return false;
        }
        flush();
        flushBytes = Math.min(2 * flushBytes, DIRECT_FLUSH_BYTES);
        return true;
    }

    /** Writes what is buffered. */
    void finish() throws SQLException {
        flush();
    }

    /** The rows added. */
    long rows() {
        return rows;
    }

    /** Of those, the rows the table took (inserted, or updated by an upsert). */
    long written() {
        return written;
    }

    private void flush() throws SQLException {
        if (chunk.isEmpty()) {
            return;
        }
        List<Row> rows = chunk;
        chunk = new ArrayList<>();
        if (staging) {
            stageAndMerge(rows, true);
            return;
        }
        Savepoint savepoint = connection.setSavepoint();
        try {
            direct.sendBuffered(rows);
            connection.releaseSavepoint(savepoint);
            written += rows.size();
            return;
        } catch (SQLException e) {
            if (!refusedForData(e)) {
                throw e;
            }
            rollBack(savepoint, e);
            staging = true;
        }
        stageAndMerge(rows, false);
    }

    /** Stages the rows and merges them; on a refusal for their data, halves them until it finds the refused ones. */
    private void stageAndMerge(List<Row> rows, boolean buffered) throws SQLException {
        Savepoint savepoint = connection.setSavepoint();
        try {
            if (buffered) {
                staged.sendBuffered(rows);
            } else {
                staged.send(rows);
            }
            long merged;
            try (Statement statement = connection.createStatement()) {
                merged = statement.executeUpdate(merge);
                statement.execute(empty);
            }
            connection.releaseSavepoint(savepoint);
            written += merged;
        } catch (SQLException e) {
            if (refusals == null || !refusedForData(e)) {
                throw e;
            }
            rollBack(savepoint, e);
            if (rows.size() == 1) {
                refusals.refuse(rows.get(0), e);
                return;
            }
            int half = rows.size() / 2;
            stageAndMerge(rows.subList(0, half), false);
            stageAndMerge(rows.subList(half, rows.size()), false);
        }
    }

    /** Rolls back to the savepoint; a failure to do so is kept with the first one, which is thrown. */
    private void rollBack(Savepoint savepoint, SQLException cause) throws SQLException {
        try {
            connection.rollback(savepoint);
        } catch (SQLException e) {
            cause.addSuppressed(e);
            throw cause;
        }
    }

    /** Whether the database refused the rows for what they hold: SQLSTATE classes 22 and 23. */
    static boolean refusedForData(SQLException e) {
        String state = e.getSQLState();
        if (state == null && e.getNextException() != null) {
            state = e.getNextException().getSQLState();
        }
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    @Override
    public void close() throws SQLException {
        try (RowSender closingStaged = staged;
                RowSender closingDirect = direct) {
            // both closed
        }
    }
}
