package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.SourceKind;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A kind of source: the settings it takes, checked before Spark sees the definition. Each kind
 * is one class, found by its name ({@link #of}); nothing else switches on source kinds' settings.
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
