package dev.sluice.run;

/** Spark refused to start the query. */
public class RunStartException extends PipelineException {

    public RunStartException(String name, String message, Throwable cause) {
        super(name, message, cause);
    }
}
