package dev.sluice.definition;

import static org.apache.spark.sql.functions.struct;

import dev.sluice.pipeline.RejectRule;
import java.util.List;
import org.apache.spark.sql.Column;

/** {@code text}: one field, {@code value}, the record's text; only an empty record is rejected. */
final class TextRecords extends ParsedRecords {

    TextRecords() {
        super(RecordFormatSpec.textFields());
    }

    @Override
    Column record(Column text) {
        return struct(text.as("value"));
    }

    @Override
    List<RejectRule> rules() {
        return List.of(RejectRule.emptyValue());
    }
}
