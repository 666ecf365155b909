package dev.sluice.config;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.flyway.FlywayMigrationStrategy;

/**
 * Sluice's own tables live in a schema of their own ({@code sluice.postgres.schema}); the
 * pipelines' tables and whatever else the database holds stay where they are. Before the
 * migrations run, a database laid out by an older release (Sluice's tables and its migration
 * history in {@code public}) is brought to that release's last migration and its Sluice tables
 * are moved, rows, keys, indexes and sequences with them, in one transaction; the old history is
 * kept beside them as {@code legacy_schema_history}, and the new history starts at the version
 * that matches what was moved.
 */
final class SchemaLayout implements FlywayMigrationStrategy {

    private static final Logger log = LoggerFactory.getLogger(SchemaLayout.class);

    /** The older release's migrations, as they ran in {@code public}. */
    static final String LEGACY_LOCATION = "classpath:db/legacy";

    static final String LEGACY_HISTORY = "legacy_schema_history";

    private static final String LEGACY_FIRST_SCRIPT = "V1__car_info_and_dead_letters.sql";

    private final String schema;
    private final String deadLetterTable;
    private final String carInfoTable;

    SchemaLayout(String schema, String deadLetterTable, String carInfoTable) {
        this.schema = schema;
        this.deadLetterTable = deadLetterTable;
        this.carInfoTable = carInfoTable;
    }

    @Override
    public void migrate(Flyway flyway) {
        DataSource dataSource = flyway.getConfiguration().getDataSource();
        try {
            if (holdsLegacyLayout(dataSource)) {
                moveFromPublic(flyway, dataSource);
            }
            if (exists(dataSource, schema + "." + LEGACY_HISTORY)
                    && !exists(dataSource, schema + ".flyway_schema_history")) {
                // Moved (now or by a start that stopped right after): what was moved is version 1.
                Flyway.configure(flyway.getConfiguration().getClassLoader())
                        .configuration(flyway.getConfiguration())
                        .baselineVersion("1")
                        .baselineDescription("Sluice tables moved from public")
                        .load()
                        .baseline();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not read the database's layout: " + e.getMessage(), e);
        }
        flyway.migrate();
    }

    /** Sluice's history in {@code public}, and none in its own schema. */
    private boolean holdsLegacyLayout(DataSource dataSource) throws SQLException {
        if (!exists(dataSource, "public.flyway_schema_history")
                || exists(dataSource, schema + ".flyway_schema_history")) {
            return false;
        }
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT count(*) FROM public.flyway_schema_history WHERE script = ? AND success")) {
            statement.setString(1, LEGACY_FIRST_SCRIPT);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1) > 0;
            }
        }
    }

    private void moveFromPublic(Flyway flyway, DataSource dataSource) throws SQLException {
        // First the older release's own last migrations, where they belong, so what moves is whole.
        Flyway.configure(flyway.getConfiguration().getClassLoader())
                .dataSource(dataSource)
                .locations(LEGACY_LOCATION)
                .schemas("public")
                .createSchemas(false)
                .placeholders(Map.of("car_info_table", carInfoTable, "dead_letter_table", deadLetterTable))
                .load()
                .migrate();
        List<String> tables = List.of(deadLetterTable, "pipeline_control", "pipeline_definition", "audit_log");
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
                for (String table : tables) {
                    if (exists(connection, "public." + table)) {
                        statement.execute("ALTER TABLE public." + table + " SET SCHEMA " + schema);
                    }
                }
                statement.execute("ALTER TABLE public.flyway_schema_history SET SCHEMA " + schema);
                statement.execute("ALTER TABLE " + schema + ".flyway_schema_history RENAME TO " + LEGACY_HISTORY);
                // Its key and index keep their names; the new history takes the same ones.
                List<String> indexes = new ArrayList<>();
                try (ResultSet rows = statement.executeQuery("SELECT indexname FROM pg_indexes WHERE schemaname = '"
                        + schema + "' AND tablename = '" + LEGACY_HISTORY + "'")) {
                    while (rows.next()) {
                        indexes.add(rows.getString(1));
                    }
                }
                for (String index : indexes) {
                    statement.execute("ALTER INDEX " + schema + "." + index + " RENAME TO "
                            + index.replace("flyway_schema_history", LEGACY_HISTORY));
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
        log.info("Moved Sluice's tables {} from public into the schema {}, every row kept", tables, schema);
    }

    private static boolean exists(DataSource dataSource, String table) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return exists(connection, table);
        }
    }

    private static boolean exists(Connection connection, String table) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            statement.setString(1, table);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        }
    }
}
