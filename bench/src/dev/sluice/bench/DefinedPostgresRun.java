package dev.sluice.bench;

import dev.sluice.pipeline.CarInfoSchema;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The built-in PostgreSQL pipeline's job as a user would define it: the seven fields it stores
 * as the schema, its checks as rules, the renames as SQL, upserted on the key. Such a definition
 * runs in the fused shape, as the built-in does.
 */
final class DefinedPostgresRun implements BenchRun {

    /** A filter that keeps every row but, with rand(), keeps the definition from the fused shape. */
    static final String GENERAL = " WHERE rand() >= 0";

    private final String where;

    /** @param where appended to the SQL: empty, or {@link #GENERAL} for the general shape */
    DefinedPostgresRun(String where) {
        this.where = where;
    }

    @Override
    public String group() {
        return "defined";
    }

    @Override
    public String id() {
        return where.isEmpty() ? "defined-postgres" : "defined-postgres-general";
    }

    @Override
    public String label() {
        return where.isEmpty() ? Bench.DEFINED_POSTGRES : Bench.DEFINED_POSTGRES_GENERAL;
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        return definedPostgres(bench, topic);
    }

    private Supplier<Long> definedPostgres(Bench bench, String topic) throws Exception {
        bench.truncate();
        StringBuilder select = new StringBuilder();
        CarInfoSchema.POSTGRES_COLUMNS.forEach((field, column) -> select.append(select.isEmpty() ? "" : ", ")
                .append(field)
                .append(" AS ")
                .append(column));
        Map<String, Object> source = Map.of(
                "schema",
                "dataId STRING, trmnId STRING, vhcleLot DOUBLE, vhcleLat DOUBLE, gpsUtcTime DOUBLE, vhcleSped DOUBLE,"
                        + " vhcleTypeCd STRING");
        List<Map<String, String>> rules = List.of(
                Map.of("reason", "MISSING_DATA_ID", "require", "trim(dataId) <> ''"),
                Map.of(
                        "reason",
                        "OUT_OF_RANGE",
                        "require",
                        "(vhcleLat IS NULL OR vhcleLat BETWEEN -90 AND 90)"
                                + " AND (vhcleLot IS NULL OR vhcleLot BETWEEN -180 AND 180)"
                                + " AND (vhcleSped IS NULL OR vhcleSped >= 0)"),
                Map.of(
                        "reason",
                        "FIELD_TOO_LONG",
                        "require",
                        "char_length(dataId) <= 64 AND coalesce(char_length(trmnId), 0) <= 64"
                                + " AND coalesce(char_length(vhcleTypeCd), 0) <= 32"));
        Map<String, Object> sink = Map.of("kind", "postgres", "table", Bench.TABLE, "keyColumns", List.of("data_id"));
        return bench.runDefined(
                "bench-defined-pg" + (where.isEmpty() ? "" : "-general"),
                topic,
                source,
                rules,
                "SELECT " + select + " FROM events" + where,
                sink,
                bench::countRowsQuietly);
    }
}
