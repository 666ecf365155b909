package dev.sluice.pipeline;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * car_info events from Kafka into a PostgreSQL table: seven fields, in snake_case columns, keyed
 * on {@code data_id}. It runs on the engine's fused shape ({@link FusedPlanner}), as every
 * Kafka-to-PostgreSQL definition that only projects and filters does: each record is decoded
 * ({@link JsonDecoder}, reading the seven stored fields), checked by the rules of
 * {@link CarInfoParser#postgresChecks} and renamed in the task that writes it; rejected records go
 * to the dead letters in the same transaction.
 */
public final class CarInfoToPostgres extends ConfiguredPipeline {

    private final CarInfoLimits limits;
    private final PostgresSink sink;
    private FusedRecords fused;

    public CarInfoToPostgres(
            StreamSettings settings, CarInfoLimits limits, JdbcTarget target, String table, String deadLetterTable) {
        super(settings);
        this.limits = limits;
        PostgresSink.Table spec = new PostgresSink.Table(
                table,
                List.copyOf(CarInfoSchema.POSTGRES_COLUMNS.values()),
                List.of("data_id"),
                PostgresSink.Conflict.IGNORE);
        this.sink = new PostgresSink(target, settings.name(), spec, deadLetterTable);
    }

    /** The Kafka records this pipeline reads: the columns {@link FusedRecords#decideAll} takes. */
    public Dataset<Row> records(SparkSession spark, StartingPoint from) {
        return settings.source()
                .load(spark, from)
                .select(col("topic"), col("partition"), col("offset"), col("timestamp"), col("value"));
    }

    /**
     * A micro-batch of {@link #records} as the rows this pipeline hands its sink:
     * {@link PostgresSink#INPUT_COLUMNS}, then the table's columns.
     */
    public JavaRDD<Row> parse(Dataset<Row> records) {
        FusedRecords decide = fused(records.sparkSession());
        return records.queryExecution().toRdd().toJavaRDD().mapPartitions(decide::decideAll);
    }

    /** The fused plan of this pipeline: planned once, from the limits. */
    public synchronized FusedRecords fused(SparkSession spark) {
        if (fused == null) {
            JsonDecoder decoder = new JsonDecoder(
                    CarInfoSchema.POSTGRES_SCHEMA,
                    spark.conf().get("spark.sql.session.timeZone"),
                    "the car_info schema");
            FusedPlanner.Result plan = FusedPlanner.plan(
                    spark, decoder, base -> CarInfoParser.postgresChecks(limits, field -> col(field)), base -> {
                        List<Column> renamed = new ArrayList<>();
                        CarInfoSchema.POSTGRES_COLUMNS.forEach(
                                (field, column) -> renamed.add(col(field).as(column)));
                        return base.select(renamed.toArray(Column[]::new));
                    });
            if (!plan.fused()) {
                throw new IllegalStateException("car_info's plan is not fused: " + plan.notFusedBecause());
            }
            fused = plan.records();
        }
        return fused;
    }

    @Override
    public StreamingQuery start(SparkSession spark, BatchListener listener, StartingPoint from)
            throws TimeoutException {
        String name = settings.name();
        fused(spark);
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
