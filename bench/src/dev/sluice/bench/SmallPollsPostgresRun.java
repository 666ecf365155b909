package dev.sluice.bench;

import dev.sluice.definition.BuiltInDefinitions;
import dev.sluice.definition.DefinedPipeline;
import dev.sluice.definition.MemoryTables;
import dev.sluice.definition.PipelineEnvironment;
import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.JdbcTarget;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * The built-in PostgreSQL pipeline with the Kafka consumer's own {@code max.poll.records} (500)
 * instead of Sluice's catch-up default: what that default buys.
 */
final class SmallPollsPostgresRun implements BenchRun {

    @Override
    public String group() {
        return "postgres";
    }

    @Override
    public String id() {
        return "sluice-postgres-poll500";
    }

    @Override
    public String label() {
        return Bench.SLUICE_POSTGRES_POLL500;
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        bench.truncate();
        AtomicLong written = new AtomicLong();
        String name = "bench-pg-poll500";
        DefinedPipeline pipeline = new DefinedPipeline(
                BuiltInDefinitions.carInfoToPostgres(
                        new BuiltInDefinitions.Settings(
                                name,
                                false,
                                topic,
                                "earliest",
                                Bench.MAX_OFFSETS_PER_TRIGGER,
                                true,
                                Duration.ofSeconds(1)),
                        Bench.TABLE,
                        CarInfoLimits.DEFAULT),
                DefinedPipeline.Origin.BUILT_IN,
                new PipelineEnvironment(
                        bench.kafka.getBrokersAsString(),
                        Map.of("max.poll.records", "500"),
                        Files.createTempDirectory(bench.work, name).toString(),
                        new JdbcTarget(bench.url, "postgres", "postgres", 4),
                        "dead_letter",
                        new MemoryTables()));
        StreamingQuery query = pipeline.start(bench.spark, Bench.counting(written), null);
        bench.awaitRows(written::get, query);
        query.stop();
        return bench::countRowsQuietly;
    }
}
