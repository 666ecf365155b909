package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.Conflict;
import dev.sluice.definition.PipelineDefinition.OutputMode;
import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.definition.PipelineDefinition.RecordMetadata;
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
import java.util.Map;
import java.util.StringJoiner;
import org.apache.spark.sql.types.StructField;

/**
 * The built-in pipelines, definitions like any other, built from their
 * {@code sluice.pipelines.car-info-*} settings: read-only, and run by the same engine as every
 * definition. Their rules are those of {@link dev.sluice.pipeline.CarInfoParser#forPostgres} and
 * {@link dev.sluice.pipeline.CarInfoParser#forEvents}, in SQL, with the same reasons and details.
 */
public final class BuiltInDefinitions {

    /** The Parquet pipeline's partition column: the date of each event. */
    public static final String EVENT_DATE = "event_date";

    /** The Parquet pipeline's column of each record's Kafka timestamp, for events with no GPS time. */
    static final String KAFKA_TIMESTAMP = "kafka_timestamp";

    private BuiltInDefinitions() {}

    /** What every built-in pipeline takes: its name, whether it starts itself, and how it reads. */
    public record Settings(
            String name,
            boolean autoStart,
            String topic,
            String startingOffsets,
            Long maxOffsetsPerTrigger,
            boolean failOnDataLoss,
            Duration trigger) {}

    /**
     * {@code car-info-to-postgres}: the seven stored fields of car_info events into
     * {@code table}, renamed, keyed on {@code data_id}; an event already stored stays as it is.
     */
    public static PipelineDefinition carInfoToPostgres(Settings settings, String table, CarInfoLimits limits) {
        StringJoiner schema = new StringJoiner(", ");
        StringJoiner select = new StringJoiner(", ");
        CarInfoSchema.POSTGRES_COLUMNS.forEach((field, column) -> {
            schema.add(
                    field + " " + CarInfoSchema.SCHEMA.apply(field).dataType().sql());
            select.add(field + " AS " + column);
        });
        return new PipelineDefinition(
                settings.name(),
                "car_info events from Kafka into PostgreSQL: the seven stored fields, once per dataId",
                settings.autoStart(),
                kafka(settings, schema.toString(), Map.of()),
                new Transform(null, null, null, "SELECT " + select + " FROM events"),
                new Sink(
                        SinkKind.POSTGRES,
                        table,
                        List.of("data_id"),
                        true,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        Conflict.IGNORE,
                        null,
                        null),
                OutputMode.APPEND,
                new Trigger(TriggerKind.PROCESSING_TIME, settings.trigger().toMillis() + " milliseconds"),
                null,
                postgresExpectations(limits));
    }

    /**
     * {@code car-info-to-hdfs}: every field of car_info events into Parquet files under
     * {@code path}, partitioned by {@value #EVENT_DATE}: the UTC date of {@code gpsUtcTime}, or of
     * the Kafka timestamp when the event has none.
     */
    public static PipelineDefinition carInfoToHdfs(
            Settings settings, String path, long rowsPerFile, CarInfoLimits limits) {
        StringJoiner schema = new StringJoiner(", ");
        StringJoiner select = new StringJoiner(", ");
        for (StructField field : CarInfoSchema.SCHEMA.fields()) {
            schema.add(field.name() + " " + field.dataType().sql());
            select.add(field.name());
        }
        select.add(
                "coalesce(to_date(timestamp_seconds(gpsUtcTime)), to_date(" + KAFKA_TIMESTAMP + ")) AS " + EVENT_DATE);
        return new PipelineDefinition(
                settings.name(),
                "car_info events from Kafka into Parquet files: every field, partitioned by event_date",
                settings.autoStart(),
                kafka(settings, schema.toString(), Map.of(KAFKA_TIMESTAMP, RecordMetadata.TIMESTAMP)),
                new Transform(null, null, null, "SELECT " + select + " FROM events"),
                new Sink(
                        SinkKind.PARQUET,
                        null,
                        null,
                        null,
                        path,
                        List.of(EVENT_DATE),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        rowsPerFile),
                OutputMode.APPEND,
                new Trigger(TriggerKind.PROCESSING_TIME, settings.trigger().toMillis() + " milliseconds"),
                null,
                eventExpectations(limits));
    }

    private static Source kafka(Settings settings, String schema, Map<String, RecordMetadata> metadata) {
        return new Source(
                SourceKind.KAFKA,
                List.of(settings.topic()),
                null,
                settings.startingOffsets(),
                null,
                settings.maxOffsetsPerTrigger(),
                settings.failOnDataLoss(),
                RecordFormat.JSON,
                schema,
                null,
                null,
                null,
                null,
                null,
                metadata);
    }

    /** What a car_info event must be to be stored in {@code car_info_table}: quarantined otherwise. */
    static List<Expectation> postgresExpectations(CarInfoLimits limits) {
        List<Expectation> rules = eventExpectations(limits);
        rules.add(tooLong(Map.of(
                "dataId", CarInfoSchema.DATA_ID_MAX_LENGTH,
                "trmnId", CarInfoSchema.TRMN_ID_MAX_LENGTH,
                "vhcleTypeCd", CarInfoSchema.VHCLE_TYPE_CD_MAX_LENGTH)));
        rules.add(quarantine(
                "INVALID_CHARACTER",
                "NOT coalesce(" + hasNul("dataId") + " OR " + hasNul("trmnId") + " OR " + hasNul("vhcleTypeCd")
                        + ", false)",
                "'a text field contains a NUL character, which PostgreSQL text cannot store'"));
        return rules;
    }

    /**
     * What a car_info event must be, whatever it goes into: a dataId, positions and speed within
     * the limits; quarantined otherwise.
     */
    static List<Expectation> eventExpectations(CarInfoLimits limits) {
        List<Expectation> rules = new ArrayList<>();
        rules.add(quarantine(
                "MISSING_DATA_ID", "NOT (dataId IS NULL OR trim(dataId) = '')", "'dataId is missing or blank'"));
        String outside = outside("vhcleLat", limits.minLatitude(), limits.maxLatitude()) + " OR "
                + outside("vhcleLot", limits.minLongitude(), limits.maxLongitude()) + " OR "
                + outside("vhcleSped", limits.minSpeed(), limits.speedCeiling());
        rules.add(quarantine(
                "OUT_OF_RANGE",
                "NOT coalesce(" + outside + ", false)",
                "concat('vhcleLat=', " + text("vhcleLat") + ", ' vhcleLot=', " + text("vhcleLot") + ", ' vhcleSped=', "
                        + text("vhcleSped") + ", ' " + limits.describe() + "')"));
        return rules;
    }

    private static Expectation quarantine(String name, String require, String detail) {
        return new Expectation(name, require, Expectation.Action.QUARANTINE, detail);
    }

    /** One expectation over the text fields with a width: the detail names the first that is too long. */
    private static Expectation tooLong(Map<String, Integer> widths) {
        StringJoiner any = new StringJoiner(" OR ");
        StringJoiner first = new StringJoiner(" ", "CASE ", " END");
        for (String field : List.of("dataId", "trmnId", "vhcleTypeCd")) {
            int max = widths.get(field);
            // A text of no more bytes than characters allowed is short enough, and its bytes are
            // counted without reading it: its characters are counted only when the bytes exceed.
            any.add("(octet_length(" + field + ") > " + max + " AND length(" + field + ") > " + max + ")");
            first.add("WHEN length(" + field + ") > " + max + " THEN concat('" + field + " has ', CAST(length(" + field
                    + ") AS STRING), ' characters; the most is " + max + "')");
        }
        return quarantine("FIELD_TOO_LONG", "NOT coalesce(" + any + ", false)", first.toString());
    }

    private static String outside(String field, double min, double max) {
        return "(" + field + " < " + min + "D OR " + field + " > " + max + "D OR isnan(" + field + "))";
    }

    private static String text(String field) {
        return "coalesce(CAST(" + field + " AS STRING), 'null')";
    }

    private static String hasNul(String field) {
        return "contains(" + field + ", '\\u0000')";
    }
}
