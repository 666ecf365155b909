package dev.sluice.query;

/** The asked-for transition does not fit the query's current state (start a running query...). */
public class QueryStateConflictException extends RuntimeException {

    private final String name;
    private final QueryState state;

    public QueryStateConflictException(String name, QueryState state, String message) {
        super(message);
        this.name = name;
        this.state = state;
    }

    public String name() {
        return name;
    }

    public QueryState state() {
        return state;
    }
}
