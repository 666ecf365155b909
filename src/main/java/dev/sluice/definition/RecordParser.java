package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_csv;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.RejectRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Parses raw records ({@code topic}, {@code partition}, {@code offset}, {@code timestamp} and the
 * binary {@code value}) with a schema, and names the reason each one is rejected, if it is. Every
 * input record comes out as one row: {@code topic}, {@code partition}, {@code offset},
 * {@code timestamp}, {@code value}, {@value #RECORD} (the parsed fields), {@code reject_reason}
 * (null when accepted) and {@code reject_detail}.
 */
final class RecordParser {

    static final String RECORD = "record";
    private static final String CORRUPT = "_corrupt_record";

    private final RecordFormat format;
    private final StructType schema;
    private final List<RejectRule> rules;

    private RecordParser(RecordFormat format, StructType schema) {
        this.format = format;
        this.schema = schema;
        this.rules = rules(format);
    }

    /**
     * @param schema the record fields; for {@code text}, ignored (the one field is {@code value})
     */
    static RecordParser of(RecordFormat format, StructType schema) {
        return new RecordParser(format, format == RecordFormat.TEXT ? textSchema() : schema);
    }

    static StructType textSchema() {
        return new StructType().add("value", DataTypes.StringType);
    }

    /** The reasons this parser rejects records with. */
    List<String> reasons() {
        return rules.stream().map(RejectRule::reason).toList();
    }

    Dataset<Row> parse(Dataset<Row> raw) {
        Column text = col("value").cast("string");
        Map<String, String> options = Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", CORRUPT);
        StructType withCorrupt = schema.add(CORRUPT, DataTypes.StringType);
        Column record = switch (format) {
            case JSON -> from_json(text, withCorrupt, options);
            case CSV -> from_csv(text, lit(withCorrupt.toDDL()), options);
            case TEXT -> struct(text.as("value"));
            case PARQUET -> throw new IllegalArgumentException("Parquet files are not parsed record by record");
        };
        Dataset<Row> parsed = raw.select(
                col("topic"), col("partition"), col("offset"), col("timestamp"), col("value"), record.as(RECORD));
        List<Column> fields = new ArrayList<>();
        for (String name : schema.fieldNames()) {
            fields.add(col(RECORD + ".`" + name + "`").as(name));
        }
        return parsed.withColumn(CarInfoParser.REJECT_REASON, RejectRule.firstReason(rules))
                .withColumn(CarInfoParser.REJECT_DETAIL, RejectRule.firstDetail(rules))
                .withColumn(RECORD, struct(fields.toArray(Column[]::new)));
    }

    private static List<RejectRule> rules(RecordFormat format) {
        Column value = col("value");
        List<RejectRule> rules = new ArrayList<>();
        rules.add(new RejectRule(
                "EMPTY_VALUE", value.isNull().or(length(value).equalTo(0)), lit("the record has no value")));
        if (format == RecordFormat.JSON) {
            Column corrupt = col(RECORD + "." + CORRUPT);
            // An all-string map parses any JSON object, so it tells bad JSON from bad field types.
            Column anyObject = from_json(
                    value.cast("string"),
                    DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType),
                    Map.of());
            rules.add(new RejectRule(
                    "MALFORMED_JSON",
                    corrupt.isNotNull().and(anyObject.isNull()),
                    lit("the value is not a JSON object")));
            rules.add(new RejectRule(
                    "SCHEMA_MISMATCH", corrupt.isNotNull(), lit("a field's value does not have the schema's type")));
        } else if (format == RecordFormat.CSV) {
            rules.add(new RejectRule(
                    "MALFORMED_CSV",
                    col(RECORD + "." + CORRUPT).isNotNull(),
                    lit("the line does not have the schema's fields and types")));
        }
        return rules;
    }
}
