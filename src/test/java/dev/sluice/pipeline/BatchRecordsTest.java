package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A micro-batch of a source read by {@code foreachBatch}: the scan's own rows, every one of them,
 * with the query's input rows counted as Spark counts them; a batch of any other plan as Spark
 * gives it.
 */
class BatchRecordsTest {

    @TempDir
    Path checkpoints;

    @Test
    void readsTheScansOwnRowsAndTheQueryStillCountsThem() throws Exception {
        SparkSession spark = TestSpark.session();
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        Dataset<Row> source = spark.readStream()
                .format("rate-micro-batch")
                .option("rowsPerBatch", "250")
                .option("numPartitions", "2")
                .load();

        StreamingQuery query = runToTheEnd(source, "scan", (batch, id) -> {
            BatchRecords read = BatchRecords.of(spark, batch);
            // The scan's reader, under only the map that counts its rows (no compiled stage's copy).
            String lineage = read.rows().toDebugString();
            boolean direct = lineage.split("MapPartitionsRDD", -1).length == 2 && lineage.contains("DataSourceRDD");
            int value = read.schema().fieldIndex("value");
            long values = read.rows()
                    .toJavaRDD()
                    .map(row -> row.getLong(value))
                    .distinct()
                    .count();
            seen.add(direct + " " + read.schema().fieldNames().length + " " + values);
        });

        assertThat(seen).containsExactly("true 2 250");
        StreamingQueryProgress progress = query.lastProgress();
        assertThat(progress.numInputRows()).isEqualTo(250);
    }

    @Test
    void readsABatchOfAnyOtherPlanAsSparkGivesIt() throws Exception {
        SparkSession spark = TestSpark.session();
        List<Long> seen = Collections.synchronizedList(new ArrayList<>());
        Dataset<Row> filtered = spark.readStream()
                .format("rate-micro-batch")
                .option("rowsPerBatch", "100")
                .load()
                .where("value % 2 = 0");

        runToTheEnd(
                filtered,
                "filter",
                (batch, id) -> seen.add(BatchRecords.of(spark, batch).rows().count()));

        assertThat(seen).containsExactly(50L);
    }

    /** Runs the query over everything its source has, each batch to {@code each}, within a deadline. */
    private StreamingQuery runToTheEnd(Dataset<Row> source, String name, VoidFunction2<Dataset<Row>, Long> each)
            throws Exception {
        StreamingQuery query = source.writeStream()
                .option(
                        "checkpointLocation",
                        Files.createDirectories(checkpoints.resolve(name)).toString())
                .trigger(Trigger.AvailableNow())
                .foreachBatch(each)
                .start();
        assertThat(query.awaitTermination(TimeUnit.MINUTES.toMillis(2))).isTrue();
        return query;
    }
}
