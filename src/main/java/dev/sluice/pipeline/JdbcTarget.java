package dev.sluice.pipeline;

import java.io.Serializable;
import java.util.Objects;

/**
 * Where Spark tasks connect to PostgreSQL. Travels to executors with the task, so it holds the
 * password; {@link #toString()} never shows it.
 */
public record JdbcTarget(String url, String username, String password, int maxPoolSize) implements Serializable {

    public JdbcTarget {
        Objects.requireNonNull(url, "url");
    }

    @Override
    public String toString() {
        return "JdbcTarget[url=" + Redaction.redact(url) + ", username=" + username + "]";
    }
}
