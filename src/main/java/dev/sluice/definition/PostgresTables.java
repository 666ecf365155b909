package dev.sluice.definition;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;

/** The PostgreSQL table a postgres sink writes: its generated DDL, and a check of an existing one. */
final class PostgresTables {

    private PostgresTables() {}

    /** The PostgreSQL type of a Spark column, or {@code null} when none can hold it. */
    static String columnType(DataType type) {
        if (type instanceof StringType) {
            return "text";
        } else if (type instanceof IntegerType) {
            return "integer";
        } else if (type instanceof LongType) {
            return "bigint";
        } else if (type instanceof ShortType || type instanceof ByteType) {
            return "smallint";
        } else if (type instanceof DoubleType) {
            return "double precision";
        } else if (type instanceof FloatType) {
            return "real";
        } else if (type instanceof BooleanType) {
            return "boolean";
        } else if (type instanceof TimestampType) {
            return "timestamptz";
        } else if (type instanceof TimestampNTZType) {
            return "timestamp";
        } else if (type instanceof DateType) {
            return "date";
        } else if (type instanceof DecimalType decimal) {
            return "numeric(" + decimal.precision() + ", " + decimal.scale() + ")";
        } else if (type instanceof BinaryType) {
            return "bytea";
        }
        return null;
    }

    /** The table for a result schema, keyed on the key columns; what a migration of it would hold. */
    static String ddl(String table, StructType schema, List<String> keyColumns) {
        List<String> lines = new ArrayList<>();
        for (StructField field : schema.fields()) {
            boolean key = keyColumns.contains(field.name());
            lines.add("    " + field.name().toLowerCase(Locale.ROOT) + " " + columnType(field.dataType())
                    + (key ? " NOT NULL" : ""));
        }
        if (!keyColumns.isEmpty()) {
            lines.add("    PRIMARY KEY ("
                    + String.join(
                            ", ",
                            keyColumns.stream()
                                    .map(k -> k.toLowerCase(Locale.ROOT))
                                    .toList()) + ")");
        }
        return "CREATE TABLE IF NOT EXISTS " + table + " (\n" + String.join(",\n", lines) + "\n)";
    }

    /**
     * What is wrong with the table for the result, if it exists: empty when it fits.
     *
     * @return empty if the table does not exist
     */
    static Optional<List<String>> check(Connection connection, String table, StructType schema) throws SQLException {
        String schemaName = null;
        String tableName = table;
        int dot = table.indexOf('.');
        if (dot > 0) {
            schemaName = table.substring(0, dot).toLowerCase(Locale.ROOT);
            tableName = table.substring(dot + 1);
        }
        DatabaseMetaData metadata = connection.getMetaData();
        Set<String> columns = new LinkedHashSet<>();
        try (ResultSet rows = metadata.getColumns(null, schemaName, tableName.toLowerCase(Locale.ROOT), null)) {
            while (rows.next()) {
                columns.add(rows.getString("COLUMN_NAME"));
            }
        }
        if (columns.isEmpty()) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        for (String field : schema.fieldNames()) {
            if (!columns.contains(field.toLowerCase(Locale.ROOT))) {
                missing.add("the table " + table + " has no column " + field.toLowerCase(Locale.ROOT)
                        + " (its columns are " + columns + ")");
            }
        }
        return Optional.of(missing);
    }
}
