package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.Conflict;
import dev.sluice.definition.PipelineDefinition.OutputMode;
import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.definition.PipelineDefinition.Rule;
import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.definition.PipelineDefinition.SinkKind;
import dev.sluice.definition.PipelineDefinition.Source;
import dev.sluice.definition.PipelineDefinition.SourceKind;
import dev.sluice.definition.PipelineDefinition.Transform;
import dev.sluice.definition.PipelineDefinition.Trigger;
import dev.sluice.definition.PipelineDefinition.TriggerKind;
import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The built-in pipelines that are definitions like any other, built from their
 * {@code sluice.pipelines.car-info-*} settings: read-only, and run by the same engine as every
 * definition. Their rules are those of {@link dev.sluice.pipeline.CarInfoParser#forPostgres}, in
 * SQL, with the same reasons and details.
 */
public final class BuiltInDefinitions {

    private BuiltInDefinitions() {}

    /**
     * {@code car-info-to-postgres}: the seven stored fields of car_info events into
     * {@code table}, renamed, keyed on {@code data_id}; an event already stored stays as it is.
     */
    public static PipelineDefinition carInfoToPostgres(
            String name,
            boolean autoStart,
            String topic,
            String startingOffsets,
            Long maxOffsetsPerTrigger,
            boolean failOnDataLoss,
            Duration trigger,
            String table,
            CarInfoLimits limits) {
        StringJoiner schema = new StringJoiner(", ");
        StringJoiner select = new StringJoiner(", ");
        CarInfoSchema.POSTGRES_COLUMNS.forEach((field, column) -> {
            schema.add(
                    field + " " + CarInfoSchema.SCHEMA.apply(field).dataType().sql());
            select.add(field + " AS " + column);
        });
        Source source = new Source(
                SourceKind.KAFKA,
                List.of(topic),
                null,
                startingOffsets,
                null,
                maxOffsetsPerTrigger,
                failOnDataLoss,
                RecordFormat.JSON,
                schema.toString(),
                null,
                null,
                null,
                null,
                null);
        return new PipelineDefinition(
                name,
                "car_info events from Kafka into PostgreSQL: the seven stored fields, once per dataId",
                autoStart,
                source,
                new Transform(null, null, null, "SELECT " + select + " FROM events"),
                new Sink(
                        SinkKind.POSTGRES,
                        table,
                        List.of("data_id"),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        Conflict.IGNORE),
                OutputMode.APPEND,
                new Trigger(TriggerKind.PROCESSING_TIME, trigger.toMillis() + " milliseconds"),
                postgresRules(limits));
    }

    /** What a car_info event must be to be stored in {@code car_info_table}. */
    static List<Rule> postgresRules(CarInfoLimits limits) {
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule(
                "MISSING_DATA_ID", "NOT (dataId IS NULL OR trim(dataId) = '')", "'dataId is missing or blank'"));
        String outside = outside("vhcleLat", limits.minLatitude(), limits.maxLatitude()) + " OR "
                + outside("vhcleLot", limits.minLongitude(), limits.maxLongitude()) + " OR "
                + outside("vhcleSped", limits.minSpeed(), limits.speedCeiling());
        rules.add(new Rule(
                "OUT_OF_RANGE",
                "NOT coalesce(" + outside + ", false)",
                "concat('vhcleLat=', " + text("vhcleLat") + ", ' vhcleLot=', " + text("vhcleLot") + ", ' vhcleSped=', "
                        + text("vhcleSped") + ", ' " + limits.describe() + "')"));
        rules.add(tooLong("dataId", CarInfoSchema.DATA_ID_MAX_LENGTH));
        rules.add(tooLong("trmnId", CarInfoSchema.TRMN_ID_MAX_LENGTH));
        rules.add(tooLong("vhcleTypeCd", CarInfoSchema.VHCLE_TYPE_CD_MAX_LENGTH));
        rules.add(new Rule(
                "INVALID_CHARACTER",
                "NOT coalesce(" + hasNul("dataId") + " OR " + hasNul("trmnId") + " OR " + hasNul("vhcleTypeCd")
                        + ", false)",
                "'a text field contains a NUL character, which PostgreSQL text cannot store'"));
        return rules;
    }

    private static Rule tooLong(String field, int max) {
        return new Rule(
                "FIELD_TOO_LONG",
                "NOT coalesce(length(" + field + ") > " + max + ", false)",
                "concat('" + field + " has ', CAST(length(" + field + ") AS STRING), ' characters; the most is " + max
                        + "')");
    }

    private static String outside(String field, double min, double max) {
        return "(" + field + " < " + min + "D OR " + field + " > " + max + "D OR isnan(" + field + "))";
    }

    private static String text(String field) {
        return "coalesce(CAST(" + field + " AS STRING), 'null')";
    }

    private static String hasNul(String field) {
        return "instr(" + field + ", '\\u0000') > 0";
    }
}
