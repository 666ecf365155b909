package dev.sluice.pipeline;

import java.util.Objects;
import org.apache.spark.sql.Column;

/**
 * A reason to turn a record away to the dead letters instead of the sink.
 *
 * @param reason a stable upper-case code, counted and stored with the dead letter
 * @param violated true for a record that breaks the rule
 * @param detail a human-readable explanation for that record
 */
public record RejectRule(String reason, Column violated, Column detail) {

    public RejectRule {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(violated, "violated");
        Objects.requireNonNull(detail, "detail");
    }
}
