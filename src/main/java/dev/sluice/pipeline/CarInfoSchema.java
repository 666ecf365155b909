package dev.sluice.pipeline;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The car_info vehicle telemetry event, as published to Kafka in JSON. */
public final class CarInfoSchema {

    /** The 20 fields of a car_info event. {@code dataId} identifies an event. */
    public static final StructType SCHEMA = new StructType(new StructField[] {
        field("dataId", StringType, false),
        field("trsmDy", IntegerType),
        field("trmnId", StringType),
        field("trsmUtcTime", DoubleType),
        field("trsmYear", StringType),
        field("trsmMt", StringType),
        field("trsmTm", StringType),
        field("trsmMs", StringType),
        field("vhcleLot", DoubleType),
        field("vhcleLat", DoubleType),
        field("vhcleEvt", DoubleType),
        field("trmnTypeCd", StringType),
        field("gpsUtcTime", DoubleType),
        field("vhcleDrc", DoubleType),
        field("vhcleSped", DoubleType),
        field("trnsmStatCd", StringType),
        field("lcdtRevisnStatCd", StringType),
        field("vhcleTypeCd", StringType),
        field("rgtrId", StringType),
        field("regDt", TimestampType),
    });

    /** The seven event fields kept in PostgreSQL, in table column order, with their column names. */
    public static final Map<String, String> POSTGRES_COLUMNS = postgresColumns();

    /**
     * The fields the PostgreSQL pipeline reads: the seven it stores. Parsing only these (the JSON
     * parser skips the other thirteen without converting them) is most of the parse's cost saved.
     */
    public static final StructType POSTGRES_SCHEMA = new StructType(
            POSTGRES_COLUMNS.keySet().stream().map(name -> SCHEMA.apply(name)).toArray(StructField[]::new));

    /** Column widths of {@code car_info_table} (see the Flyway migration). */
    public static final int DATA_ID_MAX_LENGTH = 64;

    public static final int TRMN_ID_MAX_LENGTH = 64;

    public static final int VHCLE_TYPE_CD_MAX_LENGTH = 32;

    private CarInfoSchema() {}

    private static Map<String, String> postgresColumns() {
        Map<String, String> columns = new LinkedHashMap<>();
        columns.put("dataId", "data_id");
        columns.put("trmnId", "trmncd");
        columns.put("vhcleLot", "detclot");
        columns.put("vhcleLat", "detclat");
        columns.put("gpsUtcTime", "gpsutctime");
        columns.put("vhcleSped", "vhclesped");
        columns.put("vhcleTypeCd", "vhcletypecd");
        return Collections.unmodifiableMap(columns);
    }

    private static StructField field(String name, DataType type) {
        return field(name, type, true);
    }

    private static StructField field(String name, DataType type, boolean nullable) {
        return DataTypes.createStructField(name, type, nullable);
    }
}
