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
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import dev.sluice.definition.PipelineDefinition.OutputMode;
import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.definition.PipelineDefinition.Rule;
import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.definition.PipelineDefinition.SinkKind;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.UnsupportedOperationChecker$;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Deduplicate;
import org.apache.spark.sql.catalyst.plans.logical.DeduplicateWithinWatermark;
import org.apache.spark.sql.catalyst.plans.logical.Distinct;
import org.apache.spark.sql.catalyst.plans.logical.FlatMapGroupsWithState;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.util.IntervalUtils;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampType;
import org.apache.spark.unsafe.types.CalendarInterval;
import org.apache.spark.unsafe.types.UTF8String;
import scala.collection.JavaConverters;

/**
 * Turns a {@link PipelineDefinition} into Spark's plan, and checks it with Spark's own parser,
 * analyser and streaming rules before anything starts.
 *
 * <p>The plan: the source's raw records; parsed with the schema; rejected records (unparseable,
 * or breaking a rule) written to the dead letters from within the micro-batch, before it can
 * commit; the accepted ones, with {@code event_time}, watermark and de-duplication, as the view
 * {@code events}; the transform's SQL over that view.
 */
public final class PipelinePlanner {

    /** Observed per micro-batch: rejected records by reason. */
    static final String INPUT_METRICS = "sluice_input";
    /** Observed per micro-batch: result rows written to the sink. */
    static final String OUTPUT_METRICS = "sluice_output";

    private static final String CAR_INFO = "car_info";
    private static final List<String> ROUTING =
            List.of("__topic", "__partition", "__offset", "__timestamp", "__value", "__reason", "__detail");
    private static final String IDENTIFIER = "[A-Za-z_][A-Za-z0-9_]*";
    /** Spark's {@code ${...}} substitution reads the environment and system properties: off everywhere. */
    public static final String VARIABLE_SUBSTITUTION = "spark.sql.variable.substitute";
    /** How dates and times in records are read: {@code CORRECTED} by default (never an exception). */
    public static final String TIME_PARSER_POLICY = "spark.sql.legacy.timeParserPolicy";
    /** Temp views are per session; the view of one plan lives only while its SQL is analysed. */
    private static final Object VIEW_LOCK = new Object();

    /**
     * A built plan.
     *
     * @param output the transform's result, not started
     * @param rejectReasons the reasons records can be rejected with, observed per batch
     * @param stateful whether the query keeps state between micro-batches (aggregation,
     *     de-duplication, join)
     * @param shape where it runs: the fused shape, or why the general one (known once validated)
     */
    public record Plan(Dataset<Row> output, List<String> rejectReasons, boolean stateful, FusedShape.Decision shape) {

        public StructType schema() {
            return output.schema();
        }
    }

    private PipelinePlanner() {}

    /**
     * Checks everything Spark would check at start, and the sink's needs; throws if anything is
     * wrong. The plan is built in a session of its own, which is then dropped: nothing a definition
     * holds reaches the service's session, and nothing is created (no folder, table or file).
     */
    public static Plan validate(SparkSession spark, PipelineDefinition definition, PipelineEnvironment environment) {
        return validate(spark, definition, environment, unchecked -> List.of());
    }

    /**
     * As {@link #validate(SparkSession, PipelineDefinition, PipelineEnvironment)}, with {@code places}:
     * where the definition may not reach, checked with its settings once its texts are sound, before
     * Spark sees it.
     */
    static Plan validate(
            SparkSession spark,
            PipelineDefinition definition,
            PipelineEnvironment environment,
            Function<PipelineDefinition, List<DefinitionProblem>> places) {
        List<DefinitionProblem> problems = DefinitionText.problems(definition);
        if (problems.isEmpty()) {
            problems.addAll(places.apply(definition));
            problems.addAll(structuralProblems(definition));
        }
        if (!problems.isEmpty()) {
            throw new InvalidDefinitionException(definition.name(), problems);
        }
        SparkSession isolated = isolatedSession(spark);
        Plan plan = new Builder(isolated, definition, environment, true).build(null);
        problems.addAll(streamingProblems(definition, plan));
        problems.addAll(sinkProblems(definition, plan));
        if (!problems.isEmpty()) {
            throw new InvalidDefinitionException(definition.name(), problems);
        }
        return new Plan(plan.output(), plan.rejectReasons(), plan.stateful(), FusedShape.plan(isolated, definition));
    }

    /**
     * Builds the plan to run; each Spark error becomes a problem of the part of the definition it
     * came from. Every SQL text is checked by the {@link SqlPolicy} before Spark analyses it.
     */
    static Plan build(
            SparkSession spark, PipelineDefinition definition, PipelineEnvironment environment, StartingPoint from) {
        Builder builder = new Builder(spark, definition, environment, false);
        return builder.build(from);
    }

    /** A session of the service's Spark for checking a definition: its own settings, views and functions. */
    static SparkSession isolatedSession(SparkSession spark) {
        SparkSession isolated = spark.newSession();
        isolated.conf().set(VARIABLE_SUBSTITUTION, "false");
        return isolated;
    }

    /** A column from a checked expression, analysed over {@code input}; throws {@link SqlPolicy.Refused} if refused. */
    static Column column(Dataset<Row> input, String text) {
        Column column = new Column(SqlPolicy.expression(text));
        SqlPolicy.checkAnalyzed(input.select(column).queryExecution().analyzed());
        return column;
    }

    /**
     * The transform's text parsed and checked by the {@link SqlPolicy}, then that very plan analysed
     * over {@code events} as the view {@value PipelineDefinition#EVENTS_VIEW} (which lives only
     * while it is analysed).
     */
    static Dataset<Row> analyse(SparkSession spark, Dataset<Row> events, String text) {
        LogicalPlan query = SqlPolicy.query(text);
        synchronized (VIEW_LOCK) {
            events.createOrReplaceTempView(PipelineDefinition.EVENTS_VIEW);
            try {
                Dataset<Row> result = Dataset.ofRows(spark, query);
                SqlPolicy.checkAnalyzed(result.queryExecution().analyzed());
                return result;
            } finally {
                spark.catalog().dropTempView(PipelineDefinition.EVENTS_VIEW);
            }
        }
    }

    /** The Spark trigger. */
    static Trigger trigger(PipelineDefinition.Trigger trigger) {
        return switch (trigger.kind()) {
            case PROCESSING_TIME -> Trigger.ProcessingTime(trigger.interval());
            case AVAILABLE_NOW -> Trigger.AvailableNow();
            case CONTINUOUS -> Trigger.Continuous(trigger.interval());
        };
    }

    /** The rows a kafka sink sends: {@code key} (when set) and {@code value}. */
    static Dataset<Row> kafkaRecords(Dataset<Row> output, Sink sink) {
        List<Column> columns = new ArrayList<>();
        if (sink.key() != null && !sink.key().isBlank()) {
            columns.add(column(output, sink.key()).cast("string").as("key"));
        }
        if (sink.value() != null && !sink.value().isBlank()) {
            columns.add(column(output, sink.value()).as("value"));
        } else {
            // The row as JSON, without the event_time column the transform added.
            Column[] fields = JavaConverters.seqAsJavaList(output.schema().toSeq()).stream()
                    .map(StructField::name)
                    .filter(name -> !name.equals(PipelineDefinition.EVENT_TIME))
                    .map(name -> col("`" + name + "`"))
                    .toArray(Column[]::new);
            columns.add(to_json(struct(fields)).as("value"));
        }
        return output.select(columns.toArray(Column[]::new));
    }

    /** What the definition gets wrong before Spark looks at it: missing and contradictory settings. */
    static List<DefinitionProblem> structuralProblems(PipelineDefinition definition) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Source source = definition.source();
        Transform transform = definition.transform();
        Sink sink = definition.sink();
        boolean continuous = definition.trigger().kind() == TriggerKind.CONTINUOUS;
        switch (source.kind()) {
            case KAFKA -> {
                if (source.topics().isEmpty()
                        == (source.topicPattern() == null
                                || source.topicPattern().isBlank())) {
                    problems.add(new DefinitionProblem("source", "a kafka source needs either topics or topicPattern"));
                } else if (source.topics().isEmpty()) {
                    // Spark compiles it only when the query starts, where a bad one would fail every start.
                    try {
                        Pattern.compile(source.topicPattern());
                    } catch (PatternSyntaxException | StackOverflowError e) {
                        problems.add(new DefinitionProblem(
                                "source.topicPattern",
                                "is not a Java regular expression"
                                        + (e instanceof PatternSyntaxException syntax
                                                ? ": " + syntax.getDescription()
                                                : "")));
                    }
                }
                if (source.formatOrDefault() == RecordFormat.PARQUET) {
                    problems.add(
                            new DefinitionProblem("source.format", "a kafka source's values are json, csv or text"));
                }
                if (source.path() != null
                        || source.maxFilesPerTrigger() != null
                        || source.latestFirst() != null
                        || source.rowsPerSecond() != null) {
                    problems.add(new DefinitionProblem(
                            "source",
                            "path, maxFilesPerTrigger, latestFirst and rowsPerSecond are not kafka settings"));
                }
            }
            case FILE -> {
                if (source.path() == null || source.path().isBlank()) {
                    problems.add(new DefinitionProblem("source.path", "a file source needs the directory to watch"));
                }
                if (!source.topics().isEmpty()
                        || source.topicPattern() != null
                        || source.startingOffsets() != null
                        || source.startingTimestamp() != null
                        || source.maxOffsetsPerTrigger() != null
                        || source.rowsPerSecond() != null) {
                    problems.add(
                            new DefinitionProblem(
                                    "source",
                                    "topics, topicPattern, startingOffsets, startingTimestamp, maxOffsetsPerTrigger and rowsPerSecond are not file settings"));
                }
                if (source.formatOrDefault() == RecordFormat.PARQUET
                        && !definition.rules().isEmpty()) {
                    problems.add(
                            new DefinitionProblem(
                                    "rules",
                                    "rules need records with a place in a file (json, csv or text lines); Parquet rows have none"));
                }
            }
            case RATE -> {
                if (!source.topics().isEmpty()
                        || source.topicPattern() != null
                        || source.path() != null
                        || source.format() != null
                        || source.schema() != null
                        || source.schemaName() != null) {
                    problems.add(new DefinitionProblem(
                            "source", "a rate source takes only rowsPerSecond; its columns are timestamp and value"));
                }
                if (!definition.rules().isEmpty()) {
                    problems.add(new DefinitionProblem("rules", "a rate source's rows cannot be rejected"));
                }
            }
        }
        if (source.kind() != SourceKind.RATE) {
            boolean needsSchema = source.formatOrDefault() != RecordFormat.TEXT;
            boolean hasSchema = source.schema() != null && !source.schema().isBlank();
            boolean hasName =
                    source.schemaName() != null && !source.schemaName().isBlank();
            if (hasSchema && hasName) {
                problems.add(new DefinitionProblem("source.schema", "give schema or schemaName, not both"));
            } else if (needsSchema && !hasSchema && !hasName) {
                problems.add(
                        new DefinitionProblem(
                                "source.schema",
                                "a " + source.formatOrDefault().name().toLowerCase()
                                        + " source needs a schema (Spark DDL such as 'host STRING, bytes BIGINT') or a schemaName"));
            } else if (hasName && !CAR_INFO.equals(source.schemaName())) {
                problems.add(new DefinitionProblem(
                        "source.schemaName",
                        "unknown schema '" + source.schemaName() + "'; the built-in schemas are: car_info"));
            } else if (hasName && source.formatOrDefault() != RecordFormat.JSON) {
                problems.add(new DefinitionProblem("source.schemaName", "car_info events are json"));
            } else if (!needsSchema && (hasSchema || hasName)) {
                problems.add(new DefinitionProblem(
                        "source.schema", "text records have one column, value; they take no schema"));
            }
        }
        if (transform.watermark() != null
                && (transform.eventTime() == null || transform.eventTime().isBlank())) {
            problems.add(new DefinitionProblem(
                    "transform.watermark", "a watermark needs transform.eventTime, the column it follows"));
        } else if (transform.watermark() != null) {
            watermarkProblem(transform.watermark()).ifPresent(problems::add);
        }
        if (!transform.dropDuplicates().isEmpty() && transform.watermark() == null) {
            problems.add(new DefinitionProblem(
                    "transform.dropDuplicates",
                    "de-duplication needs a watermark, or the records it remembers would grow without bound"));
        }
        switch (sink.kind()) {
            case POSTGRES -> {
                if (sink.table() == null || !sink.table().matches(IDENTIFIER + "(\\." + IDENTIFIER + ")?")) {
                    problems.add(new DefinitionProblem(
                            "sink.table",
                            "a postgres sink needs a table name: letters, digits and _, optionally schema-qualified"));
                }
                if (definition.outputMode() != OutputMode.APPEND
                        && sink.keyColumns().isEmpty()) {
                    problems.add(
                            new DefinitionProblem(
                                    "sink.keyColumns",
                                    definition.outputMode().name().toLowerCase()
                                            + " mode rewrites result rows: a postgres sink needs the key columns to upsert them on"));
                }
            }
            case PARQUET, JSON, CSV -> {
                if (sink.path() == null || sink.path().isBlank()) {
                    problems.add(new DefinitionProblem(
                            "sink.path", "a " + sink.kind().name().toLowerCase() + " sink needs an output directory"));
                }
                if (definition.outputMode() != OutputMode.APPEND) {
                    problems.add(
                            new DefinitionProblem(
                                    "outputMode",
                                    "a " + sink.kind().name().toLowerCase()
                                            + " sink only appends files: it takes append mode (with a watermark for aggregations)"));
                }
            }
            case KAFKA -> {
                if (sink.topic() == null || sink.topic().isBlank()) {
                    problems.add(new DefinitionProblem("sink.topic", "a kafka sink needs a topic"));
                }
            }
            case CONSOLE, MEMORY -> {}
        }
        if (sink.kind() != SinkKind.POSTGRES
                && sink.kind() != SinkKind.MEMORY
                && !sink.keyColumns().isEmpty()) {
            problems.add(new DefinitionProblem("sink.keyColumns", "only postgres and memory sinks take key columns"));
        }
        if (!sink.isFiles() && !sink.partitionBy().isEmpty()) {
            problems.add(new DefinitionProblem("sink.partitionBy", "only parquet, json and csv sinks are partitioned"));
        }
        PipelineDefinition.Trigger trigger = definition.trigger();
        if (trigger.kind() != TriggerKind.AVAILABLE_NOW) {
            try {
                trigger(trigger);
            } catch (ArithmeticException e) {
                problems.add(new DefinitionProblem(
                        "trigger.interval", "'" + trigger.interval() + "' is longer than an interval can be"));
            } catch (RuntimeException e) {
                problems.add(new DefinitionProblem(
                        "trigger.interval", e.getMessage() == null ? "is not an interval" : e.getMessage()));
            }
        } else if (trigger.interval() != null) {
            problems.add(new DefinitionProblem("trigger.interval", "an available-now trigger has no interval"));
        }
        if (continuous) {
            if (source.kind() == SourceKind.FILE) {
                problems.add(new DefinitionProblem(
                        "trigger", "Spark's continuous processing reads kafka and rate sources, not files"));
            }
            if (source.kind() == SourceKind.KAFKA
                    && (source.formatOrDefault() != RecordFormat.TEXT
                            || !definition.rules().isEmpty())) {
                problems.add(new DefinitionProblem(
                        "trigger",
                        "a continuous query has no micro-batches to write dead letters in:"
                                + " its kafka source must be format text, without rules"));
            }
            if (sink.kind() != SinkKind.KAFKA && sink.kind() != SinkKind.CONSOLE) {
                problems.add(new DefinitionProblem(
                        "trigger",
                        "Spark's continuous processing writes to kafka and console sinks, not "
                                + sink.kind().name().toLowerCase()));
            }
        }
        return problems;
    }

    /** A watermark Spark takes as an interval but cannot turn into milliseconds when the query starts. */
    private static Optional<DefinitionProblem> watermarkProblem(String watermark) {
        try {
            CalendarInterval interval = IntervalUtils.stringToInterval(UTF8String.fromString(watermark));
            if (IntervalUtils.getDuration(interval, TimeUnit.MILLISECONDS, 31) < 0) {
                return Optional.of(new DefinitionProblem("transform.watermark", "'" + watermark + "' is negative"));
            }
            return Optional.empty();
        } catch (ArithmeticException e) {
            return Optional.of(new DefinitionProblem(
                    "transform.watermark", "'" + watermark + "' is longer than an interval can be"));
        } catch (RuntimeException e) {
            return Optional.of(sparkProblem("transform.watermark", e));
        }
    }

    /** What Spark would refuse at start: the output mode for this query, continuous processing. */
    private static List<DefinitionProblem> streamingProblems(PipelineDefinition definition, Plan plan) {
        List<DefinitionProblem> problems = new ArrayList<>();
        LogicalPlan analyzed = plan.output().queryExecution().analyzed();
        try {
            UnsupportedOperationChecker$.MODULE$.checkForStreaming(
                    analyzed, definition.outputMode().spark());
        } catch (Exception e) {
            problems.add(new DefinitionProblem("outputMode", sparkMessage(e)));
        }
        if (definition.trigger().kind() == TriggerKind.CONTINUOUS && problems.isEmpty()) {
            try {
                UnsupportedOperationChecker$.MODULE$.checkForContinuous(
                        analyzed, definition.outputMode().spark());
            } catch (Exception e) {
                problems.add(new DefinitionProblem("trigger", sparkMessage(e)));
            }
        }
        return problems;
    }

    /** What the sink needs of the result's columns. */
    private static List<DefinitionProblem> sinkProblems(PipelineDefinition definition, Plan plan) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Sink sink = definition.sink();
        StructType schema = plan.schema();
        Set<String> columns = new LinkedHashSet<>(List.of(schema.fieldNames()));
        for (String key : sink.keyColumns()) {
            if (!columns.contains(key)) {
                problems.add(new DefinitionProblem(
                        "sink.keyColumns", "the result has no column '" + key + "'; its columns are " + columns));
            }
        }
        for (String partition : sink.partitionBy()) {
            if (!columns.contains(partition)) {
                problems.add(new DefinitionProblem(
                        "sink.partitionBy",
                        "the result has no column '" + partition + "'; its columns are " + columns));
            }
        }
        if (sink.kind() == SinkKind.POSTGRES) {
            for (StructField field : schema.fields()) {
                if (!field.name().matches(IDENTIFIER)) {
                    problems.add(
                            new DefinitionProblem(
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
            Set<String> lower = new LinkedHashSet<>();
            for (String name : columns) {
                if (!lower.add(name.toLowerCase())) {
                    problems.add(new DefinitionProblem(
                            "transform.sql", "two result columns are both '" + name.toLowerCase() + "' in PostgreSQL"));
                }
            }
        }
        if (sink.kind() == SinkKind.KAFKA) {
            if (sink.key() != null && !sink.key().isBlank()) {
                try {
                    column(plan.output(), sink.key());
                } catch (Exception e) {
                    problems.add(sparkProblem("sink.key", e));
                }
            }
            try {
                Sink valueOnly =
                        new Sink(sink.kind(), null, null, null, null, null, sink.topic(), null, sink.value(), null);
                DataType value = kafkaRecords(plan.output(), valueOnly)
                        .schema()
                        .apply("value")
                        .dataType();
                if (!(value instanceof StringType) && !(value instanceof BinaryType)) {
                    problems.add(new DefinitionProblem(
                            "sink.value", "a kafka value is a string or binary, not " + value.simpleString()));
                }
            } catch (Exception e) {
                problems.add(sparkProblem("sink.value", e));
            }
        }
        return problems;
    }

    /** A message from Spark, without the plan dump some of its exceptions append. */
    static String sparkMessage(Throwable e) {
        String message = e instanceof AnalysisException analysis ? analysis.message() : e.getMessage();
        if (message == null) {
            message = e.getClass().getSimpleName();
        }
        int plan = message.indexOf(";\n");
        return (plan > 0 ? message.substring(0, plan) : message).strip();
    }

    static DefinitionProblem sparkProblem(String field, Throwable e) {
        Integer line = null;
        Integer position = null;
        if (e instanceof AnalysisException analysis) {
            line = analysis.line().isDefined() ? (Integer) analysis.line().get() : null;
            position = analysis.startPosition().isDefined()
                    ? (Integer) analysis.startPosition().get()
                    : null;
        }
        return new DefinitionProblem(field, sparkMessage(e), line, position);
    }

    /** Whether the query keeps state between micro-batches. */
    static boolean stateful(LogicalPlan plan) {
        if (plan instanceof Aggregate
                || plan instanceof Deduplicate
                || plan instanceof DeduplicateWithinWatermark
                || plan instanceof Distinct
                || plan instanceof Join
                || plan instanceof FlatMapGroupsWithState) {
            return true;
        }
        for (LogicalPlan child : JavaConverters.seqAsJavaList(plan.children())) {
            if (stateful(child)) {
                return true;
            }
        }
        return false;
    }

    /** One plan being built; each step names the part of the definition it comes from. */
    private static final class Builder {
        private final SparkSession spark;
        private final PipelineDefinition definition;
        private final PipelineEnvironment environment;
        /** Checking only: nothing is created, and a file source's missing folder is not an error. */
        private final boolean checking;

        Builder(SparkSession spark, PipelineDefinition definition, PipelineEnvironment environment, boolean checking) {
            this.spark = spark;
            this.definition = definition;
            this.environment = environment;
            this.checking = checking;
        }

        Plan build(StartingPoint from) {
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
                if (CAR_INFO.equals(source.schemaName())) {
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
            boolean stateful = stateful(output.queryExecution().analyzed());
            if (definition.trigger().kind() != TriggerKind.CONTINUOUS) {
                output = output.observe(OUTPUT_METRICS, count(lit(1)).as("rows"));
            }
            return new Plan(output, List.copyOf(reasons), stateful, null);
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
            if (CAR_INFO.equals(source.schemaName())) {
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
            Dataset<Row> flat = parsed.select(columns.toArray(Column[]::new));
            List<Rule> rules = definition.rules();
            for (int i = 0; i < rules.size(); i++) {
                Rule rule = rules.get(i);
                Dataset<Row> current = flat;
                Column holds = step(
                        "rules[" + i + "].require",
                        () -> coalesce(column(current, rule.require()).cast("boolean"), lit(false)));
                Column broken = col("__reason").isNull().and(not(holds));
                flat = flat.withColumn(
                                "__detail",
                                when(broken, lit("breaks the rule: " + rule.require()))
                                        .otherwise(col("__detail")))
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
                    flat.observe(INPUT_METRICS, counts[0], Arrays.copyOfRange(counts, 1, counts.length));
            PostgresSink deadLetters =
                    new PostgresSink(environment.target(), definition.name(), null, environment.deadLetterTable());
            Dataset<Row> accepted =
                    observed.mapPartitions(new DeadLetterRouter(deadLetters::writeRows), Encoders.row(flat.schema()));
            return accepted.drop(ROUTING.toArray(String[]::new));
        }

        private Dataset<Row> eventTime(Dataset<Row> events) {
            Transform transform = definition.transform();
            if (transform.eventTime() == null || transform.eventTime().isBlank()) {
                return events;
            }
            Dataset<Row> timed = step(
                    "transform.eventTime",
                    () -> events.withColumn(PipelineDefinition.EVENT_TIME, column(events, transform.eventTime())));
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
                    () -> analyse(spark, events, definition.transform().sqlOrDefault()));
        }

        private <T> T step(String field, Supplier<T> step) {
            try {
                return step.get();
            } catch (InvalidDefinitionException e) {
                throw e;
            } catch (Exception e) {
                throw new InvalidDefinitionException(definition.name(), List.of(sparkProblem(field, e)));
            } catch (StackOverflowError e) {
                // A type or pattern nested inside a string literal, which only analysis parses.
                throw new InvalidDefinitionException(
                        definition.name(), List.of(new DefinitionProblem(field, "is nested too deeply to analyse")));
            }
        }
    }
}
