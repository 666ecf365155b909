package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.SourceKind;
import dev.sluice.pipeline.StartingPoint;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A kind of source: the settings it takes, checked before Spark sees the definition, and the
 * reader of a plan. Each kind is one class, found by its name ({@link #of}); nothing else switches
 * on source kinds.
 */
interface SourceKindSpec {

    /** What the definition's source settings get wrong for this kind. */
    List<DefinitionProblem> problems(PipelineDefinition definition);

    /** Why Spark's continuous processing cannot read this source as defined, or null. */
    default String continuousRefusal(PipelineDefinition definition) {
        return null;
    }

    /** Whether records of this kind are parsed with a schema (and may be rejected). */
    default boolean parsed() {
        return true;
    }

    /**
     * The source of the plan being built: with {@link #raw}, records to parse ({@code topic},
     * {@code partition}, {@code offset}, {@code timestamp}, the binary {@code value}); otherwise
     * rows as they are. A Spark error names the part of the definition it came from.
     */
    Dataset<Row> read(PlanBuilder plan, StartingPoint from);

    /** Whether {@link #read} gives records to parse and reject, or rows as they are. */
    default boolean raw(PipelineDefinition definition) {
        return true;
    }

    /** The spec of a kind. */
    static SourceKindSpec of(SourceKind kind) {
        return Kinds.SOURCES.get(kind);
    }

    /** The registry: one spec per kind. */
    final class Kinds {
        static final Map<SourceKind, SourceKindSpec> SOURCES = new EnumMap<>(Map.of(
                SourceKind.KAFKA, new KafkaSourceKind(),
                SourceKind.FILE, new FileSourceKind(),
                SourceKind.RATE, new RateSourceKind()));

        private Kinds() {}
    }
}
