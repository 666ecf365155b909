package dev.sluice.definition;

import dev.sluice.run.PipelineException;
import java.util.List;
import java.util.stream.Collectors;

/** A pipeline definition that cannot run, with everything found wrong with it. */
public class InvalidDefinitionException extends PipelineException {

    private final List<DefinitionProblem> problems;

    public InvalidDefinitionException(String name, List<DefinitionProblem> problems) {
        super(
                name,
                "Pipeline '" + name + "' is not valid: "
                        + problems.stream().map(DefinitionProblem::toString).collect(Collectors.joining("; ")),
                null);
        this.problems = List.copyOf(problems);
    }

    public List<DefinitionProblem> problems() {
        return problems;
    }
}
