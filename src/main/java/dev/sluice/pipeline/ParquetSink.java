package dev.sluice.pipeline;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.execution.streaming.FileStreamSink;
import scala.collection.JavaConverters;
import scala.collection.immutable.HashMap;

/**
 * Parquet files written through Spark's own streaming file sink, called from a
 * {@code foreachBatch}. The sink records each committed micro-batch's files in
 * {@code <path>/_spark_metadata}, skips a batch it already committed, and Spark readers of
 * {@code <path>} see only committed files: exactly once, as with {@code format("parquet")}, while
 * the same micro-batch can also send its rejected records to the dead letters.
 */
public final class ParquetSink {

    private final FileStreamSink sink;

    public ParquetSink(SparkSession spark, String path, List<String> partitionColumns) {
        this.sink = new FileStreamSink(
                spark,
                path,
                new ParquetFileFormat(),
                JavaConverters.asScalaBuffer(partitionColumns).toList(),
                new HashMap<>());
    }

    public void write(long batchId, Dataset<Row> rows) {
        sink.addBatch(batchId, rows);
    }
}
