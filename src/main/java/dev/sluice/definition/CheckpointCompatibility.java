package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which changes to a definition a query can resume from its checkpoint with, after Spark's
 * guide to recovery semantics: the source and its identity must stay (the checkpoint holds its
 * offsets), the output mode must stay, and a stateful query's state must keep its shape (so its
 * transform stays as it is). Projections and filters of a stateless query may change, and so may
 * the sink's settings within the same kind.
 */
final class CheckpointCompatibility {

    private CheckpointCompatibility() {}

    /** What in the change the checkpoint cannot follow; empty when it can. */
    static List<String> changes(PipelineDefinition old, PipelineDefinition next, boolean stateful) {
        List<String> changes = new ArrayList<>();
        Source a = old.source();
        Source b = next.source();
        if (a.kind() != b.kind()
                || !a.topics().equals(b.topics())
                || !Objects.equals(a.topicPattern(), b.topicPattern())
                || !Objects.equals(a.path(), b.path())) {
            changes.add("the source is another one (its offsets are in the checkpoint)");
        }
        if (old.outputMode() != next.outputMode()) {
            changes.add("the output mode changes");
        }
        if (old.sink().kind() != next.sink().kind()) {
            changes.add("the sink is of another kind");
        }
        if (stateful
                && (a.formatOrDefault() != b.formatOrDefault()
                        || !Objects.equals(a.schema(), b.schema())
                        || !Objects.equals(a.schemaName(), b.schemaName()))) {
            changes.add(
                    "the records' schema of a stateful query changes (its state in the checkpoint has the old shape)");
        }
        if (stateful && !old.transform().equals(next.transform())) {
            changes.add("the transform of a stateful query changes (its state in the checkpoint has the old shape)");
        }
        return changes;
    }
}
