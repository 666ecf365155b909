package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.definition.PipelineDefinition.SinkKind;
import dev.sluice.definition.PipelineDefinition.Source;
import dev.sluice.definition.PipelineDefinition.Transform;
import dev.sluice.definition.PipelineDefinition.TriggerKind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.catalyst.analysis.UnsupportedOperationChecker$;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.util.IntervalUtils;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.CalendarInterval;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The checks of a definition around Spark's analysis: its settings before Spark sees it (each
 * kind's own, and how they fit together), then what Spark would refuse only at start and what the
 * sink needs of the result.
 */
final class DefinitionChecks {

    private DefinitionChecks() {}

    /** What the definition gets wrong before Spark looks at it: missing and contradictory settings. */
    static List<DefinitionProblem> structuralProblems(PipelineDefinition definition) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Source source = definition.source();
        Transform transform = definition.transform();
        Sink sink = definition.sink();
        boolean continuous = definition.trigger().kind() == TriggerKind.CONTINUOUS;
        SourceKindSpec sourceKind = SourceKindSpec.of(source.kind());
        SinkKindSpec sinkKind = SinkKindSpec.of(sink.kind());
        problems.addAll(sourceKind.problems(definition));
        if (sourceKind.parsed()) {
            boolean needsSchema = source.formatOrDefault() != RecordFormat.TEXT;
            boolean hasSchema = source.schema() != null && !source.schema().isBlank();
            boolean hasName =
                    source.schemaName() != null && !source.schemaName().isBlank();
            if (hasSchema && hasName) {
                problems.add(new DefinitionProblem("source.schema", "give schema or schemaName, not both"));
            } else if (needsSchema && !hasSchema && !hasName) {
                problems.add(
                        new DefinitionProblem(
                                "source.schema",
                                "a " + source.formatOrDefault().name().toLowerCase()
                                        + " source needs a schema (Spark DDL such as 'host STRING, bytes BIGINT') or a schemaName"));
            } else if (hasName && !PipelinePlanner.CAR_INFO.equals(source.schemaName())) {
                problems.add(new DefinitionProblem(
                        "source.schemaName",
                        "unknown schema '" + source.schemaName() + "'; the built-in schemas are: car_info"));
            } else if (hasName && source.formatOrDefault() != RecordFormat.JSON) {
                problems.add(new DefinitionProblem("source.schemaName", "car_info events are json"));
            } else if (!needsSchema && (hasSchema || hasName)) {
                problems.add(new DefinitionProblem(
                        "source.schema", "text records have one column, value; they take no schema"));
            }
        }
        if (transform.watermark() != null
                && (transform.eventTime() == null || transform.eventTime().isBlank())) {
            problems.add(new DefinitionProblem(
                    "transform.watermark", "a watermark needs transform.eventTime, the column it follows"));
        } else if (transform.watermark() != null) {
            watermarkProblem(transform.watermark()).ifPresent(problems::add);
        }
        if (!transform.dropDuplicates().isEmpty() && transform.watermark() == null) {
            problems.add(new DefinitionProblem(
                    "transform.dropDuplicates",
                    "de-duplication needs a watermark, or the records it remembers would grow without bound"));
        }
        problems.addAll(sinkKind.problems(definition));
        if (sink.onConflict() != null && sink.kind() != SinkKind.POSTGRES) {
            problems.add(new DefinitionProblem("sink.onConflict", "only postgres sinks take onConflict"));
        }
        if (sink.versionColumn() != null && sink.kind() != SinkKind.POSTGRES) {
            problems.add(new DefinitionProblem("sink.versionColumn", "only postgres sinks take versionColumn"));
        }
        if (!sinkKind.keyed() && !sink.keyColumns().isEmpty()) {
            problems.add(new DefinitionProblem("sink.keyColumns", "only postgres and memory sinks take key columns"));
        }
        if (!sinkKind.partitioned() && !sink.partitionBy().isEmpty()) {
            problems.add(new DefinitionProblem("sink.partitionBy", "only parquet, json and csv sinks are partitioned"));
        }
        if (!sinkKind.partitioned() && sink.rowsPerFile() != null) {
            problems.add(new DefinitionProblem("sink.rowsPerFile", "only parquet, json and csv sinks write files"));
        }
        PipelineDefinition.Trigger trigger = definition.trigger();
        if (trigger.kind() != TriggerKind.AVAILABLE_NOW) {
            try {
                PipelinePlanner.trigger(trigger);
            } catch (ArithmeticException e) {
                problems.add(new DefinitionProblem(
                        "trigger.interval", "'" + trigger.interval() + "' is longer than an interval can be"));
            } catch (RuntimeException e) {
                problems.add(new DefinitionProblem(
                        "trigger.interval", e.getMessage() == null ? "is not an interval" : e.getMessage()));
            }
        } else if (trigger.interval() != null) {
            problems.add(new DefinitionProblem("trigger.interval", "an available-now trigger has no interval"));
        }
        if (continuous) {
            String sourceRefusal = sourceKind.continuousRefusal(definition);
            if (sourceRefusal != null) {
                problems.add(new DefinitionProblem("trigger", sourceRefusal));
            }
            String sinkRefusal = sinkKind.continuousRefusal();
            if (sinkRefusal != null) {
                problems.add(new DefinitionProblem("trigger", sinkRefusal));
            }
        }
        return problems;
    }

    /** A watermark Spark takes as an interval but cannot turn into milliseconds when the query starts. */
    private static Optional<DefinitionProblem> watermarkProblem(String watermark) {
        try {
            CalendarInterval interval = IntervalUtils.stringToInterval(UTF8String.fromString(watermark));
            if (IntervalUtils.getDuration(interval, TimeUnit.MILLISECONDS, 31) < 0) {
                return Optional.of(new DefinitionProblem("transform.watermark", "'" + watermark + "' is negative"));
            }
            return Optional.empty();
        } catch (ArithmeticException e) {
            return Optional.of(new DefinitionProblem(
                    "transform.watermark", "'" + watermark + "' is longer than an interval can be"));
        } catch (RuntimeException e) {
            return Optional.of(PipelinePlanner.sparkProblem("transform.watermark", e));
        }
    }

    /** What Spark would refuse at start: the output mode for this query, continuous processing. */
    static List<DefinitionProblem> streamingProblems(PipelineDefinition definition, PipelinePlanner.Plan plan) {
        List<DefinitionProblem> problems = new ArrayList<>();
        LogicalPlan analyzed = plan.output().queryExecution().analyzed();
        try {
            UnsupportedOperationChecker$.MODULE$.checkForStreaming(
                    analyzed, definition.outputMode().spark());
        } catch (Exception e) {
            problems.add(new DefinitionProblem("outputMode", PipelinePlanner.sparkMessage(e)));
        }
        if (definition.trigger().kind() == TriggerKind.CONTINUOUS && problems.isEmpty()) {
            try {
                UnsupportedOperationChecker$.MODULE$.checkForContinuous(
                        analyzed, definition.outputMode().spark());
            } catch (Exception e) {
                problems.add(new DefinitionProblem("trigger", PipelinePlanner.sparkMessage(e)));
            }
        }
        return problems;
    }

    /** What the sink needs of the result's columns. */
    static List<DefinitionProblem> sinkProblems(PipelineDefinition definition, PipelinePlanner.Plan plan) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Sink sink = definition.sink();
        StructType schema = plan.schema();
        Set<String> columns = new LinkedHashSet<>(List.of(schema.fieldNames()));
        for (String key : sink.keyColumns()) {
            if (!columns.contains(key)) {
                problems.add(new DefinitionProblem(
                        "sink.keyColumns", "the result has no column '" + key + "'; its columns are " + columns));
            }
        }
        for (String partition : sink.partitionBy()) {
            if (!columns.contains(partition)) {
                problems.add(new DefinitionProblem(
                        "sink.partitionBy",
                        "the result has no column '" + partition + "'; its columns are " + columns));
            }
        }
        problems.addAll(SinkKindSpec.of(sink.kind()).resultProblems(definition, plan.output()));
        return problems;
    }
}
