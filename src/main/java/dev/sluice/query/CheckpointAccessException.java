package dev.sluice.query;

/** A checkpoint could not be read or removed (its file system is unreachable, for example). */
public class CheckpointAccessException extends RuntimeException {

    private final String name;

    public CheckpointAccessException(String name, String message, Throwable cause) {
        super(message, cause);
        this.name = name;
    }

    public String name() {
        return name;
    }
}
