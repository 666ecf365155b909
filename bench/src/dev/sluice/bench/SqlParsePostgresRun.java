package dev.sluice.bench;

import static org.apache.spark.sql.functions.col;

import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.CarInfoSchema;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.pipeline.PostgresSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;

/**
 * Sluice's sink behind the same rules written in Spark SQL ({@code from_json} and column expressions) instead of its parser: what the parser buys.
 */
final class SqlParsePostgresRun implements BenchRun {

    @Override
    public String group() {
        return "postgres";
    }

    @Override
    public String id() {
        return "sluice-postgres-sql";
    }

    @Override
    public String label() {
        return Bench.SLUICE_POSTGRES_SQL;
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        return sluicePostgresSqlParse(bench, topic);
    }

    private static Supplier<Long> sluicePostgresSqlParse(Bench bench, String topic) throws Exception {
        bench.truncate();
        AtomicLong written = new AtomicLong();
        PostgresSink sink = new PostgresSink(
                new JdbcTarget(bench.url, "postgres", "postgres", 4),
                "bench-pg-sql",
                new PostgresSink.Table(
                        Bench.TABLE,
                        List.copyOf(CarInfoSchema.POSTGRES_COLUMNS.values()),
                        List.of("data_id"),
                        PostgresSink.Conflict.IGNORE),
                "sluice.dead_letter");
        List<Column> columns = new ArrayList<>();
        PostgresSink.INPUT_COLUMNS.forEach(name -> columns.add(col(name)));
        CarInfoSchema.POSTGRES_COLUMNS.forEach((field, column) ->
                columns.add(col(CarInfoParser.CAR + "." + field).as(column)));
        StreamingQuery query = CarInfoParser.forPostgres(CarInfoLimits.DEFAULT)
                .parse(bench.source(topic).load(bench.spark, null))
                .select(columns.toArray(Column[]::new))
                .writeStream()
                .option("checkpointLocation", bench.checkpoint("bench-pg-sql"))
                .trigger(Trigger.ProcessingTime(1000))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>)
                        (batch, id) -> written.addAndGet(sink.write(batch).rowsWritten()))
                .start();
        bench.awaitRows(written::get, query);
        query.stop();
        return bench::countRowsQuietly;
    }
}
