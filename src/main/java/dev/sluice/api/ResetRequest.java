package dev.sluice.api;

import dev.sluice.pipeline.StartingPoint;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotNull;
import java.time.Instant;

/**
 * Where a pipeline starts after its checkpoint is discarded.
 *
 * @param from {@code earliest}, {@code latest} or {@code timestamp}
 * @param timestamp with {@code timestamp}: an ISO-8601 instant; the run starts at the first
 *     record of each partition at or after it
 */
record ResetRequest(@NotNull StartingPoint.Kind from, Instant timestamp) {

    @AssertTrue(message = "timestamp is required when from is 'timestamp', and not allowed otherwise")
    boolean isTimestampConsistent() {
        return from == null || (from == StartingPoint.Kind.TIMESTAMP) == (timestamp != null);
    }

    StartingPoint startingPoint() {
        return new StartingPoint(from, timestamp);
    }
}
