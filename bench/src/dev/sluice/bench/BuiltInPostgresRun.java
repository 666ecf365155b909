package dev.sluice.bench;

import dev.sluice.pipeline.Pipeline;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * Sluice's built-in PostgreSQL pipeline (a definition on the fused shape): COPY straight into the table.
 */
final class BuiltInPostgresRun implements BenchRun {

    @Override
    public String group() {
        return "postgres";
    }

    @Override
    public String id() {
        return "sluice-postgres";
    }

    @Override
    public String label() {
        return Bench.SLUICE_POSTGRES;
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        return sluicePostgres(bench, topic);
    }

    private static Supplier<Long> sluicePostgres(Bench bench, String topic) throws Exception {
        bench.truncate();
        AtomicLong written = new AtomicLong();
        Pipeline pipeline = bench.builtInPostgres("bench-pg", topic);
        StreamingQuery query = pipeline.start(bench.spark, Bench.counting(written), null);
        bench.awaitRows(() -> written.get(), query);
        query.stop();
        return bench::countRowsQuietly;
    }
}
