package dev.sluice.definition;

import dev.sluice.pipeline.PipelineRefusal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
     * @param tablesSchema the schema of a table named without one
     * @return empty if the table does not exist
     */
    static Optional<List<String>> check(Connection connection, String table, String tablesSchema, StructType schema)
            throws SQLException {
        String schemaName = tablesSchema;
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

    /**
     * Makes an existing table ready for upserts on its key: adds a unique key on the key columns
     * when none is there and the rows allow it. The connection's search path is the tables' schema.
     *
     * @return whether a key was added
     * @throws PipelineRefusal when rows share a key: which ones, and how to mend it
     */
    static boolean adopt(Connection connection, String table, List<String> keyColumns) throws SQLException {
        if (keyColumns.isEmpty() || hasUniqueKey(connection, table, keyColumns)) {
            return false;
        }
        String columns = String.join(", ", keyColumns);
        String name = table.substring(table.indexOf('.') + 1) + "_" + String.join("_", keyColumns);
        name = name.substring(0, Math.min(name.length(), 59)) + "_key";
        try (Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE " + table + " ADD CONSTRAINT " + name + " UNIQUE (" + columns + ")");
            return true;
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
        }
        throw new PipelineRefusal(duplicates(connection, table, keyColumns));
    }

    private static final String UNIQUE_VIOLATION = "23505";
    private static final int EXAMPLES = 5;
    private static final int EXAMPLE_LENGTH = 64;

    /** Whether a unique index (a primary key, a unique constraint) covers exactly the key columns. */
    static boolean hasUniqueKey(Connection connection, String table, List<String> keyColumns) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT count(*) FROM pg_index i WHERE i.indrelid = ?::regclass AND i.indisunique"
                        + " AND i.indpred IS NULL AND i.indexprs IS NULL AND (SELECT array_agg(a.attname::text"
                        + " ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = i.indrelid"
                        + " AND a.attnum = ANY (i.indkey)) = ?::text[]")) {
            statement.setString(1, table);
            statement.setArray(
                    2,
                    connection.createArrayOf(
                            "text", keyColumns.stream().sorted().toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1) > 0;
            }
        }
    }

    /** The refusal of a table whose rows share keys: how many keys, the most held, and the mend. */
    private static String duplicates(Connection connection, String table, List<String> keyColumns) throws SQLException {
        String columns = String.join(", ", keyColumns);
        String texts =
                String.join(", ", keyColumns.stream().map(c -> c + "::text").toList());
        String notNull = String.join(
                " AND ", keyColumns.stream().map(c -> c + " IS NOT NULL").toList());
        List<String> examples = new ArrayList<>();
        long keys = 0;
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT " + texts + ", count(*), count(*) OVER () FROM "
                        + table + " WHERE " + notNull + " GROUP BY " + columns + " HAVING count(*) > 1"
                        + " ORDER BY count(*) DESC, " + columns + " LIMIT " + EXAMPLES)) {
            while (rows.next()) {
                List<String> values = new ArrayList<>();
                for (int i = 0; i < keyColumns.size(); i++) {
                    String value = rows.getString(i + 1);
                    value = value.length() > EXAMPLE_LENGTH ? value.substring(0, EXAMPLE_LENGTH) + "..." : value;
                    values.add(keyColumns.get(i) + " = '" + value.replace("'", "''") + "'");
                }
                examples.add(String.join(" AND ", values) + " (" + rows.getLong(keyColumns.size() + 1) + " rows)");
                keys = rows.getLong(keyColumns.size() + 2);
            }
        }
        String match = String.join(
                " AND ", keyColumns.stream().map(c -> "a." + c + " = b." + c).toList());
        return "The table " + table + " has no unique key on (" + columns + ") and cannot take one: " + keys
                + " keys are held by more than one row, for example " + String.join(", ", examples)
                + ". Keep one row per key (for example: DELETE FROM " + table + " a USING " + table + " b WHERE "
                + match + " AND a.ctid < b.ctid), then start the pipeline again: Sluice adds the unique key"
                + " itself.";
    }
}
