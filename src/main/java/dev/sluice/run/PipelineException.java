package dev.sluice.run;

/** An error about one pipeline; the message is safe to show (credentials removed). */
public abstract class PipelineException extends RuntimeException {

    private final String name;

    protected PipelineException(String name, String message, Throwable cause) {
        super(message, cause);
        this.name = name;
    }

    /** The pipeline it is about. */
    public String name() {
        return name;
    }
}
