package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.pipeline.CarInfoSchema;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.support.CarInfoEvent;
import dev.sluice.support.Infrastructure;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.TestSpark;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.execution.streaming.StreamingQueryWrapper;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import scala.collection.JavaConverters;

/** car_info from a real Kafka broker into a real PostgreSQL, driven through the REST API. */
class CarInfoPostgresIT extends IntegrationTest {

    private static final Instant START = Instant.parse("2026-11-21T03:00:00Z");

    @Autowired
    private SparkSession spark;

    @Autowired
    private JdbcTarget jdbcTarget;

    @Test
    void carriesEveryValidEventOnceAndKeepsEveryRejectedRecord() {
        String run = "pg-" + UUID.randomUUID().toString().substring(0, 8);
        List<CarInfoEvent> first = events(run, 0, 200);
        Map<String, CarInfoEvent> expected = byId(first);
        List<byte[]> values = new ArrayList<>(json(first));
        Map<String, byte[]> hostile = hostileRecords(run);
        List<String> hostileReasons = new ArrayList<>(hostile.keySet());
        values.addAll(hostile.values());

        // Keyed by terminal, as vehicles send them.
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            keys.add(("terminal-" + i).getBytes(StandardCharsets.UTF_8));
        }
        List<RecordMetadata> landed = produce(POSTGRES_TOPIC, keys, values);
        Map<String, String> expectedDeadLetters = new HashMap<>();
        Map<String, byte[]> expectedRaw = new HashMap<>();
        Map<String, byte[]> expectedKeys = new HashMap<>();
        for (int i = 0; i < hostileReasons.size(); i++) {
            RecordMetadata where = landed.get(first.size() + i);
            String key = where.partition() + "/" + where.offset();
            expectedDeadLetters.put(key, hostileReasons.get(i).replaceAll("#.*", ""));
            expectedRaw.put(key, hostile.get(hostileReasons.get(i)));
            expectedKeys.put(key, keys.get(first.size() + i));
        }

        ResponseEntity<JsonNode> started = post("/api/queries/" + POSTGRES_PIPELINE + "/start");
        assertThat(started.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(started.getBody().get("state").asText()).isEqualTo("RUNNING");

        await().atMost(DEADLINE)
                .until(() ->
                        rowCount(run) == first.size() && deadLetters(landed).size() == expectedDeadLetters.size());
        assertRowsEqual(run, expected);
        // The fused query reads its scan's rows: its batches are planned with no compiled stage,
        // and the service's session keeps Spark's default.
        assertThat(compiledStages(POSTGRES_PIPELINE)).isZero();
        assertThat(spark.conf().get("spark.sql.codegen.wholeStage")).isEqualTo("true");
        Map<String, DeadLetter> deadLetters = deadLetters(landed);
        assertThat(deadLetters.keySet()).isEqualTo(expectedDeadLetters.keySet());
        deadLetters.forEach((key, letter) -> {
            assertThat(letter.reason()).as("reason of %s", key).isEqualTo(expectedDeadLetters.get(key));
            assertThat(letter.raw()).as("raw value of %s", key).isEqualTo(expectedRaw.get(key));
            assertThat(letter.rawKey()).as("raw key of %s", key).isEqualTo(expectedKeys.get(key));
            assertThat(letter.kafkaTimestamp()).isNotNull();
            assertThat(letter.detail()).isNotBlank();
        });

        // The totals are recorded just after the batch's transaction commits.
        await().atMost(DEADLINE)
                .until(() -> get("/api/queries/" + POSTGRES_PIPELINE)
                                .getBody()
                                .at("/sink/rowsWritten")
                                .asLong()
                        >= first.size());
        JsonNode status = get("/api/queries/" + POSTGRES_PIPELINE).getBody();
        assertThat(status.at("/sink/deadLetters").asLong()).isGreaterThanOrEqualTo(expectedDeadLetters.size());
        // Spark reports a batch's progress just after the sink has committed it.
        await().atMost(DEADLINE)
                .until(() -> get("/api/queries/" + POSTGRES_PIPELINE + "/progress?limit=5")
                                .getBody()
                                .size()
                        > 0);
        JsonNode progress =
                get("/api/queries/" + POSTGRES_PIPELINE + "/progress?limit=5").getBody();
        assertThat(progress.isArray()).isTrue();
        assertThat(progress.size()).isBetween(1, 5);
        assertThat(progress.get(0).get("name").asText()).isEqualTo(POSTGRES_PIPELINE);

        String prometheus = rest.getForObject("/actuator/prometheus", String.class);
        assertThat(prometheus)
                .contains("sluice_query_input_rows_total{application=\"sluice\",query=\"car-info-to-postgres\"}")
                .contains(
                        "sluice_kafka_lag_offsets{application=\"sluice\",partition=\"0\",query=\"car-info-to-postgres\",topic=\""
                                + POSTGRES_TOPIC + "\"}")
                .contains("sluice_kafka_lag_max_offsets{application=\"sluice\",query=\"car-info-to-postgres\"}")
                .contains(
                        "sluice_sink_rows_total{application=\"sluice\",outcome=\"written\",query=\"car-info-to-postgres\"}")
                .contains(
                        "sluice_dead_letters_total{application=\"sluice\",query=\"car-info-to-postgres\",reason=\"FIELD_TOO_LONG\"}");

        ResponseEntity<JsonNode> stopped = post("/api/queries/" + POSTGRES_PIPELINE + "/stop");
        assertThat(stopped.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(stopped.getBody().get("state").asText()).isEqualTo("STOPPED");
        assertThat(desiredState()).as("kept for the next deploy").isEqualTo("STOPPED");

        // While stopped: new events, and 20 of the first ones sent again by upstream.
        List<CarInfoEvent> second = events(run, 200, 150);
        expected.putAll(byId(second));
        List<byte[]> more = new ArrayList<>(json(second));
        more.addAll(json(first.subList(0, 20)));
        produce(POSTGRES_TOPIC, more);

        assertThat(post("/api/queries/" + POSTGRES_PIPELINE + "/start").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        assertThat(desiredState()).isEqualTo("RUNNING");
        await().atMost(DEADLINE)
                .until(() -> rowCount(run) == expected.size()
                        && get("/api/queries/" + POSTGRES_PIPELINE)
                                        .getBody()
                                        .at("/sink/duplicatesSkipped")
                                        .asLong()
                                >= 20);
        assertRowsEqual(run, expected);
        assertThat(jdbc.queryForObject(
                        "SELECT count(DISTINCT data_id) FROM car_info_table WHERE data_id LIKE ?",
                        Long.class,
                        run + "%"))
                .isEqualTo(expected.size());
        assertThat(deadLetters(landed)).hasSize(expectedDeadLetters.size());
    }

    @Test
    void aReplayedMicroBatchAddsNothingTwice() {
        String run = "replay-" + UUID.randomUUID().toString().substring(0, 8);
        PostgresSink sink = new PostgresSink(
                jdbcTarget,
                "replay-test",
                new PostgresSink.Table(
                        "car_info_table",
                        List.copyOf(CarInfoSchema.POSTGRES_COLUMNS.values()),
                        List.of("data_id"),
                        PostgresSink.Conflict.IGNORE),
                "sluice.dead_letter");
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            rows.add(RowFactory.create(
                    "t",
                    i % 3,
                    (long) i,
                    Timestamp.from(START),
                    new byte[] {1},
                    null,
                    null,
                    null,
                    run + "-" + i,
                    "T1",
                    127.0,
                    37.5,
                    1.0,
                    10.0,
                    "11"));
        }
        rows.add(RowFactory.create(
                "t",
                0,
                999L,
                Timestamp.from(START),
                "bad".getBytes(StandardCharsets.UTF_8),
                "MALFORMED_JSON",
                "the value is not a JSON object",
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null));
        Dataset<Row> batch = spark.createDataFrame(rows, sinkInput()).repartition(3);

        var firstWrite = sink.write(batch);
        var replay = sink.write(batch);

        assertThat(firstWrite.rowsWritten()).isEqualTo(500);
        assertThat(replay.rowsWritten()).isZero();
        assertThat(replay.duplicatesSkipped()).isEqualTo(500);
        assertThat(rowCount(run)).isEqualTo(500);
        assertThat(jdbc.queryForObject(
                        "SELECT count(*) FROM dead_letter WHERE pipeline = 'replay-test' AND kafka_offset = 999",
                        Long.class))
                .isEqualTo(1);
    }

    @Test
    void offsetsComeFromTheCheckpointAndAResetReplaysTheTopicWithoutDuplicates() throws Exception {
        String run = "reset-" + UUID.randomUUID().toString().substring(0, 8);
        produce(POSTGRES_TOPIC, json(events(run, 0, 100)));
        assertThat(post("/api/queries/" + POSTGRES_PIPELINE + "/start").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        Map<Integer, Long> endOffsets = endOffsets(POSTGRES_TOPIC);
        await().atMost(DEADLINE).until(() -> rowCount(run) == 100 && endOffsets.equals(committedOffsets()));

        ResponseEntity<JsonNode> whileRunning = rest.postForEntity(
                "/api/queries/" + POSTGRES_PIPELINE + "/reset", Map.of("from", "earliest"), JsonNode.class);
        assertThat(whileRunning.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(whileRunning.getBody().get("detail").asText()).contains("must be stopped");

        post("/api/queries/" + POSTGRES_PIPELINE + "/stop");
        long duplicatesBefore = get("/api/queries/" + POSTGRES_PIPELINE)
                .getBody()
                .at("/sink/duplicatesSkipped")
                .asLong();
        ResponseEntity<JsonNode> reset = rest.postForEntity(
                "/api/queries/" + POSTGRES_PIPELINE + "/reset", Map.of("from", "earliest"), JsonNode.class);
        assertThat(reset.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(get("/api/queries/" + POSTGRES_PIPELINE + "/offsets")
                        .getBody()
                        .get("committedBatchId")
                        .isNull())
                .isTrue();

        assertThat(post("/api/queries/" + POSTGRES_PIPELINE + "/start").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        long topicRecords =
                endOffsets.values().stream().mapToLong(Long::longValue).sum();
        await().atMost(DEADLINE).until(() -> endOffsets.equals(committedOffsets()));
        assertThat(rowCount(run)).as("replayed from earliest, stored once").isEqualTo(100);
        assertThat(get("/api/queries/" + POSTGRES_PIPELINE)
                                .getBody()
                                .at("/sink/duplicatesSkipped")
                                .asLong()
                        - duplicatesBefore)
                .as("the replay met every earlier valid row again")
                .isPositive()
                .isLessThanOrEqualTo(topicRecords);

        ResponseEntity<JsonNode> fileSink = rest.postForEntity(
                "/api/queries/" + HDFS_PIPELINE + "/reset", Map.of("from", "latest"), JsonNode.class);
        assertThat(fileSink.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(fileSink.getBody().get("detail").asText()).contains("_spark_metadata");
    }

    private Map<Integer, Long> committedOffsets() {
        JsonNode offsets =
                get("/api/queries/" + POSTGRES_PIPELINE + "/offsets").getBody().at("/offsets/" + POSTGRES_TOPIC);
        Map<Integer, Long> committed = new HashMap<>();
        offsets.fields()
                .forEachRemaining(entry -> committed.put(
                        Integer.parseInt(entry.getKey()), entry.getValue().asLong()));
        return committed;
    }

    private static Map<Integer, Long> endOffsets(String topic) throws Exception {
        try (AdminClient admin = AdminClient.create(
                Map.of("bootstrap.servers", Infrastructure.kafka().getBrokersAsString()))) {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            for (int partition = 0; partition < 3; partition++) {
                request.put(new TopicPartition(topic, partition), OffsetSpec.latest());
            }
            Map<Integer, Long> end = new HashMap<>();
            admin.listOffsets(request)
                    .all()
                    .get()
                    .forEach((partition, info) -> end.put(partition.partition(), info.offset()));
            return end;
        }
    }

    @Test
    void controlApiAnswersClientMistakesWithProblems() {
        ResponseEntity<JsonNode> unknown = post("/api/queries/no-such-pipeline/start");
        assertThat(unknown.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(unknown.getHeaders().getContentType().isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .isTrue();
        assertThat(unknown.getBody().get("title").asText()).isEqualTo("Unknown pipeline");

        ResponseEntity<JsonNode> notRunning = post("/api/queries/" + POSTGRES_PIPELINE + "/stop");
        assertThat(notRunning.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(notRunning.getBody().get("state").asText()).isEqualTo("STOPPED");

        ResponseEntity<JsonNode> badLimit = get("/api/queries/" + POSTGRES_PIPELINE + "/progress?limit=-3");
        assertThat(badLimit.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);

        ResponseEntity<JsonNode> list = get("/api/queries");
        assertThat(list.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(list.getBody().findValuesAsText("name")).contains(POSTGRES_PIPELINE, HDFS_PIPELINE);
    }

    private static StructType sinkInput() {
        return TestSpark.DECIDED_RECORD
                .add("data_id", DataTypes.StringType)
                .add("trmncd", DataTypes.StringType)
                .add("detclot", DataTypes.DoubleType)
                .add("detclat", DataTypes.DoubleType)
                .add("gpsutctime", DataTypes.DoubleType)
                .add("vhclesped", DataTypes.DoubleType)
                .add("vhcletypecd", DataTypes.StringType);
    }

    /** Records no pipeline may store, keyed by the reason they must get (a #suffix keeps keys apart). */
    private static Map<String, byte[]> hostileRecords(String run) {
        Map<String, byte[]> hostile = new LinkedHashMap<>();
        hostile.put("MALFORMED_JSON#garbage", utf8("this is not JSON"));
        hostile.put("MALFORMED_JSON#truncated", utf8("{\"dataId\": \"" + run + "-cut\", \"trmnId\": \"T"));
        hostile.put("MALFORMED_JSON#bytes", new byte[] {(byte) 0xff, (byte) 0xfe, 0x00, (byte) 0x80});
        hostile.put("SCHEMA_MISMATCH#speed", utf8("{\"dataId\": \"" + run + "-x1\", \"vhcleSped\": \"fast\"}"));
        hostile.put("MISSING_DATA_ID#absent", utf8("{\"trmnId\": \"T00001\", \"vhcleSped\": 10.0}"));
        hostile.put("EMPTY_VALUE#empty", new byte[0]);
        hostile.put("OUT_OF_RANGE#lat", utf8("{\"dataId\": \"" + run + "-x2\", \"vhcleLat\": 123.0}"));
        hostile.put(
                "FIELD_TOO_LONG#trmn",
                utf8("{\"dataId\": \"" + run + "-x3\", \"trmnId\": \"" + "T".repeat(65_536) + "\"}"));
        hostile.put("INVALID_CHARACTER#nul", utf8("{\"dataId\": \"" + run + "-x4\", \"trmnId\": \"T\\u0000\"}"));
        return hostile;
    }

    private String desiredState() {
        return jdbc.queryForObject(
                "SELECT desired_state FROM pipeline_control WHERE pipeline = ?", String.class, POSTGRES_PIPELINE);
    }

    private long rowCount(String run) {
        return jdbc.queryForObject("SELECT count(*) FROM car_info_table WHERE data_id LIKE ?", Long.class, run + "%");
    }

    /** The whole-stage compiled stages in the plan of the running query's last micro-batch. */
    private long compiledStages(String name) {
        StreamingQuery query = Arrays.stream(spark.streams().active())
                .filter(active -> name.equals(active.name()))
                .findFirst()
                .orElseThrow();
        SparkPlan plan =
                ((StreamingQueryWrapper) query).streamingQuery().lastExecution().executedPlan();
        return countStages(plan);
    }

    private static long countStages(SparkPlan plan) {
        long stages = plan instanceof WholeStageCodegenExec ? 1 : 0;
        for (SparkPlan child : JavaConverters.seqAsJavaList(plan.children())) {
            stages += countStages(child);
        }
        return stages;
    }

    private void assertRowsEqual(String run, Map<String, CarInfoEvent> expected) {
        List<Map<String, Object>> rows =
                jdbc.queryForList("SELECT * FROM car_info_table WHERE data_id LIKE ?", run + "%");
        assertThat(rows).hasSize(expected.size());
        for (Map<String, Object> row : rows) {
            CarInfoEvent event = expected.get((String) row.get("data_id"));
            assertThat(event).as("row %s was produced", row.get("data_id")).isNotNull();
            assertThat(row.get("trmncd")).isEqualTo(event.trmnId());
            assertThat(row.get("detclot")).isEqualTo(event.vhcleLot());
            assertThat(row.get("detclat")).isEqualTo(event.vhcleLat());
            assertThat(row.get("gpsutctime")).isEqualTo(event.gpsUtcTime());
            assertThat(row.get("vhclesped")).isEqualTo(event.vhcleSped());
            assertThat(row.get("vhcletypecd")).isEqualTo(event.vhcleTypeCd());
        }
    }

    private record DeadLetter(String reason, String detail, byte[] raw, Timestamp kafkaTimestamp, byte[] rawKey) {}

    private Map<String, DeadLetter> deadLetters(List<RecordMetadata> landed) {
        Map<String, DeadLetter> letters = new HashMap<>();
        jdbc.query(
                "SELECT kafka_partition, kafka_offset, reason, detail, raw_value, kafka_timestamp, raw_key FROM dead_letter"
                        + " WHERE pipeline = ? AND topic = ? AND kafka_offset BETWEEN ? AND ?",
                rs -> {
                    letters.put(
                            rs.getInt(1) + "/" + rs.getLong(2),
                            new DeadLetter(
                                    rs.getString(3),
                                    rs.getString(4),
                                    rs.getBytes(5),
                                    rs.getTimestamp(6),
                                    rs.getBytes(7)));
                },
                POSTGRES_PIPELINE,
                POSTGRES_TOPIC,
                landed.stream().mapToLong(RecordMetadata::offset).min().orElseThrow(),
                landed.stream().mapToLong(RecordMetadata::offset).max().orElseThrow());
        // Only this test's records: offsets in range on the partitions that got them.
        Map<String, DeadLetter> ours = new HashMap<>();
        for (RecordMetadata where : landed) {
            String key = where.partition() + "/" + where.offset();
            if (letters.containsKey(key)) {
                ours.put(key, letters.get(key));
            }
        }
        return ours;
    }

    static List<CarInfoEvent> events(String run, int from, int count) {
        List<CarInfoEvent> events = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            events.add(CarInfoEvent.of(
                    run + "-" + i,
                    String.format("T%05d", i % 37),
                    START.plusSeconds(i * 7L),
                    126.9 + (i % 100) * 0.0021,
                    37.5 + (i % 50) * 0.0013,
                    (i % 90) + 0.5,
                    i % 360,
                    "1" + (i % 5)));
        }
        return events;
    }

    static Map<String, CarInfoEvent> byId(List<CarInfoEvent> events) {
        Map<String, CarInfoEvent> byId = new HashMap<>();
        events.forEach(event -> byId.put(event.dataId(), event));
        return byId;
    }

    static List<byte[]> json(List<CarInfoEvent> events) {
        return events.stream().map(event -> utf8(event.toJson())).toList();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
