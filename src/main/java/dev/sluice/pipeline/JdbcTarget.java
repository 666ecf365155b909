package dev.sluice.pipeline;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;

/**
 * Where Spark tasks connect to PostgreSQL, and how they write. Travels to executors with the task,
 * so it holds the password; {@link #toString()} never shows it.
 *
 * @param tablesSchema the schema of a table named without one: the connections' search path, so
 *     Sluice's own schema (which a user of the same name would otherwise find first) never is
 * @param keyedChunkCommits whether a table with a key takes each chunk of a partition's rows in a
 *     transaction of its own (rows land while the batch runs; a replay rewrites the same keys), or
 *     the whole partition in one; a table without a key always takes one transaction per partition
 */
public record JdbcTarget(
        String url,
        String username,
        String password,
        int maxPoolSize,
        WriteMethod writeMethod,
        String tablesSchema,
        boolean keyedChunkCommits)
        implements Serializable {

    public JdbcTarget {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(writeMethod, "writeMethod");
        Objects.requireNonNull(tablesSchema, "tablesSchema");
    }

    /** A target whose keyed tables take a partition's rows a chunk per transaction. */
    public JdbcTarget(
            String url,
            String username,
            String password,
            int maxPoolSize,
            WriteMethod writeMethod,
            String tablesSchema) {
        this(url, username, password, maxPoolSize, writeMethod, tablesSchema, true);
    }

    /** A target for tables in {@code public}. */
    public JdbcTarget(String url, String username, String password, int maxPoolSize, WriteMethod writeMethod) {
        this(url, username, password, maxPoolSize, writeMethod, "public");
    }

    /** A target for tables in {@code public}, written with {@code COPY}. */
    public JdbcTarget(String url, String username, String password, int maxPoolSize) {
        this(url, username, password, maxPoolSize, WriteMethod.COPY);
    }

    /** One connection of its own (not from the pool), with the tables' schema as its search path. */
    public Connection connect() throws SQLException {
        Connection connection = DriverManager.getConnection(url, username, password);
        try {
            connection.setSchema(tablesSchema);
            return connection;
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return "JdbcTarget[url=" + Redaction.redact(url) + ", username=" + username + ", writeMethod=" + writeMethod
                + ", tablesSchema=" + tablesSchema + ", keyedChunkCommits=" + keyedChunkCommits + "]";
    }
}
