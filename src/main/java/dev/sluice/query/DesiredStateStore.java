package dev.sluice.query;

import java.util.Optional;

/** Keeps each pipeline's desired state across restarts of the service. */
public interface DesiredStateStore {

    /** The state last asked for, or empty if nobody asked yet. */
    Optional<DesiredState> load(String pipeline);

    void save(String pipeline, DesiredState state);
}
