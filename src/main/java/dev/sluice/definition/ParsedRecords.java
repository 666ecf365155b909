package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;

import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.RejectRule;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/** A format parsed by a column expression over the value's text, its rules then applied in order. */
abstract class ParsedRecords implements RecordFormatSpec {

    /** Where Spark's parsers put the text of a record they could not parse. */
    static final String CORRUPT = "_corrupt_record";

    private final StructType fields;

    ParsedRecords(StructType fields) {
        this.fields = fields;
    }

    @Override
    public StructType fields() {
        return fields;
    }

    @Override
    public List<String> reasons() {
        return rules().stream().map(RejectRule::reason).toList();
    }

    /** The parsed struct (with {@value #CORRUPT} for the parsers that have it), from the value's text. */
    abstract Column record(Column text);

    /** What rejects a record, in the order checked; the first it breaks is its reason. */
    abstract List<RejectRule> rules();

    @Override
    public Dataset<Row> parse(Dataset<Row> raw) {
        Dataset<Row> parsed = raw.select(
                col("topic"),
                col("partition"),
                col("offset"),
                col("timestamp"),
                col("value"),
                col("key"),
                record(col("value").cast("string")).as(RECORD));
        List<Column> columns = new ArrayList<>();
        for (String name : fields.fieldNames()) {
            columns.add(col(RECORD + ".`" + name + "`").as(name));
        }
        List<RejectRule> rules = rules();
        return parsed.withColumn(CarInfoParser.REJECT_REASON, RejectRule.firstReason(rules))
                .withColumn(CarInfoParser.REJECT_DETAIL, RejectRule.firstDetail(rules))
                .withColumn(RECORD, struct(columns.toArray(Column[]::new)));
    }
}
