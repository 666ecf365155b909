package dev.sluice.definition;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.split;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.definition.PipelineDefinition.Rule;
import dev.sluice.definition.PipelineDefinition.Source;
import dev.sluice.definition.PipelineDefinition.SourceKind;
import dev.sluice.definition.PipelineDefinition.Transform;
import dev.sluice.definition.PipelineDefinition.TriggerKind;
import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.CarInfoSchema;
import dev.sluice.pipeline.KafkaSource;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.pipeline.StartingPoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampType;

/**
 * One plan being built from a definition ({@link PipelinePlanner#build}); each step names the part
 * of the definition it comes from. The plan: the source's raw records; parsed with the schema;
 * rejected records (unparseable, or breaking a rule) written to the dead letters from within the
 * micro-batch, before it can commit; the accepted ones, with {@code event_time}, watermark and
 * de-duplication, as the view {@code events}; the transform's SQL over that view.
 */
final class PlanBuilder {
    private final SparkSession spark;
    private final PipelineDefinition definition;
    private final PipelineEnvironment environment;
    /** Checking only: nothing is created, and a file source's missing folder is not an error. */
    private final boolean checking;

    PlanBuilder(SparkSession spark, PipelineDefinition definition, PipelineEnvironment environment, boolean checking) {
        this.spark = spark;
        this.definition = definition;
        this.environment = environment;
        this.checking = checking;
    }

    PipelinePlanner.Plan build(StartingPoint from) {
        Source source = definition.source();
        List<String> reasons = List.of();
        Dataset<Row> events;
        if (source.kind() == SourceKind.RATE) {
            DataStreamReader reader = spark.readStream().format("rate");
            if (source.rowsPerSecond() != null) {
                reader = reader.option("rowsPerSecond", source.rowsPerSecond());
            }
            if (definition.trigger().kind() == TriggerKind.CONTINUOUS) {
                // A continuous task holds its core for the life of the query: one, not one per core.
                reader = reader.option("numPartitions", 1);
            }
            events = step("source", reader::load);
        } else if (source.kind() == SourceKind.FILE && source.formatOrDefault() == RecordFormat.PARQUET) {
            StructType schema = schema();
            events = ensureDirectory(source.path())
                    ? step("source", () -> fileReader().schema(schema).parquet(source.path()))
                    : FileSourceStandIn.of(spark, "parquet", source.path(), schema);
        } else if (definition.trigger().kind() == TriggerKind.CONTINUOUS) {
            // Text values only (checked): nothing to reject, so no dead letters to write.
            events = step(
                    "source",
                    () -> kafka(from).select(col("value").cast("string").as("value")));
        } else {
            Dataset<Row> raw = source.kind() == SourceKind.KAFKA ? kafka(from) : lines();
            Dataset<Row> parsed;
            List<String> fields;
            if (PipelinePlanner.CAR_INFO.equals(source.schemaName())) {
                CarInfoParser parser = CarInfoParser.forEvents(CarInfoLimits.DEFAULT);
                parsed = parser.parse(raw).withColumnRenamed(CarInfoParser.CAR, RecordParser.RECORD);
                fields = List.of(CarInfoSchema.SCHEMA.fieldNames());
                reasons = new ArrayList<>(parser.reasons());
            } else {
                RecordParser parser = RecordParser.of(
                        source.formatOrDefault(), source.formatOrDefault() == RecordFormat.TEXT ? null : schema());
                parsed = step("source", () -> parser.parse(raw));
                fields = List.of(
                        source.formatOrDefault() == RecordFormat.TEXT
                                ? RecordParser.textSchema().fieldNames()
                                : schema().fieldNames());
                reasons = new ArrayList<>(parser.reasons());
            }
            events = routeRejected(parsed, fields, reasons);
        }
        events = eventTime(events);
        Dataset<Row> output = sql(events);
        boolean stateful = PipelinePlanner.stateful(output.queryExecution().analyzed());
        if (definition.trigger().kind() != TriggerKind.CONTINUOUS) {
            output =
                    output.observe(PipelinePlanner.OUTPUT_METRICS, count(lit(1)).as("rows"));
        }
        return new PipelinePlanner.Plan(output, List.copyOf(reasons), stateful, null);
    }

    private Dataset<Row> kafka(StartingPoint from) {
        KafkaSource source = DefinedPipeline.kafkaSource(definition.source(), environment);
        return step(
                "source",
                () -> source.load(spark, from)
                        .select(col("topic"), col("partition"), col("offset"), col("timestamp"), col("value")));
    }

    /**
     * Each non-blank line of each new file as one record: the file's path as its topic, the line
     * number as its offset. Files are read whole, so line numbers are exact and stable, and a
     * replayed micro-batch writes the same dead letters.
     */
    private Dataset<Row> lines() {
        Source source = definition.source();
        Dataset<Row> files = ensureDirectory(source.path())
                ? step(
                        "source",
                        () -> fileReader()
                                .format("text")
                                .option("wholetext", true)
                                .load(source.path()))
                : FileSourceStandIn.of(spark, "text", source.path(), RecordParser.textSchema());
        return step(
                "source",
                () -> files.select(input_file_name().as("topic"), posexplode(split(col("value"), "\r?\n")))
                        .where(length(trim(col("col"))).gt(0))
                        .select(
                                col("topic"),
                                lit(0).as("partition"),
                                col("pos").plus(1).cast("long").as("offset"),
                                lit(null).cast("timestamp").as("timestamp"),
                                col("col").cast("binary").as("value")));
    }

    private DataStreamReader fileReader() {
        Source source = definition.source();
        DataStreamReader reader = spark.readStream();
        if (source.maxFilesPerTrigger() != null) {
            reader = reader.option("maxFilesPerTrigger", source.maxFilesPerTrigger());
        }
        if (source.latestFirst() != null) {
            reader = reader.option("latestFirst", source.latestFirst());
        }
        return reader;
    }

    /**
     * Creates a file source's folder when the pipeline starts; when only checking, tells whether
     * it exists (a stand-in source of the same schema is checked when it does not).
     */
    private boolean ensureDirectory(String path) {
        try {
            Path directory = new Path(path);
            FileSystem fs = directory.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.exists(directory)) {
                return true;
            }
            if (checking) {
                return false;
            }
            fs.mkdirs(directory);
            return true;
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidDefinitionException(
                    definition.name(),
                    List.of(new DefinitionProblem("source.path", "cannot open " + path + ": " + e.getMessage())));
        }
    }

    private StructType schema() {
        Source source = definition.source();
        if (PipelinePlanner.CAR_INFO.equals(source.schemaName())) {
            return CarInfoSchema.SCHEMA;
        }
        return step("source.schema", () -> SqlPolicy.schema(source.schema()));
    }

    /**
     * Applies the rules, counts the rejected records per reason, writes them to the dead letters
     * from the tasks that read them, and passes on the accepted ones' fields.
     */
    private Dataset<Row> routeRejected(Dataset<Row> parsed, List<String> fields, List<String> reasons) {
        List<Column> columns = new ArrayList<>(List.of(
                col("topic").as("__topic"),
                col("partition").as("__partition"),
                col("offset").as("__offset"),
                col("timestamp").as("__timestamp"),
                col("value").as("__value"),
                col(CarInfoParser.REJECT_REASON).as("__reason"),
                col(CarInfoParser.REJECT_DETAIL).as("__detail")));
        for (String field : fields) {
            columns.add(col(RecordParser.RECORD + ".`" + field + "`").as(field));
        }
        definition
                .source()
                .metadata()
                .forEach(
                        (column, metadata) -> columns.add(col(metadata.column()).as(column)));
        Dataset<Row> flat = parsed.select(columns.toArray(Column[]::new));
        List<Rule> rules = definition.rules();
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            Dataset<Row> current = flat;
            Column holds = step(
                    "rules[" + i + "].require",
                    () -> coalesce(
                            PipelinePlanner.column(current, rule.require()).cast("boolean"), lit(false)));
            Column detail = step("rules[" + i + "].detail", () -> PipelinePlanner.ruleDetail(current, rule));
            Column broken = col("__reason").isNull().and(not(holds));
            flat = flat.withColumn("__detail", when(broken, detail).otherwise(col("__detail")))
                    .withColumn("__reason", when(broken, lit(rule.reason())).otherwise(col("__reason")));
            if (!reasons.contains(rule.reason())) {
                reasons.add(rule.reason());
            }
        }
        Column[] counts = reasons.stream()
                .map(reason -> sum(when(col("__reason").equalTo(reason), 1).otherwise(0))
                        .as(reason))
                .toArray(Column[]::new);
        Dataset<Row> observed =
                flat.observe(PipelinePlanner.INPUT_METRICS, counts[0], Arrays.copyOfRange(counts, 1, counts.length));
        PostgresSink deadLetters =
                new PostgresSink(environment.target(), definition.name(), null, environment.deadLetterTable());
        Dataset<Row> accepted =
                observed.mapPartitions(new DeadLetterRouter(deadLetters::writeRows), Encoders.row(flat.schema()));
        return accepted.drop(PipelinePlanner.ROUTING.toArray(String[]::new));
    }

    private Dataset<Row> eventTime(Dataset<Row> events) {
        Transform transform = definition.transform();
        if (transform.eventTime() == null || transform.eventTime().isBlank()) {
            return events;
        }
        Dataset<Row> timed = step(
                "transform.eventTime",
                () -> events.withColumn(
                        PipelineDefinition.EVENT_TIME, PipelinePlanner.column(events, transform.eventTime())));
        DataType type = timed.schema().apply(PipelineDefinition.EVENT_TIME).dataType();
        if (!(type instanceof TimestampType)) {
            throw new InvalidDefinitionException(
                    definition.name(),
                    List.of(new DefinitionProblem(
                            "transform.eventTime",
                            "must give a timestamp; it gives " + type.simpleString()
                                    + " (try timestamp_seconds(...) or to_timestamp(...))")));
        }
        if (transform.watermark() != null) {
            Dataset<Row> watermarked = step(
                    "transform.watermark",
                    () -> timed.withWatermark(PipelineDefinition.EVENT_TIME, transform.watermark()));
            if (!transform.dropDuplicates().isEmpty()) {
                List<String> keys = transform.dropDuplicates();
                return step(
                        "transform.dropDuplicates",
                        () -> watermarked.dropDuplicatesWithinWatermark(keys.toArray(String[]::new)));
            }
            return watermarked;
        }
        return timed;
    }

    /**
     * The transform: its text parsed and checked by the {@link SqlPolicy}, then that very plan
     * analysed over the view {@code events} (which lives only while it is analysed).
     */
    private Dataset<Row> sql(Dataset<Row> events) {
        return step(
                "transform.sql",
                () -> PipelinePlanner.analyse(
                        spark, events, definition.transform().sqlOrDefault()));
    }

    private <T> T step(String field, Supplier<T> step) {
        try {
            return step.get();
        } catch (InvalidDefinitionException e) {
            throw e;
        } catch (Exception e) {
            throw new InvalidDefinitionException(definition.name(), List.of(PipelinePlanner.sparkProblem(field, e)));
        } catch (StackOverflowError e) {
            // A type or pattern nested inside a string literal, which only analysis parses.
            throw new InvalidDefinitionException(
                    definition.name(), List.of(new DefinitionProblem(field, "is nested too deeply to analyse")));
        }
    }
}
