package dev.sluice.run;

import java.time.Duration;
import java.util.Optional;

/**
 * When to restart a failed query: after {@code initialBackoff}, each wait {@code multiplier}
 * times the last, capped at {@code maxBackoff}; after {@code maxAttempts} failures in a row (0:
 * never) it gives up.
 */
public record RestartPolicy(
        boolean enabled, Duration initialBackoff, Duration maxBackoff, double multiplier, int maxAttempts) {

    public static final RestartPolicy NEVER = new RestartPolicy(false, Duration.ZERO, Duration.ZERO, 1, 0);

    public RestartPolicy {
        if (multiplier < 1) {
            throw new IllegalArgumentException("multiplier must be at least 1");
        }
    }

    /** The wait before restart number {@code attempt} (from 1), or empty when it should not happen. */
    public Optional<Duration> backoff(int attempt) {
        if (!enabled || attempt < 1 || (maxAttempts > 0 && attempt > maxAttempts)) {
            return Optional.empty();
        }
        double millis = initialBackoff.toMillis() * Math.pow(multiplier, attempt - 1);
        return Optional.of(Duration.ofMillis((long) Math.min(millis, maxBackoff.toMillis())));
    }
}
