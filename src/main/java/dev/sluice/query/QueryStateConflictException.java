package dev.sluice.query;

/** The asked-for transition does not fit the query's current state (start a running query...). */
public class QueryStateConflictException extends PipelineException {

    private final QueryState state;

    public QueryStateConflictException(String name, QueryState state, String message) {
        super(name, message, null);
        this.state = state;
    }

    public QueryState state() {
        return state;
    }
}
