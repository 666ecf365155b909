package dev.sluice.bench;

import dev.sluice.pipeline.FusedRecords;
import dev.sluice.pipeline.PostgresSink;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;

/**
 * What Sluice's PostgreSQL pipeline does before its sink: the most any sink behind it can reach.
 */
final class ParseOnlyRun implements BenchRun {

    @Override
    public String group() {
        return "postgres";
    }

    @Override
    public String id() {
        return "parse";
    }

    @Override
    public String label() {
        return Bench.PARSE_CEILING;
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        return parseOnly(bench, topic);
    }

    private static Supplier<Long> parseOnly(Bench bench, String topic) throws Exception {
        AtomicLong seen = new AtomicLong();
        FusedRecords fused = bench.builtInPostgres("bench-parse", topic).fusedRecords(bench.spark);
        StreamingQuery query = bench.source(topic)
                .load(bench.spark, null)
                .select("topic", "partition", "offset", "timestamp", "value")
                .writeStream()
                .option("checkpointLocation", bench.checkpoint("bench-parse"))
                .trigger(Trigger.ProcessingTime(1000))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> seen.addAndGet(batch
                        .queryExecution()
                        .toRdd()
                        .toJavaRDD()
                        .mapPartitions(fused::decideAll)
                        .mapPartitions(ParseOnlyRun::drain)
                        .collect()
                        .stream()
                        .mapToLong(Long::longValue)
                        .sum()))
                .start();
        bench.awaitRows(seen::get, query);
        query.stop();
        return seen::get;
    }

    private static java.util.Iterator<Long> drain(java.util.Iterator<Row> rows) {
        long count = 0;
        while (rows.hasNext()) {
            if (rows.next().get(PostgresSink.INPUT_COLUMNS.size()) != null) {
                count++;
            }
        }
        return List.of(count).iterator();
    }
}
