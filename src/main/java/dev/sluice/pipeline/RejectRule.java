package dev.sluice.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.DataTypes;

/**
 * A reason to turn a record away to the dead letters instead of the sink.
 *
 * @param reason a stable upper-case code, counted and stored with the dead letter
 * @param violated true for a record that breaks the rule
 * @param detail a human-readable explanation for that record
 */
public record RejectRule(String reason, Column violated, Column detail) {

    /**
     * The reason of a rule that discards the record, counted but neither stored nor kept: this
     * prefix and the expectation's name. Lower case, so no dead-letter reason has it.
     */
    public static final String DROP = "drop:";

    /** The reason of a rule that stops the pipeline ({@link PipelineRefusal}): this prefix and the name. */
    public static final String FAIL = "fail:";

    /**
     * What a record is checked for beyond its format.
     *
     * @param rules the rules that decide a record's fate, in the order they are checked: those that
     *     fail the pipeline, those that quarantine, those that drop
     * @param counted for each expectation, in order, whether a record breaks it
     */
    public record Checks(List<RejectRule> rules, List<Column> counted) {
        public static final Checks NONE = new Checks(List.of(), List.of());

        public Checks {
            rules = List.copyOf(rules);
            counted = List.copyOf(counted);
        }
    }

    /**
     * The refusal a record breaking a {@link #FAIL} rule brings about: which expectation, which
     * record, and what it breaks.
     */
    public static PipelineRefusal failure(String reason, String detail, Object topic, Object partition, Object offset) {
        return new PipelineRefusal("The expectation " + reason.substring(FAIL.length())
                + " (action fail) is broken by the record at " + topic + ", partition " + partition + ", offset "
                + offset + ": " + detail + ". The pipeline stops until an operator changes the expectation or"
                + " the data and starts it again.");
    }

    /** A Kafka record (or line) without a value: the first rule of every format. */
    public static RejectRule emptyValue() {
        Column value = col("value");
        return new RejectRule(
                "EMPTY_VALUE", value.isNull().or(length(value).equalTo(0)), lit("the record has no value"));
    }

    /**
     * The rules of a JSON value parsed by {@code from_json} into a struct with the corrupt-record
     * column {@code corrupt}: no value, not a JSON object, or a field of the wrong type.
     */
    public static List<RejectRule> json(Column corrupt) {
        // An all-string map parses any JSON object, so it tells bad JSON from bad field types.
        Column anyObject = from_json(
                col("value").cast("string"),
                DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType),
                Map.of());
        return List.of(
                emptyValue(),
                new RejectRule(
                        "MALFORMED_JSON",
                        corrupt.isNotNull().and(anyObject.isNull()),
                        lit("the value is not a JSON object")),
                new RejectRule(
                        "SCHEMA_MISMATCH",
                        corrupt.isNotNull(),
                        lit("a field's value does not have the schema's type")));
    }

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
