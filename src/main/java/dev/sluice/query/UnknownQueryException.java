package dev.sluice.query;

/** No pipeline has that name. */
public class UnknownQueryException extends PipelineException {

    public UnknownQueryException(String name) {
        super(name, "No pipeline is named '" + name + "'", null);
    }
}
