package dev.sluice.definition;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One thing wrong with a pipeline definition.
 *
 * @param field where in the definition, such as {@code transform.sql}
 * @param message what is wrong, in Spark's words when Spark found it
 * @param line for SQL, the line of the error (1-based), when Spark knows it
 * @param position for SQL, the character in that line (0-based), when Spark knows it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DefinitionProblem(String field, String message, Integer line, Integer position) {

    public DefinitionProblem(String field, String message) {
        this(field, message, null, null);
    }

    @Override
    public String toString() {
        return field + ": " + message
                + (line == null ? "" : " (line " + line + (position == null ? "" : ", position " + position) + ")");
    }
}
