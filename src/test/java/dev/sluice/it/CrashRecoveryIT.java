package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.support.CarInfoEvent;
import dev.sluice.support.Infrastructure;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.ServiceProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The packaged service in its own JVM, killed with SIGKILL while events stream in, then stopped
 * with SIGTERM in the middle of a micro-batch, then started a last time: PostgreSQL and Parquet
 * must each end up with every valid event exactly once, and every malformed one in the dead
 * letters; the SIGTERM's stop must be an orderly one.
 */
class CrashRecoveryIT extends IntegrationTest {

    private static final Logger log = LoggerFactory.getLogger(CrashRecoveryIT.class);
    private static final int VALID_EVENTS = 24_000;
    private static final int MALFORMED_EVERY = 100;
    private static final int STOPS = 2;
    /**
     * An orderly stop: the queries, then Spark (the tests' cache has its class-data archive, so no
     * stop writes one).
     */
    private static final Duration STOP_DEADLINE = Duration.ofMinutes(1);

    @Autowired
    private SparkSession spark;

    @TempDir
    Path work;

    private final ObjectMapper json = new ObjectMapper();
    private ServiceProcess service;

    @AfterEach
    void killService() throws InterruptedException {
        if (service != null) {
            service.kill();
        }
    }

    @Test
    void killedAndStoppedMidStreamItStillWritesEveryEventExactlyOnce() throws Exception {
        String run = "crash" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "_car_info";
        Infrastructure.ensureTopic(topic);
        jdbc.execute("CREATE DATABASE " + run);
        String databaseUrl =
                "jdbc:postgresql://127.0.0.1:" + Infrastructure.postgres().getPort() + "/" + run;
        Path parquet = work.resolve("car_info");

        Set<String> expectedIds = new HashSet<>();
        List<byte[]> values = new ArrayList<>();
        Instant base = Instant.parse("2026-11-21T00:00:00Z");
        int malformed = 0;
        for (int i = 0; i < VALID_EVENTS; i++) {
            CarInfoEvent event = CarInfoEvent.of(
                    run + "-" + i,
                    "T" + (i % 500),
                    base.plusMillis(i * 250L),
                    126.9 + (i % 1000) * 0.0002,
                    37.5 + (i % 700) * 0.0002,
                    i % 80,
                    i % 360,
                    "1" + (i % 5));
            expectedIds.add(event.dataId());
            values.add(event.toJson().getBytes(StandardCharsets.UTF_8));
            if (i % MALFORMED_EVERY == 0) {
                values.add(("{\"dataId\": \"" + run + "-bad-" + i + "\", \"vhcleSped\": ")
                        .getBytes(StandardCharsets.UTF_8));
                malformed++;
            }
        }

        // About 300 events a second; the last third waits for the stops, so they come mid-stream
        // however long the service takes to start on a busy machine.
        CountDownLatch stopped = new CountDownLatch(1);
        Thread producer = new Thread(
                () -> {
                    int lastThird = values.size() * 2 / 3;
                    for (int from = 0; from < values.size(); from += 300) {
                        if (from >= lastThird) {
                            awaitQuietly(stopped);
                        }
                        produce(topic, values.subList(from, Math.min(values.size(), from + 300)));
                        parkMillis(1000);
                    }
                },
                "crash-test-producer");
        producer.setDaemon(true);
        producer.start();

        int stops = 0;
        long rowsBefore = 0;
        while (stops < STOPS) {
            service = startService(databaseUrl, topic, parquet, stops);
            long threshold = rowsBefore;
            await().atMost(DEADLINE).until(() -> countRows(databaseUrl, run) > threshold + 1000);
            rowsBefore = countRows(databaseUrl, run);
            if (stops == 0) {
                service.kill();
                log.info("Killed the service (SIGKILL) with {} rows in PostgreSQL", rowsBefore);
            } else {
                terminateMidBatch(service, work.resolve("service-" + stops + ".log"));
                log.info("Stopped the service (SIGTERM) with {} rows in PostgreSQL", rowsBefore);
            }
            stops++;
        }
        stopped.countDown();

        service = startService(databaseUrl, topic, parquet, stops);
        producer.join(Duration.ofMinutes(3).toMillis());
        await().atMost(Duration.ofMinutes(4))
                .until(() -> countRows(databaseUrl, run) == VALID_EVENTS
                        && parquetIds(parquet, run).size() == VALID_EVENTS);

        List<Map<String, Object>> postgres = database(databaseUrl)
                .queryForList("SELECT count(*) AS total, count(DISTINCT data_id) AS distinct_ids FROM car_info_table");
        long total = ((Number) postgres.get(0).get("total")).longValue();
        long distinct = ((Number) postgres.get(0).get("distinct_ids")).longValue();
        List<String> parquetIds = parquetIds(parquet, run);
        // A malformed record at the end of a partition may be committed after the last valid row.
        int malformedSent = malformed;
        await().atMost(DEADLINE).until(() -> countDeadLetters(databaseUrl) == 2L * malformedSent);
        long deadLetters = database(databaseUrl)
                .queryForObject(
                        "SELECT count(*) FROM sluice.dead_letter WHERE pipeline = 'car-info-to-postgres'", Long.class);

        log.info(
                "Crash test: {} valid + {} malformed events produced, {} stops; PostgreSQL {} rows ({} distinct),"
                        + " Parquet {} rows ({} distinct), dead letters per pipeline {}",
                VALID_EVENTS,
                malformed,
                stops,
                total,
                distinct,
                parquetIds.size(),
                new HashSet<>(parquetIds).size(),
                deadLetters);
        assertThat(total).isEqualTo(VALID_EVENTS);
        assertThat(distinct).isEqualTo(VALID_EVENTS);
        assertThat(parquetIds).hasSize(VALID_EVENTS);
        assertThat(new HashSet<>(parquetIds)).isEqualTo(expectedIds);
        assertThat(deadLetters).isEqualTo(malformed);

        JsonNode status = json.readTree(service.get("/api/queries/car-info-to-postgres"));
        assertThat(status.get("state").asText()).isEqualTo("RUNNING");
    }

    /**
     * SIGTERM while the PostgreSQL pipeline runs a micro-batch: the queries stop before Spark does,
     * so the batch ends on an executor that still takes its tasks, and nothing in the service's log
     * tells of a stop cut short (tasks refused by a stopped executor, a shutdown hook that ran out
     * of time, a stop on a stopped Spark, a Kafka consumer's close given up).
     */
    private void terminateMidBatch(ServiceProcess service, Path serviceLog) throws Exception {
        await().atMost(DEADLINE)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> "Processing new data"
                        .equals(json.readTree(service.get("/api/queries/car-info-to-postgres"))
                                .path("activity")
                                .asText()));
        long sent = System.nanoTime();
        service.terminate(STOP_DEADLINE);
        log.info("The service stopped {} ms after its SIGTERM", (System.nanoTime() - sent) / 1_000_000);
        assertThat(Files.readString(serviceLog))
                .doesNotContain(
                        "RejectedExecutionException",
                        "ShutdownHook '' timeout",
                        "Cannot call methods on a stopped SparkContext",
                        "Failed to close fetcher");
    }

    private ServiceProcess startService(String databaseUrl, String topic, Path parquet, int generation)
            throws IOException {
        return ServiceProcess.start(
                work.resolve("service-" + generation + ".log"),
                "postgres",
                serviceArguments(
                        databaseUrl,
                        work,
                        topic,
                        "--sluice.pipelines.car-info-to-postgres.trigger=1s",
                        "--sluice.pipelines.car-info-to-postgres.max-offsets-per-trigger=3000",
                        "--sluice.pipelines.car-info-to-hdfs.trigger=1s",
                        "--sluice.pipelines.car-info-to-hdfs.max-offsets-per-trigger=3000",
                        "--sluice.pipelines.car-info-to-hdfs.path=" + parquet.toUri()),
                DEADLINE);
    }

    private List<String> parquetIds(Path parquet, String run) {
        if (!Files.exists(parquet.resolve("_spark_metadata"))) {
            return List.of();
        }
        try {
            return spark.read().parquet(parquet.toString()).select("dataId").collectAsList().stream()
                    .map(row -> row.getString(0))
                    .filter(id -> id.startsWith(run))
                    .toList();
        } catch (Exception e) {
            if (!(e instanceof AnalysisException)) {
                throw e;
            }
            // The sink's log is there but names no file yet: nothing to read so far.
            return List.of();
        }
    }

    private static JdbcTemplate database(String url) {
        return new JdbcTemplate(new DriverManagerDataSource(url, "postgres", "postgres"));
    }

    private static long countRows(String databaseUrl, String run) {
        return database(databaseUrl)
                .queryForObject("SELECT count(*) FROM car_info_table WHERE data_id LIKE ?", Long.class, run + "%");
    }

    private static long countDeadLetters(String databaseUrl) {
        return database(databaseUrl).queryForObject("SELECT count(*) FROM sluice.dead_letter", Long.class);
    }

    private static void parkMillis(long millis) {
        LockSupport.parkNanos(Duration.ofMillis(millis).toNanos());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(10, java.util.concurrent.TimeUnit.MINUTES)) {
                throw new IllegalStateException("the stops did not happen within 10 minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
