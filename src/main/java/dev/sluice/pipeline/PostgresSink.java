package dev.sluice.pipeline;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Writes a micro-batch of parsed records into PostgreSQL: accepted rows into the target table,
 * rejected ones into the dead-letter table, each partition in one transaction.
 *
 * <p>Rows are streamed with {@code COPY} straight into the table while none of their keys is there
 * already; rows from the first conflict on (or all rows, with batched inserts: {@link WriteMethod})
 * go into a session-local staging table, merged with one {@code INSERT ... ON CONFLICT DO NOTHING}
 * on the table's key, so a micro-batch that Spark replays after a failure adds nothing twice. Dead letters are keyed on (pipeline, topic, partition,
 * offset) the same way. If anything fails the transaction rolls back, the batch fails, and the
 * query does not commit its offsets: the records are read again on restart.
 *
 * <p>Input rows must have the layout {@link #INPUT_COLUMNS} followed by the table's columns in
 * {@link Table#columns()} order.
 */
public final class PostgresSink implements Serializable {

    /** The leading columns every input row carries. */
    public static final List<String> INPUT_COLUMNS = List.of(
            "topic",
            "partition",
            "offset",
            "timestamp",
            "value",
            CarInfoParser.REJECT_REASON,
            CarInfoParser.REJECT_DETAIL);

    private static final String DEAD_LETTER_COLUMNS =
            "pipeline, topic, kafka_partition, kafka_offset, kafka_timestamp, reason, detail, raw_value";

    /**
     * A target table.
     *
     * @param name the table
     * @param columns its columns, in the order the input rows carry them
     * @param keyColumns the columns of its primary key or a unique constraint
     */
    public record Table(String name, List<String> columns, List<String> keyColumns) implements Serializable {
        public Table {
            Objects.requireNonNull(name, "name");
            columns = List.copyOf(columns);
            keyColumns = List.copyOf(keyColumns);
        }
    }

    private final JdbcTarget target;
    private final String pipeline;
    private final Table table;
    private final String deadLetterTable;

    /**
     * @param table where accepted rows go, or {@code null} when this sink keeps only dead letters
     */
    public PostgresSink(JdbcTarget target, String pipeline, Table table, String deadLetterTable) {
        this.target = Objects.requireNonNull(target, "target");
        this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
        this.table = table;
        this.deadLetterTable = Objects.requireNonNull(deadLetterTable, "deadLetterTable");
    }

    /** Writes the batch; runs on the driver, the writing itself in Spark tasks. */
    public BatchOutcome write(Dataset<Row> batch) {
        return write(batch.javaRDD());
    }

    /** Writes the batch, a transaction per partition; runs on the driver, the writing itself in Spark tasks. */
    public BatchOutcome write(JavaRDD<Row> batch) {
        List<BatchOutcome> outcomes = batch.mapPartitions(this::writePartition).collect();
        return outcomes.stream().reduce(BatchOutcome.EMPTY, BatchOutcome::plus);
    }

    /**
     * Writes one partition's rows (the {@link #INPUT_COLUMNS} layout) in one transaction; runs in a
     * Spark task. For a dead-letter-only sink, every row must be rejected.
     */
    public BatchOutcome writeRows(Iterator<Row> rows) throws SQLException {
        return writePartition(rows).next();
    }

    /** Closes this JVM's sink connections. */
    public static void closeConnections() {
        PostgresConnections.closeAll();
    }

    private Iterator<BatchOutcome> writePartition(Iterator<Row> rows) throws SQLException {
        if (!rows.hasNext()) {
            return List.of(BatchOutcome.EMPTY).iterator();
        }
        try (Connection connection = PostgresConnections.get(target).getConnection()) {
            try {
                BatchOutcome outcome = new PartitionWrite(connection).run(rows);
                connection.commit();
                return List.of(outcome).iterator();
            } catch (SQLException | RuntimeException e) {
                PostgresConnections.rollBack(connection, e);
                throw e;
            }
        }
    }

    private static String stagingName(String table) {
        return "sluice_stage_" + table.replaceAll("[^A-Za-z0-9_]", "_");
    }

    /** One partition's rows, staged by the target's write method; not thread-safe, lives for one task. */
    private final class PartitionWrite {
        private final Connection connection;
        private final Map<String, Long> deadLetters = new TreeMap<>();
        private Staging rows;
        private Staging dead;

        PartitionWrite(Connection connection) {
            this.connection = connection;
        }

        BatchOutcome run(Iterator<Row> input) throws SQLException {
            createStagingTables();
            try (Staging rowStaging = table == null
                            ? null
                            : Staging.openSkippingExisting(
                                    target.writeMethod(),
                                    connection,
                                    table.name(),
                                    stagingName(table.name()),
                                    table.columns());
                    Staging deadStaging = Staging.open(
                            target.writeMethod(),
                            connection,
                            stagingName(deadLetterTable),
                            List.of(DEAD_LETTER_COLUMNS.split(", ")))) {
                rows = rowStaging;
                dead = deadStaging;
                int firstColumn = INPUT_COLUMNS.size();
                while (input.hasNext()) {
                    Row row = input.next();
                    String reason = row.getString(5);
                    if (reason == null) {
                        appendRow(row, firstColumn);
                    } else {
                        appendDeadLetter(row, reason);
                    }
                }
                if (rows != null) {
                    rows.finish();
                }
                dead.finish();
            }
            long accepted = rows == null ? 0 : rows.rows();
            long copied = rows == null ? 0 : rows.rowsInTarget();
            long inserted = copied + mergeRows(accepted - copied);
            mergeDeadLetters();
            return new BatchOutcome(inserted, accepted - inserted, deadLetters);
        }

        private void createStagingTables() throws SQLException {
            try (Statement statement = connection.createStatement()) {
                if (table != null) {
                    statement.execute("CREATE TEMP TABLE IF NOT EXISTS " + stagingName(table.name()) + " (LIKE "
                            + table.name() + ") ON COMMIT DELETE ROWS");
                }
                statement.execute("CREATE TEMP TABLE IF NOT EXISTS " + stagingName(deadLetterTable)
                        + " ON COMMIT DELETE ROWS AS SELECT " + DEAD_LETTER_COLUMNS + " FROM " + deadLetterTable
                        + " WITH NO DATA");
            }
        }

        private void appendRow(Row row, int firstColumn) throws SQLException {
            if (rows == null) {
                throw new IllegalStateException(
                        "pipeline " + pipeline + " sent an accepted row to a dead-letter-only sink");
            }
            rows.add(row, firstColumn);
        }

        private void appendDeadLetter(Row row, String reason) throws SQLException {
            dead.add(
                    RowFactory.create(
                            pipeline, row.get(0), row.get(1), row.get(2), row.get(3), reason, row.get(6), row.get(4)),
                    0);
            deadLetters.merge(reason, 1L, Long::sum);
        }

        private long mergeRows(long staged) throws SQLException {
            if (table == null || staged == 0) {
                return 0;
            }
            String columns = String.join(", ", table.columns());
            try (Statement statement = connection.createStatement()) {
                return statement.executeUpdate("INSERT INTO " + table.name() + " (" + columns + ") SELECT "
                        + columns + " FROM " + stagingName(table.name()) + " ON CONFLICT ("
                        + String.join(", ", table.keyColumns()) + ") DO NOTHING");
            }
        }

        private void mergeDeadLetters() throws SQLException {
            if (deadLetters.isEmpty()) {
                return;
            }
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("INSERT INTO " + deadLetterTable + " (" + DEAD_LETTER_COLUMNS + ") SELECT "
                        + DEAD_LETTER_COLUMNS + " FROM " + stagingName(deadLetterTable)
                        + " ON CONFLICT (pipeline, topic, kafka_partition, kafka_offset) DO NOTHING");
            }
        }
    }
}
