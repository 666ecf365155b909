package dev.sluice.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.BatchListener;
import dev.sluice.pipeline.BatchOutcome;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.StartingPoint;
import dev.sluice.support.InMemoryDesiredStateStore;
import dev.sluice.support.TestSpark;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manager against a real local Spark, with rate-source pipelines standing in for Kafka ones. */
class PipelineRunsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private final SparkSession spark = TestSpark.session();

    @TempDir
    Path checkpoints;

    private static final RestartPolicy QUICK_RESTARTS =
            new RestartPolicy(true, Duration.ofMillis(200), Duration.ofSeconds(1), 2, 0);

    private final InMemoryDesiredStateStore desiredStates = new InMemoryDesiredStateStore();
    private final AtomicBoolean sinkDown = new AtomicBoolean();
    private final CountDownLatch batchEntered = new CountDownLatch(1);
    private final CountDownLatch otherBatchEntered = new CountDownLatch(1);
    private final CountDownLatch releaseBatch = new CountDownLatch(1);

    private PipelineRuns manager;

    @BeforeEach
    void createManager() {
        manager = manager(RestartPolicy.NEVER, true);
    }

    private PipelineRuns manager(RestartPolicy restarts, boolean autoStart) {
        return new PipelineRuns(
                spark,
                List.of(
                        new RatePipeline("counting", checkpoints, autoStart, batchId -> {}),
                        new RatePipeline("sink-fails", checkpoints, false, batchId -> {
                            if (batchId >= 1) {
                                throw new IllegalStateException("the sink is down");
                            }
                        }),
                        new RatePipeline("flaky-sink", checkpoints, false, batchId -> {
                            if (sinkDown.get()) {
                                throw new IllegalStateException("connection refused");
                            }
                        }),
                        new RatePipeline("slow-sink", checkpoints, false, holdBatch(batchEntered)),
                        new RatePipeline("other-slow-sink", checkpoints, false, holdBatch(otherBatchEntered))),
                List.of(BatchListener.NONE),
                desiredStates,
                restarts,
                Duration.ofSeconds(20),
                LagSource.NONE);
    }

    @AfterEach
    void stopEverything() {
        releaseBatch.countDown();
        manager.stopAll();
        assertThat(Arrays.stream(spark.streams().active()).map(StreamingQuery::name))
                .doesNotContain("counting", "sink-fails", "flaky-sink", "slow-sink", "other-slow-sink");
    }

    @Test
    void startsReportsProgressAndStops() throws Exception {
        assertThat(manager.status("counting").state()).isEqualTo(RunState.STOPPED);

        PipelineStatus started = manager.start("counting");
        assertThat(started.state()).isEqualTo(RunState.RUNNING);
        assertThat(started.id()).isNotNull();
        assertThat(started.runId()).isNotNull();
        assertThat(started.startedAt()).isNotNull();

        await().atMost(DEADLINE).until(() -> manager.status("counting").sink().rowsWritten() > 0);
        await().atMost(DEADLINE).until(() -> manager.status("counting").lastProgress() != null);
        List<String> progress = manager.progress("counting", 3);
        assertThat(progress).isNotEmpty().hasSizeLessThanOrEqualTo(3);
        assertThat(new ObjectMapper().readTree(progress.get(0)).get("name").asText())
                .isEqualTo("counting");

        PipelineStatus stopped = manager.stop("counting");
        assertThat(stopped.state()).isEqualTo(RunState.STOPPED);
        assertThat(stopped.activity()).isNull();
        assertThat(manager.progress("counting", 3))
                .as("progress of the last run stays visible")
                .isNotEmpty();
    }

    @Test
    void refusesToStartARunningQueryOrStopAStoppedOne() {
        manager.start("counting");
        assertThatThrownBy(() -> manager.start("counting"))
                .isInstanceOfSatisfying(
                        RunStateConflictException.class,
                        e -> assertThat(e.state()).isEqualTo(RunState.RUNNING));

        manager.stop("counting");
        assertThatThrownBy(() -> manager.stop("counting"))
                .isInstanceOfSatisfying(
                        RunStateConflictException.class,
                        e -> assertThat(e.state()).isEqualTo(RunState.STOPPED));
    }

    @Test
    void unknownNamesAreRefused() {
        assertThatThrownBy(() -> manager.status("nope")).isInstanceOf(UnknownPipelineException.class);
        assertThatThrownBy(() -> manager.start("nope")).isInstanceOf(UnknownPipelineException.class);
        assertThatThrownBy(() -> manager.stop("nope")).isInstanceOf(UnknownPipelineException.class);
        assertThatThrownBy(() -> manager.progress("nope", 1)).isInstanceOf(UnknownPipelineException.class);
    }

    @Test
    void concurrentStartsAndStopsLeaveOneConsistentState() throws Exception {
        List<Outcome> starts = race(8, () -> manager.start("counting"));
        assertThat(starts).filteredOn(o -> o == Outcome.OK).hasSize(1);
        assertThat(starts).filteredOn(o -> o == Outcome.CONFLICT).hasSize(7);
        assertThat(Arrays.stream(spark.streams().active()).filter(q -> "counting".equals(q.name())))
                .hasSize(1);

        List<Outcome> stops = race(8, () -> manager.stop("counting"));
        assertThat(stops).filteredOn(o -> o == Outcome.OK).hasSize(1);
        assertThat(stops).filteredOn(o -> o == Outcome.CONFLICT).hasSize(7);
        assertThat(manager.status("counting").state()).isEqualTo(RunState.STOPPED);

        List<Outcome> mixed = race(8, () -> Math.random() < 0.5 ? manager.start("counting") : manager.stop("counting"));
        assertThat(mixed).doesNotContain(Outcome.ERROR);
        RunState state = manager.status("counting").state();
        assertThat(state).isIn(RunState.RUNNING, RunState.STOPPED);
        long active = Arrays.stream(spark.streams().active())
                .filter(q -> "counting".equals(q.name()))
                .count();
        assertThat(active).isEqualTo(state == RunState.RUNNING ? 1 : 0);
    }

    @Test
    void aFailingSinkTurnsTheQueryFailedWithTheReasonAndItCanBeStartedAgain() {
        manager.start("sink-fails");

        await().atMost(DEADLINE).until(() -> manager.status("sink-fails").state() == RunState.FAILED);
        PipelineStatus failed = manager.status("sink-fails");
        assertThat(failed.failure().message()).contains("the sink is down");
        assertThat(failed.failure().at()).isNotNull();
        assertThat(failed.failure().message()).doesNotContain("\tat ");

        assertThat(manager.start("sink-fails").state()).isEqualTo(RunState.RUNNING);
    }

    @Test
    void aRestartResumesTheSameQueryFromItsCheckpoint() {
        PipelineStatus first = manager.start("counting");
        await().atMost(DEADLINE).until(() -> manager.status("counting").lastProgress() != null);
        manager.stop("counting");

        PipelineStatus second = manager.start("counting");

        assertThat(second.id()).as("same checkpoint, same query").isEqualTo(first.id());
        assertThat(second.runId()).isNotEqualTo(first.runId());
    }

    @Test
    void aFailedQueryRestartsByItselfWithAGrowingBackoffUntilAnOperatorStopsIt() {
        manager.stopAll();
        manager = manager(QUICK_RESTARTS, false);
        String firstRun = manager.start("sink-fails").runId();

        await().atMost(DEADLINE).until(() -> restartAttempt("sink-fails") >= 2);
        await().atMost(DEADLINE)
                .until(() -> !firstRun.equals(manager.status("sink-fails").runId()));
        await().atMost(DEADLINE).until(() -> manager.status("sink-fails").state() == RunState.FAILED);
        PipelineStatus failing = manager.status("sink-fails");
        assertThat(failing.failure().message()).contains("the sink is down");
        assertThat(failing.restart().attempt()).isGreaterThanOrEqualTo(2);

        PipelineStatus stopped = manager.stop("sink-fails");
        assertThat(stopped.state()).isEqualTo(RunState.STOPPED);
        assertThat(stopped.desired()).isEqualTo(DesiredState.STOPPED);
        assertThat(stopped.restart()).isNull();
        await().during(Duration.ofMillis(1500))
                .atMost(Duration.ofSeconds(5))
                .until(() -> manager.status("sink-fails").state() == RunState.STOPPED);
    }

    @Test
    void itGivesUpAfterTheMostAttemptsAndAManualStartResetsTheBudget() {
        manager.stopAll();
        manager = manager(new RestartPolicy(true, Duration.ofMillis(100), Duration.ofMillis(200), 2, 2), false);
        manager.start("sink-fails");

        await().atMost(DEADLINE).until(() -> {
            PipelineStatus status = manager.status("sink-fails");
            return status.restart() != null && status.restart().gaveUp();
        });
        PipelineStatus spent = manager.status("sink-fails");
        assertThat(spent.state()).isEqualTo(RunState.FAILED);
        assertThat(spent.restart().attempt()).isEqualTo(2);
        assertThat(spent.restart().nextAttemptAt()).isNull();

        PipelineStatus restarted = manager.start("sink-fails");
        assertThat(restarted.state()).isEqualTo(RunState.RUNNING);
        assertThat(restarted.restart()).isNull();
    }

    @Test
    void aQueryWhoseSinkComesBackRecoversAndItsBackoffResets() {
        manager.stopAll();
        manager = manager(QUICK_RESTARTS, false);
        sinkDown.set(true);
        manager.start("flaky-sink");
        await().atMost(DEADLINE).until(() -> restartAttempt("flaky-sink") >= 2);

        sinkDown.set(false);

        await().atMost(DEADLINE)
                .until(() -> manager.status("flaky-sink").state() == RunState.RUNNING
                        && manager.status("flaky-sink").restart() == null
                        && manager.status("flaky-sink").sink().rowsWritten() > 0);
    }

    @Test
    void whatAnOperatorAskedOutlivesTheManager() {
        manager.stopAll();
        manager = manager(RestartPolicy.NEVER, true);
        manager.startAutomatically();
        assertThat(manager.status("counting").state()).as("auto-start").isEqualTo(RunState.RUNNING);
        manager.stop("counting");
        manager.start("sink-fails");
        manager.stopAll();

        manager = manager(RestartPolicy.NEVER, true);
        manager.startAutomatically();

        assertThat(manager.status("counting").state())
                .as("stopped by the operator, despite auto-start")
                .isEqualTo(RunState.STOPPED);
        assertThat(manager.status("counting").desired()).isEqualTo(DesiredState.STOPPED);
        assertThat(manager.status("sink-fails").state())
                .as("started by the operator, despite no auto-start")
                .isIn(RunState.RUNNING, RunState.FAILED);
        assertThat(manager.status("sink-fails").desired()).isEqualTo(DesiredState.RUNNING);
    }

    @Test
    void aPipelineStartedAheadKeepsItsRunWhenTheRestStart() {
        manager.stopAll();
        manager = manager(RestartPolicy.NEVER, true);
        desiredStates.save("flaky-sink", DesiredState.RUNNING);

        manager.startAutomatically("counting");
        PipelineStatus ahead = manager.status("counting");
        assertThat(ahead.state()).isEqualTo(RunState.RUNNING);
        assertThat(manager.status("flaky-sink").state()).as("not started yet").isEqualTo(RunState.STOPPED);

        manager.startAutomatically();

        PipelineStatus after = manager.status("counting");
        assertThat(after.state()).isEqualTo(RunState.RUNNING);
        assertThat(after.runId()).as("the same run").isEqualTo(ahead.runId());
        assertThat(manager.status("flaky-sink").state())
                .as("as an operator asked")
                .isEqualTo(RunState.RUNNING);
    }

    @Test
    void aStopLetsTheRunningMicroBatchFinish() throws Exception {
        manager.start("slow-sink");
        assertThat(batchEntered.await(60, TimeUnit.SECONDS)).isTrue();

        ExecutorService stopper = Executors.newSingleThreadExecutor();
        try {
            Future<PipelineStatus> stop = stopper.submit(() -> manager.stop("slow-sink"));
            await().atMost(DEADLINE).until(() -> manager.status("slow-sink").state() == RunState.STOPPING);
            assertThat(stop).isNotDone();

            releaseBatch.countDown();

            assertThat(stop.get(60, TimeUnit.SECONDS).state()).isEqualTo(RunState.STOPPED);
            assertThat(manager.status("slow-sink").sink().rowsWritten())
                    .as("the batch completed, not interrupted")
                    .isPositive();
        } finally {
            stopper.shutdownNow();
        }
    }

    @Test
    void aResetIsRefusedWhileRunningAndStartsANewQueryWhenStopped() {
        PipelineStatus first = manager.start("counting");
        await().atMost(DEADLINE).until(() -> manager.status("counting").lastProgress() != null);
        assertThatThrownBy(() -> manager.reset("counting", new StartingPoint(StartingPoint.Kind.LATEST, null)))
                .isInstanceOfSatisfying(
                        RunStateConflictException.class,
                        e -> assertThat(e.state()).isEqualTo(RunState.RUNNING));
        manager.stop("counting");
        assertThat(manager.offsets("counting").committedBatchId()).isNotNull();

        manager.reset("counting", new StartingPoint(StartingPoint.Kind.LATEST, null));

        assertThat(manager.offsets("counting").committedBatchId())
                .as("checkpoint gone")
                .isNull();
        assertThat(desiredStates.nextStart("counting")).contains(new StartingPoint(StartingPoint.Kind.LATEST, null));
        PipelineStatus second = manager.start("counting");
        assertThat(second.id()).as("a new checkpoint is a new query").isNotEqualTo(first.id());
        assertThat(desiredStates.nextStart("counting")).as("used once").isEmpty();
    }

    @Test
    void onShutdownEveryPipelineStopsAtOnce() throws Exception {
        manager.start("slow-sink");
        manager.start("other-slow-sink");
        assertThat(batchEntered.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(otherBatchEntered.await(60, TimeUnit.SECONDS)).isTrue();

        Thread shutdown = new Thread(manager::stopAll, "test-shutdown");
        shutdown.start();
        try {
            // Stopped one after the other, the second would still be RUNNING while the first waits.
            await().atMost(DEADLINE)
                    .until(() -> manager.status("slow-sink").state() == RunState.STOPPING
                            && manager.status("other-slow-sink").state() == RunState.STOPPING);
        } finally {
            releaseBatch.countDown();
            shutdown.join(60_000);
        }
        assertThat(manager.status("slow-sink").state()).isEqualTo(RunState.STOPPED);
        assertThat(manager.status("other-slow-sink").state()).isEqualTo(RunState.STOPPED);
    }

    @Test
    void aStopPastItsTimeoutStopsTheBatchAndReturnsOnceItsTasksHaveEnded() throws Exception {
        assertThat(stuckTasksLeftByAStop(() -> {}))
                .as("tasks of the stopped micro-batch still running after the stop returned")
                .isZero();
    }

    @Test
    void aStopWaitsForTheCutBatchsTasksEvenWhenSparksEventsArriveLate() throws Exception {
        // A loaded machine: Spark's listener bus hands the stuck batch's job start on late (here,
        // once the stop has returned, or after 5 s).
        CountDownLatch stopReturned = new CountDownLatch(1);
        SparkListener lagging = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart jobStart) {
                String description = jobStart.properties().getProperty("spark.job.description");
                if (description != null && description.startsWith("stuck-tasks")) {
                    try {
                        stopReturned.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        spark.sparkContext().addSparkListener(lagging);
        try {
            assertThat(stuckTasksLeftByAStop(stopReturned::countDown))
                    .as("tasks of the stopped micro-batch still running after the stop returned")
                    .isZero();
        } finally {
            stopReturned.countDown();
            spark.sparkContext().removeSparkListener(lagging);
        }
    }

    /**
     * Runs a pipeline whose micro-batch's tasks never end by themselves, stops it with a 1 s stop
     * timeout and tells how many of those tasks still ran when the stop returned.
     */
    private int stuckTasksLeftByAStop(Runnable onStopReturned) throws Exception {
        stuckTasksRelease = new CountDownLatch(1);
        PipelineRuns impatient = new PipelineRuns(
                spark,
                List.of(new RatePipeline("stuck-tasks", checkpoints, false, PipelineRunsTest::runStuckTasks)),
                List.of(BatchListener.NONE),
                desiredStates,
                RestartPolicy.NEVER,
                Duration.ofSeconds(1),
                LagSource.NONE);
        try {
            impatient.start("stuck-tasks");
            await().atMost(DEADLINE).until(() -> STUCK_TASKS_RUNNING.get() > 0);

            PipelineStatus stopped = impatient.stop("stuck-tasks");
            int stillRunning = STUCK_TASKS_RUNNING.get();
            onStopReturned.run();

            assertThat(stopped.state()).isEqualTo(RunState.STOPPED);
            return stillRunning;
        } finally {
            onStopReturned.run();
            stuckTasksRelease.countDown();
            impatient.stopAll();
        }
    }

    /** Tasks of {@link #runStuckTasks} now running (the tasks of a local Spark run in this JVM). */
    private static final AtomicInteger STUCK_TASKS_RUNNING = new AtomicInteger();

    /** Lets the stuck tasks go, so none outlives its test whatever the stop did. */
    private static volatile CountDownLatch stuckTasksRelease = new CountDownLatch(1);

    /**
     * A batch whose job (in the query's job group, as the batch's own jobs) runs tasks that never
     * finish by themselves: interrupted, each takes a moment more to end, as a write finishing the
     * chunk it is sending does.
     */
    private static void runStuckTasks(long batchId) {
        SparkSession.active().range(0, 2, 1, 2).foreachPartition((ForeachPartitionFunction<Long>) rows -> {
            STUCK_TASKS_RUNNING.incrementAndGet();
            try {
                // Ends when Spark interrupts it, or when the test lets it go at its end.
                stuckTasksRelease.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                long end = System.nanoTime() + Duration.ofMillis(500).toNanos();
                for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
                    LockSupport.parkNanos(end - now);
                }
            } finally {
                STUCK_TASKS_RUNNING.decrementAndGet();
            }
        });
    }

    /** A sink that holds its first batch with rows until the test releases it. */
    private SinkBehaviour holdBatch(CountDownLatch entered) {
        return batchId -> {
            // The rate source's first batch is usually empty; hold one that has rows.
            if (batchId >= 1) {
                entered.countDown();
                releaseBatch.await(30, TimeUnit.SECONDS);
            }
        };
    }

    private int restartAttempt(String name) {
        PipelineStatus.Restart restart = manager.status(name).restart();
        return restart == null ? 0 : restart.attempt();
    }

    private enum Outcome {
        OK,
        CONFLICT,
        ERROR
    }

    private static List<Outcome> race(int threads, Callable<PipelineStatus> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Outcome>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    try {
                        call.call();
                        return Outcome.OK;
                    } catch (RunStateConflictException e) {
                        return Outcome.CONFLICT;
                    } catch (RuntimeException e) {
                        return Outcome.ERROR;
                    }
                }));
            }
            go.countDown();
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> future : futures) {
                outcomes.add(future.get());
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    /** What a test sink does with a micro-batch before it counts it. */
    @FunctionalInterface
    private interface SinkBehaviour extends java.io.Serializable {
        void onBatch(long batchId) throws Exception;
    }

    /** Rows from Spark's rate source, counted by a "sink" that behaves as the test says. */
    private record RatePipeline(String name, Path checkpoints, boolean autoStart, SinkBehaviour sink)
            implements Pipeline {

        @Override
        public String checkpointLocation() {
            return checkpoints.resolve(name).toString();
        }

        @Override
        public StreamingQuery start(SparkSession spark, BatchListener listener, StartingPoint from)
                throws TimeoutException {
            String pipeline = name;
            SinkBehaviour behaviour = sink;
            return spark.readStream()
                    .format("rate")
                    .option("rowsPerSecond", 100)
                    .load()
                    .writeStream()
                    .queryName(name)
                    .option("checkpointLocation", checkpointLocation())
                    .trigger(Trigger.ProcessingTime(200))
                    .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, batchId) -> {
                        behaviour.onBatch(batchId);
                        listener.onBatch(
                                pipeline, batchId, new BatchOutcome(batch.count(), 0, Map.of()), Duration.ZERO);
                    })
                    .start();
        }
    }
}
