package dev.sluice.definition;

import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.CarInfoSchema;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/** {@code car_info}, the named format: car_info events, with their checks at the default limits. */
final class CarInfoRecords implements RecordFormatSpec {

    private final CarInfoParser parser = CarInfoParser.forEvents(CarInfoLimits.DEFAULT);

    @Override
    public StructType fields() {
        return CarInfoSchema.SCHEMA;
    }

    @Override
    public List<String> reasons() {
        return parser.reasons();
    }

    @Override
    public Dataset<Row> parse(Dataset<Row> raw) {
        return parser.parse(raw).withColumnRenamed(CarInfoParser.CAR, RECORD);
    }
}
