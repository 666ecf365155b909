package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;

import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.definition.PipelineDefinition.Source;
import dev.sluice.definition.PipelineDefinition.TriggerKind;
import dev.sluice.pipeline.CarInfoSchema;
import dev.sluice.pipeline.KafkaSource;
import dev.sluice.pipeline.StartingPoint;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** {@code kafka}: records of topics, or of a topic pattern; values in json, csv or text. */
final class KafkaSourceKind implements SourceKindSpec {

    @Override
    public List<DefinitionProblem> problems(PipelineDefinition definition) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Source source = definition.source();
        boolean noPattern =
                source.topicPattern() == null || source.topicPattern().isBlank();
        if (source.topics().isEmpty() == noPattern) {
            problems.add(new DefinitionProblem("source", "a kafka source needs either topics or topicPattern"));
        } else if (source.topics().isEmpty()) {
            // Spark compiles it only when the query starts, where a bad one would fail every start.
            try {
                Pattern.compile(source.topicPattern());
            } catch (PatternSyntaxException | StackOverflowError e) {
                problems.add(new DefinitionProblem(
                        "source.topicPattern",
                        "is not a Java regular expression"
                                + (e instanceof PatternSyntaxException syntax ? ": " + syntax.getDescription() : "")));
            }
        }
        if (source.formatOrDefault() == RecordFormat.PARQUET) {
            problems.add(new DefinitionProblem("source.format", "a kafka source's values are json, csv or text"));
        }
        if (source.path() != null
                || source.maxFilesPerTrigger() != null
                || source.latestFirst() != null
                || source.rowsPerSecond() != null) {
            problems.add(new DefinitionProblem(
                    "source", "path, maxFilesPerTrigger, latestFirst and rowsPerSecond are not kafka settings"));
        }
        problems.addAll(metadataProblems(definition));
        return problems;
    }

    /** Record metadata columns: a kafka source's, micro-batch only, named apart from the fields. */
    private static List<DefinitionProblem> metadataProblems(PipelineDefinition definition) {
        Source source = definition.source();
        if (source.metadata().isEmpty()) {
            return List.of();
        }
        if (definition.trigger().kind() == TriggerKind.CONTINUOUS) {
            return List.of(new DefinitionProblem(
                    "source.metadata", "a continuous query reads text values only, without metadata"));
        }
        List<DefinitionProblem> problems = new ArrayList<>();
        Set<String> fields = new HashSet<>();
        if (PipelinePlanner.CAR_INFO.equals(source.schemaName())) {
            fields.addAll(List.of(CarInfoSchema.SCHEMA.fieldNames()));
        } else if (source.formatOrDefault() == RecordFormat.TEXT) {
            fields.add("value");
        } else if (source.schema() != null && !source.schema().isBlank()) {
            try {
                fields.addAll(List.of(SqlPolicy.schema(source.schema()).fieldNames()));
            } catch (RuntimeException e) {
                // The schema's own problem is reported where it is analysed.
            }
        }
        for (String column : source.metadata().keySet()) {
            String field = "source.metadata." + column;
            if (column.isBlank() || column.startsWith("__") || column.contains("`")) {
                problems.add(new DefinitionProblem(field, "is not a column name of events"));
            } else if (fields.stream().anyMatch(column::equalsIgnoreCase)
                    || column.equalsIgnoreCase(PipelineDefinition.EVENT_TIME)) {
                problems.add(new DefinitionProblem(field, "is a column of events already"));
            }
        }
        return problems;
    }

    /** A continuous query reads text values only (checked): nothing to reject. */
    @Override
    public boolean raw(PipelineDefinition definition) {
        return definition.trigger().kind() != TriggerKind.CONTINUOUS;
    }

    @Override
    public Dataset<Row> read(PlanBuilder plan, StartingPoint from) {
        KafkaSource source = DefinedPipeline.kafkaSource(plan.definition().source(), plan.environment());
        Dataset<Row> records = plan.step(
                "source",
                () -> source.load(plan.spark(), from)
                        .select(
                                col("topic"),
                                col("partition"),
                                col("offset"),
                                col("timestamp"),
                                col("value"),
                                col("key")));
        return raw(plan.definition())
                ? records
                : plan.step(
                        "source",
                        () -> records.select(col("value").cast("string").as("value")));
    }

    @Override
    public String continuousRefusal(PipelineDefinition definition) {
        if (definition.source().formatOrDefault() != RecordFormat.TEXT
                || !definition.checks().isEmpty()) {
            return "a continuous query has no micro-batches to write dead letters in:"
                    + " its kafka source must be format text, without rules or expectations";
        }
        return null;
    }
}
