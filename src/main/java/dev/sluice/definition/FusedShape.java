package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;

import dev.sluice.definition.PipelineDefinition.OutputMode;
import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.definition.PipelineDefinition.SinkKind;
import dev.sluice.definition.PipelineDefinition.SourceKind;
import dev.sluice.definition.PipelineDefinition.TriggerKind;
import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.CarInfoSchema;
import dev.sluice.pipeline.FusedPlanner;
import dev.sluice.pipeline.FusedRecords;
import dev.sluice.pipeline.JsonDecoder;
import dev.sluice.pipeline.RejectRule;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Decides whether a definition runs in the fused shape, and plans it: a Kafka source of JSON (or
 * {@code car_info}) records, a PostgreSQL sink, and a transform that only projects, renames, casts
 * and filters {@code events} (decided from the analysed plan, never from the text), with no state
 * to keep. Such a pipeline is done record by record in the task that writes ({@link FusedRecords}):
 * the bytes decoded straight into the sink's columns, rejects to the dead letters and the rest
 * {@code COPY}ed, in one transaction per partition, as the built-in car_info pipeline is.
 * Everything else runs in the general shape.
 *
 * <p>The transform and rules are analysed over a stand-in relation with the accepted records'
 * columns, by the same SQL policy as the general shape; the fused plan's expressions are Spark's,
 * so each row is the one the general shape gives.
 */
final class FusedShape {

    /** Where a definition runs: its fused records, or why it runs in the general shape. */
    record Decision(FusedRecords records, String generalBecause) {
        boolean fused() {
            return records != null;
        }

        /** {@code fused} or {@code general}. */
        String shape() {
            return fused() ? "fused" : "general";
        }
    }

    private static final String CORRUPT = ParsedRecords.CORRUPT;

    private FusedShape() {}

    /**
     * @param spark a session of the definition's own ({@link PipelinePlanner#isolatedSession}); a view
     *     is made and dropped in it
     */
    static Decision plan(SparkSession spark, PipelineDefinition definition) {
        String general = generalBecause(definition);
        if (general != null) {
            return new Decision(null, general);
        }
        try {
            return planFused(spark, definition);
        } catch (RuntimeException e) {
            // The general shape's checks have passed: whatever fails here only means "not fused".
            return new Decision(null, "the fused shape could not be planned: " + PipelinePlanner.sparkMessage(e));
        }
    }

    private static Decision planFused(SparkSession spark, PipelineDefinition definition) {
        PipelineDefinition.Source source = definition.source();
        boolean carInfo = "car_info".equals(source.schemaName());
        StructType schema = carInfo ? CarInfoSchema.SCHEMA : SqlPolicy.schema(source.schema());
        if (List.of(schema.fieldNames()).contains(CORRUPT)) {
            return new Decision(null, "the schema has a field named " + CORRUPT);
        }
        JsonDecoder decoder = new JsonDecoder(schema, spark.conf().get("spark.sql.session.timeZone"));
        List<FusedRecords.Metadata> metadata = new ArrayList<>();
        source.metadata().forEach((column, field) -> metadata.add(new FusedRecords.Metadata(column, field.ordinal())));
        FusedPlanner.Result result = FusedPlanner.plan(
                spark,
                decoder,
                metadata,
                base -> {
                    RejectRule.Checks checks = ExpectationRules.of(definition, base, (field, step) -> step.get());
                    if (!carInfo) {
                        return checks;
                    }
                    List<RejectRule> rules =
                            new ArrayList<>(CarInfoParser.eventChecks(CarInfoLimits.DEFAULT, FusedShape::field));
                    rules.addAll(checks.rules());
                    return new RejectRule.Checks(rules, checks.counted());
                },
                base -> {
                    Dataset<Row> events = base;
                    String eventTime = definition.transform().eventTime();
                    if (eventTime != null && !eventTime.isBlank()) {
                        events =
                                base.withColumn(PipelineDefinition.EVENT_TIME, PipelinePlanner.column(base, eventTime));
                    }
                    return PipelinePlanner.analyse(
                            spark, events, definition.transform().sqlOrDefault());
                });
        return new Decision(result.records(), result.notFusedBecause());
    }

    private static Column field(String name) {
        return col("`" + name + "`");
    }

    /** Why the definition's settings call for the general shape, or null. */
    private static String generalBecause(PipelineDefinition definition) {
        PipelineDefinition.Source source = definition.source();
        if (definition.sink().kind() != SinkKind.POSTGRES) {
            return "the sink is not postgres";
        }
        if (source.kind() != SourceKind.KAFKA) {
            return "the source is not kafka";
        }
        if (source.formatOrDefault() != RecordFormat.JSON) {
            return "the records are not json";
        }
        if (definition.trigger().kind() == TriggerKind.CONTINUOUS) {
            return "the trigger is continuous";
        }
        if (definition.outputMode() == OutputMode.COMPLETE) {
            return "the output mode is complete";
        }
        if (definition.transform().watermark() != null
                || !definition.transform().dropDuplicates().isEmpty()) {
            return "the transform keeps state (a watermark or de-duplication)";
        }
        return null;
    }
}
