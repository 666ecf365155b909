package dev.sluice.pipeline;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a query without a checkpoint starts reading, as an operator asked on reset.
 *
 * @param kind earliest, latest or a point in time
 * @param timestamp with {@link Kind#TIMESTAMP}: the first offset at or after this Kafka timestamp
 */
public record StartingPoint(Kind kind, Instant timestamp) {

    public enum Kind {
        EARLIEST,
        LATEST,
        TIMESTAMP
    }

    public StartingPoint {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.TIMESTAMP) != (timestamp != null)) {
            throw new IllegalArgumentException("a timestamp goes with, and only with, TIMESTAMP");
        }
    }

    /** The form kept in the database: {@code earliest}, {@code latest} or {@code timestamp:<ISO instant>}. */
    public String encode() {
        return kind == Kind.TIMESTAMP ? "timestamp:" + timestamp : kind.name().toLowerCase();
    }

    public static StartingPoint decode(String text) {
        if (text.startsWith("timestamp:")) {
            return new StartingPoint(Kind.TIMESTAMP, Instant.parse(text.substring("timestamp:".length())));
        }
        return new StartingPoint(Kind.valueOf(text.toUpperCase()), null);
    }
}
