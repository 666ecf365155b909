package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.Source;
import dev.sluice.definition.PipelineDefinition.TriggerKind;
import dev.sluice.pipeline.StartingPoint;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamReader;

/** {@code rate}: Spark's generated rows ({@code timestamp}, {@code value}) at a steady rate. */
final class RateSourceKind implements SourceKindSpec {

    @Override
    public List<DefinitionProblem> problems(PipelineDefinition definition) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Source source = definition.source();
        if (!source.topics().isEmpty()
                || source.topicPattern() != null
                || source.path() != null
                || source.format() != null
                || source.schema() != null
                || source.schemaName() != null
                || !source.metadata().isEmpty()) {
            problems.add(new DefinitionProblem(
                    "source", "a rate source takes only rowsPerSecond; its columns are timestamp and value"));
        }
        if (!definition.rules().isEmpty()) {
            problems.add(new DefinitionProblem("rules", "a rate source's rows cannot be rejected"));
        }
        if (!definition.expectations().isEmpty()) {
            problems.add(new DefinitionProblem("expectations", "a rate source's rows are not checked"));
        }
        return problems;
    }

    @Override
    public boolean parsed() {
        return false;
    }

    @Override
    public boolean raw(PipelineDefinition definition) {
        return false;
    }

    @Override
    public Dataset<Row> read(PlanBuilder plan, StartingPoint from) {
        PipelineDefinition definition = plan.definition();
        DataStreamReader reader = plan.spark().readStream().format("rate");
        if (definition.source().rowsPerSecond() != null) {
            reader = reader.option("rowsPerSecond", definition.source().rowsPerSecond());
        }
        if (definition.trigger().kind() == TriggerKind.CONTINUOUS) {
            // A continuous task holds its core for the life of the query: one, not one per core.
            reader = reader.option("numPartitions", 1);
        }
        return plan.step("source", reader::load);
    }
}
