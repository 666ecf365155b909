package dev.sluice.pipeline;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.List;
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

    /** The reason of the first rule a record breaks, or null when it breaks none. */
    public static Column firstReason(List<RejectRule> rules) {
        Column reason = null;
        for (RejectRule rule : rules) {
            reason = reason == null
                    ? when(rule.violated, lit(rule.reason))
                    : reason.when(rule.violated, lit(rule.reason));
        }
        return reason;
    }

    /** The detail of the first rule a record breaks, or null when it breaks none. */
    public static Column firstDetail(List<RejectRule> rules) {
        Column detail = null;
        for (RejectRule rule : rules) {
            detail = detail == null ? when(rule.violated, rule.detail) : detail.when(rule.violated, rule.detail);
        }
        return detail;
    }

    public RejectRule {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(violated, "violated");
        Objects.requireNonNull(detail, "detail");
    }
}
