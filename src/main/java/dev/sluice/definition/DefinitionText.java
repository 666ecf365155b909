package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.Rule;
import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.definition.PipelineDefinition.Source;
import dev.sluice.definition.PipelineDefinition.Transform;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The texts of a definition, bounded before anything parses them: no NUL character (PostgreSQL,
 * where definitions are kept, cannot store one), and no text longer than its kind needs. Every
 * other character is kept as given.
 */
final class DefinitionText {

    /** Names, paths, topics, intervals and the like. */
    static final int MAX_SETTING_LENGTH = 1_000;

    static final int MAX_DESCRIPTION_LENGTH = 4_000;
    static final int MAX_LIST_SIZE = 100;

    private DefinitionText() {}

    static List<DefinitionProblem> problems(PipelineDefinition definition) {
        List<DefinitionProblem> problems = new ArrayList<>();
        check(problems, "name", definition.name(), MAX_SETTING_LENGTH);
        check(problems, "description", definition.description(), MAX_DESCRIPTION_LENGTH);
        Source source = definition.source();
        checkAll(problems, "source.topics", source.topics());
        check(problems, "source.topicPattern", source.topicPattern(), MAX_SETTING_LENGTH);
        check(problems, "source.startingOffsets", source.startingOffsets(), SqlPolicy.MAX_EXPRESSION_LENGTH);
        check(problems, "source.schema", source.schema(), SqlPolicy.MAX_EXPRESSION_LENGTH);
        check(problems, "source.schemaName", source.schemaName(), MAX_SETTING_LENGTH);
        check(problems, "source.path", source.path(), MAX_SETTING_LENGTH);
        checkAll(problems, "source.metadata", List.copyOf(source.metadata().keySet()));
        Transform transform = definition.transform();
        check(problems, "transform.eventTime", transform.eventTime(), SqlPolicy.MAX_EXPRESSION_LENGTH);
        check(problems, "transform.watermark", transform.watermark(), MAX_SETTING_LENGTH);
        checkAll(problems, "transform.dropDuplicates", transform.dropDuplicates());
        check(problems, "transform.sql", transform.sql(), SqlPolicy.MAX_QUERY_LENGTH);
        Sink sink = definition.sink();
        check(problems, "sink.table", sink.table(), MAX_SETTING_LENGTH);
        checkAll(problems, "sink.keyColumns", sink.keyColumns());
        check(problems, "sink.path", sink.path(), MAX_SETTING_LENGTH);
        checkAll(problems, "sink.partitionBy", sink.partitionBy());
        check(problems, "sink.versionColumn", sink.versionColumn(), MAX_SETTING_LENGTH);
        check(problems, "sink.topic", sink.topic(), MAX_SETTING_LENGTH);
        check(problems, "sink.key", sink.key(), SqlPolicy.MAX_EXPRESSION_LENGTH);
        check(problems, "sink.value", sink.value(), SqlPolicy.MAX_EXPRESSION_LENGTH);
        check(problems, "trigger.interval", definition.trigger().interval(), MAX_SETTING_LENGTH);
        if (definition.rules().size() > MAX_LIST_SIZE) {
            problems.add(new DefinitionProblem(
                    "rules", "has " + definition.rules().size() + " rules; at most " + MAX_LIST_SIZE + " are allowed"));
        }
        for (int i = 0; i < definition.rules().size(); i++) {
            Rule rule = definition.rules().get(i);
            check(problems, "rules[" + i + "].reason", rule.reason(), MAX_SETTING_LENGTH);
            check(problems, "rules[" + i + "].require", rule.require(), SqlPolicy.MAX_EXPRESSION_LENGTH);
            check(problems, "rules[" + i + "].detail", rule.detail(), SqlPolicy.MAX_EXPRESSION_LENGTH);
        }
        if (definition.expectations().size() > MAX_LIST_SIZE) {
            problems.add(new DefinitionProblem(
                    "expectations",
                    "has " + definition.expectations().size() + " expectations; at most " + MAX_LIST_SIZE
                            + " are allowed"));
        }
        Set<String> names = new HashSet<>();
        definition.rules().forEach(rule -> names.add(rule.reason().toUpperCase(Locale.ROOT)));
        for (int i = 0; i < definition.expectations().size(); i++) {
            Expectation expectation = definition.expectations().get(i);
            String field = "expectations[" + i + "]";
            check(problems, field + ".name", expectation.name(), MAX_SETTING_LENGTH);
            check(problems, field + ".require", expectation.require(), SqlPolicy.MAX_EXPRESSION_LENGTH);
            check(problems, field + ".detail", expectation.detail(), SqlPolicy.MAX_EXPRESSION_LENGTH);
            if (expectation.name() != null && !names.add(expectation.reason())) {
                problems.add(new DefinitionProblem(
                        field + ".name", "another expectation or rule has the name " + expectation.name()));
            }
        }
        return problems;
    }

    private static void checkAll(List<DefinitionProblem> problems, String field, List<String> values) {
        if (values.size() > MAX_LIST_SIZE) {
            problems.add(new DefinitionProblem(
                    field, "has " + values.size() + " entries; at most " + MAX_LIST_SIZE + " are allowed"));
            return;
        }
        for (int i = 0; i < values.size(); i++) {
            check(problems, field + "[" + i + "]", values.get(i), MAX_SETTING_LENGTH);
        }
    }

    private static void check(List<DefinitionProblem> problems, String field, String value, int maxLength) {
        if (value == null) {
            return;
        }
        if (value.indexOf('\0') >= 0) {
            problems.add(new DefinitionProblem(
                    field, "contains a NUL character (\\u0000), which is not allowed in a definition"));
        } else if (hasUnpairedSurrogate(value)) {
            problems.add(
                    new DefinitionProblem(field, "contains half of a UTF-16 surrogate pair, which is not a character"));
        } else if (value.length() > maxLength) {
            problems.add(new DefinitionProblem(
                    field, "is " + value.length() + " characters long; at most " + maxLength + " are allowed"));
        }
    }

    /** Text that could not be stored as it was given: UTF-8 has no encoding for half a pair. */
    private static boolean hasUnpairedSurrogate(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
