package dev.sluice.bench;

import dev.sluice.definition.BuiltInDefinitions;
import dev.sluice.definition.DefinedPipeline;
import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.Pipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * Sluice's built-in Parquet pipeline (a definition on the general shape, rowsPerFile).
 */
final class BuiltInParquetRun implements BenchRun {

    @Override
    public String group() {
        return "parquet";
    }

    @Override
    public String id() {
        return "sluice-parquet";
    }

    @Override
    public String label() {
        return Bench.SLUICE_PARQUET;
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        return sluiceParquet(bench, topic);
    }

    private static Supplier<Long> sluiceParquet(Bench bench, String topic) throws Exception {
        AtomicLong written = new AtomicLong();
        Path out = Files.createTempDirectory(bench.work, "parquet-stream");
        Pipeline pipeline = new DefinedPipeline(
                BuiltInDefinitions.carInfoToHdfs(
                        new BuiltInDefinitions.Settings(
                                "bench-parquet",
                                false,
                                topic,
                                "earliest",
                                Bench.MAX_OFFSETS_PER_TRIGGER,
                                true,
                                Duration.ofSeconds(1)),
                        out.toString(),
                        Bench.ROWS_PER_FILE,
                        CarInfoLimits.DEFAULT),
                DefinedPipeline.Origin.BUILT_IN,
                bench.environment("bench-parquet"));
        StreamingQuery query = pipeline.start(bench.spark, Bench.counting(written), null);
        bench.awaitRows(written::get, query);
        query.stop();
        String path = out.toString();
        return () -> {
            Bench.printFiles(out);
            return bench.spark.read().parquet(path).count();
        };
    }
}
