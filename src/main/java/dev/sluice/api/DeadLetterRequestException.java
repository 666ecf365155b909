package dev.sluice.api;

/** A dead-letter call that does not say enough, or asks what cannot be done: a 400. */
class DeadLetterRequestException extends RuntimeException {

    DeadLetterRequestException(String message) {
        super(message);
    }
}
