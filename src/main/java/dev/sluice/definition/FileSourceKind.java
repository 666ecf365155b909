package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.definition.PipelineDefinition.Source;
import java.util.ArrayList;
import java.util.List;

/** {@code file}: new files in a folder, as lines of json, csv or text, or as Parquet rows. */
final class FileSourceKind implements SourceKindSpec {

    @Override
    public List<DefinitionProblem> problems(PipelineDefinition definition) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Source source = definition.source();
        if (source.path() == null || source.path().isBlank()) {
            problems.add(new DefinitionProblem("source.path", "a file source needs the directory to watch"));
        }
        if (!source.topics().isEmpty()
                || source.topicPattern() != null
                || source.startingOffsets() != null
                || source.startingTimestamp() != null
                || source.maxOffsetsPerTrigger() != null
                || source.rowsPerSecond() != null
                || !source.metadata().isEmpty()) {
            problems.add(new DefinitionProblem(
                    "source",
                    "topics, topicPattern, startingOffsets, startingTimestamp, maxOffsetsPerTrigger, rowsPerSecond"
                            + " and metadata are not file settings"));
        }
        if (source.formatOrDefault() == RecordFormat.PARQUET
                && !definition.rules().isEmpty()) {
            problems.add(new DefinitionProblem(
                    "rules",
                    "rules need records with a place in a file (json, csv or text lines); Parquet rows have none"));
        }
        return problems;
    }

    @Override
    public String continuousRefusal(PipelineDefinition definition) {
        return "Spark's continuous processing reads kafka and rate sources, not files";
    }
}
