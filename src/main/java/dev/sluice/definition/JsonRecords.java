package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;

import dev.sluice.pipeline.RejectRule;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** {@code json}: a JSON object per record, read with the schema by Spark's {@code from_json}. */
final class JsonRecords extends ParsedRecords {

    JsonRecords(StructType schema) {
        super(schema);
    }

    @Override
    Column record(Column text) {
        return from_json(
                text,
                fields().add(CORRUPT, DataTypes.StringType),
                Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", CORRUPT));
    }

    @Override
    List<RejectRule> rules() {
        Column corrupt = col(RECORD + "." + CORRUPT);
        // An all-string map parses any JSON object, so it tells bad JSON from bad field types.
        Column anyObject = from_json(
                col("value").cast("string"),
                DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType),
                Map.of());
        return List.of(
                RecordFormatSpec.emptyValue(),
                new RejectRule(
                        "MALFORMED_JSON",
                        corrupt.isNotNull().and(anyObject.isNull()),
                        lit("the value is not a JSON object")),
                new RejectRule(
                        "SCHEMA_MISMATCH",
                        corrupt.isNotNull(),
                        lit("a field's value does not have the schema's type")));
    }
}
