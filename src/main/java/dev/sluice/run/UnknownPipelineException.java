package dev.sluice.run;

/** No pipeline has that name. */
public class UnknownPipelineException extends PipelineException {

    public UnknownPipelineException(String name) {
        super(name, "No pipeline is named '" + name + "'", null);
    }
}
