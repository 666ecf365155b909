package dev.sluice.deadletter;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Deletes dead letters older than the retention, now and then every {@code interval}. */
public final class DeadLetterRetention implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterRetention.class);

    private final DeadLetterStore store;
    private final Duration retention;
    private final Clock clock;
    private ScheduledExecutorService purges;

    public DeadLetterRetention(DeadLetterStore store, Duration retention, Clock clock) {
        this.store = store;
        this.retention = retention;
        this.clock = clock;
    }

    public void start(Duration interval) {
        purges = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-dead-letter-retention");
            thread.setDaemon(true);
            return thread;
        });
        purges.scheduleWithFixedDelay(this::purgeQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Deletes what is past the retention; returns how many. */
    public int purge() {
        int deleted = store.purgeOlderThan(retention, clock.instant());
        if (deleted > 0) {
            log.info("Deleted {} dead letters older than {}", deleted, retention);
        }
        return deleted;
    }

    private void purgeQuietly() {
        try {
            purge();
        } catch (RuntimeException e) {
            log.warn("Could not delete old dead letters: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        if (purges != null) {
            purges.shutdownNow();
        }
    }
}
