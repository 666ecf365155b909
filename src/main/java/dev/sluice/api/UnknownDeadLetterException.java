package dev.sluice.api;

/** No dead letter has this id. */
class UnknownDeadLetterException extends RuntimeException {

    private final long id;

    UnknownDeadLetterException(long id) {
        super("No dead letter has id " + id);
        this.id = id;
    }

    long id() {
        return id;
    }
}
