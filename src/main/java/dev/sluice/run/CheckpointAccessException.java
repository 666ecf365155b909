package dev.sluice.run;

/** A checkpoint could not be read or removed (its file system is unreachable, for example). */
public class CheckpointAccessException extends PipelineException {

    public CheckpointAccessException(String name, String message, Throwable cause) {
        super(name, message, cause);
    }
}
