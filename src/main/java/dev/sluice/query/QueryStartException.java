package dev.sluice.query;

/** Spark refused to start the query; the message is safe to show (credentials removed). */
public class QueryStartException extends RuntimeException {

    private final String name;

    public QueryStartException(String name, String message, Throwable cause) {
        super(message, cause);
        this.name = name;
    }

    public String name() {
        return name;
    }
}
