package dev.sluice.metrics;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.window;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.run.PipelineStatus;
import dev.sluice.support.TestSpark;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spark progress reports, as Spark wrote them, turned into meters. */
class RunProgressMetricsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final KafkaLagMonitor lag = new KafkaLagMonitor(registry, null, Clock.systemUTC());
    private final RunProgressMetrics metrics = new RunProgressMetrics(registry, null, lag);

    @Test
    void aLaggingKafkaQueryShowsItsLagPerPartitionAndTheTimeToCatchUp() throws IOException {
        // Captured from car-info-to-postgres reading with max-offsets-per-trigger=300 behind a 200/s producer.
        JsonNode progress = sample("kafka-postgres-lagging.json");

        metrics.record(progress);

        assertThat(gauge("sluice.kafka.lag", "partition", "0")).isEqualTo(2249 - 646);
        assertThat(gauge("sluice.kafka.lag", "partition", "1")).isEqualTo(2193 - 635);
        assertThat(gauge("sluice.kafka.lag", "partition", "2")).isEqualTo(1758 - 509);
        assertThat(registry.get("sluice.kafka.lag").tag("topic", "car_info").gauges())
                .hasSize(3);
        assertThat(gauge("sluice.kafka.lag.max"))
                .isEqualTo(1603)
                .isEqualTo(
                        progress.at("/sources/0/metrics/maxOffsetsBehindLatest").asDouble());
        assertThat(gauge("sluice.kafka.backlog")).isEqualTo(4410);
        assertThat(gauge("sluice.kafka.catch.up")).isCloseTo(4410 / 515.5709342560554, within(1e-9));
        PipelineStatus.Lag status = lag.lag("car-info-to-postgres").orElseThrow();
        assertThat(status.records()).isEqualTo(4410);
        assertThat(status.maxPartitionRecords()).isEqualTo(1603);
        assertThat(status.partitions()).isEqualTo(Map.of("car_info", Map.of(0, 1603L, 1, 1558L, 2, 1249L)));
        assertThat(status.catchUpSeconds()).isCloseTo(8.55, within(0.01));
        assertThat(status.caughtUpAt()).isAfter(Instant.now());
        assertThat(gauge("sluice.query.processed.rows.per.second")).isEqualTo(515.5709342560554);
        assertThat(gauge("sluice.query.input.rows.per.second")).isEqualTo(59.58808238352329);
        assertThat(gauge("sluice.query.last.batch.id")).isEqualTo(5);
        assertThat(gauge("sluice.query.last.progress.timestamp"))
                .isEqualTo(Instant.parse("2026-11-21T16:59:20.001Z").toEpochMilli() / 1000.0);
        assertThat(registry.get("sluice.query.input.rows")
                        .tag("query", "car-info-to-postgres")
                        .counter()
                        .count())
                .isEqualTo(298);
        assertThat(registry.get("sluice.query.batch.duration").timer().totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(578);
        assertThat(registry.get("sluice.query.batch.phase.duration")
                        .tag("phase", "addBatch")
                        .timer()
                        .totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(299);
        assertThat(registry.get("sluice.query.batch.phase.duration")
                        .tag("phase", "walCommit")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(gauge("sluice.query.state.rows")).as("not stateful").isNaN();
        assertThat(gauge("sluice.query.watermark.delay")).as("no event time").isNaN();
    }

    @Test
    void countersAddUpAcrossBatchesAndGaugesKeepTheLatest() throws IOException {
        JsonNode progress = sample("kafka-postgres-lagging.json");

        metrics.record(progress);
        metrics.record(progress);

        assertThat(registry.get("sluice.query.input.rows").counter().count()).isEqualTo(596);
        assertThat(registry.get("sluice.query.batch.duration").timer().count()).isEqualTo(2);
        assertThat(registry.get("sluice.kafka.lag.max").gauges()).hasSize(1);
    }

    @Test
    void aStoppedQueryKeepsItsLagButHasNoEstimateUntilItRunsAgain() throws IOException {
        metrics.record(sample("kafka-postgres-lagging.json"));

        lag.onRunEnded("car-info-to-postgres");

        assertThat(gauge("sluice.kafka.backlog")).isEqualTo(4410);
        assertThat(gauge("sluice.kafka.catch.up")).isNaN();
        assertThat(lag.lag("car-info-to-postgres").orElseThrow().catchUpSeconds())
                .isNull();

        lag.onRunStarted("car-info-to-postgres");

        assertThat(gauge("sluice.kafka.catch.up"))
                .as("running, with no rate measured yet")
                .isInfinite();
        assertThat(lag.lag("car-info-to-postgres").orElseThrow().caughtUpAt()).isNull();
    }

    @Test
    void aCaughtUpQueryHasNoLagAndNeedsNoTime() throws IOException {
        JsonNode progress = sample("kafka-postgres-lagging.json").deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) progress.at("/sources/0"))
                .set("latestOffset", progress.at("/sources/0/endOffset"));

        metrics.record(progress);

        assertThat(gauge("sluice.kafka.lag.max")).isZero();
        assertThat(gauge("sluice.kafka.catch.up")).isZero();
    }

    @Test
    void aStatefulWindowedQueryShowsItsStateAndWatermark(@TempDir Path input) throws Exception {
        SparkSession spark = TestSpark.session();
        Files.writeString(input.resolve("events.json"), """
                {"vehicle": "T1", "at": "2026-11-21T10:00:05Z"}
                {"vehicle": "T2", "at": "2026-11-21T10:00:40Z"}
                {"vehicle": "T1", "at": "2026-11-21T10:01:10Z"}
                {"vehicle": "T3", "at": "2026-11-21T10:03:00Z"}
                """);
        StreamingQuery query = spark.readStream()
                .schema(new StructType().add("vehicle", "string").add("at", "timestamp"))
                .json(input.toString())
                .withWatermark("at", "1 minute")
                .groupBy(window(col("at"), "1 minute"), col("vehicle"))
                .count()
                .writeStream()
                .queryName("windowed_counts")
                .format("memory")
                .outputMode("update")
                .option("checkpointLocation", input.resolve("_checkpoint").toString())
                .trigger(Trigger.AvailableNow())
                .start();
        try {
            assertThat(query.awaitTermination(60_000)).isTrue();
            metrics.record(JSON.readTree(query.lastProgress().json()));
        } finally {
            query.stop();
        }

        // The last report is the no-data batch after the watermark moved to 10:02 (latest event less
        // one minute): the three windows that ended by then were emitted and evicted, T3's remains.
        assertThat(registry.get("sluice.query.state.rows")
                        .tag("query", "windowed_counts")
                        .gauge()
                        .value())
                .isEqualTo(1);
        assertThat(registry.get("sluice.query.state.memory")
                        .tag("query", "windowed_counts")
                        .gauge()
                        .value())
                .isPositive();
        assertThat(registry.get("sluice.query.watermark.delay")
                        .tag("query", "windowed_counts")
                        .gauge()
                        .value())
                .isNotNaN();
        assertThat(registry.get("sluice.query.rows.dropped.by.watermark")
                        .tag("query", "windowed_counts")
                        .counter()
                        .count())
                .isZero();
        assertThat(registry.find("sluice.kafka.lag.max")
                        .tag("query", "windowed_counts")
                        .gauge())
                .as("no Kafka source")
                .isNull();
        assertThat(lag.lag("windowed_counts")).isEmpty();
    }

    private double gauge(String name, String... tags) {
        return registry.get(name)
                .tag("query", "car-info-to-postgres")
                .tags(tags)
                .gauge()
                .value();
    }

    private static JsonNode sample(String name) throws IOException {
        try (InputStream in = RunProgressMetricsTest.class.getResourceAsStream("/progress/" + name)) {
            return JSON.readTree(in);
        }
    }
}
