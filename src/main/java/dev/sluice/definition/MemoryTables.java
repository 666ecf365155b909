package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.OutputMode;
import java.sql.Date;
import java.sql.Timestamp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * The results of pipelines with a {@code memory} sink, kept on the driver and read over REST.
 * Bounded: each table keeps at most its {@code maxRows} newest rows. Lost when the service stops;
 * a pipeline that must keep its results writes them to PostgreSQL or files.
 */
public final class MemoryTables {

    /** What {@code GET /api/queries/{name}/rows} returns. */
    public record Snapshot(
            String name, List<Column> columns, long batchId, int totalRows, List<Map<String, Object>> rows) {}

    public record Column(String name, String type) {}

    private final Map<String, Table> tables = new ConcurrentHashMap<>();

    /** The newest {@code limit} rows of a pipeline's table, or empty when it has none. */
    public Optional<Snapshot> read(String pipeline, int limit) {
        Table table = tables.get(pipeline);
        return table == null ? Optional.empty() : Optional.of(table.snapshot(pipeline, limit));
    }

    /**
     * Gives a pipeline its table for a run. A table of the same shape is kept, rows and last batch
     * included: a restarted run resumes from its checkpoint, so the table must keep what earlier
     * batches wrote (an {@code update} table its keys not updated since).
     */
    void ensure(String pipeline, StructType schema, OutputMode mode, List<String> keyColumns, int maxRows) {
        tables.compute(
                pipeline,
                (name, table) -> table != null && table.hasShape(schema, mode, keyColumns, maxRows)
                        ? table
                        : new Table(schema, mode, keyColumns, maxRows));
    }

    /** Applies one micro-batch; a batch already applied (replayed after a failure) changes nothing. */
    void apply(String pipeline, long batchId, List<Row> rows) {
        Table table = tables.get(pipeline);
        if (table != null) {
            table.apply(batchId, rows);
        }
    }

    void remove(String pipeline) {
        tables.remove(pipeline);
    }

    private static final class Table {
        private final List<Column> columns = new ArrayList<>();
        private final StructType schema;
        private final OutputMode mode;
        private final List<String> keyColumns;
        private final int maxRows;
        private final Deque<Map<String, Object>> rows = new ArrayDeque<>();
        private final Map<List<Object>, Map<String, Object>> byKey = new LinkedHashMap<>();
        private long lastBatchId = -1;

        Table(StructType schema, OutputMode mode, List<String> keyColumns, int maxRows) {
            this.schema = schema;
            this.mode = mode;
            this.keyColumns = List.copyOf(keyColumns);
            this.maxRows = maxRows;
            for (StructField field : schema.fields()) {
                columns.add(new Column(field.name(), field.dataType().simpleString()));
            }
        }

        boolean hasShape(StructType otherSchema, OutputMode otherMode, List<String> otherKeys, int otherMaxRows) {
            return schema.equals(otherSchema)
                    && mode == otherMode
                    && keyColumns.equals(otherKeys)
                    && maxRows == otherMaxRows;
        }

        synchronized void apply(long batchId, List<Row> batch) {
            if (batchId <= lastBatchId) {
                return;
            }
            lastBatchId = batchId;
            if (mode == OutputMode.COMPLETE) {
                rows.clear();
                byKey.clear();
            }
            for (Row row : batch) {
                Map<String, Object> values = toMap(row);
                if (mode == OutputMode.UPDATE && !keyColumns.isEmpty()) {
                    List<Object> key = keyColumns.stream().map(values::get).toList();
                    byKey.remove(key);
                    byKey.put(key, values);
                    while (byKey.size() > maxRows) {
                        byKey.remove(byKey.keySet().iterator().next());
                    }
                } else {
                    rows.addLast(values);
                    while (rows.size() > maxRows) {
                        rows.removeFirst();
                    }
                }
            }
        }

        synchronized Snapshot snapshot(String name, int limit) {
            List<Map<String, Object>> all = new ArrayList<>(byKey.isEmpty() ? rows : byKey.values());
            List<Map<String, Object>> newest = all.subList(Math.max(0, all.size() - limit), all.size());
            return new Snapshot(name, columns, lastBatchId, all.size(), List.copyOf(newest));
        }

        private Map<String, Object> toMap(Row row) {
            Map<String, Object> values = new LinkedHashMap<>();
            StructType rowSchema = row.schema() == null ? schema : row.schema();
            for (int i = 0; i < rowSchema.fields().length; i++) {
                values.put(rowSchema.fields()[i].name(), plain(row.get(i)));
            }
            return values;
        }

        /** JSON-friendly values: instants, dates, lists and maps. */
        private Object plain(Object value) {
            if (value instanceof Timestamp timestamp) {
                return timestamp.toInstant();
            }
            if (value instanceof Date date) {
                return date.toLocalDate();
            }
            if (value instanceof Row nested) {
                return toMap(nested);
            }
            if (value instanceof Seq<?> seq) {
                return JavaConverters.seqAsJavaList(seq).stream()
                        .map(this::plain)
                        .toList();
            }
            if (value instanceof scala.collection.Map<?, ?> map) {
                Map<String, Object> plain = new LinkedHashMap<>();
                JavaConverters.mapAsJavaMap(map).forEach((k, v) -> plain.put(String.valueOf(k), plain(v)));
                return plain;
            }
            if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
                return d.toString();
            }
            return value;
        }
    }
}
