package dev.sluice.pipeline;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.FileFormat;
import org.apache.spark.sql.execution.datasources.csv.CSVFileFormat;
import org.apache.spark.sql.execution.datasources.json.JsonFileFormat;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.execution.streaming.FileStreamSink;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.collection.immutable.HashMap;

/**
 * Files written through Spark's own streaming file sink, called from a {@code foreachBatch}, so a
 * micro-batch's rows are spread over as few files as {@code rowsPerFile} allows. The sink records
 * each committed micro-batch's files in {@code <path>/_spark_metadata}, skips a batch it already
 * committed, and Spark readers of {@code <path>} see only committed files: exactly once, and the
 * same layout, as with {@code writeStream().format(...)}.
 */
public final class FileSink {

    private final FileStreamSink sink;
    private final long rowsPerFile;

    /**
     * @param format {@code parquet}, {@code json} or {@code csv} (with a header line)
     * @param rowsPerFile the most rows a micro-batch puts in one file: it is written by as few
     *     tasks as that allows (at most one per input partition)
     */
    public FileSink(SparkSession spark, String format, String path, List<String> partitionColumns, long rowsPerFile) {
        FileFormat files = switch (format) {
            case "parquet" -> new ParquetFileFormat();
            case "json" -> new JsonFileFormat();
            case "csv" -> new CSVFileFormat();
            default -> throw new IllegalArgumentException("no file format " + format);
        };
        scala.collection.immutable.Map<String, String> options = new HashMap<>();
        if (format.equals("csv")) {
            options = options.$plus(new Tuple2<>("header", "true"));
        }
        this.sink = new FileStreamSink(
                spark,
                path,
                files,
                JavaConverters.asScalaBuffer(partitionColumns).toList(),
                options);
        this.rowsPerFile = rowsPerFile;
    }

    /**
     * Writes one micro-batch. The rows are computed once (and kept until written), counted, and
     * written by {@code ceil(rows / rowsPerFile)} tasks.
     */
    public void write(long batchId, Dataset<Row> rows) {
        Dataset<Row> cached = rows.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long count = cached.count();
            int partitions = cached.rdd().getNumPartitions();
            int files = (int) Math.max(1, Math.min(partitions, (count + rowsPerFile - 1) / rowsPerFile));
            sink.addBatch(batchId, files < partitions ? cached.coalesce(files) : cached);
        } finally {
            cached.unpersist(false);
        }
    }
}
