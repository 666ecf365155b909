package dev.sluice.run;

import dev.sluice.pipeline.BatchOutcome;
import dev.sluice.pipeline.BatchOutcome.ExpectationCount;
import dev.sluice.pipeline.Pipeline;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pipeline and its current (or last) run. Start, stop and restart planning hold
 * {@link #lifecycle}; the sink totals have their own lock, because the query thread records
 * them while a stop waits for that very thread.
 */
final class ManagedPipeline {

    private static final Logger log = LoggerFactory.getLogger(PipelineRuns.class);
    private static final long STOP_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** How long a stop waits for the tasks of a stopped micro-batch to end. */
    static final Duration TASKS_END_TIMEOUT = Duration.ofSeconds(10);

    final Object lifecycle = new Object();
    final Pipeline pipeline;
    volatile DesiredState desired = DesiredState.STOPPED;
    /**
     * Whether the service's start has decided whether to start it ({@link
     * PipelineRuns#startAutomatically}); guarded by {@link #lifecycle}.
     */
    boolean automaticStartDecided;

    volatile StreamingQuery query;
    volatile Instant startedAt;
    volatile Instant endedAt;
    volatile PipelineStatus.Failure startFailure;
    volatile boolean stopping;
    /** Failures in a row; a batch that reaches its sink sets it back to 0. */
    volatile int attempt;

    volatile Instant nextRestartAt;
    volatile boolean gaveUp;
    /** The last failure was a {@link dev.sluice.pipeline.PipelineRefusal}: not restarted. */
    volatile boolean refused;

    volatile ScheduledFuture<?> pendingRestart;
    final AtomicLong failures = new AtomicLong();
    final AtomicLong restarts = new AtomicLong();
    private long rowsWritten;
    private long duplicatesSkipped;
    private final Map<String, Long> deadLetters = new TreeMap<>();
    /** The records that broke each expectation, in the definition's order. */
    private final Map<String, ExpectationCount> expectations = new LinkedHashMap<>();

    ManagedPipeline(Pipeline pipeline) {
        this.pipeline = pipeline;
        pipeline.expectations()
                .forEach((name, action) -> expectations.put(name, new ExpectationCount(name, action, 0)));
    }

    void started(StreamingQuery query) {
        this.query = query;
        this.startedAt = Instant.now();
        this.endedAt = null;
        this.startFailure = null;
    }

    void failedToStart(String message) {
        this.query = null;
        this.startFailure = new PipelineStatus.Failure(message, Instant.now());
    }

    void resetRestarts() {
        if (pendingRestart != null) {
            pendingRestart.cancel(false);
            pendingRestart = null;
        }
        attempt = 0;
        nextRestartAt = null;
        gaveUp = false;
        refused = false;
    }

    /**
     * Stops every running query, each in a thread of its own, so a shutdown takes at most one stop
     * timeout, not one per pipeline; cancels planned restarts.
     */
    static void stopAll(List<ManagedPipeline> pipelines, Duration timeout, RunningTasks tasks) {
        List<Thread> stops = pipelines.stream()
                .map(managed -> new Thread(
                        () -> {
                            synchronized (managed.lifecycle) {
                                managed.resetRestarts();
                                if (managed.state() == RunState.RUNNING) {
                                    log.info("Stopping pipeline {}", managed.pipeline.name());
                                    managed.stop(timeout, tasks);
                                }
                            }
                        },
                        "sluice-stop-" + managed.pipeline.name()))
                .toList();
        stops.forEach(Thread::start);
        for (Thread stop : stops) {
            try {
                stop.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    /**
     * Lets the running micro-batch finish (up to the timeout), then stops the query. A batch still
     * running then, or one the query started right after it, is stopped: Spark interrupts its
     * tasks, which roll back what they had not committed, and the next run reads that batch
     * again. The stop returns once those tasks have ended
     * (up to {@link #TASKS_END_TIMEOUT} more), so nothing the service closes after a stop (the
     * sink's connections, Spark itself) is closed under a task still writing.
     */
    void stop(Duration timeout, RunningTasks tasks) {
        stopping = true;
        try {
            StreamingQuery current = query;
            long deadline = System.nanoTime() + timeout.toNanos();
            // The batch running now ends with a new progress report. A query catching up starts
            // its next batch at once, so waiting for no batch to run could take the whole timeout.
            StreamingQueryProgress before = current.lastProgress();
            while (runsBatchSince(current, before) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(STOP_POLL_NANOS);
            }
            if (runsBatchSince(current, before)) {
                log.info(
                        "Pipeline {}: its micro-batch did not finish within the stop timeout ({}); stopping it, the"
                                + " next run reads it again",
                        pipeline.name(),
                        timeout);
            }
            current.stop();
            awaitTasksEnded(current, tasks, System.nanoTime() + TASKS_END_TIMEOUT.toNanos());
        } catch (TimeoutException e) {
            log.warn("Pipeline {} did not stop in time: {}", pipeline.name(), e.getMessage());
        } finally {
            stopping = false;
        }
    }

    /** Whether the query still runs the micro-batch it ran when its last progress was {@code before}. */
    private static boolean runsBatchSince(StreamingQuery query, StreamingQueryProgress before) {
        return query.isActive() && query.status().isTriggerActive() && query.lastProgress() == before;
    }

    /** Waits, up to the deadline, until no job or task of the stopped run (its job group) runs. */
    private void awaitTasksEnded(StreamingQuery stopped, RunningTasks tasks, long deadline) {
        String group = stopped.runId().toString();
        if (!tasks.catchUp(deadline)) {
            log.warn(
                    "Pipeline {}: Spark's task events did not catch up within {}; tasks of its stopped run may"
                            + " still run",
                    pipeline.name(),
                    TASKS_END_TIMEOUT);
            return;
        }
        if (!tasks.awaitIdle(group, deadline)) {
            log.warn(
                    "Pipeline {}: tasks of its stopped run still running after {}", pipeline.name(), TASKS_END_TIMEOUT);
        }
    }

    RunState state() {
        if (stopping) {
            return RunState.STOPPING;
        }
        StreamingQuery current = query;
        if (current != null && current.isActive()) {
            return RunState.RUNNING;
        }
        if (desired == DesiredState.STOPPED) {
            return RunState.STOPPED;
        }
        boolean failed =
                current == null ? startFailure != null : current.exception().isDefined();
        return failed ? RunState.FAILED : RunState.STOPPED;
    }

    void record(BatchOutcome outcome) {
        attempt = 0;
        synchronized (deadLetters) {
            rowsWritten += outcome.rowsWritten();
            duplicatesSkipped += outcome.duplicatesSkipped();
            outcome.deadLetters().forEach((reason, count) -> deadLetters.merge(reason, count, Long::sum));
            for (ExpectationCount count : outcome.expectations()) {
                expectations.merge(
                        count.name(),
                        count,
                        (a, b) -> new ExpectationCount(a.name(), a.action(), a.records() + b.records()));
            }
        }
    }

    private List<ExpectationCount> expectationTotals() {
        synchronized (deadLetters) {
            return List.copyOf(expectations.values());
        }
    }

    private PipelineStatus.SinkTotals totals() {
        synchronized (deadLetters) {
            long dead = deadLetters.values().stream().mapToLong(Long::longValue).sum();
            return new PipelineStatus.SinkTotals(rowsWritten, duplicatesSkipped, dead, Map.copyOf(deadLetters));
        }
    }

    PipelineStatus status(PipelineStatus.Lag lag) {
        StreamingQuery current = query;
        RunState state = state();
        PipelineStatus.Failure failure = null;
        if (state == RunState.FAILED) {
            if (current != null && endedAt == null) {
                // Seen before Spark's listener bus delivered the termination.
                endedAt = Instant.now();
            }
            failure = current == null
                    ? startFailure
                    : new PipelineStatus.Failure(
                            RunFailure.describe(current.exception().get()), endedAt);
        }
        int restarts = attempt;
        PipelineStatus.Restart restart =
                restarts > 0 || gaveUp ? new PipelineStatus.Restart(restarts, nextRestartAt, gaveUp) : null;
        return new PipelineStatus(
                pipeline.name(),
                state,
                desired,
                pipeline.autoStart(),
                current == null ? null : current.id().toString(),
                current == null ? null : current.runId().toString(),
                current == null ? null : startedAt,
                current == null || !current.isActive() ? null : current.status().message(),
                failure,
                restart,
                current == null ? null : summarize(current.lastProgress()),
                lag,
                totals(),
                expectationTotals().isEmpty() ? null : expectationTotals());
    }

    private static PipelineStatus.Progress summarize(StreamingQueryProgress progress) {
        if (progress == null) {
            return null;
        }
        Long duration = progress.durationMs().get("triggerExecution");
        return new PipelineStatus.Progress(
                progress.batchId(),
                Instant.parse(progress.timestamp()),
                progress.numInputRows(),
                progress.inputRowsPerSecond(),
                progress.processedRowsPerSecond(),
                duration);
    }
}
