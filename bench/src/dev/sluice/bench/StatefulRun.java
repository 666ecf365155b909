package dev.sluice.bench;

import static org.apache.spark.sql.functions.col;

import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoParser;
import java.util.Arrays;
import java.util.function.Supplier;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;

/**
 * A stateful query of the kind the pipeline definitions run: speed per vehicle type in 1-minute
 * event-time windows with a watermark, in update mode, with the given shuffle partitions (the
 * state store has one instance per shuffle partition). Counts the input rows it processed.
 */
final class StatefulRun implements BenchRun {

    private final String shufflePartitions;

    StatefulRun(String shufflePartitions) {
        this.shufflePartitions = shufflePartitions;
    }

    @Override
    public String group() {
        return "stateful";
    }

    @Override
    public String id() {
        return "stateful-" + shufflePartitions;
    }

    @Override
    public String label() {
        return "Stateful 1-min windows, " + shufflePartitions + " shuffle partitions";
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        return stateful(bench, topic);
    }

    private Supplier<Long> stateful(Bench bench, String topic) throws Exception {
        bench.spark.conf().set("bench.spark.sql.shuffle.partitions", shufflePartitions);
        try {
            Dataset<Row> events = CarInfoParser.forEvents(CarInfoLimits.DEFAULT)
                    .parse(bench.source(topic).load(bench.spark, null))
                    .filter(col(CarInfoParser.REJECT_REASON).isNull())
                    .select(
                            col(CarInfoParser.CAR + ".vhcleTypeCd").as("type"),
                            col(CarInfoParser.CAR + ".vhcleSped").as("speed"),
                            org.apache
                                    .spark
                                    .sql
                                    .functions
                                    .timestamp_seconds(col(CarInfoParser.CAR + ".gpsUtcTime"))
                                    .as("event_time"));
            StreamingQuery query = events.withWatermark("event_time", "2 minutes")
                    .groupBy(org.apache.spark.sql.functions.window(col("event_time"), "1 minute"), col("type"))
                    .agg(
                            org.apache.spark.sql.functions.count("*").as("events"),
                            org.apache.spark.sql.functions.avg("speed"))
                    .writeStream()
                    .outputMode("update")
                    .option("checkpointLocation", bench.checkpoint("bench-stateful"))
                    .trigger(Trigger.ProcessingTime(1000))
                    .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> batch.count())
                    .start();
            Supplier<Long> processed = () -> Arrays.stream(query.recentProgress())
                    .mapToLong(p -> p.numInputRows())
                    .sum();
            bench.awaitRows(processed, query);
            query.stop();
            return processed;
        } finally {
            bench.spark.conf().set("bench.spark.sql.shuffle.partitions", "4");
        }
    }
}
