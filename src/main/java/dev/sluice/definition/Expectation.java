package dev.sluice.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import java.util.Locale;

/**
 * What every record should be, and what happens to one that is not. Each expectation counts the
 * records that break it, whatever the others do. A record that breaks several gets the strongest
 * action among them: {@code fail}, then {@code quarantine} (the first such expectation names its
 * dead letter), then {@code drop}; {@code warn} only counts.
 *
 * @param name names the expectation in metrics and status; a quarantined record's dead-letter
 *     reason is the name in upper case
 * @param require a SQL condition over the record's fields, such as {@code vhcleSped >= 0}; a
 *     record breaks the expectation when it is not true (false or null)
 * @param action what happens to a record that breaks it: {@code warn} keeps it, {@code drop}
 *     discards it, {@code quarantine} (the default) sends it to the dead letters, {@code fail}
 *     stops the pipeline as FAILED, naming the expectation and the record, and it is not restarted
 *     until an operator starts it
 * @param detail quarantine: a SQL expression over the record's fields for the dead letter's
 *     detail; unset (or null for a record): "breaks the rule: " and the condition
 */
@Schema(description = "A condition on every record, counted, with what happens to a record that breaks it.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Expectation(
        @NotBlank
        @Pattern(
                regexp = "[A-Za-z][A-Za-z0-9_]{0,63}",
                message = "must be letters, digits and _, starting with a letter, at most 64 characters")
        String name,

        @NotBlank String require,
        Action action,
        String detail) {

    public Expectation {
        action = action == null ? Action.QUARANTINE : action;
    }

    public enum Action {
        @JsonProperty("warn")
        WARN,
        @JsonProperty("drop")
        DROP,
        @JsonProperty("quarantine")
        QUARANTINE,
        @JsonProperty("fail")
        FAIL;

        /** As the API, the metrics and the status name it. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A quarantined record's dead-letter reason. */
    public String reason() {
        return name.toUpperCase(Locale.ROOT);
    }

    /** A rule is an expectation that quarantines. */
    static Expectation of(PipelineDefinition.Rule rule) {
        return new Expectation(rule.reason(), rule.require(), Action.QUARANTINE, rule.detail());
    }
}
