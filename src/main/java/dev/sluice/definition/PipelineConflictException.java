package dev.sluice.definition;

import dev.sluice.run.PipelineException;

/** A change to a pipeline definition that its current state does not allow. */
public class PipelineConflictException extends PipelineException {

    private final String reason;

    /**
     * @param reason a stable code: {@code exists}, {@code read-only}, {@code running} or
     *     {@code checkpoint-incompatible}
     */
    public PipelineConflictException(String name, String reason, String message) {
        super(name, message, null);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
