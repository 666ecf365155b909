package dev.sluice.pipeline;

import static org.apache.spark.sql.functions.col;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * car_info events from Kafka into a PostgreSQL table: seven fields, in snake_case columns, keyed
 * on {@code data_id}. Rejected records go to the dead letters in the same transaction. Each
 * record is parsed in the task that writes it ({@link CarInfoJson}).
 */
public final class CarInfoToPostgres implements Pipeline {

    private final StreamSettings settings;
    private final CarInfoJson parser;
    private final PostgresSink sink;

    public CarInfoToPostgres(
            StreamSettings settings, CarInfoLimits limits, JdbcTarget target, String table, String deadLetterTable) {
        this.settings = settings;
        this.parser = new CarInfoJson(limits);
        PostgresSink.Table spec = new PostgresSink.Table(
                table,
                List.copyOf(CarInfoSchema.POSTGRES_COLUMNS.values()),
                List.of("data_id"),
                PostgresSink.Conflict.IGNORE);
        this.sink = new PostgresSink(target, settings.name(), spec, deadLetterTable);
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

    /** The Kafka records this pipeline reads: the columns {@link CarInfoJson#parseAll} takes. */
    public Dataset<Row> records(SparkSession spark, StartingPoint from) {
        return settings.source()
                .load(spark, from)
                .select(col("topic"), col("partition"), col("offset"), col("timestamp"), col("value"));
    }

    /**
     * A micro-batch of {@link #records} as the rows this pipeline hands its sink, one for one:
     * {@link PostgresSink#INPUT_COLUMNS}, then the table's columns.
     */
    public JavaRDD<Row> parse(Dataset<Row> records) {
        return records.javaRDD().mapPartitions(parser::parseAll);
    }

    @Override
    public StreamingQuery start(SparkSession spark, BatchListener listener, StartingPoint from)
            throws TimeoutException {
        String name = settings.name();
        return records(spark, from)
                .writeStream()
                .queryName(name)
                .option("checkpointLocation", settings.checkpointLocation())
                .trigger(settings.sparkTrigger())
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>)
                        (batch, batchId) -> listener.write(name, batchId, () -> sink.write(parse(batch))))
                .start();
    }
}
