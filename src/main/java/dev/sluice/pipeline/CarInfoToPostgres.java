package dev.sluice.pipeline;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * car_info events from Kafka into a PostgreSQL table: seven fields, in snake_case columns, keyed
 * on {@code data_id}. Rejected records go to the dead letters in the same transaction.
 */
public final class CarInfoToPostgres implements Pipeline {

    private final StreamSettings settings;
    private final CarInfoLimits limits;
    private final PostgresSink sink;

    public CarInfoToPostgres(StreamSettings settings, CarInfoLimits limits, JdbcTarget target, String table, String deadLetterTable) {
        this.settings = settings;
        this.limits = limits;
        PostgresSink.Table spec = new PostgresSink.Table(
                table, List.copyOf(CarInfoSchema.POSTGRES_COLUMNS.values()), List.of("data_id"));
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

    /** The rows this pipeline hands its sink: {@link PostgresSink#INPUT_COLUMNS}, then the table's columns. */
    public Dataset<Row> rows(SparkSession spark, StartingPoint from) {
        Dataset<Row> parsed = CarInfoParser.forPostgres(limits).parse(settings.source().load(spark, from));
        List<Column> columns = new ArrayList<>();
        PostgresSink.INPUT_COLUMNS.forEach(name -> columns.add(col(name)));
        CarInfoSchema.POSTGRES_COLUMNS.forEach(
                (field, column) -> columns.add(col(CarInfoParser.CAR + "." + field).as(column)));
        return parsed.select(columns.toArray(Column[]::new));
    }

    @Override
    public StreamingQuery start(SparkSession spark, BatchListener listener, StartingPoint from) throws TimeoutException {
        String name = settings.name();
        return rows(spark, from)
                .writeStream()
                .queryName(name)
                .option("checkpointLocation", settings.checkpointLocation())
                .trigger(settings.sparkTrigger())
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>)
                        (batch, batchId) -> listener.write(name, batchId, () -> sink.write(batch)))
                .start();
    }
}
