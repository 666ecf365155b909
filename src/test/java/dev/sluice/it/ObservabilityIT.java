package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.support.CarInfoEvent;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.Scrape;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

/** What Prometheus, Kubernetes and an operator see of the pipelines, through the real endpoints. */
class ObservabilityIT extends IntegrationTest {

    private static final String QUERY = "query";

    @Test
    void lagRisesByWhatArrivesWhilePausedAndFallsToZeroOnceTheRowsAreWritten() {
        // Catch up with whatever earlier tests left on the topic, then pause.
        assertThat(post("/api/queries/" + POSTGRES_PIPELINE + "/start").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        await().atMost(DEADLINE)
                .until(() -> scrape().value("sluice_kafka_backlog_offsets", QUERY, POSTGRES_PIPELINE) == 0);
        assertThat(post("/api/queries/" + POSTGRES_PIPELINE + "/stop").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        Scrape paused = scrape();
        assertThat(paused.value("sluice_query_state", QUERY, POSTGRES_PIPELINE, "state", "STOPPED"))
                .isEqualTo(1);
        double writtenBefore = paused.value("sluice_sink_rows_total", QUERY, POSTGRES_PIPELINE, "outcome", "written");
        double readBefore = paused.value("sluice_query_input_rows_total", QUERY, POSTGRES_PIPELINE);

        String run = "lag-" + UUID.randomUUID().toString().substring(0, 8);
        int count = 437;
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            values.add(CarInfoEvent.of(
                            run + "-" + i,
                            "T" + (i % 11),
                            Instant.parse("2026-11-21T05:00:00Z").plusSeconds(i),
                            127.0,
                            37.5,
                            40 + i % 30,
                            i % 360,
                            "11")
                    .toJson()
                    .getBytes());
        }
        produce(POSTGRES_TOPIC, values);

        // Stopped, yet its lag is measured: from the checkpoint against the brokers' latest offsets.
        await().atMost(DEADLINE).untilAsserted(() -> {
            Scrape waiting = scrape();
            assertThat(waiting.value("sluice_kafka_backlog_offsets", QUERY, POSTGRES_PIPELINE))
                    .isEqualTo(count);
            assertThat(waiting.value("sluice_kafka_lag_offsets", QUERY, POSTGRES_PIPELINE, "topic", POSTGRES_TOPIC))
                    .as("the partitions add up")
                    .isEqualTo(count);
            assertThat(waiting.value("sluice_kafka_lag_max_offsets", QUERY, POSTGRES_PIPELINE))
                    .isPositive()
                    .isLessThanOrEqualTo(count);
        });
        JsonNode status = get("/api/queries/" + POSTGRES_PIPELINE).getBody();
        assertThat(status.at("/lag/records").asLong()).isEqualTo(count);
        assertThat(status.at("/lag/catchUpSeconds").isMissingNode())
                .as("no estimate while stopped")
                .isTrue();

        assertThat(post("/api/queries/" + POSTGRES_PIPELINE + "/start").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        await().atMost(DEADLINE).untilAsserted(() -> {
            Scrape caughtUp = scrape();
            assertThat(caughtUp.value("sluice_kafka_backlog_offsets", QUERY, POSTGRES_PIPELINE))
                    .isZero();
            assertThat(caughtUp.value("sluice_kafka_catch_up_seconds", QUERY, POSTGRES_PIPELINE))
                    .isZero();
            assertThat(caughtUp.value("sluice_sink_rows_total", QUERY, POSTGRES_PIPELINE, "outcome", "written")
                            - writtenBefore)
                    .isEqualTo(count);
        });
        Scrape after = scrape();
        assertThat(after.value("sluice_query_input_rows_total", QUERY, POSTGRES_PIPELINE) - readBefore)
                .isEqualTo(count);
        assertThat(jdbc.queryForObject(
                        "SELECT count(*) FROM car_info_table WHERE data_id LIKE ?", Long.class, run + "-%"))
                .isEqualTo(count);
        assertThat(after.value("sluice_query_state", QUERY, POSTGRES_PIPELINE, "state", "RUNNING"))
                .isEqualTo(1);
        assertThat(after.value("sluice_sink_write_duration_seconds_count", QUERY, POSTGRES_PIPELINE))
                .isPositive();
        JsonNode running = get("/api/queries/" + POSTGRES_PIPELINE).getBody();
        assertThat(running.at("/lag/records").asLong()).isZero();
        assertThat(running.at("/lag/catchUpSeconds").asDouble()).isZero();
    }

    @Test
    void aFailingPipelineTakesReadinessDownWithItsReasonAndRecoveryBringsItBack() {
        assertThat(get("/actuator/health/readiness").getStatusCode()).isEqualTo(HttpStatus.OK);
        double failuresBefore = scrape().value("sluice_query_failures_total", QUERY, POSTGRES_PIPELINE);
        // The table refuses every write (as during a maintenance window): the batch fails, not a row.
        jdbc.execute("CREATE TABLE IF NOT EXISTS public.car_info_table (data_id text PRIMARY KEY, trmncd text,"
                + " detclot double precision, detclat double precision, gpsutctime double precision,"
                + " vhclesped double precision, vhcletypecd text)");
        jdbc.execute("CREATE OR REPLACE FUNCTION public.refuse_car_info() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$ BEGIN RAISE EXCEPTION 'car_info_table is closed for maintenance'; END $$");
        jdbc.execute("CREATE TRIGGER closed BEFORE INSERT ON public.car_info_table"
                + " FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_car_info()");
        try {
            String run = "health-" + UUID.randomUUID().toString().substring(0, 8);
            produce(
                    POSTGRES_TOPIC,
                    List.of(CarInfoEvent.of(run, "T1", Instant.parse("2026-11-21T06:00:00Z"), 127.0, 37.5, 50, 90, "11")
                            .toJson()
                            .getBytes()));
            assertThat(post("/api/queries/" + POSTGRES_PIPELINE + "/start").getStatusCode())
                    .isEqualTo(HttpStatus.OK);

            await().atMost(DEADLINE).untilAsserted(() -> {
                ResponseEntity<JsonNode> readiness = get("/actuator/health/readiness");
                assertThat(readiness.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
                JsonNode pipeline = readiness.getBody().at("/components/pipelines/components/" + POSTGRES_PIPELINE);
                assertThat(pipeline.path("status").asText()).isEqualTo("DOWN");
                assertThat(pipeline.at("/details/reason").asText())
                        .startsWith("Failed: ")
                        .contains("car_info_table");
                assertThat(readiness
                                .getBody()
                                .at("/components/pipelines/components/" + HDFS_PIPELINE + "/status")
                                .asText())
                        .as("a pipeline stopped on purpose is no fault")
                        .isEqualTo("UP");
            });
            assertThat(get("/actuator/health/liveness").getStatusCode())
                    .as("no reason to restart the pod")
                    .isEqualTo(HttpStatus.OK);
            assertThat(scrape().value("sluice_query_failures_total", QUERY, POSTGRES_PIPELINE))
                    .isGreaterThan(failuresBefore);

            jdbc.execute("DROP TRIGGER closed ON public.car_info_table");
            await().atMost(DEADLINE).untilAsserted(() -> {
                ResponseEntity<JsonNode> readiness = get("/actuator/health/readiness");
                assertThat(readiness.getStatusCode()).isEqualTo(HttpStatus.OK);
                assertThat(readiness
                                .getBody()
                                .at("/components/pipelines/components/" + POSTGRES_PIPELINE + "/details/reason")
                                .asText())
                        .isEqualTo("Running");
                assertThat(jdbc.queryForObject(
                                "SELECT count(*) FROM car_info_table WHERE data_id = ?", Long.class, run))
                        .isOne();
            });
            assertThat(scrape().value("sluice_query_restarts_total", QUERY, POSTGRES_PIPELINE))
                    .isPositive();
        } finally {
            jdbc.execute("DROP TRIGGER IF EXISTS closed ON public.car_info_table");
            jdbc.execute("DROP FUNCTION IF EXISTS public.refuse_car_info()");
        }
    }

    @Test
    void infoShowsTheBuildAndTheCommit() {
        JsonNode info = get("/actuator/info").getBody();
        assertThat(info.at("/build/artifact").asText()).isEqualTo("sluice");
        assertThat(info.at("/git/commit/id").asText()).matches("[0-9a-f]{7,40}");
        assertThat(info.at("/java/version").asText()).startsWith("17");
    }

    private Scrape scrape() {
        return new Scrape(rest.getForObject("/actuator/prometheus", String.class));
    }
}
