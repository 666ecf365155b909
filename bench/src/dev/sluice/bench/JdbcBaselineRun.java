package dev.sluice.bench;

import static org.apache.spark.sql.functions.col;

import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.CarInfoSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;

/**
 * The plain Spark way: {@code foreachBatch} and {@code write.jdbc} after the same parse.
 */
final class JdbcBaselineRun implements BenchRun {

    @Override
    public String group() {
        return "postgres";
    }

    @Override
    public String id() {
        return "jdbc";
    }

    @Override
    public String label() {
        return Bench.JDBC_BASELINE;
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        return jdbcBaseline(bench, topic);
    }

    private static Supplier<Long> jdbcBaseline(Bench bench, String topic) throws Exception {
        bench.truncate();
        Dataset<Row> parsed = CarInfoParser.forPostgres(CarInfoLimits.DEFAULT)
                .parse(bench.source(topic).load(bench.spark, null))
                .filter(col(CarInfoParser.REJECT_REASON).isNull());
        List<Column> columns = new ArrayList<>();
        CarInfoSchema.POSTGRES_COLUMNS.forEach((field, column) ->
                columns.add(col(CarInfoParser.CAR + "." + field).as(column)));
        Properties properties = new Properties();
        properties.put("user", "postgres");
        properties.put("password", "postgres");
        String jdbcUrl = bench.url;
        StreamingQuery query = parsed.select(columns.toArray(Column[]::new))
                .writeStream()
                .option("checkpointLocation", bench.checkpoint("bench-jdbc"))
                .trigger(Trigger.ProcessingTime(1000))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>)
                        (batch, id) -> batch.write().mode(SaveMode.Append).jdbc(jdbcUrl, Bench.TABLE, properties))
                .start();
        bench.awaitRows(bench::countRowsQuietly, query);
        query.stop();
        return bench::countRowsQuietly;
    }
}
