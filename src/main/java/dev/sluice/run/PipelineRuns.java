package dev.sluice.run;

import dev.sluice.pipeline.BatchListener;
import dev.sluice.pipeline.BatchOutcome;
import dev.sluice.pipeline.CheckpointOffsets;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineRefusal;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.pipeline.StartingPoint;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs of every pipeline (a run is one Spark streaming query of a pipeline, from its start
 * to its stop or failure): starts, stops, restarts and reports on them.
 *
 * <ul>
 *   <li>An operator's start or stop is stored as the pipeline's desired state, which outlives the
 *       service: after a restart, a pipeline the operator stopped stays stopped.
 *   <li>A query that fails while it should run is restarted from its checkpoint after a backoff
 *       that grows with each failure in a row; a manual start resets it.
 *   <li>A stop first lets the running micro-batch finish, up to the stop timeout.
 * </ul>
 *
 * Start and stop of one pipeline are serialised; status reads never wait for them.
 */
public class PipelineRuns {

    private static final Logger log = LoggerFactory.getLogger(PipelineRuns.class);

    /**
     * In Hadoop's shutdown hook manager, which runs its hooks one after the other, highest first:
     * above Spark's own hook (40), which stops Spark's executor (no new task is accepted after
     * that) and then its context. So on SIGTERM the queries stop first, and a running micro-batch
     * can finish while the executor still runs its tasks.
     */
    private static final int SHUTDOWN_PRIORITY = 50;

    /**
     * What the shutdown hook is given beyond the stop timeout: the queries' own stop after the
     * wait, and the end of the tasks of a micro-batch stopped then.
     */
    private static final Duration SHUTDOWN_MARGIN = ManagedPipeline.TASKS_END_TIMEOUT.plusSeconds(10);

    private final SparkSession spark;
    private final PipelineRegistry registry = new PipelineRegistry();
    private final List<BatchListener> batchListeners;
    private final DesiredStateStore desiredStates;
    private final RestartScheduler restarts;
    private final Duration stopTimeout;
    private final LagSource lagSource;
    private final Runnable shutdownHook = this::stopAll;
    private final RunningTasks runningTasks;

    public PipelineRuns(
            SparkSession spark,
            List<Pipeline> pipelines,
            List<BatchListener> batchListeners,
            DesiredStateStore desiredStates,
            RestartPolicy restartPolicy,
            Duration stopTimeout,
            LagSource lagSource) {
        this.spark = spark;
        this.lagSource = lagSource;
        this.batchListeners = List.copyOf(batchListeners);
        this.desiredStates = desiredStates;
        this.stopTimeout = stopTimeout;
        pipelines.forEach(pipeline -> registry.add(pipeline, false));
        this.restarts = new RestartScheduler(registry, restartPolicy, this::run);
        spark.streams().addListener(restarts);
        this.runningTasks = new RunningTasks(spark.sparkContext());
        spark.sparkContext().addSparkListener(runningTasks);
        // SIGTERM runs Hadoop's hooks (Spark's among them) and Spring's at once; this one makes
        // the queries stop before Spark does, given the time a stop may take (Hadoop's default
        // for a hook, 30 s, would cut a stop that waits for a long micro-batch short).
        ShutdownHookManager.get()
                .addShutdownHook(
                        shutdownHook,
                        SHUTDOWN_PRIORITY,
                        stopTimeout.plus(SHUTDOWN_MARGIN).toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    public void addRegistryListener(RegistryListener listener) {
        registry.addListener(listener);
    }

    /**
     * Adds a pipeline, stopped; it starts when asked, or (when it should run) at the service's
     * start. Throws if the name is taken.
     */
    public void register(Pipeline pipeline) {
        registry.add(pipeline, true);
    }

    /** Replaces a stopped pipeline's definition; what is desired of it stays. */
    public void replace(Pipeline pipeline) {
        ManagedPipeline old = require(pipeline.name());
        synchronized (old.lifecycle) {
            requireStopped(old, "changed");
            old.resetRestarts();
            ManagedPipeline replacement = new ManagedPipeline(pipeline);
            replacement.desired = old.desired;
            registry.replace(replacement);
        }
    }

    /** Removes a stopped pipeline, and what operators asked of it. */
    public void unregister(String name) {
        ManagedPipeline managed = require(name);
        synchronized (managed.lifecycle) {
            requireStopped(managed, "removed");
            managed.resetRestarts();
            desiredStates.delete(name);
            registry.remove(name);
        }
    }

    /** Every pipeline, in the order they were added. */
    public List<Pipeline> pipelines() {
        return registry.all().stream().map(managed -> managed.pipeline).toList();
    }

    /** The pipeline itself. */
    public Pipeline pipeline(String name) {
        return require(name).pipeline;
    }

    /** Whether the pipeline's checkpoint has committed a micro-batch. */
    public boolean hasCommitted(String name) {
        CheckpointOffsets offsets = offsets(name);
        return offsets.committedBatchId() != null;
    }

    /** Discards a stopped pipeline's checkpoint, whatever its sink; for a redefinition or removal. */
    public void deleteCheckpoint(String name) {
        ManagedPipeline managed = require(name);
        synchronized (managed.lifecycle) {
            requireStopped(managed, "reset");
            checkpoints().delete(managed.pipeline);
        }
    }

    private Checkpoints checkpoints() {
        return new Checkpoints(spark.sparkContext().hadoopConfiguration());
    }

    private static void requireStopped(ManagedPipeline managed, String action) {
        RunState state = managed.state();
        if (state != RunState.STOPPED && state != RunState.FAILED) {
            String name = managed.pipeline.name();
            throw new RunStateConflictException(
                    name, state, "Pipeline '" + name + "' must be stopped before it is " + action);
        }
    }

    public List<PipelineStatus> list() {
        return names().stream().map(this::status).toList();
    }

    public PipelineStatus status(String name) {
        return require(name).status(lagSource.lag(name).orElse(null));
    }

    /** The pipelines' names, in the order they were configured. */
    public List<String> names() {
        return registry.names();
    }

    /** Where the pipeline's query is; cheaper than {@link #status}, for metrics. */
    public RunState state(String name) {
        return require(name).state();
    }

    /** What the operator (or the configuration) wants of the pipeline. */
    public DesiredState desired(String name) {
        return require(name).desired;
    }

    /** Failures since this service started: runs that ended with an error or could not start. */
    public long failures(String name) {
        return require(name).failures.get();
    }

    /** Automatic restarts attempted since this service started. */
    public long restarts(String name) {
        return require(name).restarts.get();
    }

    /** An operator's start: stored as desired, resets the restart backoff, returns once Spark started it. */
    public PipelineStatus start(String name) {
        ManagedPipeline managed = require(name);
        synchronized (managed.lifecycle) {
            RunState state = managed.state();
            if (state == RunState.RUNNING || state == RunState.STOPPING) {
                throw new RunStateConflictException(name, state, "Pipeline '" + name + "' is already running");
            }
            desiredStates.save(name, DesiredState.RUNNING);
            managed.desired = DesiredState.RUNNING;
            managed.resetRestarts();
            run(managed);
        }
        return status(name);
    }

    /**
     * An operator's stop: stored as desired; a running query stops once its current micro-batch
     * is done (or the stop timeout passes), a failed one is no longer restarted.
     */
    public PipelineStatus stop(String name) {
        ManagedPipeline managed = require(name);
        synchronized (managed.lifecycle) {
            RunState state = managed.state();
            if (state == RunState.STOPPED || state == RunState.STOPPING) {
                throw new RunStateConflictException(name, state, "Pipeline '" + name + "' is not running");
            }
            desiredStates.save(name, DesiredState.STOPPED);
            managed.desired = DesiredState.STOPPED;
            managed.resetRestarts();
            if (state == RunState.RUNNING) {
                managed.stop(stopTimeout, runningTasks);
            }
        }
        return status(name);
    }

    /** The Kafka offsets the pipeline's checkpoint has committed. */
    public CheckpointOffsets offsets(String name) {
        return checkpoints().read(require(name).pipeline);
    }

    /**
     * Discards the checkpoint of a stopped pipeline; its next run starts from {@code from}.
     * Refused while it runs, and for pipelines whose sink is bound to the checkpoint.
     */
    public PipelineStatus reset(String name, StartingPoint from) {
        ManagedPipeline managed = require(name);
        synchronized (managed.lifecycle) {
            RunState state = managed.state();
            if (state != RunState.STOPPED) {
                throw new RunStateConflictException(
                        name, state, "Pipeline '" + name + "' must be stopped before its checkpoint is reset");
            }
            Optional<String> refusal = managed.pipeline.resetRefusal();
            if (refusal.isPresent()) {
                throw new RunStateConflictException(
                        name, state, "The checkpoint of '" + name + "' cannot be reset: " + refusal.get());
            }
            desiredStates.saveNextStart(name, from);
            checkpoints().delete(managed.pipeline);
            log.info("Reset the checkpoint of pipeline {}; it will start from {}", name, from.encode());
        }
        return status(name);
    }

    /** The most recent progress reports, oldest first, as Spark's JSON. */
    public List<String> progress(String name, int limit) {
        StreamingQuery query = require(name).query;
        if (query == null) {
            return List.of();
        }
        StreamingQueryProgress[] recent = query.recentProgress();
        return Arrays.stream(recent, Math.max(0, recent.length - limit), recent.length)
                .map(StreamingQueryProgress::json)
                .toList();
    }

    /**
     * Starts the pipelines that should run: as last asked by an operator, else as configured. Once,
     * as the service starts; a pipeline already started this way ({@link #startAutomatically(String)})
     * is passed over.
     */
    public void startAutomatically() {
        for (ManagedPipeline managed : registry.all()) {
            startAutomatically(managed);
        }
    }

    /**
     * Starts this pipeline as {@link #startAutomatically()} would, now, ahead of the others: the
     * service's start hands over each built-in as soon as it is checked, so its first micro-batch
     * does not wait for the checks of the pipelines after it.
     */
    public void startAutomatically(String name) {
        startAutomatically(require(name));
    }

    private void startAutomatically(ManagedPipeline managed) {
        String name = managed.pipeline.name();
        Optional<DesiredState> stored;
        synchronized (managed.lifecycle) {
            if (managed.automaticStartDecided) {
                return;
            }
            managed.automaticStartDecided = true;
            stored = desiredStates.load(name);
            DesiredState desired =
                    stored.orElse(managed.pipeline.autoStart() ? DesiredState.RUNNING : DesiredState.STOPPED);
            managed.desired = desired;
            if (desired == DesiredState.RUNNING && managed.state() != RunState.RUNNING) {
                try {
                    run(managed);
                } catch (RunStartException e) {
                    // Already logged and scheduled for a retry; the service stays up.
                }
            }
        }
        log.info(
                "Pipeline {}: {} ({}){}",
                name,
                managed.state(),
                stored.isPresent()
                        ? "as an operator last asked"
                        : "auto-start " + (managed.pipeline.autoStart() ? "on" : "off"),
                lagSource.lag(name).map(RunFailure::describeLag).orElse(""));
    }

    /** Stops every running query without changing what is desired; the manager is done after this. */
    @PreDestroy
    public void stopAll() {
        restarts.shutdown();
        ManagedPipeline.stopAll(registry.all(), stopTimeout, runningTasks);
        PostgresSink.closeConnections();
        spark.streams().removeListener(restarts);
        spark.sparkContext().removeSparkListener(runningTasks);
        try {
            ShutdownHookManager.get().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is shutting down: the hook runs, or has run, this very stop.
        }
    }

    /** Starts a run; on failure records it, schedules a retry when one is due, and throws. Holds the lock. */
    private void run(ManagedPipeline managed) {
        String name = managed.pipeline.name();
        try {
            StartingPoint from = desiredStates.nextStart(name).orElse(null);
            managed.started(managed.pipeline.start(spark, this::onBatch, from));
            if (from != null) {
                // The new checkpoint now records where the query starts.
                desiredStates.saveNextStart(name, null);
            }
            log.info("Started pipeline {}{}", name, managed.attempt > 0 ? " (restart " + managed.attempt + ")" : "");
        } catch (Exception e) {
            String message = RunFailure.describe(e);
            managed.failedToStart(message);
            managed.failures.incrementAndGet();
            managed.refused = PipelineRefusal.in(e).isPresent();
            log.error("Pipeline {} could not start: {}", name, message);
            restarts.afterFailure(managed);
            throw new RunStartException(name, "Pipeline '" + name + "' could not start: " + message, e);
        }
    }

    private void onBatch(String pipeline, long batchId, BatchOutcome outcome, Duration writeTime) {
        registry.find(pipeline).ifPresent(managed -> managed.record(outcome));
        for (BatchListener listener : batchListeners) {
            listener.onBatch(pipeline, batchId, outcome, writeTime);
        }
    }

    private ManagedPipeline require(String name) {
        return registry.require(name);
    }
}
