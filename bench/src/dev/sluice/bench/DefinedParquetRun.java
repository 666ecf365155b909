package dev.sluice.bench;

import dev.sluice.definition.BuiltInDefinitions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The same files as Sluice's Parquet pipeline, through a pipeline definition with Spark's own Parquet sink.
 */
final class DefinedParquetRun implements BenchRun {

    @Override
    public String group() {
        return "defined";
    }

    @Override
    public String id() {
        return "defined-parquet";
    }

    @Override
    public String label() {
        return Bench.DEFINED_PARQUET;
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        return definedParquet(bench, topic);
    }

    private static Supplier<Long> definedParquet(Bench bench, String topic) throws Exception {
        Path out = Files.createTempDirectory(bench.work, "parquet-defined");
        String path = out.resolve("car_info").toString();
        Map<String, Object> sink =
                Map.of("kind", "parquet", "path", path, "partitionBy", List.of(BuiltInDefinitions.EVENT_DATE));
        bench.runDefined(
                "bench-defined-parquet",
                topic,
                Map.of("schemaName", "car_info"),
                List.of(),
                "SELECT *, to_date(timestamp_seconds(gpsUtcTime)) AS " + BuiltInDefinitions.EVENT_DATE + " FROM events",
                sink,
                () -> 0L);
        return () -> {
            Bench.printFiles(out);
            return bench.spark.read().parquet(path).count();
        };
    }
}
