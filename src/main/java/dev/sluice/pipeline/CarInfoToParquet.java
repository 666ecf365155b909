package dev.sluice.pipeline;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.timestamp_seconds;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;

/**
 * car_info events from Kafka into Parquet files (all 20 fields), partitioned by
 * {@code event_date}: the UTC date of {@code gpsUtcTime}, or of the Kafka timestamp when the event
 * has none. Rejected records go to the PostgreSQL dead letters.
 */
public final class CarInfoToParquet implements Pipeline {

    public static final String EVENT_DATE = "event_date";

    /** The most rows a micro-batch writes into one file, unless set otherwise. */
    public static final long DEFAULT_ROWS_PER_FILE = 250_000;

    private final StreamSettings settings;
    private final CarInfoLimits limits;
    private final String path;
    private final long rowsPerFile;
    private final PostgresSink deadLetters;

    /**
     * @param rowsPerFile the most rows per file: a micro-batch is written by as few tasks as that
     *     allows (at most one per input partition), so small batches make one file each, not one per
     *     Kafka partition
     */
    public CarInfoToParquet(
            StreamSettings settings,
            CarInfoLimits limits,
            String path,
            long rowsPerFile,
            JdbcTarget target,
            String deadLetterTable) {
        this.settings = settings;
        this.limits = limits;
        this.path = path;
        this.rowsPerFile = rowsPerFile;
        this.deadLetters = new PostgresSink(target, settings.name(), null, deadLetterTable);
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public boolean autoStart() {
        return settings.autoStart();
    }

    @Override
    public String checkpointLocation() {
        return settings.checkpointLocation();
    }

    @Override
    public Optional<KafkaSource> kafkaSource() {
        return Optional.of(settings.source());
    }

    @Override
    public Optional<String> resetRefusal() {
        return Optional.of(
                "Spark's file sink ties " + path + "/_spark_metadata to this checkpoint: with a new checkpoint it"
                        + " would skip batches it believes written. Point the pipeline at a new path (and its old files elsewhere) instead");
    }

    /** Where the Parquet files go. */
    public String path() {
        return path;
    }

    @Override
    public StreamingQuery start(SparkSession spark, BatchListener listener, StartingPoint from)
            throws TimeoutException {
        Dataset<Row> parsed =
                CarInfoParser.forEvents(limits).parse(settings.source().load(spark, from));
        ParquetSink parquet = new ParquetSink(spark, path, List.of(EVENT_DATE));
        String name = settings.name();
        return parsed.writeStream()
                .queryName(name)
                .option("checkpointLocation", settings.checkpointLocation())
                .trigger(settings.sparkTrigger())
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>)
                        (batch, batchId) -> listener.write(name, batchId, () -> writeBatch(parquet, batch, batchId)))
                .start();
    }

    private BatchOutcome writeBatch(ParquetSink parquet, Dataset<Row> batch, long batchId) {
        // Counting, dead-lettering and writing each scan the batch: read and parse it only once. Only
        // a rejected record's raw value is kept, for its dead letter: an accepted one's is in its fields.
        Column rejectedValue = when(col(CarInfoParser.REJECT_REASON).isNotNull(), col("value"));
        Dataset<Row> cached = batch.withColumn("value", rejectedValue).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Map<String, Long> byReason = new TreeMap<>();
            long accepted = 0;
            for (Row row : cached.groupBy(CarInfoParser.REJECT_REASON).count().collectAsList()) {
                if (row.isNullAt(0)) {
                    accepted = row.getLong(1);
                } else {
                    byReason.put(row.getString(0), row.getLong(1));
                }
            }
            if (!byReason.isEmpty()) {
                Column[] columns =
                        PostgresSink.INPUT_COLUMNS.stream().map(c -> col(c)).toArray(Column[]::new);
                deadLetters.write(cached.filter(col(CarInfoParser.REJECT_REASON).isNotNull())
                        .select(columns));
            }
            Dataset<Row> events =
                    cached.filter(col(CarInfoParser.REJECT_REASON).isNull()).select(eventColumns());
            int partitions = events.rdd().getNumPartitions();
            int files = (int) Math.max(1, Math.min(partitions, (accepted + rowsPerFile - 1) / rowsPerFile));
            parquet.write(batchId, files < partitions ? events.coalesce(files) : events);
            return new BatchOutcome(accepted, 0, byReason);
        } finally {
            cached.unpersist(false);
        }
    }

    /** The Parquet columns: every car_info field, and the partition column {@value #EVENT_DATE}. */
    public static Column[] eventColumns() {
        List<Column> columns = new ArrayList<>();
        for (StructField field : CarInfoSchema.SCHEMA.fields()) {
            columns.add(col(CarInfoParser.CAR + "." + field.name()).as(field.name()));
        }
        Column gpsDate = to_date(timestamp_seconds(col(CarInfoParser.CAR + ".gpsUtcTime")));
        columns.add(coalesce(gpsDate, to_date(col("timestamp"))).as(EVENT_DATE));
        return columns.toArray(Column[]::new);
    }
}
