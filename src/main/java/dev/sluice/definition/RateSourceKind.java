package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.Source;
import java.util.ArrayList;
import java.util.List;

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
        return problems;
    }

    @Override
    public boolean parsed() {
        return false;
    }
}
