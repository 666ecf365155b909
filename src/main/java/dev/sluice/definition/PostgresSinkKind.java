package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.OutputMode;
import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.pipeline.PostgresSink;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code postgres}: a table, upserted on {@code keyColumns} (appended without), through the one
 * PostgreSQL writer ({@link PostgresSink}).
 */
final class PostgresSinkKind implements SinkKindSpec {

    private static final Logger log = LoggerFactory.getLogger(PostgresSinkKind.class);
    private static final String IDENTIFIER = "[A-Za-z_][A-Za-z0-9_]*";

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public boolean keyed() {
        return true;
    }

    @Override
    public List<DefinitionProblem> problems(PipelineDefinition definition) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Sink sink = definition.sink();
        if (sink.table() == null || !sink.table().matches(IDENTIFIER + "(\\." + IDENTIFIER + ")?")) {
            problems.add(new DefinitionProblem(
                    "sink.table",
                    "a postgres sink needs a table name: letters, digits and _, optionally schema-qualified"));
        }
        if (sink.onConflict() != null && sink.keyColumns().isEmpty()) {
            problems.add(
                    new DefinitionProblem("sink.onConflict", "a conflict is on the key: onConflict needs keyColumns"));
        } else if (sink.onConflict() == PipelineDefinition.Conflict.IGNORE
                && definition.outputMode() != OutputMode.APPEND) {
            problems.add(new DefinitionProblem(
                    "sink.onConflict",
                    "ignore keeps a key's first row, but "
                            + definition.outputMode().name().toLowerCase() + " mode rewrites rows: use update"));
        }
        if (sink.versionColumn() != null
                && (sink.keyColumns().isEmpty() || sink.onConflict() == PipelineDefinition.Conflict.IGNORE)) {
            problems.add(
                    new DefinitionProblem(
                            "sink.versionColumn",
                            "a version decides between rows of one key in an upsert: it needs keyColumns and onConflict update"));
        }
        if (definition.outputMode() != OutputMode.APPEND && sink.keyColumns().isEmpty()) {
            problems.add(new DefinitionProblem(
                    "sink.keyColumns",
                    definition.outputMode().name().toLowerCase()
                            + " mode rewrites result rows: a postgres sink needs the key columns to upsert them on"));
        }
        return problems;
    }

    @Override
    public List<DefinitionProblem> resultProblems(PipelineDefinition definition, Dataset<Row> output) {
        List<DefinitionProblem> problems = new ArrayList<>();
        StructType schema = output.schema();
        for (StructField field : schema.fields()) {
            if (!field.name().matches(IDENTIFIER)) {
                problems.add(new DefinitionProblem(
                        "transform.sql",
                        "the result column '" + field.name()
                                + "' is not a plain name a PostgreSQL column can have; give it an alias (AS name)"));
            } else if (PostgresTables.columnType(field.dataType()) == null) {
                problems.add(new DefinitionProblem(
                        "transform.sql",
                        "the result column '" + field.name() + "' is a "
                                + field.dataType().simpleString()
                                + ", which a PostgreSQL column cannot hold; select its fields"
                                + (field.name().equals("window")
                                        ? " (window.start AS window_start, window.end AS window_end)"
                                        : "")));
            }
        }
        String version = definition.sink().versionColumn();
        if (version != null) {
            StructField field = List.of(schema.fields()).stream()
                    .filter(f -> f.name().equalsIgnoreCase(version))
                    .findFirst()
                    .orElse(null);
            if (field == null) {
                problems.add(new DefinitionProblem(
                        "sink.versionColumn",
                        "the result has no column '" + version + "'; its columns are " + List.of(schema.fieldNames())));
            } else if (definition.sink().keyColumns().stream().anyMatch(version::equalsIgnoreCase)) {
                problems.add(new DefinitionProblem("sink.versionColumn", "is a key column; a version is another"));
            } else if (!(field.dataType() instanceof NumericType
                    || field.dataType() instanceof StringType
                    || field.dataType() instanceof DateType
                    || field.dataType() instanceof TimestampType)) {
                problems.add(new DefinitionProblem(
                        "sink.versionColumn",
                        "is a " + field.dataType().simpleString()
                                + "; a version is a number, a text, a date or a timestamp"));
            }
        }
        Set<String> lower = new LinkedHashSet<>();
        for (String name : schema.fieldNames()) {
            if (!lower.add(name.toLowerCase())) {
                problems.add(new DefinitionProblem(
                        "transform.sql", "two result columns are both '" + name.toLowerCase() + "' in PostgreSQL"));
            }
        }
        return problems;
    }

    @Override
    public DataStreamWriter<Row> writer(Run run, Dataset<Row> output) {
        PostgresSink postgres = sink(run, output.schema());
        return output.writeStream()
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, batchId) -> postgres.writeResults(batch));
    }

    /**
     * The writer of rows with the given columns: upserted on the key columns, or inserted when
     * there are none; the table made first when the definition asks for it.
     */
    static PostgresSink sink(Run run, StructType columns) {
        Sink sink = run.definition().sink();
        prepareTable(run, columns);
        PostgresSink.Table table = new PostgresSink.Table(
                sink.table(),
                List.of(columns.fieldNames()).stream()
                        .map(c -> c.toLowerCase(Locale.ROOT))
                        .toList(),
                sink.keyColumns().stream().map(c -> c.toLowerCase(Locale.ROOT)).toList(),
                sink.onConflict() == PipelineDefinition.Conflict.IGNORE
                        ? PostgresSink.Conflict.IGNORE
                        : PostgresSink.Conflict.UPDATE,
                versionColumn(sink, columns));
        return new PostgresSink(
                run.environment().target(), run.name(), table, run.environment().deadLetterTable());
    }

    /** The result column the definition names as the version (checked to be one), as PostgreSQL names it. */
    private static String versionColumn(Sink sink, StructType columns) {
        if (sink.versionColumn() == null) {
            return null;
        }
        return List.of(columns.fieldNames()).stream()
                .filter(name -> name.equalsIgnoreCase(sink.versionColumn()))
                .findFirst()
                .map(name -> name.toLowerCase(Locale.ROOT))
                .orElseThrow(() -> new IllegalArgumentException("no result column " + sink.versionColumn()));
    }

    /**
     * Makes the table when the definition asks for it, and adopts an existing one: a keyed sink
     * needs a unique key on its key columns, added here when the rows allow it.
     */
    private static void prepareTable(Run run, StructType columns) {
        Sink sink = run.definition().sink();
        List<String> keys =
                sink.keyColumns().stream().map(c -> c.toLowerCase(Locale.ROOT)).toList();
        try (Connection connection = run.environment().target().connect()) {
            if (Boolean.TRUE.equals(sink.createTable())) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute(PostgresTables.ddl(sink.table(), columns, sink.keyColumns()));
                }
            }
            if (PostgresTables.adopt(connection, sink.table(), keys)) {
                log.info("Added a unique key on {} ({}) for pipeline {}", sink.table(), keys, run.name());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not prepare the table " + sink.table() + ": " + e.getMessage(), e);
        }
    }
}
