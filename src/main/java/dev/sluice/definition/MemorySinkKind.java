package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.Sink;
import java.util.List;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;

/** {@code memory}: the newest rows kept in the service, read over REST ({@link MemoryTables}). */
final class MemorySinkKind implements SinkKindSpec {

    private static final int DEFAULT_MEMORY_ROWS = 1000;

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public boolean keyed() {
        return true;
    }

    @Override
    public List<DefinitionProblem> problems(PipelineDefinition definition) {
        return List.of();
    }

    @Override
    public DataStreamWriter<Row> writer(Run run, Dataset<Row> output) {
        String name = run.name();
        Sink sink = run.definition().sink();
        MemoryTables tables = run.environment().memoryTables();
        if (run.from() != null) {
            // The checkpoint was reset: batch numbers start again, and so does the table.
            tables.remove(name);
        }
        tables.ensure(
                name,
                output.schema(),
                run.definition().outputMode(),
                sink.keyColumns(),
                sink.maxRows() == null ? DEFAULT_MEMORY_ROWS : sink.maxRows());
        return output.writeStream().foreachBatch((VoidFunction2<Dataset<Row>, Long>)
                (batch, batchId) -> tables.apply(name, batchId, batch.collectAsList()));
    }
}
