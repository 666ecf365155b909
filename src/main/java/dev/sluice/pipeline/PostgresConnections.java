package dev.sluice.pipeline;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * One small connection pool per JVM and target, so Spark tasks on an executor reuse connections
 * (and their staging tables) across micro-batches instead of opening one per partition.
 */
final class PostgresConnections {

    private static final Map<JdbcTarget, HikariDataSource> POOLS = new ConcurrentHashMap<>();

    private PostgresConnections() {}

    static DataSource get(JdbcTarget target) {
        return POOLS.computeIfAbsent(target, PostgresConnections::open);
    }

    /** Closes every pool of this JVM; called when the service shuts down. */
    static void closeAll() {
        POOLS.values().forEach(HikariDataSource::close);
        POOLS.clear();
    }

    private static HikariDataSource open(JdbcTarget target) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("sluice-sink");
        config.setJdbcUrl(target.url());
        config.setUsername(target.username());
        config.setPassword(target.password());
        config.setMaximumPoolSize(target.maxPoolSize());
        config.setMinimumIdle(0);
        config.setIdleTimeout(60_000);
        // Fail the batch soon when the database is away; the query restarts with a backoff.
        config.setConnectionTimeout(5_000);
        config.setAutoCommit(false);
        config.setSchema(target.tablesSchema());
        return new HikariDataSource(config);
    }

    /**
     * Rolls back after {@code failure}, for the caller to rethrow it. A rollback that fails too (the
     * connection is gone) is added to it as suppressed: the first error is the one that says what
     * happened.
     */
    static void rollBack(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException | RuntimeException rollback) {
            failure.addSuppressed(rollback);
        }
    }
}
