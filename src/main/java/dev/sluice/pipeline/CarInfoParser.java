package dev.sluice.pipeline;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.octet_length;
import static org.apache.spark.sql.functions.trim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Parses Kafka records into car_info events and decides, per record, whether it is accepted or
 * rejected (and why). Nothing is filtered here: every input record comes out as one row, so the
 * caller can route rejected ones to the dead letters and nothing is lost.
 *
 * <p>Output columns: the Kafka metadata ({@code topic}, {@code partition}, {@code offset},
 * {@code timestamp}, {@code value}), {@code car} (the parsed event), {@code reject_reason} (null
 * for an accepted record) and {@code reject_detail}.
 */
public final class CarInfoParser {

    public static final String CAR = "car";
    public static final String REJECT_REASON = "reject_reason";
    public static final String REJECT_DETAIL = "reject_detail";

    private static final String CORRUPT = "_corrupt_record";
    private static final Map<String, String> PARSE_OPTIONS =
            Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", CORRUPT);

    private final StructType parseSchema;
    private final List<RejectRule> rules;

    private CarInfoParser(StructType schema, List<RejectRule> rules) {
        this.parseSchema = schema.add(CORRUPT, DataTypes.StringType);
        this.rules = List.copyOf(rules);
    }

    /** Reads every field; rejects what is not a valid car_info event, or falls outside the limits. */
    public static CarInfoParser forEvents(CarInfoLimits limits) {
        return new CarInfoParser(CarInfoSchema.SCHEMA, eventRules(limits));
    }

    /**
     * Reads only the fields the PostgreSQL table stores ({@link CarInfoSchema#POSTGRES_SCHEMA}), so
     * only their types are checked; also rejects what the table could not store. This is the
     * definition, in Spark SQL, of what the PostgreSQL pipeline accepts; the pipeline itself runs
     * the same rules, written in SQL, on the fused shape (its definition is built by
     * {@code BuiltInDefinitions}), which decides the same at a
     * fraction of the cost.
     */
    public static CarInfoParser forPostgres(CarInfoLimits limits) {
        List<RejectRule> rules = new ArrayList<>(eventRules(limits));
        rules.addAll(postgresRules(CarInfoParser::car));
        return new CarInfoParser(CarInfoSchema.POSTGRES_SCHEMA, rules);
    }

    /** The reasons this parser rejects records with, in the order the rules are checked. */
    public List<String> reasons() {
        return rules.stream().map(RejectRule::reason).distinct().toList();
    }

    public Dataset<Row> parse(Dataset<Row> kafkaRecords) {
        Column json = col("value").cast("string");
        Dataset<Row> parsed = kafkaRecords.select(
                col("topic"),
                col("partition"),
                col("offset"),
                col("timestamp"),
                col("value"),
                col("key"),
                from_json(json, parseSchema, PARSE_OPTIONS).as(CAR));
        // The first rule a record breaks decides its reason.
        return parsed.withColumn(REJECT_REASON, RejectRule.firstReason(rules))
                .withColumn(REJECT_DETAIL, RejectRule.firstDetail(rules));
    }

    private static List<RejectRule> eventRules(CarInfoLimits limits) {
        List<RejectRule> rules = new ArrayList<>(RejectRule.json(col(CAR + "." + CORRUPT)));
        rules.addAll(eventChecks(limits, CarInfoParser::car));
        return rules;
    }

    /**
     * What a parsed car_info event must be, whatever reads it: a {@code dataId}, and positions and
     * speed within the limits. {@code field} gives the column of an event field.
     */
    public static List<RejectRule> eventChecks(CarInfoLimits limits, Function<String, Column> field) {
        Column lat = field.apply("vhcleLat");
        Column lot = field.apply("vhcleLot");
        Column speed = field.apply("vhcleSped");
        Column dataId = field.apply("dataId");
        return List.of(
                new RejectRule(
                        "MISSING_DATA_ID",
                        dataId.isNull().or(trim(dataId).equalTo("")),
                        lit("dataId is missing or blank")),
                new RejectRule(
                        "OUT_OF_RANGE",
                        outside(lat, limits.minLatitude(), limits.maxLatitude())
                                .or(outside(lot, limits.minLongitude(), limits.maxLongitude()))
                                .or(outside(speed, limits.minSpeed(), limits.speedCeiling())),
                        concat(
                                lit("vhcleLat="),
                                text(lat),
                                lit(" vhcleLot="),
                                text(lot),
                                lit(" vhcleSped="),
                                text(speed),
                                lit(" " + limits.describe()))));
    }

    private static List<RejectRule> postgresRules(Function<String, Column> field) {
        return List.of(
                tooLong(field, "dataId", CarInfoSchema.DATA_ID_MAX_LENGTH),
                tooLong(field, "trmnId", CarInfoSchema.TRMN_ID_MAX_LENGTH),
                tooLong(field, "vhcleTypeCd", CarInfoSchema.VHCLE_TYPE_CD_MAX_LENGTH),
                new RejectRule(
                        "INVALID_CHARACTER",
                        hasNul(field.apply("dataId"))
                                .or(hasNul(field.apply("trmnId")))
                                .or(hasNul(field.apply("vhcleTypeCd"))),
                        lit("a text field contains a NUL character, which PostgreSQL text cannot store")));
    }

    private static RejectRule tooLong(Function<String, Column> fields, String field, int maxLength) {
        Column text = fields.apply(field);
        Column length = length(text);
        return new RejectRule(
                "FIELD_TOO_LONG",
                // Characters are counted only when the bytes exceed the most (never fewer bytes than characters).
                octet_length(text).gt(maxLength).and(length.gt(maxLength)),
                concat(lit(field + " has "), length.cast("string"), lit(" characters; the most is " + maxLength)));
    }

    private static Column hasNul(Column field) {
        return field.contains("\u0000");
    }

    private static Column outside(Column value, double min, double max) {
        return value.lt(min).or(value.gt(max)).or(value.isNaN());
    }

    private static Column text(Column value) {
        return coalesce(value.cast("string"), lit("null"));
    }

    private static Column car(String field) {
        return col(CAR + "." + field);
    }
}
