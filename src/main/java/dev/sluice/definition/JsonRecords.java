package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_json;

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
        return RejectRule.json(col(RECORD + "." + CORRUPT));
    }
}
