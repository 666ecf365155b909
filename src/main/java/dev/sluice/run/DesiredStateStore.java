package dev.sluice.run;

import dev.sluice.pipeline.StartingPoint;
import java.util.Optional;

/**
 * Keeps what operators asked of each pipeline across restarts of the service: its desired state,
 * and where it starts after a checkpoint reset.
 */
public interface DesiredStateStore {

    /** The state last asked for, or empty if nobody asked yet. */
    Optional<DesiredState> load(String pipeline);

    void save(String pipeline, DesiredState state);

    /** Where the next run starts, set by a reset and cleared once a run has started from it. */
    Optional<StartingPoint> nextStart(String pipeline);

    /** @param from the starting point, or {@code null} to clear it */
    void saveNextStart(String pipeline, StartingPoint from);

    /** Forgets the pipeline: it was removed. */
    void delete(String pipeline);
}
