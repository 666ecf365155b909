package dev.sluice.run;

import dev.sluice.pipeline.PipelineRefusal;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts the runs that fail while they should run, from their checkpoints, after a backoff that
 * grows with each failure in a row ({@link RestartPolicy}); notes when and why each run ended, from
 * Spark's listener bus.
 *
 * <p>While a restart waits, what the pipeline depends on is probed ({@link
 * dev.sluice.pipeline.Pipeline#dependenciesAnswer}): when it did not answer after the failure and
 * answers again, the pipeline restarts at once instead of waiting out the backoff. When it answered
 * all along, the failure was something else, and the backoff stands.
 */
final class RestartScheduler extends StreamingQueryListener {

    private static final Logger log = LoggerFactory.getLogger(PipelineRuns.class);

    /** How often a pipeline waiting for its restart probes what it depends on. */
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

    private final PipelineRegistry registry;
    private final RestartPolicy policy;
    /** Starts a run, holding the pipeline's lock; records a failure to start and plans its retry. */
    private final Consumer<ManagedPipeline> run;

    private final ScheduledExecutorService restarts = daemon("sluice-query-restarts");
    /** Probes take seconds when a dependency is away: off the restarts' thread. */
    private final ScheduledExecutorService probes = daemon("sluice-dependency-probes");

    RestartScheduler(PipelineRegistry registry, RestartPolicy policy, Consumer<ManagedPipeline> run) {
        this.registry = registry;
        this.policy = policy;
        this.run = run;
    }

    private static ScheduledExecutorService daemon(String name) {
        return Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** No restart is planned after this. */
    void shutdown() {
        restarts.shutdownNow();
        probes.shutdownNow();
    }

    /** After a failure: plans the next restart, or gives up. Holds the pipeline's lock. */
    void afterFailure(ManagedPipeline managed) {
        if (managed.desired != DesiredState.RUNNING || restarts.isShutdown()) {
            return;
        }
        if (managed.refused) {
            managed.gaveUp = true;
            log.error("Pipeline {} is not restarted: it needs an operator to act first", managed.pipeline.name());
            return;
        }
        int attempt = managed.attempt + 1;
        Optional<Duration> backoff = policy.backoff(attempt);
        if (backoff.isEmpty()) {
            managed.gaveUp = policy.enabled();
            if (managed.gaveUp) {
                log.error(
                        "Pipeline {} failed {} times in a row; not restarting it again",
                        managed.pipeline.name(),
                        managed.attempt);
            }
            return;
        }
        managed.attempt = attempt;
        managed.nextRestartAt = Instant.now().plus(backoff.get());
        ScheduledFuture<?> restart =
                restarts.schedule(() -> restart(managed), backoff.get().toMillis(), TimeUnit.MILLISECONDS);
        managed.pendingRestart = restart;
        log.warn("Pipeline {} will restart in {} (attempt {})", managed.pipeline.name(), backoff.get(), attempt);
        probes.execute(() -> probe(managed, restart, false));
    }

    /**
     * Probes the pipeline's dependencies while its restart waits; restarts it at once when one
     * that did not answer answers again.
     */
    private void probe(ManagedPipeline managed, ScheduledFuture<?> restart, boolean wasAway) {
        if (restart.isDone() || managed.pendingRestart != restart) {
            return; // restarted, stopped or started by hand meanwhile
        }
        boolean answers;
        try {
            answers = managed.pipeline.dependenciesAnswer();
        } catch (RuntimeException e) {
            answers = false;
        }
        if (answers && wasAway) {
            if (restart.cancel(false)) {
                log.info("Pipeline {}: what it depends on answers again; restarting now", managed.pipeline.name());
                restarts.execute(() -> restart(managed));
            }
        } else if (!answers && !probes.isShutdown()) {
            probes.schedule(() -> probe(managed, restart, true), PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void restart(ManagedPipeline managed) {
        synchronized (managed.lifecycle) {
            managed.pendingRestart = null;
            managed.nextRestartAt = null;
            if (managed.desired != DesiredState.RUNNING || managed.state() != RunState.FAILED) {
                return;
            }
            managed.restarts.incrementAndGet();
            try {
                run.accept(managed);
            } catch (RunStartException e) {
                // The run recorded it and planned the next attempt.
            }
        }
    }

    private void failed(ManagedPipeline managed, UUID runId) {
        synchronized (managed.lifecycle) {
            if (managed.query != null && managed.query.runId().equals(runId) && managed.state() == RunState.FAILED) {
                managed.refused = managed.query.exception().isDefined()
                        && PipelineRefusal.in(managed.query.exception().get()).isPresent();
                afterFailure(managed);
            }
        }
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {}

    @Override
    public void onQueryProgress(QueryProgressEvent event) {}

    /** Notes when and why a run ended; the restart is planned off Spark's listener bus. */
    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        registry.running(event.runId()).ifPresent(managed -> {
            managed.endedAt = Instant.now();
            if (event.exception().isDefined()) {
                managed.failures.incrementAndGet();
                log.error(
                        "Pipeline {} failed: {}",
                        managed.pipeline.name(),
                        RunFailure.describe(managed.query.exception().get()));
                if (!restarts.isShutdown()) {
                    restarts.execute(() -> failed(managed, event.runId()));
                }
            }
        });
    }
}
