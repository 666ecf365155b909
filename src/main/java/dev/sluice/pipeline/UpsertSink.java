package dev.sluice.pipeline;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Writes a micro-batch's result rows into a PostgreSQL table, each partition in one transaction:
 * streamed with {@code COPY} (or batched inserts: {@link WriteMethod}) into a session-local staging
 * table, then merged with one statement.
 *
 * <ul>
 *   <li>With key columns: {@code INSERT ... ON CONFLICT (key) DO UPDATE}, so an aggregate's new
 *       value replaces the old one ({@code update} and {@code complete} modes), and a micro-batch
 *       that Spark replays after a failure leaves the table as it was: exactly once.
 *   <li>Without: a plain {@code INSERT}; a replayed micro-batch adds its rows again (at least once).
 * </ul>
 *
 * If anything fails the transaction rolls back, the batch fails, and the query does not commit
 * its offsets. Column names must be plain identifiers; row values are in {@code columns} order.
 */
public final class UpsertSink implements Serializable {

    private final JdbcTarget target;
    private final String table;
    private final List<String> columns;
    private final List<String> keyColumns;

    public UpsertSink(JdbcTarget target, String table, List<String> columns, List<String> keyColumns) {
        this.target = Objects.requireNonNull(target, "target");
        this.table = Objects.requireNonNull(table, "table");
        this.columns = List.copyOf(columns);
        this.keyColumns = List.copyOf(keyColumns);
    }

    /** Writes the batch from Spark tasks; returns the rows inserted or updated. */
    public long write(Dataset<Row> batch) {
        return batch.javaRDD().mapPartitions(this::writePartition).collect().stream()
                .mapToLong(Long::longValue)
                .sum();
    }

    /** The statement that moves the staged rows into the table. */
    String mergeStatement() {
        String list = String.join(", ", columns);
        String insert = "INSERT INTO " + table + " (" + list + ") SELECT " + list + " FROM " + staging();
        if (keyColumns.isEmpty()) {
            return insert;
        }
        List<String> others =
                columns.stream().filter(column -> !keyColumns.contains(column)).toList();
        String conflict = " ON CONFLICT (" + String.join(", ", keyColumns) + ")";
        return others.isEmpty()
                ? insert + conflict + " DO NOTHING"
                : insert + conflict + " DO UPDATE SET "
                        + others.stream().map(c -> c + " = EXCLUDED." + c).collect(Collectors.joining(", "));
    }

    private String staging() {
        return "sluice_stage_" + table.replaceAll("[^A-Za-z0-9_]", "_");
    }

    private Iterator<Long> writePartition(Iterator<Row> rows) throws SQLException {
        if (!rows.hasNext()) {
            return List.of(0L).iterator();
        }
        try (Connection connection = PostgresConnections.get(target).getConnection()) {
            try {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("CREATE TEMP TABLE IF NOT EXISTS " + staging() + " (LIKE " + table
                            + ") ON COMMIT DELETE ROWS");
                }
                try (Staging staging = Staging.open(target.writeMethod(), connection, staging(), columns)) {
                    while (rows.hasNext()) {
                        staging.add(rows.next(), 0);
                    }
                    staging.finish();
                }
                long merged;
                try (Statement statement = connection.createStatement()) {
                    merged = statement.executeUpdate(mergeStatement());
                }
                connection.commit();
                return List.of(merged).iterator();
            } catch (SQLException | RuntimeException e) {
                PostgresConnections.rollBack(connection, e);
                throw e;
            }
        }
    }
}
