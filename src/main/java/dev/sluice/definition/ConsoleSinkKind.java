package dev.sluice.definition;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;

/** {@code console}: each micro-batch's rows printed to the service's standard output. */
final class ConsoleSinkKind implements SinkKindSpec {

    @Override
    public String name() {
        return "console";
    }

    @Override
    public String continuousRefusal() {
        return null;
    }

    @Override
    public List<DefinitionProblem> problems(PipelineDefinition definition) {
        return List.of();
    }

    @Override
    public DataStreamWriter<Row> writer(Run run, Dataset<Row> output) {
        Integer maxRows = run.definition().sink().maxRows();
        return output.writeStream()
                .format("console")
                .option("numRows", maxRows == null ? 20 : maxRows)
                .option("truncate", false);
    }
}
