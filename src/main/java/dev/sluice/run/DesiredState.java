package dev.sluice.run;

/** What the operator (or, until the operator says otherwise, the configuration) wants of a pipeline. */
public enum DesiredState {
    RUNNING,
    STOPPED
}
