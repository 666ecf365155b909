package dev.sluice.query;

/** Spark refused to start the query. */
public class QueryStartException extends PipelineException {

    public QueryStartException(String name, String message, Throwable cause) {
        super(name, message, cause);
    }
}
