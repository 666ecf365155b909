package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.SinkKind;
import dev.sluice.pipeline.StartingPoint;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;

/**
 * A kind of sink: the settings it takes and what it needs of the result, checked before anything
 * starts, and the writer of a run. Each kind is one class, found by its name ({@link #of}).
 */
interface SinkKindSpec {

    /** What a run's sink is built from: the definition, the service's environment, where it starts. */
    record Run(PipelineDefinition definition, PipelineEnvironment environment, StartingPoint from) {
        String name() {
            return definition.name();
        }
    }

    /** The kind's name, as definitions spell it. */
    String name();

    /** What the definition's sink settings get wrong for this kind. */
    List<DefinitionProblem> problems(PipelineDefinition definition);

    /** What this sink needs of the result's columns that the result lacks. */
    default List<DefinitionProblem> resultProblems(PipelineDefinition definition, Dataset<Row> output) {
        return List.of();
    }

    /** Why Spark's continuous processing cannot write this sink, or null. */
    default String continuousRefusal() {
        return "Spark's continuous processing writes to kafka and console sinks, not " + name();
    }

    /** Whether the sink takes key columns. */
    default boolean keyed() {
        return false;
    }

    /** Whether the sink writes files into partition folders. */
    default boolean partitioned() {
        return false;
    }

    /** The writer of the result, not started: query name, checkpoint and trigger are set by the caller. */
    DataStreamWriter<Row> writer(Run run, Dataset<Row> output);

    /** The spec of a kind. */
    static SinkKindSpec of(SinkKind kind) {
        return Kinds.SINKS.get(kind);
    }

    /** The registry: one spec per kind. */
    final class Kinds {
        static final Map<SinkKind, SinkKindSpec> SINKS = new EnumMap<>(Map.of(
                SinkKind.POSTGRES, new PostgresSinkKind(),
                SinkKind.PARQUET, new FileSinkKind("parquet"),
                SinkKind.JSON, new FileSinkKind("json"),
                SinkKind.CSV, new FileSinkKind("csv"),
                SinkKind.KAFKA, new KafkaSinkKind(),
                SinkKind.CONSOLE, new ConsoleSinkKind(),
                SinkKind.MEMORY, new MemorySinkKind()));

        private Kinds() {}
    }
}
