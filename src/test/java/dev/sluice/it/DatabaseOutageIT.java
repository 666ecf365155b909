package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.support.Infrastructure;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.ServiceProcess;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The packaged service writing into its own PostgreSQL server, which is shut down mid-stream for
 * at least 20 s (many triggers, four restart attempts) and then started again on the same data: the query fails,
 * restarts by itself with a growing backoff, restarts at once when the server answers again
 * (not when its backoff ends), and loses nothing.
 */
class DatabaseOutageIT extends IntegrationTest {

    private static final Logger log = LoggerFactory.getLogger(DatabaseOutageIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration OUTAGE = Duration.ofSeconds(20);

    @TempDir
    Path work;

    private EmbeddedPostgres database;
    private ServiceProcess service;

    @AfterEach
    void stopEverything() throws Exception {
        if (service != null) {
            service.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void theQueryRecoversByItselfAfterTheDatabaseServerRestartsAndNothingIsLost() throws Exception {
        String run = "outage" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "_car_info";
        Infrastructure.ensureTopic(topic);
        int port = ServiceProcess.freePort();
        Path data = work.resolve("pgdata");
        database = startDatabase(port, data);
        String url = database.getJdbcUrl("postgres", "postgres");

        produce(topic, CarInfoPostgresIT.json(CarInfoPostgresIT.events(run, 0, 300)));
        service = ServiceProcess.start(
                work.resolve("service.log"),
                "postgres",
                List.of(
                        "--spring.datasource.url=" + url,
                        "--spring.datasource.username=postgres",
                        "--sluice.kafka.bootstrap-servers="
                                + Infrastructure.kafka().getBrokersAsString(),
                        "--sluice.checkpoint-root="
                                + work.resolve("checkpoints").toUri(),
                        "--sluice.restart.initial-backoff=2s",
                        "--sluice.restart.max-backoff=60s",
                        "--sluice.pipelines.car-info-to-postgres.topic=" + topic,
                        "--sluice.pipelines.car-info-to-postgres.trigger=1s",
                        "--sluice.pipelines.car-info-to-hdfs.auto-start=false"),
                DEADLINE);
        await().atMost(DEADLINE).until(() -> rowCount(url, run) == 300);

        database.close();
        Instant down = Instant.now();
        produce(topic, CarInfoPostgresIT.json(CarInfoPostgresIT.events(run, 300, 300)));
        List<String> states = new ArrayList<>();
        // Long enough for the backoff to have doubled a few times (2, 4, 8, then 16 s).
        await().atMost(DEADLINE).until(() -> {
            JsonNode status = status();
            states.add(status.path("state").asText());
            JsonNode next = status.path("restart").path("nextAttemptAt");
            // Back just after a restart was planned, so the backoff alone would keep it down a while.
            return status.path("restart").path("attempt").asInt() >= 3
                    && Duration.between(down, Instant.now()).compareTo(OUTAGE) >= 0
                    && next.isTextual()
                    && Duration.between(Instant.now(), Instant.parse(next.asText()))
                                    .toSeconds()
                            >= 15;
        });
        JsonNode failing = status();
        assertThat(states).contains("FAILED");
        assertThat(failing.at("/failure/message").asText()).isNotBlank();
        log.info(
                "Database down for {} ms: {} (restart attempt {}, next at {}): {}",
                Duration.between(down, Instant.now()).toMillis(),
                failing.path("state").asText(),
                failing.at("/restart/attempt").asInt(),
                failing.at("/restart/nextAttemptAt").asText(),
                failing.at("/failure/message").asText().lines().findFirst().orElse(""));

        Instant scheduled = Instant.parse(failing.at("/restart/nextAttemptAt").asText());
        database = startDatabase(port, data);
        Instant up = Instant.now();
        await().atMost(DEADLINE)
                .until(() -> rowCount(url, run) == 600
                        && "RUNNING".equals(status().path("state").asText()));
        Instant recovered = Instant.now();
        log.info(
                "Recovered {} ms after the database server came back ({} ms before the backoff's restart)",
                Duration.between(up, recovered).toMillis(),
                Duration.between(recovered, scheduled).toMillis());
        // The probe saw the server answer again: no waiting out the backoff.
        assertThat(recovered).isBefore(scheduled);

        assertThat(new JdbcTemplate(new DriverManagerDataSource(url, "postgres", "postgres"))
                        .queryForObject(
                                "SELECT count(DISTINCT data_id) FROM car_info_table WHERE data_id LIKE ?",
                                Long.class,
                                run + "%"))
                .isEqualTo(600);
        await().atMost(DEADLINE).until(() -> status().path("restart").isMissingNode());
    }

    private JsonNode status() throws IOException {
        String body = service.get("/api/queries/car-info-to-postgres");
        return body.isEmpty() ? JSON.createObjectNode() : JSON.readTree(body);
    }

    private static EmbeddedPostgres startDatabase(int port, Path data) throws IOException {
        return EmbeddedPostgres.builder()
                .setPort(port)
                .setDataDirectory(data)
                .setCleanDataDirectory(false)
                .start();
    }

    private static long rowCount(String url, String run) {
        try {
            return new JdbcTemplate(new DriverManagerDataSource(url, "postgres", "postgres"))
                    .queryForObject("SELECT count(*) FROM car_info_table WHERE data_id LIKE ?", Long.class, run + "%");
        } catch (org.springframework.dao.DataAccessException e) {
            return -1;
        }
    }
}
