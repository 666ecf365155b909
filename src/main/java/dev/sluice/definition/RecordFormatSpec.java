package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.Source;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A format of record values ({@code json}, {@code csv}, {@code text}, and {@code car_info} as a named
 * one): how raw records ({@code topic}, {@code partition}, {@code offset}, {@code timestamp}, the
 * binary {@code value}) are parsed, and the reason each is rejected, if it is. Each format is one
 * class, found by name ({@link #of}).
 */
interface RecordFormatSpec {

    /** The parsed struct's column. */
    String RECORD = "record";

    /** The fields of a parsed record. */
    StructType fields();

    /** The reasons records are rejected with, in the order they are checked. */
    List<String> reasons();

    /**
     * Every raw record as one row: {@code topic}, {@code partition}, {@code offset},
     * {@code timestamp}, {@code value}, {@value #RECORD} (the parsed fields),
     * {@code reject_reason} (null when accepted) and {@code reject_detail}.
     */
    Dataset<Row> parse(Dataset<Row> raw);

    /** The format of a source's records; {@code schema} gives the fields the definition declares. */
    static RecordFormatSpec of(Source source, Supplier<StructType> schema) {
        if (PipelinePlanner.CAR_INFO.equals(source.schemaName())) {
            return new CarInfoRecords();
        }
        return switch (source.formatOrDefault()) {
            case JSON -> new JsonRecords(schema.get());
            case CSV -> new CsvRecords(schema.get());
            case TEXT -> new TextRecords();
            case PARQUET -> throw new IllegalArgumentException("Parquet files are not parsed record by record");
        };
    }

    /** The one field of a text record. */
    static StructType textFields() {
        return new StructType().add("value", DataTypes.StringType);
    }
}
