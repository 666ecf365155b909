package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.sluice.definition.PipelineDefinition.Source;
import dev.sluice.definition.PipelineDefinition.Transform;
import dev.sluice.definition.PipelineDefinition.TriggerKind;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.CarInfoSchema;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.pipeline.RejectRule;
import dev.sluice.pipeline.StartingPoint;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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
        SourceKindSpec kind = SourceKindSpec.of(source.kind());
        Dataset<Row> read = kind.read(this, from);
        List<String> reasons = List.of();
        Dataset<Row> events = read;
        if (kind.raw(definition)) {
            RecordFormatSpec format = step("source.schema", () -> RecordFormatSpec.of(source, this::schema));
            Dataset<Row> parsed = step("source", () -> format.parse(read));
            reasons = new ArrayList<>(format.reasons());
            events = routeRejected(parsed, List.of(format.fields().fieldNames()), reasons);
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

    SparkSession spark() {
        return spark;
    }

    PipelineDefinition definition() {
        return definition;
    }

    PipelineEnvironment environment() {
        return environment;
    }

    /** Whether the plan is only checked: nothing is created. */
    boolean checking() {
        return checking;
    }

    /** The fields the definition declares (its schema, or a named one). */
    StructType schema() {
        Source source = definition.source();
        if (PipelinePlanner.CAR_INFO.equals(source.schemaName())) {
            return CarInfoSchema.SCHEMA;
        }
        return step("source.schema", () -> SqlPolicy.schema(source.schema()));
    }

    /** Whether a record parsed: the expectations count those only. */
    private static final String PARSED = "__parsed";

    /**
     * Applies the rules and expectations, counts the rejected records per reason and the records
     * that break each expectation, writes the quarantined to the dead letters from the tasks that
     * read them, drops those to drop, and passes on the accepted ones' fields.
     */
    private Dataset<Row> routeRejected(Dataset<Row> parsed, List<String> fields, List<String> reasons) {
        List<Column> columns = new ArrayList<>(List.of(
                col("topic").as("__topic"),
                col("partition").as("__partition"),
                col("offset").as("__offset"),
                col("timestamp").as("__timestamp"),
                col("value").as("__value"),
                col(CarInfoParser.REJECT_REASON).as("__reason"),
                col(CarInfoParser.REJECT_DETAIL).as("__detail"),
                col("key").as("__key")));
        for (String field : fields) {
            columns.add(col(RecordFormatSpec.RECORD + ".`" + field + "`").as(field));
        }
        definition
                .source()
                .metadata()
                .forEach(
                        (column, metadata) -> columns.add(col(metadata.column()).as(column)));
        Dataset<Row> fieldsOnly = parsed.select(columns.toArray(Column[]::new));
        RejectRule.Checks checks = ExpectationRules.of(definition, fieldsOnly, this::step);
        Dataset<Row> flat = applyRules(fieldsOnly, checks.rules());
        for (RejectRule rule : checks.rules()) {
            if (!rule.reason().startsWith(RejectRule.DROP)
                    && !rule.reason().startsWith(RejectRule.FAIL)
                    && !reasons.contains(rule.reason())) {
                reasons.add(rule.reason());
            }
        }
        List<Column> counts = new ArrayList<>();
        for (String reason : reasons) {
            counts.add(
                    sum(when(col("__reason").equalTo(reason), 1).otherwise(0)).as(reason));
        }
        for (int i = 0; i < checks.counted().size(); i++) {
            // Counted over the records that parsed, before any check decided their fate.
            counts.add(sum(when(col(PARSED).and(checks.counted().get(i)), 1).otherwise(0))
                    .as("__expectation_" + i));
        }
        Dataset<Row> observed = flat.observe(
                PipelinePlanner.INPUT_METRICS,
                counts.get(0),
                counts.subList(1, counts.size()).toArray(Column[]::new));
        PostgresSink deadLetters =
                new PostgresSink(environment.target(), definition.name(), null, environment.deadLetterTable());
        Dataset<Row> accepted =
                observed.mapPartitions(new DeadLetterRouter(deadLetters::writeRows), Encoders.row(flat.schema()));
        return accepted.drop(PipelinePlanner.ROUTING.toArray(String[]::new)).drop(PARSED);
    }

    /** The number of the rule that turns a record away, from 1; 0 for none. */
    private static final String BROKEN_RULE = "__broken_rule";

    /**
     * The records with {@value #PARSED} and, for those that parsed, the reason and detail of the
     * first rule each breaks, in the rules' order. Two projections, whatever the number of rules:
     * which rule (each rule's condition evaluated once per record), then its reason and detail.
     */
    private static Dataset<Row> applyRules(Dataset<Row> records, List<RejectRule> rules) {
        Column parsedRecord = col("__reason").isNull();
        if (rules.isEmpty()) {
            return records.withColumn(PARSED, parsedRecord);
        }
        Column which = when(col("__reason").isNotNull(), lit(0));
        for (int i = 0; i < rules.size(); i++) {
            which = which.when(rules.get(i).violated(), lit(i + 1));
        }
        Dataset<Row> decided = records.select(
                col("*"), parsedRecord.as(PARSED), which.otherwise(lit(0)).as(BROKEN_RULE));
        Column reason = null;
        Column detail = null;
        for (int i = 0; i < rules.size(); i++) {
            Column broken = col(BROKEN_RULE).equalTo(i + 1);
            RejectRule rule = rules.get(i);
            reason = reason == null ? when(broken, lit(rule.reason())) : reason.when(broken, lit(rule.reason()));
            detail = detail == null ? when(broken, rule.detail()) : detail.when(broken, rule.detail());
        }
        List<Column> output = new ArrayList<>();
        for (String name : records.columns()) {
            output.add(
                    switch (name) {
                        case "__reason" -> reason.otherwise(col("__reason")).as(name);
                        case "__detail" -> detail.otherwise(col("__detail")).as(name);
                        default -> col("`" + name.replace("`", "``") + "`");
                    });
        }
        output.add(col(PARSED));
        return decided.select(output.toArray(Column[]::new));
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

    /** Runs a step of the plan; a Spark error in it becomes a problem of that part of the definition. */
    <T> T step(String field, Supplier<T> step) {
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
