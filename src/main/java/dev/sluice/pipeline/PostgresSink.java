package dev.sluice.pipeline;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Writes a micro-batch of parsed records into PostgreSQL: accepted rows into the target table,
 * rejected ones into the dead-letter table, each partition in one transaction; or, for a table
 * with a key ({@link JdbcTarget#keyedChunkCommits}), a transaction per chunk of rows, so they land
 * while the batch runs.
 *
 * <p>Rows are streamed with {@code COPY} straight into the table while none of their keys is there
 * already; rows from the first conflict on (or all rows, with batched inserts: {@link WriteMethod})
 * go into a session-local staging table, merged with one statement on the table's key, by its
 * {@link Conflict} mode: {@code ON CONFLICT DO NOTHING} (a micro-batch that Spark replays after a
 * failure adds nothing twice; a key's first row stays) or {@code DO UPDATE} (it leaves the table as
 * it was, and an aggregate's new value replaces the old one). An upsert keeps one row per key of a
 * partition: its last, or the one with the greatest {@link Table#versionColumn}, which also
 * replaces the stored row only when it is not older. Dead letters are keyed on (pipeline, topic,
 * partition, offset) and kept once the same way. If anything fails the transaction rolls back, the
 * batch fails, and the query does not commit its offsets: the records are read again on restart.
 * Chunks a keyed table committed already are written again by the replay, to the same end: a key's
 * row is the same (the last, the greatest version, or the first kept), and so are the dead letters.
 *
 * <p>Decided records ({@link #write}) have the layout {@link #INPUT_COLUMNS} followed by the
 * table's columns in {@link Table#columns()} order; result rows ({@link #writeResults}) only the
 * table's columns. A decided record's {@code value} and {@code key} are byte arrays, or, in the
 * task that read them, the fetched bytes themselves ({@link ByteBuffer}, from position to limit).
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
            CarInfoParser.REJECT_DETAIL,
            "key");

    /** The dead letters' reason for rows the table refused for their data. */
    public static final String WRITE_REJECTED = "WRITE_REJECTED";

    /** The staging table's column numbering its rows in the order they came. */
    static final String STAGED_ORDER = "sluice_staged_order";

    private static final String DEAD_LETTER_COLUMNS =
            "pipeline, topic, kafka_partition, kafka_offset, kafka_timestamp, reason, detail, raw_value, raw_key";

    /** What the merge does with a row whose key the table already holds. */
    public enum Conflict {
        /** Keeps the stored row: insert if absent ({@code ON CONFLICT DO NOTHING}). */
        IGNORE,
        /** Replaces the stored row's other columns: upsert ({@code ON CONFLICT DO UPDATE}). */
        UPDATE
    }

    /**
     * A target table.
     *
     * @param name the table
     * @param columns its columns, in the order the input rows carry them
     * @param keyColumns the columns of its primary key or a unique constraint; none for plain inserts
     *     (a replayed micro-batch then adds its rows again: at least once)
     * @param conflict what a row with a key already stored does
     * @param versionColumn with {@link Conflict#UPDATE}: the column whose greatest value wins, among
     *     a partition's rows of one key and against the stored row; null: the last row in input order
     */
    public record Table(
            String name, List<String> columns, List<String> keyColumns, Conflict conflict, String versionColumn)
            implements Serializable {
        public Table {
            Objects.requireNonNull(name, "name");
            columns = List.copyOf(columns);
            keyColumns = List.copyOf(keyColumns);
            Objects.requireNonNull(conflict, "conflict");
            if (versionColumn != null && (conflict != Conflict.UPDATE || !columns.contains(versionColumn))) {
                throw new IllegalArgumentException("a version column is one of the columns of an upsert");
            }
        }

        public Table(String name, List<String> columns, List<String> keyColumns, Conflict conflict) {
            this(name, columns, keyColumns, conflict, null);
        }

        /**
         * The statement that moves the staged rows into the table. With {@link Conflict#UPDATE},
         * one row per key goes in: the last staged ({@value #STAGED_ORDER} order), or the greatest
         * version; and a stored row with a greater version than the new one stays.
         */
        String mergeStatement(String staging) {
            String list = String.join(", ", columns);
            String insert = "INSERT INTO " + name + " (" + list + ") SELECT " + list + " FROM " + staging;
            if (keyColumns.isEmpty()) {
                return insert;
            }
            List<String> others = columns.stream()
                    .filter(column -> !keyColumns.contains(column))
                    .toList();
            String keys = String.join(", ", keyColumns);
            String onConflict = " ON CONFLICT (" + keys + ")";
            if (conflict == Conflict.IGNORE || others.isEmpty()) {
                return insert + onConflict + " DO NOTHING";
            }
            String latest = "INSERT INTO " + name + " (" + list + ") SELECT DISTINCT ON (" + keys + ") " + list
                    + " FROM " + staging + " ORDER BY " + keys + ", "
                    + (versionColumn == null ? "" : versionColumn + " DESC NULLS LAST, ") + STAGED_ORDER + " DESC";
            String update = latest + onConflict + " DO UPDATE SET "
                    + others.stream().map(c -> c + " = EXCLUDED." + c).collect(Collectors.joining(", "));
            return versionColumn == null
                    ? update
                    : update + " WHERE " + name + "." + versionColumn + " IS NULL OR EXCLUDED." + versionColumn + " >= "
                            + name + "." + versionColumn;
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

    /**
     * Writes a batch of result rows, which carry only the table's columns (nothing to reject), a
     * transaction per partition; runs on the driver, the writing itself in Spark tasks.
     */
    public BatchOutcome writeResults(Dataset<Row> batch) {
        return sum(batch.javaRDD().mapPartitions(rows -> writePartition(rows, false)));
    }

    /** As {@link #write(JavaRDD)}. */
    public BatchOutcome write(Dataset<Row> batch) {
        return write(batch.javaRDD());
    }

    /**
     * Writes a batch of decided records ({@link #INPUT_COLUMNS}, then the table's columns), a
     * transaction per partition; runs on the driver, the writing itself in Spark tasks.
     */
    public BatchOutcome write(JavaRDD<Row> batch) {
        return sum(batch.mapPartitions(rows -> writePartition(rows, true)));
    }

    private static BatchOutcome sum(JavaRDD<BatchOutcome> outcomes) {
        return outcomes.collect().stream().reduce(BatchOutcome.EMPTY, BatchOutcome::plus);
    }

    /**
     * Writes one partition's rows (the {@link #INPUT_COLUMNS} layout) as {@link #write} does; runs in a
     * Spark task. For a dead-letter-only sink, every row must be rejected.
     */
    public BatchOutcome writeRows(Iterator<Row> rows) throws SQLException {
        return writePartition(rows, true).next();
    }

    /** Closes this JVM's sink connections. */
    public static void closeConnections() {
        PostgresConnections.closeAll();
    }

    private Iterator<BatchOutcome> writePartition(Iterator<Row> rows, boolean decided) throws SQLException {
        if (!rows.hasNext()) {
            return List.of(BatchOutcome.EMPTY).iterator();
        }
        try (Connection connection = PostgresConnections.get(target).getConnection()) {
            try {
                BatchOutcome outcome = new PartitionWrite(connection).run(rows, decided);
                connection.commit();
                return List.of(outcome).iterator();
            } catch (SQLException | RuntimeException e) {
                PostgresConnections.rollBack(connection, e);
                throw e;
            }
        }
    }

    /**
     * A decided row's value or key as the dead letters keep it: the bytes themselves, copied from
     * the fetched bytes when the row carries those (a {@link ByteBuffer}, read from its position
     * to its limit, not moved).
     */
    static Object bytes(Object valueOrKey) {
        return valueOrKey instanceof ByteBuffer buffer ? KafkaRecordRow.bytes(buffer) : valueOrKey;
    }

    private static String stagingName(String table) {
        return "sluice_stage_" + table.replaceAll("[^A-Za-z0-9_]", "_");
    }

    /** One partition's rows, by the target's write method; not thread-safe, lives for one task. */
    private final class PartitionWrite {
        private static final int DEAD_LETTER_FLUSH_BYTES = 1 << 20;

        private final Connection connection;
        /** Whether each chunk of the table's rows commits on its own: only for a table with a key. */
        private final boolean commitChunks;

        private final Map<String, Long> deadLetters = new TreeMap<>();
        private final List<Row> deadChunk = new ArrayList<>();
        private RowSender dead;
        /** Whether dead letters were staged since the last merge. */
        private boolean deadStaged;

        PartitionWrite(Connection connection) {
            this.connection = connection;
            this.commitChunks = target.keyedChunkCommits()
                    && table != null
                    && !table.keyColumns().isEmpty();
        }

        /**
         * Commits what is written so far, the dead letters with it: a replay writes the same keys
         * again and keeps each dead letter once, so the partition's rows need not wait for its end.
         * The staging tables empty themselves at commit.
         */
        private void commitChunk() throws SQLException {
            flushDeadLetters();
            mergeDeadLetters();
            connection.commit();
        }

        /** @param decided whether rows carry {@link #INPUT_COLUMNS} first; otherwise only the table's columns */
        BatchOutcome run(Iterator<Row> input, boolean decided) throws SQLException {
            createStagingTables();
            int firstColumn = decided ? INPUT_COLUMNS.size() : 0;
            try (TableWrite rows = table == null
                            ? null
                            : new TableWrite(
                                    connection,
                                    table,
                                    stagingName(table.name()),
                                    target.writeMethod(),
                                    firstColumn,
                                    decided ? this::refused : this::refusedResult);
                    RowSender deadSender = RowSender.open(
                            target.writeMethod(),
                            connection,
                            stagingName(deadLetterTable),
                            List.of(DEAD_LETTER_COLUMNS.split(", ")),
                            0)) {
                dead = deadSender;
                while (input.hasNext()) {
                    Row row = input.next();
                    String reason = decided ? row.getString(5) : null;
                    if (reason == null) {
                        if (rows == null) {
                            throw new IllegalStateException(
                                    "pipeline " + pipeline + " sent an accepted row to a dead-letter-only sink");
                        }
                        if (rows.add(row) && commitChunks) {
                            commitChunk();
                        }
                    } else {
                        deadLetter(row, reason, row.get(6));
                    }
                }
                if (rows != null) {
                    rows.finish();
                }
                flushDeadLetters();
                long refused = deadLetters.getOrDefault(WRITE_REJECTED, 0L);
                long accepted = rows == null ? 0 : rows.rows() - refused;
                long written = rows == null ? 0 : rows.written();
                mergeDeadLetters();
                return new BatchOutcome(written, accepted - written, deadLetters);
            }
        }

        private void createStagingTables() throws SQLException {
            try (Statement statement = connection.createStatement()) {
                if (table != null) {
                    statement.execute("CREATE TEMP TABLE IF NOT EXISTS " + stagingName(table.name()) + " (LIKE "
                            + table.name() + ", " + STAGED_ORDER + " bigserial) ON COMMIT DELETE ROWS");
                }
                statement.execute("CREATE TEMP TABLE IF NOT EXISTS " + stagingName(deadLetterTable)
                        + " ON COMMIT DELETE ROWS AS SELECT " + DEAD_LETTER_COLUMNS + " FROM " + deadLetterTable
                        + " WITH NO DATA");
            }
        }

        /** A decided row the table refused for its data: a dead letter saying why. */
        private void refused(Row row, SQLException refusal) {
            try {
                deadLetter(row, WRITE_REJECTED, WriteRefusal.describe(refusal));
            } catch (SQLException e) {
                throw new IllegalStateException("Could not keep a refused row as a dead letter: " + e.getMessage(), e);
            }
        }

        /**
         * A result row (an aggregate, a join: no one record's) the table refused: kept with the row
         * as JSON for its value, under the topic {@code result:<table>}, its offset a digest of the
         * row, so the same row refused again by a replayed batch is kept once.
         */
        private void refusedResult(Row row, SQLException refusal) {
            byte[] json = ResultRows.json(row);
            try {
                keep(
                        RowFactory.create(
                                pipeline,
                                ResultRows.TOPIC_PREFIX + table.name(),
                                0,
                                ResultRows.digest(json),
                                null,
                                WRITE_REJECTED,
                                WriteRefusal.describe(refusal),
                                json,
                                null),
                        WRITE_REJECTED);
            } catch (SQLException e) {
                throw new IllegalStateException("Could not keep a refused row as a dead letter: " + e.getMessage(), e);
            }
        }

        private void deadLetter(Row row, String reason, Object detail) throws SQLException {
            keep(
                    RowFactory.create(
                            pipeline,
                            row.get(0),
                            row.get(1),
                            row.get(2),
                            row.get(3),
                            reason,
                            detail,
                            bytes(row.get(4)),
                            bytes(row.get(7))),
                    reason);
        }

        private void keep(Row letter, String reason) throws SQLException {
            deadChunk.add(letter);
            dead.buffer(letter);
            deadLetters.merge(reason, 1L, Long::sum);
            if (dead.bufferedBytes() >= DEAD_LETTER_FLUSH_BYTES) {
                flushDeadLetters();
            }
        }

        private void flushDeadLetters() throws SQLException {
            if (!deadChunk.isEmpty()) {
                dead.sendBuffered(deadChunk);
                deadChunk.clear();
                deadStaged = true;
            }
        }

        private void mergeDeadLetters() throws SQLException {
            if (!deadStaged) {
                return;
            }
            deadStaged = false;
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("INSERT INTO " + deadLetterTable + " (" + DEAD_LETTER_COLUMNS + ") SELECT "
                        + DEAD_LETTER_COLUMNS + " FROM " + stagingName(deadLetterTable)
                        + " ON CONFLICT (pipeline, topic, kafka_partition, kafka_offset) DO NOTHING");
            }
        }
    }
}
