package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.OutputMode;
import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.pipeline.FileSink;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;

/** {@code parquet}, {@code json}, {@code csv}: Spark's file sink, appending files to a folder. */
final class FileSinkKind implements SinkKindSpec {

    private final String format;

    FileSinkKind(String format) {
        this.format = format;
    }

    @Override
    public String name() {
        return format;
    }

    @Override
    public boolean partitioned() {
        return true;
    }

    @Override
    public List<DefinitionProblem> problems(PipelineDefinition definition) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Sink sink = definition.sink();
        if (sink.path() == null || sink.path().isBlank()) {
            problems.add(new DefinitionProblem("sink.path", "a " + format + " sink needs an output directory"));
        }
        if (definition.outputMode() != OutputMode.APPEND) {
            problems.add(new DefinitionProblem(
                    "outputMode",
                    "a " + format
                            + " sink only appends files: it takes append mode (with a watermark for aggregations)"));
        }
        return problems;
    }

    @Override
    public DataStreamWriter<Row> writer(Run run, Dataset<Row> output) {
        Sink sink = run.definition().sink();
        if (sink.rowsPerFile() != null) {
            FileSink files =
                    new FileSink(output.sparkSession(), format, sink.path(), sink.partitionBy(), sink.rowsPerFile());
            return output.writeStream()
                    .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, batchId) -> files.write(batchId, batch));
        }
        DataStreamWriter<Row> files = output.writeStream().format(format).option("path", sink.path());
        if (format.equals("csv")) {
            files = files.option("header", true);
        }
        return sink.partitionBy().isEmpty()
                ? files
                : files.partitionBy(sink.partitionBy().toArray(String[]::new));
    }
}
