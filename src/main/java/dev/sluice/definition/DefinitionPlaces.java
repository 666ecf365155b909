package dev.sluice.definition;

import dev.sluice.definition.DefinedPipeline.Origin;
import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.definition.PipelineDefinition.SinkKind;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a definition may read and write: folders under the configured roots (for definitions
 * over the API), tables in schemas that are neither PostgreSQL's nor Sluice's own, and a sink table
 * that can take the result.
 */
final class DefinitionPlaces {

    private static final Logger log = LoggerFactory.getLogger(PipelineCatalog.class);

    private final PipelineEnvironment environment;
    private final DataSource dataSource;
    private final FileRoots fileRoots;

    DefinitionPlaces(PipelineEnvironment environment, DataSource dataSource, FileRoots fileRoots) {
        this.environment = environment;
        this.dataSource = dataSource;
        this.fileRoots = fileRoots;
    }

    /**
     * Where a definition may not reach, whoever wrote it: the service's own tables. And for one
     * created over the API: files outside {@code sluice.pipelines.file-roots}.
     */
    List<DefinitionProblem> problems(PipelineDefinition definition, Origin origin) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Sink sink = definition.sink();
        if (sink.kind() == SinkKind.POSTGRES && sink.table() != null) {
            String[] parts = sink.table().toLowerCase(Locale.ROOT).split("\\.");
            String schema = parts.length > 1 ? parts[0] : null;
            String table = parts[parts.length - 1];
            if (schema != null
                    && (schema.equals("pg_catalog")
                            || schema.equals("information_schema")
                            || schema.startsWith("pg_"))) {
                problems.add(new DefinitionProblem("sink.table", "the schema " + schema + " is PostgreSQL's own"));
            } else if (schema != null
                    && environment.ownSchema().filter(schema::equals).isPresent()) {
                problems.add(new DefinitionProblem(
                        "sink.table", "the schema " + schema + " is Sluice's own; write to a table of yours"));
            }
        }
        if (origin == Origin.API) {
            if (definition.source().path() != null) {
                fileRoots
                        .refusal(definition.source().path())
                        .ifPresent(why -> problems.add(new DefinitionProblem("source.path", why)));
            }
            if (sink.path() != null) {
                fileRoots.refusal(sink.path()).ifPresent(why -> problems.add(new DefinitionProblem("sink.path", why)));
            }
        }
        return problems;
    }

    /**
     * What keeps the sink's table from taking the result: a missing table not to be created, or
     * columns that do not fit. Nothing when the database is away (checked again at start).
     */
    List<DefinitionProblem> tableProblems(PipelineDefinition definition, PipelinePlanner.Plan plan, String ddl) {
        Sink sink = definition.sink();
        try (Connection connection = dataSource.getConnection()) {
            Optional<List<String>> problems = PostgresTables.check(
                    connection, sink.table(), environment.target().tablesSchema(), plan.schema());
            if (problems.isEmpty()) {
                return Boolean.TRUE.equals(sink.createTable())
                        ? List.of()
                        : List.of(new DefinitionProblem(
                                "sink.table",
                                "the table " + sink.table()
                                        + " does not exist; set createTable: true, or create it first:\n" + ddl));
            }
            return problems.get().stream()
                    .map(message -> new DefinitionProblem("sink.table", message))
                    .toList();
        } catch (SQLException e) {
            // The database is away: the table is checked again when the pipeline starts.
            log.warn(
                    "Could not check the table {} of pipeline {}: {}", sink.table(), definition.name(), e.getMessage());
            return List.of();
        }
    }
}
