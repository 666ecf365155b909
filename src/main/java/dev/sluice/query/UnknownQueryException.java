package dev.sluice.query;

/** No pipeline has that name. */
public class UnknownQueryException extends RuntimeException {

    private final String name;

    public UnknownQueryException(String name) {
        super("No pipeline is named '" + name + "'");
        this.name = name;
    }

    public String name() {
        return name;
    }
}
