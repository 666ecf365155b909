package dev.sluice.definition;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;

import dev.sluice.pipeline.BatchOutcome.ExpectationCount;
import dev.sluice.pipeline.RejectRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A definition's rules and expectations as what both shapes run: reject rules in the order that
 * makes the strongest action win (fail, then quarantine, then drop) and one counted condition per
 * expectation.
 */
final class ExpectationRules {

    private ExpectationRules() {}

    /**
     * @param step builds one part of the plan, a Spark error in it a problem of that field
     */
    static RejectRule.Checks of(
            PipelineDefinition definition, Dataset<Row> fields, BiFunction<String, Supplier<Column>, Column> step) {
        List<Expectation> checks = definition.checks();
        if (checks.isEmpty()) {
            return RejectRule.Checks.NONE;
        }
        List<RejectRule> fail = new ArrayList<>();
        List<RejectRule> quarantine = new ArrayList<>();
        List<RejectRule> drop = new ArrayList<>();
        List<Column> counted = new ArrayList<>();
        // Each text parsed and checked on its own, so a mistake names its field; then all of them
        // analysed over the fields at once, and one by one (to name the field) only when that fails.
        List<Column> requires = new ArrayList<>();
        List<Column> details = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            Expectation check = checks.get(i);
            String field = field(definition, i);
            requires.add(step.apply(field + ".require", () -> PipelinePlanner.parsed(check.require())));
            details.add(
                    hasDetail(check)
                            ? step.apply(field + ".detail", () -> PipelinePlanner.parsed(check.detail()))
                            : null);
        }
        List<Column> all = new ArrayList<>(requires);
        details.stream().filter(Objects::nonNull).forEach(all::add);
        boolean analysed = PipelinePlanner.analyseTogether(fields, all);
        for (int i = 0; i < checks.size(); i++) {
            Expectation check = checks.get(i);
            String field = field(definition, i);
            Column require = analysed
                    ? requires.get(i)
                    : step.apply(field + ".require", () -> PipelinePlanner.column(fields, check.require()));
            Column broken = not(coalesce(require.cast("boolean"), lit(false)));
            Column fallback = lit("breaks the rule: " + check.require());
            Column detail = fallback;
            if (hasDetail(check)) {
                Column given = analysed
                        ? details.get(i)
                        : step.apply(field + ".detail", () -> PipelinePlanner.column(fields, check.detail()));
                detail = coalesce(given.cast("string"), fallback);
            }
            counted.add(broken);
            switch (check.action()) {
                case FAIL -> fail.add(new RejectRule(RejectRule.FAIL + check.name(), broken, detail));
                case QUARANTINE -> quarantine.add(new RejectRule(check.reason(), broken, detail));
                case DROP ->
                    drop.add(new RejectRule(
                            RejectRule.DROP + check.name(), broken, lit(null).cast("string")));
                case WARN -> {}
            }
        }
        List<RejectRule> rules = new ArrayList<>(fail);
        rules.addAll(quarantine);
        rules.addAll(drop);
        return new RejectRule.Checks(rules, counted);
    }

    /** The same checks with these counts, in order. */
    static List<ExpectationCount> counted(PipelineDefinition definition, long[] counts) {
        List<Expectation> checks = definition.checks();
        List<ExpectationCount> result = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            result.add(new ExpectationCount(
                    checks.get(i).name(), checks.get(i).action().label(), counts[i]));
        }
        return result;
    }

    /** The definition field of the i-th check: a rule, or an expectation after the rules. */
    static String field(PipelineDefinition definition, int i) {
        int rules = definition.rules().size();
        return i < rules ? "rules[" + i + "]" : "expectations[" + (i - rules) + "]";
    }

    /**
     * Whether the check gives its dead letter's (or failure's) detail as an expression; otherwise
     * the detail is what it requires.
     */
    private static boolean hasDetail(Expectation check) {
        return check.detail() != null && !check.detail().isBlank();
    }
}
