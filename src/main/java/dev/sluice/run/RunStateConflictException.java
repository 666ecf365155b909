package dev.sluice.run;

/** The asked-for transition does not fit the query's current state (start a running query...). */
public class RunStateConflictException extends PipelineException {

    private final RunState state;

    public RunStateConflictException(String name, RunState state, String message) {
        super(name, message, null);
        this.state = state;
    }

    public RunState state() {
        return state;
    }
}
