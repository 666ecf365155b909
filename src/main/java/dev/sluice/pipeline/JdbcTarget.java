package dev.sluice.pipeline;

import java.io.Serializable;
import java.util.Objects;

/**
 * Where Spark tasks connect to PostgreSQL, and how they write. Travels to executors with the task,
 * so it holds the password; {@link #toString()} never shows it.
 */
public record JdbcTarget(String url, String username, String password, int maxPoolSize, WriteMethod writeMethod)
        implements Serializable {

    public JdbcTarget {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(writeMethod, "writeMethod");
    }

    /** A target written with {@code COPY}. */
    public JdbcTarget(String url, String username, String password, int maxPoolSize) {
        this(url, username, password, maxPoolSize, WriteMethod.COPY);
    }

    @Override
    public String toString() {
        return "JdbcTarget[url=" + Redaction.redact(url) + ", username=" + username + ", writeMethod=" + writeMethod
                + "]";
    }
}
