package dev.sluice.bench;

import static org.apache.spark.sql.functions.col;

import dev.sluice.definition.BuiltInDefinitions;
import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A Spark batch job doing the same parse and write: the most a Parquet pipeline can reach here.
 */
final class BatchParquetRun implements BenchRun {

    @Override
    public String group() {
        return "parquet";
    }

    @Override
    public String id() {
        return "batch-parquet";
    }

    @Override
    public String label() {
        return Bench.BATCH_LIMIT;
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        return batchParquet(bench, topic);
    }

    private static Supplier<Long> batchParquet(Bench bench, String topic) throws Exception {
        Path out = Files.createTempDirectory(bench.work, "parquet-batch");
        Dataset<Row> records = bench.spark
                .read()
                .format("kafka")
                .option("kafka.bootstrap.servers", bench.kafka.getBrokersAsString())
                .option("subscribe", topic)
                .option("startingOffsets", "earliest")
                .option("endingOffsets", "latest")
                .load();
        // Parsed once and kept, as Sluice's pipeline does: a filter and a projection over from_json
        // straight away would evaluate it again for each reference to the parsed struct. The raw
        // values are not kept: this job writes no dead letters.
        Dataset<Row> parsed = CarInfoParser.forEvents(CarInfoLimits.DEFAULT)
                .parse(records)
                .drop("value")
                .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> accepted =
                parsed.filter(col(CarInfoParser.REJECT_REASON).isNull()).select(Bench.eventColumns());
        String path = out.resolve("car_info").toString();
        accepted.write().partitionBy(BuiltInDefinitions.EVENT_DATE).parquet(path);
        parsed.unpersist(true);
        return () -> {
            Bench.printFiles(out);
            return bench.spark.read().parquet(path).count();
        };
    }
}
