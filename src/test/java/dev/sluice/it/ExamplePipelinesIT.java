package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.definition.PipelineDefinition;
import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.definition.PipelineDefinition.Source;
import dev.sluice.support.CarInfoEvent;
import dev.sluice.support.Infrastructure;
import dev.sluice.support.IntegrationTest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

/**
 * The five shipped example pipelines, exactly as {@code application-examples.yml} defines them
 * (only their topics, paths and trigger interval moved for the test), created over the API and
 * fed known input: each one's exact output, its dead letters, and late records dropped and counted.
 */
class ExamplePipelinesIT extends IntegrationTest {

    private static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");

    @Autowired
    private ObjectMapper json;

    @Autowired
    private SparkSession spark;

    @TempDir
    private Path work;

    @Test
    void vehicleSpeedByTypeUpsertsEachMinuteWindowAndDropsLateEvents() {
        String topic = newTopic("example_speed");
        PipelineDefinition example = example("vehicle-speed-by-type-1m");
        jdbc.execute("DROP TABLE IF EXISTS vehicle_speed_by_type_1m");
        createRunning(withSource(example, topic));

        produce(
                topic,
                events(
                        event("s1", "T1", T0.plusSeconds(10), 10, "A"),
                        event("s2", "T2", T0.plusSeconds(20), 20, "A"),
                        event("s3", "T3", T0.plusSeconds(30), 30, "B"),
                        event("s4", "T1", T0.plusSeconds(65), 40, "A")));
        produce(topic, List.of("{\"dataId\": \"s5\", \"vhcleSped\": ".getBytes(StandardCharsets.UTF_8)));

        awaitRows("SELECT count(*) FROM vehicle_speed_by_type_1m", 3);
        assertThat(speedRows())
                .containsExactly(
                        "10:00 A events=2 avg=15.0 max=20.0",
                        "10:00 B events=1 avg=30.0 max=30.0",
                        "10:01 A events=1 avg=40.0 max=40.0");
        awaitRows(
                "SELECT count(*) FROM dead_letter WHERE pipeline = 'vehicle-speed-by-type-1m' AND reason = 'MALFORMED_JSON'"
                        + " AND topic = '" + topic + "'",
                1);

        // 10:05 moves the watermark to 10:03; the 10:00 window is closed after that batch.
        produce(topic, events(event("s6", "T1", T0.plusSeconds(300), 50, "A")));
        awaitWatermark("vehicle-speed-by-type-1m", "2026-11-21T10:03:00.000Z");
        produce(
                topic,
                events(
                        event("s7", "T2", T0.plusSeconds(40), 100, "A"),
                        event("s8", "T2", T0.plusSeconds(330), 70, "A")));

        await().atMost(DEADLINE)
                .untilAsserted(() -> assertThat(speedRows())
                        .containsExactly(
                                "10:00 A events=2 avg=15.0 max=20.0",
                                "10:00 B events=1 avg=30.0 max=30.0",
                                "10:01 A events=1 avg=40.0 max=40.0",
                                "10:05 A events=2 avg=60.0 max=70.0"));
        await().atMost(DEADLINE).until(() -> droppedByWatermark("vehicle-speed-by-type-1m") == 1);
        JsonNode status = get("/api/queries/vehicle-speed-by-type-1m").getBody();
        assertThat(status.path("sink")
                        .path("deadLettersByReason")
                        .path("MALFORMED_JSON")
                        .asLong())
                .isEqualTo(1);
    }

    @Test
    void vehicleLastPositionKeepsEachTerminalsNewestEventWhateverOrderTheyComeIn() {
        String topic = newTopic("example_position");
        jdbc.execute("DROP TABLE IF EXISTS vehicle_last_position");
        createRunning(withSource(example("vehicle-last-position"), topic));
        assertThat(get("/api/pipelines/vehicle-last-position")
                        .getBody()
                        .at("/engine/shape")
                        .asText())
                .isEqualTo("fused");

        // Several events of one terminal in one micro-batch, the newest not last.
        produce(
                topic,
                events(
                        event("p1", "T1", T0.plusSeconds(10), 10, "A"),
                        event("p2", "T1", T0.plusSeconds(30), 30, "A"),
                        event("p3", "T1", T0.plusSeconds(20), 20, "A"),
                        event("p4", "T2", T0.plusSeconds(5), 5, "B")));
        await().atMost(DEADLINE)
                .untilAsserted(() -> assertThat(positions()).containsExactly("T1 30 10:00:30", "T2 5 10:00:05"));

        // Later: an older event of T2 changes nothing, a newer one of T1 replaces its row.
        produce(
                topic,
                events(event("p5", "T2", T0.plusSeconds(1), 1, "B"), event("p6", "T1", T0.plusSeconds(40), 40, "A")));
        await().atMost(DEADLINE)
                .untilAsserted(() -> assertThat(positions()).containsExactly("T1 40 10:00:40", "T2 5 10:00:05"));
        awaitInputRows("vehicle-last-position", 6);
        assertThat(positions()).containsExactly("T1 40 10:00:40", "T2 5 10:00:05");
    }

    private List<String> positions() {
        return jdbc.queryForList(
                "SELECT trmn_id || ' ' || speed || ' ' || to_char(gps_time AT TIME ZONE 'UTC', 'HH24:MI:SS')"
                        + " FROM vehicle_last_position ORDER BY trmn_id",
                String.class);
    }

    @Test
    void activeTerminalsKeepsEachClosedSlidingWindowsDistinctCountInMemory() {
        String topic = newTopic("example_terminals");
        createRunning(withSource(example("active-terminals-5m"), topic));

        produce(
                topic,
                events(
                        event("a1", "T1", T0.plusSeconds(30), 10, "A"),
                        event("a2", "T2", T0.plusSeconds(90), 10, "A"),
                        event("a3", "T1", T0.plusSeconds(150), 10, "B")));
        // 10:20 moves the watermark to 10:18: every window holding the first three closes.
        awaitInputRows("active-terminals-5m", 3);
        produce(topic, events(event("a4", "T3", T0.plusSeconds(1200), 10, "A")));

        await().atMost(DEADLINE)
                .untilAsserted(() -> assertThat(windows())
                        .containsExactly("09:56=1", "09:57=2", "09:58=2", "09:59=2", "10:00=2", "10:01=2", "10:02=1"));
        awaitWatermark("active-terminals-5m", "2026-11-21T10:18:00.000Z");
        // Late by 17 minutes: each of its five windows is dropped.
        produce(
                topic,
                events(
                        event("a5", "T9", T0.plusSeconds(180), 10, "A"),
                        event("a6", "T3", T0.plusSeconds(1210), 10, "A")));
        await().atMost(DEADLINE).until(() -> droppedByWatermark("active-terminals-5m") > 0);
        assertThat(windows())
                .containsExactly("09:56=1", "09:57=2", "09:58=2", "09:59=2", "10:00=2", "10:01=2", "10:02=1");

        ResponseEntity<JsonNode> notMemory = get("/api/queries/" + POSTGRES_PIPELINE + "/rows");
        assertThat(notMemory.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(notMemory.getBody().path("type").asText()).isEqualTo("urn:sluice:problem:no-memory-table");
    }

    @Test
    void carInfoDedupSendsEachEventOnceAndDropsLateRepeats() {
        String topic = newTopic("example_dedup");
        String clean = topic + "_clean";
        Infrastructure.ensureTopic(clean);
        PipelineDefinition example = withSource(example("car-info-dedup-to-kafka"), topic);
        Sink sink = example.sink();
        createRunning(with(
                example,
                new Sink(
                        sink.kind(),
                        sink.table(),
                        sink.keyColumns(),
                        sink.createTable(),
                        sink.path(),
                        sink.partitionBy(),
                        clean,
                        sink.key(),
                        sink.value(),
                        sink.maxRows(),
                        sink.onConflict(),
                        sink.versionColumn(),
                        sink.rowsPerFile())));

        produce(
                topic,
                events(
                        event("d1", "T1", T0.plusSeconds(10), 10, "A"),
                        event("d2", "T2", T0.plusSeconds(20), 20, "A"),
                        event("d1", "T1", T0.plusSeconds(10), 10, "A"),
                        event("d3", "T3", T0.plusSeconds(30), 30, "B")));
        awaitInputRows("car-info-dedup-to-kafka", 4);
        // 10:20 moves the watermark to 10:10; d1 and d4 from 10:00 are then late, even d4's first time.
        produce(topic, events(event("d5", "T1", T0.plusSeconds(1200), 10, "A")));
        awaitWatermark("car-info-dedup-to-kafka", "2026-11-21T10:10:00.000Z");
        produce(
                topic,
                events(
                        event("d1", "T1", T0.plusSeconds(10), 10, "A"),
                        event("d4", "T4", T0.plusSeconds(40), 40, "A"),
                        event("d6", "T1", T0.plusSeconds(1210), 10, "A")));

        await().atMost(DEADLINE)
                .untilAsserted(() -> assertThat(keys(clean)).containsExactly("d1", "d2", "d3", "d5", "d6"));
        await().atMost(DEADLINE).until(() -> droppedByWatermark("car-info-dedup-to-kafka") == 2);
        Map<String, JsonNode> values = values(clean);
        assertThat(values.get("d2").path("vhcleSped").asDouble()).isEqualTo(20.0);
        assertThat(values.get("d2").has("event_time")).isFalse();
    }

    @Test
    void weblogStatusCountsCountsEachHoursRepliesFromTheSampleFile() throws IOException {
        Path logs = Files.createDirectories(work.resolve("weblogs"));
        Path counts = work.resolve("weblog_status_counts");
        PipelineDefinition example = example("weblog-status-counts");
        Source source = example.source();
        Sink sink = example.sink();
        PipelineDefinition moved = new PipelineDefinition(
                example.name(),
                example.description(),
                example.autoStart(),
                new Source(
                        source.kind(),
                        source.topics(),
                        source.topicPattern(),
                        source.startingOffsets(),
                        source.startingTimestamp(),
                        source.maxOffsetsPerTrigger(),
                        source.failOnDataLoss(),
                        source.format(),
                        source.schema(),
                        source.schemaName(),
                        logs.toUri().toString(),
                        source.maxFilesPerTrigger(),
                        source.latestFirst(),
                        source.rowsPerSecond(),
                        source.metadata()),
                example.transform(),
                new Sink(
                        sink.kind(),
                        sink.table(),
                        sink.keyColumns(),
                        sink.createTable(),
                        counts.toUri().toString(),
                        sink.partitionBy(),
                        sink.topic(),
                        sink.key(),
                        sink.value(),
                        sink.maxRows(),
                        sink.onConflict(),
                        sink.versionColumn(),
                        sink.rowsPerFile()),
                example.outputMode(),
                fastTrigger(),
                example.rules(),
                example.expectations());
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = 'weblog-status-counts'");
        createRunning(moved);

        Path sample;
        try (InputStream in = new ClassPathResource("samples/weblogs/access-2026-11-21.json").getInputStream()) {
            sample = drop(logs, "access-2026-11-21.json", in.readAllBytes());
        }

        await().atMost(DEADLINE)
                .untilAsserted(() -> assertThat(hourCounts(counts))
                        .containsExactly(
                                "10:00 200=5",
                                "10:00 304=2",
                                "10:00 404=1",
                                "10:00 500=1",
                                "11:00 200=3",
                                "11:00 304=1",
                                "11:00 404=1"));
        assertThat(jdbc.queryForList(
                        "SELECT reason || ' line ' || kafka_offset FROM dead_letter"
                                + " WHERE pipeline = 'weblog-status-counts' AND topic = ? ORDER BY kafka_offset",
                        String.class,
                        sample.toUri().toString()))
                .containsExactly("MALFORMED_JSON line 13", "NEGATIVE_BYTES line 14");

        // 11:45 is late (the watermark is past 12:00); 13:40 closes the 12:00 hour.
        drop(
                logs,
                "access-late.json",
                ("{\"host\": \"late\", \"timestamp\": \"2026-11-21T11:45:00Z\", \"request\": \"GET /\", \"http_reply\": 200, \"bytes\": 1}\n"
                                + "{\"host\": \"next\", \"timestamp\": \"2026-11-21T13:40:00Z\", \"request\": \"GET /\", \"http_reply\": 200, \"bytes\": 1}\n")
                        .getBytes(StandardCharsets.UTF_8));

        await().atMost(DEADLINE)
                .untilAsserted(() -> assertThat(hourCounts(counts))
                        .containsExactly(
                                "10:00 200=5",
                                "10:00 304=2",
                                "10:00 404=1",
                                "10:00 500=1",
                                "11:00 200=3",
                                "11:00 304=1",
                                "11:00 404=1",
                                "12:00 200=1"));
        await().atMost(DEADLINE).until(() -> droppedByWatermark("weblog-status-counts") == 1);
        JsonNode status = get("/api/queries/weblog-status-counts").getBody();
        assertThat(status.path("sink")
                        .path("deadLettersByReason")
                        .path("NEGATIVE_BYTES")
                        .asLong())
                .isEqualTo(1);
    }

    private PipelineDefinition example(String name) {
        try {
            Binder binder = new Binder(ConfigurationPropertySources.from(new YamlPropertySourceLoader()
                    .load("examples", new ClassPathResource("application-examples.yml"))));
            return binder.bind("sluice.pipelines.definitions", Bindable.mapOf(String.class, PipelineDefinition.class))
                    .get()
                    .get(name)
                    .named(name);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static PipelineDefinition.Trigger fastTrigger() {
        return new PipelineDefinition.Trigger(PipelineDefinition.TriggerKind.PROCESSING_TIME, "1 second");
    }

    private static PipelineDefinition withSource(PipelineDefinition example, String topic) {
        Source s = example.source();
        Source source = new Source(
                s.kind(),
                List.of(topic),
                s.topicPattern(),
                s.startingOffsets(),
                s.startingTimestamp(),
                s.maxOffsetsPerTrigger(),
                s.failOnDataLoss(),
                s.format(),
                s.schema(),
                s.schemaName(),
                s.path(),
                s.maxFilesPerTrigger(),
                s.latestFirst(),
                s.rowsPerSecond(),
                s.metadata());
        return new PipelineDefinition(
                example.name(),
                example.description(),
                example.autoStart(),
                source,
                example.transform(),
                example.sink(),
                example.outputMode(),
                fastTrigger(),
                example.rules(),
                example.expectations());
    }

    private static PipelineDefinition with(PipelineDefinition example, Sink sink) {
        return new PipelineDefinition(
                example.name(),
                example.description(),
                example.autoStart(),
                example.source(),
                example.transform(),
                sink,
                example.outputMode(),
                example.trigger(),
                example.rules(),
                example.expectations());
    }

    private static CarInfoEvent event(String dataId, String terminal, Instant at, double speed, String type) {
        return CarInfoEvent.of(dataId, terminal, at, 127.0, 37.5, speed, 90, type);
    }

    private static List<byte[]> events(CarInfoEvent... events) {
        List<byte[]> values = new ArrayList<>();
        for (CarInfoEvent event : events) {
            values.add(event.toJson().getBytes(StandardCharsets.UTF_8));
        }
        return values;
    }

    private void awaitRows(String countQuery, long expected) {
        await().atMost(DEADLINE).until(() -> jdbc.queryForObject(countQuery, Long.class) == expected);
    }

    private void awaitInputRows(String pipeline, long expected) {
        await().atMost(DEADLINE)
                .until(() -> progress(pipeline).stream()
                                .mapToLong(p -> p.path("numInputRows").asLong())
                                .sum()
                        >= expected);
    }

    /**
     * Waits for a micro-batch that ran with this watermark. Spark drops a record as late against the
     * watermark of the batch before its own, so records sent after this one are judged by it.
     */
    private void awaitWatermark(String pipeline, String watermark) {
        await().atMost(DEADLINE)
                .until(() -> progress(pipeline).stream()
                        .anyMatch(report -> watermark.equals(
                                report.path("eventTime").path("watermark").asText())));
    }

    private List<String> speedRows() {
        return jdbc.query(
                "SELECT to_char(window_start AT TIME ZONE 'UTC', 'HH24:MI') AS w, vhcle_type_cd, events, avg_speed, max_speed"
                        + " FROM vehicle_speed_by_type_1m ORDER BY window_start, vhcle_type_cd",
                (row, i) -> row.getString(1) + " " + row.getString(2) + " events=" + row.getLong(3) + " avg="
                        + row.getDouble(4) + " max=" + row.getDouble(5));
    }

    private List<String> windows() {
        JsonNode body = get("/api/queries/active-terminals-5m/rows?limit=100").getBody();
        List<String> windows = new ArrayList<>();
        for (JsonNode row : body.path("rows")) {
            windows.add(row.path("window_start").asText().substring(11, 16) + "="
                    + row.path("active_terminals").asInt());
        }
        windows.sort(null);
        return windows;
    }

    private List<JsonNode> progress(String pipeline) {
        List<JsonNode> reports = new ArrayList<>();
        get("/api/queries/" + pipeline + "/progress?limit=100").getBody().forEach(reports::add);
        return reports;
    }

    private long droppedByWatermark(String pipeline) {
        long dropped = 0;
        for (JsonNode report : progress(pipeline)) {
            for (JsonNode operator : report.path("stateOperators")) {
                dropped += operator.path("numRowsDroppedByWatermark").asLong();
            }
        }
        return dropped;
    }

    private static List<String> keys(String topic) {
        return consume(topic).stream()
                .map(r -> new String(r.key(), StandardCharsets.UTF_8))
                .sorted()
                .toList();
    }

    private Map<String, JsonNode> values(String topic) {
        Map<String, JsonNode> values = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> record : consume(topic)) {
            try {
                values.put(new String(record.key(), StandardCharsets.UTF_8), json.readTree(record.value()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return values;
    }

    private List<String> hourCounts(Path counts) {
        if (!Files.exists(counts.resolve("_spark_metadata"))) {
            return List.of();
        }
        try {
            spark.read().parquet(counts.toUri().toString()).schema();
        } catch (Exception e) {
            // Committed batches so far wrote no file (no hour was complete yet).
            return List.of();
        }
        return spark.read().parquet(counts.toUri().toString()).orderBy("hour", "http_reply").collectAsList().stream()
                .map((Row row) -> row.getTimestamp(0).toInstant().toString().substring(11, 16) + " " + row.getInt(1)
                        + "=" + row.getLong(2))
                .toList();
    }

    /** Writes a file beside the folder and moves it in whole, as a log shipper would. */
    private static Path drop(Path folder, String name, byte[] content) throws IOException {
        Path staged = Files.write(folder.resolveSibling(name + ".part"), content);
        return Files.move(staged, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }
}
