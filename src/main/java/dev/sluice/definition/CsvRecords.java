package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_csv;
import static org.apache.spark.sql.functions.lit;

import dev.sluice.pipeline.RejectRule;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** {@code csv}: a line of comma-separated values per record, read with the schema by Spark's {@code from_csv}. */
final class CsvRecords extends ParsedRecords {

    CsvRecords(StructType schema) {
        super(schema);
    }

    @Override
    Column record(Column text) {
        return from_csv(
                text,
                lit(fields().add(CORRUPT, DataTypes.StringType).toDDL()),
                Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", CORRUPT));
    }

    @Override
    List<RejectRule> rules() {
        return List.of(
                RejectRule.emptyValue(),
                new RejectRule(
                        "MALFORMED_CSV",
                        col(RECORD + "." + CORRUPT).isNotNull(),
                        lit("the line does not have the schema's fields and types")));
    }
}
