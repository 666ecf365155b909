package dev.sluice.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.BatchListener;
import dev.sluice.pipeline.BatchOutcome;
import dev.sluice.pipeline.Pipeline;
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
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
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
class StreamingQueryManagerTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private final SparkSession spark = TestSpark.session();

    @TempDir
    Path checkpoints;

    private StreamingQueryManager manager;

    @BeforeEach
    void createManager() {
        manager = new StreamingQueryManager(spark, List.of(
                new RatePipeline("counting", checkpoints, false),
                new RatePipeline("sink-fails", checkpoints, true)), List.of(BatchListener.NONE));
    }

    @AfterEach
    void stopEverything() {
        manager.stopAll();
        assertThat(Arrays.stream(spark.streams().active()).map(StreamingQuery::name)).doesNotContain("counting", "sink-fails");
    }

    @Test
    void startsReportsProgressAndStops() throws Exception {
        assertThat(manager.status("counting").state()).isEqualTo(QueryState.STOPPED);

        QueryStatus started = manager.start("counting");
        assertThat(started.state()).isEqualTo(QueryState.RUNNING);
        assertThat(started.id()).isNotNull();
        assertThat(started.runId()).isNotNull();
        assertThat(started.startedAt()).isNotNull();

        await().atMost(DEADLINE).until(() -> manager.status("counting").sink().rowsWritten() > 0);
        await().atMost(DEADLINE).until(() -> manager.status("counting").lastProgress() != null);
        List<String> progress = manager.progress("counting", 3);
        assertThat(progress).isNotEmpty().hasSizeLessThanOrEqualTo(3);
        assertThat(new ObjectMapper().readTree(progress.get(0)).get("name").asText()).isEqualTo("counting");

        QueryStatus stopped = manager.stop("counting");
        assertThat(stopped.state()).isEqualTo(QueryState.STOPPED);
        assertThat(stopped.activity()).isNull();
        assertThat(manager.progress("counting", 3)).as("progress of the last run stays visible").isNotEmpty();
    }

    @Test
    void refusesToStartARunningQueryOrStopAStoppedOne() {
        manager.start("counting");
        assertThatThrownBy(() -> manager.start("counting"))
                .isInstanceOfSatisfying(QueryStateConflictException.class, e -> assertThat(e.state()).isEqualTo(QueryState.RUNNING));

        manager.stop("counting");
        assertThatThrownBy(() -> manager.stop("counting"))
                .isInstanceOfSatisfying(QueryStateConflictException.class, e -> assertThat(e.state()).isEqualTo(QueryState.STOPPED));
    }

    @Test
    void unknownNamesAreRefused() {
        assertThatThrownBy(() -> manager.status("nope")).isInstanceOf(UnknownQueryException.class);
        assertThatThrownBy(() -> manager.start("nope")).isInstanceOf(UnknownQueryException.class);
        assertThatThrownBy(() -> manager.stop("nope")).isInstanceOf(UnknownQueryException.class);
        assertThatThrownBy(() -> manager.progress("nope", 1)).isInstanceOf(UnknownQueryException.class);
    }

    @Test
    void concurrentStartsAndStopsLeaveOneConsistentState() throws Exception {
        List<Outcome> starts = race(8, () -> manager.start("counting"));
        assertThat(starts).filteredOn(o -> o == Outcome.OK).hasSize(1);
        assertThat(starts).filteredOn(o -> o == Outcome.CONFLICT).hasSize(7);
        assertThat(Arrays.stream(spark.streams().active()).filter(q -> "counting".equals(q.name()))).hasSize(1);

        List<Outcome> stops = race(8, () -> manager.stop("counting"));
        assertThat(stops).filteredOn(o -> o == Outcome.OK).hasSize(1);
        assertThat(stops).filteredOn(o -> o == Outcome.CONFLICT).hasSize(7);
        assertThat(manager.status("counting").state()).isEqualTo(QueryState.STOPPED);

        List<Outcome> mixed = race(8, () -> Math.random() < 0.5 ? manager.start("counting") : manager.stop("counting"));
        assertThat(mixed).doesNotContain(Outcome.ERROR);
        QueryState state = manager.status("counting").state();
        assertThat(state).isIn(QueryState.RUNNING, QueryState.STOPPED);
        long active = Arrays.stream(spark.streams().active()).filter(q -> "counting".equals(q.name())).count();
        assertThat(active).isEqualTo(state == QueryState.RUNNING ? 1 : 0);
    }

    @Test
    void aFailingSinkTurnsTheQueryFailedWithTheReasonAndItCanBeStartedAgain() {
        manager.start("sink-fails");

        await().atMost(DEADLINE).until(() -> manager.status("sink-fails").state() == QueryState.FAILED);
        QueryStatus failed = manager.status("sink-fails");
        assertThat(failed.failure().message()).contains("the sink is down");
        assertThat(failed.failure().at()).isNotNull();
        assertThat(failed.failure().message()).doesNotContain("\tat ");

        assertThat(manager.start("sink-fails").state()).isEqualTo(QueryState.RUNNING);
    }

    @Test
    void aRestartResumesTheSameQueryFromItsCheckpoint() {
        QueryStatus first = manager.start("counting");
        await().atMost(DEADLINE).until(() -> manager.status("counting").lastProgress() != null);
        manager.stop("counting");

        QueryStatus second = manager.start("counting");

        assertThat(second.id()).as("same checkpoint, same query").isEqualTo(first.id());
        assertThat(second.runId()).isNotEqualTo(first.runId());
    }

    private enum Outcome { OK, CONFLICT, ERROR }

    private static List<Outcome> race(int threads, Callable<QueryStatus> call) throws Exception {
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
                    } catch (QueryStateConflictException e) {
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

    /** Rows from Spark's rate source, counted by the "sink"; optionally a sink that fails. */
    private record RatePipeline(String name, Path checkpoints, boolean failing) implements Pipeline {

        @Override
        public boolean autoStart() {
            return false;
        }

        @Override
        public StreamingQuery start(SparkSession spark, BatchListener listener) throws TimeoutException {
            String pipeline = name;
            boolean fail = failing;
            return spark.readStream().format("rate").option("rowsPerSecond", 100).load()
                    .writeStream()
                    .queryName(name)
                    .option("checkpointLocation", checkpoints.resolve(name).toString())
                    .trigger(Trigger.ProcessingTime(200))
                    .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, batchId) -> {
                        if (fail && batchId >= 1) {
                            throw new IllegalStateException("the sink is down");
                        }
                        listener.onBatch(pipeline, batchId, new BatchOutcome(batch.count(), 0, Map.of()));
                    })
                    .start();
        }
    }
}
