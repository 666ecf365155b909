package dev.sluice.bench;

import dev.sluice.definition.DefinedPipeline;
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
        DefinedPipeline pipeline = bench.builtInPostgres("bench-pg-poll500", topic, Map.of("max.poll.records", "500"));
        StreamingQuery query = pipeline.start(bench.spark, Bench.counting(written), null);
        bench.awaitRows(written::get, query);
        query.stop();
        return bench::countRowsQuietly;
    }
}
