package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.split;
import static org.apache.spark.sql.functions.trim;

import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.definition.PipelineDefinition.Source;
import dev.sluice.pipeline.StartingPoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.types.StructType;

/** {@code file}: new files in a folder, as lines of json, csv or text, or as Parquet rows. */
final class FileSourceKind implements SourceKindSpec {

    @Override
    public List<DefinitionProblem> problems(PipelineDefinition definition) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Source source = definition.source();
        if (source.path() == null || source.path().isBlank()) {
            problems.add(new DefinitionProblem("source.path", "a file source needs the directory to watch"));
        }
        if (!source.topics().isEmpty()
                || source.topicPattern() != null
                || source.startingOffsets() != null
                || source.startingTimestamp() != null
                || source.maxOffsetsPerTrigger() != null
                || source.rowsPerSecond() != null
                || !source.metadata().isEmpty()) {
            problems.add(new DefinitionProblem(
                    "source",
                    "topics, topicPattern, startingOffsets, startingTimestamp, maxOffsetsPerTrigger, rowsPerSecond"
                            + " and metadata are not file settings"));
        }
        if (source.formatOrDefault() == RecordFormat.PARQUET
                && !definition.checks().isEmpty()) {
            problems.add(new DefinitionProblem(
                    definition.rules().isEmpty() ? "expectations" : "rules",
                    "rules and expectations need records with a place in a file (json, csv or text lines);"
                            + " Parquet rows have none"));
        }
        return problems;
    }

    /** Parquet files give rows as they are; other files give their lines as records to parse. */
    @Override
    public boolean raw(PipelineDefinition definition) {
        return definition.source().formatOrDefault() != RecordFormat.PARQUET;
    }

    @Override
    public Dataset<Row> read(PlanBuilder plan, StartingPoint from) {
        Source source = plan.definition().source();
        if (!raw(plan.definition())) {
            StructType schema = plan.schema();
            return ensureDirectory(plan)
                    ? plan.step("source", () -> fileReader(plan).schema(schema).parquet(source.path()))
                    : FileSourceStandIn.of(plan.spark(), "parquet", source.path(), schema);
        }
        return lines(plan);
    }

    /**
     * Each non-blank line of each new file as one record: the file's path as its topic, the line
     * number as its offset. Files are read whole, so line numbers are exact and stable, and a
     * replayed micro-batch writes the same dead letters.
     */
    private static Dataset<Row> lines(PlanBuilder plan) {
        Source source = plan.definition().source();
        Dataset<Row> files = ensureDirectory(plan)
                ? plan.step(
                        "source",
                        () -> fileReader(plan)
                                .format("text")
                                .option("wholetext", true)
                                .load(source.path()))
                : FileSourceStandIn.of(plan.spark(), "text", source.path(), RecordFormatSpec.textFields());
        return plan.step(
                "source",
                () -> files.select(input_file_name().as("topic"), posexplode(split(col("value"), "\r?\n")))
                        .where(length(trim(col("col"))).gt(0))
                        .select(
                                col("topic"),
                                lit(0).as("partition"),
                                col("pos").plus(1).cast("long").as("offset"),
                                lit(null).cast("timestamp").as("timestamp"),
                                col("col").cast("binary").as("value"),
                                lit(null).cast("binary").as("key")));
    }

    private static DataStreamReader fileReader(PlanBuilder plan) {
        Source source = plan.definition().source();
        DataStreamReader reader = plan.spark().readStream();
        if (source.maxFilesPerTrigger() != null) {
            reader = reader.option("maxFilesPerTrigger", source.maxFilesPerTrigger());
        }
        if (source.latestFirst() != null) {
            reader = reader.option("latestFirst", source.latestFirst());
        }
        return reader;
    }

    /**
     * Creates the folder when the pipeline starts; when only checking, tells whether it exists (a
     * stand-in source of the same schema is checked when it does not).
     */
    private static boolean ensureDirectory(PlanBuilder plan) {
        String path = plan.definition().source().path();
        try {
            Path directory = new Path(path);
            FileSystem fs = directory.getFileSystem(plan.spark().sparkContext().hadoopConfiguration());
            if (fs.exists(directory)) {
                return true;
            }
            if (plan.checking()) {
                return false;
            }
            fs.mkdirs(directory);
            return true;
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidDefinitionException(
                    plan.definition().name(),
                    List.of(new DefinitionProblem("source.path", "cannot open " + path + ": " + e.getMessage())));
        }
    }

    @Override
    public String continuousRefusal(PipelineDefinition definition) {
        return "Spark's continuous processing reads kafka and rate sources, not files";
    }
}
