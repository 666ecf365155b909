package dev.sluice.run;

/** Where a pipeline's streaming query is in its life. */
public enum RunState {
    /** Not running: never started, or stopped. */
    STOPPED,
    /** Running micro-batches. */
    RUNNING,
    /** A stop was asked for and the query has not ended yet. */
    STOPPING,
    /** Ended by an error, or could not start; the failure says why. */
    FAILED
}
