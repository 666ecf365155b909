package dev.sluice.run;

import java.util.Optional;

/** Knows how far a pipeline trails its source, where the source can tell. */
@FunctionalInterface
public interface LagSource {

    LagSource NONE = pipeline -> Optional.empty();

    /** The pipeline's lag as last measured, or empty when its source has no offsets to compare. */
    Optional<PipelineStatus.Lag> lag(String pipeline);
}
