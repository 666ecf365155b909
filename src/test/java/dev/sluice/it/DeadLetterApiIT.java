package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.deadletter.DeadLetterRetention;
import dev.sluice.deadletter.KafkaPublisher;
import dev.sluice.support.Infrastructure;
import dev.sluice.support.IntegrationTest;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * The dead-letter API against real PostgreSQL and Kafka: pages newest first with a cursor, one
 * dead letter with its raw value, a replay into Kafka that sends each one once, purges, and the
 * retention.
 */
class DeadLetterApiIT extends IntegrationTest {

    @Autowired
    private DeadLetterRetention retention;

    @Test
    void readsReplaysOncePurgesAndForgetsWhatIsPastTheRetention() throws Exception {
        String pipeline = "dlq-" + UUID.randomUUID().toString().substring(0, 8);
        String source = newTopic("dlq_source");
        String replays = newTopic("dlq_replays");
        List<Long> ids = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        for (int offset = 0; offset < 5; offset++) {
            values.add(
                    offset == 4
                            ? new byte[] {(byte) 0xFF, 0}
                            : ("not json " + offset).getBytes(StandardCharsets.UTF_8));
        }
        // The original records, with keys and a header of their own, at offsets 0 to 4 of partition 0.
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", Infrastructure.kafka().getBrokersAsString()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int offset = 0; offset < 5; offset++) {
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
                        source, 0, ("vehicle-" + offset).getBytes(StandardCharsets.UTF_8), values.get(offset));
                record.headers().add("trace", ("t" + offset).getBytes(StandardCharsets.UTF_8));
                producer.send(record).get();
            }
        }
        for (int offset = 0; offset < 5; offset++) {
            byte[] value = values.get(offset);
            ids.add(jdbc.queryForObject(
                    "INSERT INTO dead_letter (pipeline, topic, kafka_partition, kafka_offset, kafka_timestamp, reason,"
                            + " detail, raw_value, raw_key) VALUES (?, ?, 0, ?, ?, ?, 'why', ?, ?) RETURNING id",
                    Long.class,
                    pipeline,
                    source,
                    offset,
                    Timestamp.from(Instant.parse("2026-11-30T00:00:00Z")),
                    offset < 3 ? "MALFORMED_JSON" : "OUT_OF_RANGE",
                    value,
                    offset == 4 ? null : ("vehicle-" + offset).getBytes(StandardCharsets.UTF_8)));
        }

        // Newest first, two at a time.
        JsonNode first =
                get("/api/dead-letters?pipeline=" + pipeline + "&limit=2").getBody();
        assertThat(first.findValuesAsText("offset")).containsExactly("4", "3");
        JsonNode second = get("/api/dead-letters?pipeline=" + pipeline + "&limit=2&after="
                        + first.path("next").asText())
                .getBody();
        assertThat(second.findValuesAsText("offset")).containsExactly("2", "1");
        JsonNode last = get("/api/dead-letters?pipeline=" + pipeline + "&limit=2&after="
                        + second.path("next").asText())
                .getBody();
        assertThat(last.findValuesAsText("offset")).containsExactly("0");
        assertThat(last.path("next").isNull()).isTrue();
        assertThat(get("/api/dead-letters?pipeline=" + pipeline + "&reason=OUT_OF_RANGE")
                        .getBody()
                        .path("items"))
                .hasSize(2);

        JsonNode text = get("/api/dead-letters/" + ids.get(1)).getBody();
        assertThat(text.path("value").asText()).isEqualTo("not json 1");
        assertThat(text.path("topic").asText()).isEqualTo(source);
        assertThat(text.path("reason").asText()).isEqualTo("MALFORMED_JSON");
        assertThat(text.path("key").asText()).isEqualTo("vehicle-1");
        assertThat(text.path("keyBase64").asText()).isEqualTo("dmVoaWNsZS0x");
        JsonNode binary = get("/api/dead-letters/" + ids.get(4)).getBody();
        assertThat(binary.has("value")).isFalse();
        assertThat(binary.has("key")).isFalse();
        assertThat(binary.has("keyBase64")).isFalse();
        assertThat(binary.path("valueBase64").asText()).isEqualTo("/wA=");
        ResponseEntity<JsonNode> unknown = get("/api/dead-letters/999999999");
        assertThat(unknown.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(unknown.getBody().path("type").asText()).endsWith("unknown-dead-letter");
        assertThat(get("/api/dead-letters?limit=0").getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(get("/api/dead-letters?after=abc").getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);

        // Replayed into a topic of choice, once each.
        ResponseEntity<JsonNode> replayed = send(
                HttpMethod.POST,
                "/api/dead-letters/replay",
                Map.of("pipeline", pipeline, "reason", "MALFORMED_JSON", "topic", replays));
        assertThat(replayed.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(replayed.getBody().path("replayed").asInt()).isEqualTo(3);
        assertThat(send(
                                HttpMethod.POST,
                                "/api/dead-letters/replay",
                                Map.of("pipeline", pipeline, "reason", "MALFORMED_JSON", "topic", replays))
                        .getBody()
                        .path("replayed")
                        .asInt())
                .isZero();
        List<ConsumerRecord<byte[], byte[]>> records = consume(replays);
        assertThat(records)
                .extracting(record -> new String(record.value(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder("not json 0", "not json 1", "not json 2");
        assertThat(records)
                .extracting(record -> new String(
                        record.headers().lastHeader(KafkaPublisher.ID_HEADER).value(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder(
                        ids.get(0).toString(), ids.get(1).toString(), ids.get(2).toString());
        // With the original records' keys and headers.
        assertThat(records)
                .extracting(
                        record -> new String(record.key(), StandardCharsets.UTF_8),
                        record ->
                                new String(record.headers().lastHeader("trace").value(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("vehicle-0", "t0"),
                        org.assertj.core.groups.Tuple.tuple("vehicle-1", "t1"),
                        org.assertj.core.groups.Tuple.tuple("vehicle-2", "t2"));
        assertThat(get("/api/dead-letters/" + ids.get(0)).getBody().has("replayedAt"))
                .isTrue();
        // The rest, into the topic each came from.
        assertThat(send(HttpMethod.POST, "/api/dead-letters/replay", Map.of("pipeline", pipeline))
                        .getBody()
                        .path("replayed")
                        .asInt())
                .isEqualTo(2);
        // The source topic: the five originals, then the two replayed.
        assertThat(consume(source)).hasSize(7);
        assertThat(send(HttpMethod.POST, "/api/dead-letters/replay", Map.of()).getStatusCode())
                .isEqualTo(HttpStatus.BAD_REQUEST);

        // Purged by reason; a purge says what it is about.
        assertThat(send(HttpMethod.DELETE, "/api/dead-letters?pipeline=" + pipeline + "&reason=OUT_OF_RANGE", null)
                        .getBody()
                        .path("deleted")
                        .asInt())
                .isEqualTo(2);
        assertThat(send(HttpMethod.DELETE, "/api/dead-letters", null).getStatusCode())
                .isEqualTo(HttpStatus.BAD_REQUEST);

        // Past the retention (30 days by default): deleted by the scheduled purge.
        jdbc.update("UPDATE dead_letter SET recorded_at = now() - interval '31 days' WHERE pipeline = ?", pipeline);
        assertThat(retention.purge()).isGreaterThanOrEqualTo(3);
        assertThat(get("/api/dead-letters?pipeline=" + pipeline).getBody().path("items"))
                .isEmpty();
    }

    /**
     * Past Kafka's retention a dead letter's record is gone from its topic; its replay still has
     * the record's key (kept with the dead letter), so Kafka's partitioner sends it to its key's
     * partition, beside the key's other records.
     */
    @Test
    void aReplayKeepsTheKeyOfARecordKafkaNoLongerHolds() throws Exception {
        String pipeline = "dlq-gone-" + UUID.randomUUID().toString().substring(0, 8);
        String source = newTopic("dlq_gone");
        String replays = newTopic("dlq_keyed");
        TopicPartition partition = new TopicPartition(source, 0);
        List<String> keys = List.of("vehicle-a", "vehicle-b", "vehicle-c", "vehicle-d", "vehicle-e", "vehicle-f");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", Infrastructure.kafka().getBrokersAsString()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int offset = 0; offset < keys.size(); offset++) {
                producer.send(new ProducerRecord<>(
                                source,
                                0,
                                keys.get(offset).getBytes(StandardCharsets.UTF_8),
                                ("not json " + offset).getBytes(StandardCharsets.UTF_8)))
                        .get();
                jdbc.update(
                        "INSERT INTO dead_letter (pipeline, topic, kafka_partition, kafka_offset, reason, raw_value,"
                                + " raw_key) VALUES (?, ?, 0, ?, 'MALFORMED_JSON', ?, ?)",
                        pipeline,
                        source,
                        offset,
                        ("not json " + offset).getBytes(StandardCharsets.UTF_8),
                        keys.get(offset).getBytes(StandardCharsets.UTF_8));
            }
        }
        // What the retention does: the partition's records are gone.
        try (AdminClient admin = AdminClient.create(
                Map.of("bootstrap.servers", Infrastructure.kafka().getBrokersAsString()))) {
            admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(keys.size())))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        assertThat(consume(source)).isEmpty();

        assertThat(send(HttpMethod.POST, "/api/dead-letters/replay", Map.of("pipeline", pipeline, "topic", replays))
                        .getBody()
                        .path("replayed")
                        .asInt())
                .isEqualTo(keys.size());

        List<ConsumerRecord<byte[], byte[]>> records = consume(replays);
        assertThat(records)
                .extracting(record -> new String(record.key(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrderElementsOf(keys);
        int partitions =
                records.stream().mapToInt(ConsumerRecord::partition).max().orElseThrow() + 1;
        assertThat(partitions).as("the replays went to more than one partition").isGreaterThan(1);
        for (ConsumerRecord<byte[], byte[]> record : records) {
            // Kafka's default partitioner for a keyed record.
            assertThat(record.partition())
                    .as("partition of %s", new String(record.key(), StandardCharsets.UTF_8))
                    .isEqualTo(Utils.toPositive(Utils.murmur2(record.key())) % 3);
        }
    }

    /**
     * A record a rule rejected is replayed once the rule is fixed, and this time goes through its
     * pipeline into the table.
     */
    @Test
    void aReplayedDeadLetterGoesThroughItsPipelineOnceTheCauseIsFixed() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String topic = newTopic("dlq_through");
        String name = "replay-" + run;
        String table = "replay_" + run;
        String definition = """
                {"name": "%s", "autoStart": true,
                 "source": {"kind": "kafka", "topics": ["%s"], "startingOffsets": "earliest",
                            "schema": "id STRING, reading INT"},
                 "rules": [{"reason": "NEGATIVE_READING", "require": "reading >= %d"}],
                 "transform": {"sql": "SELECT id, reading FROM events"},
                 "sink": {"kind": "postgres", "table": "%s", "keyColumns": ["id"], "createTable": true},
                 "trigger": {"kind": "processing-time", "interval": "1 second"}}""";
        ObjectMapper json = new ObjectMapper();
        createRunning(json.readTree(String.format(definition, name, topic, 0, table)));
        produce(
                topic,
                List.of("meter-a".getBytes(StandardCharsets.UTF_8), "meter-b".getBytes(StandardCharsets.UTF_8)),
                List.of(
                        "{\"id\": \"a\", \"reading\": 5}".getBytes(StandardCharsets.UTF_8),
                        "{\"id\": \"b\", \"reading\": -3}".getBytes(StandardCharsets.UTF_8)));
        await().atMost(DEADLINE).until(() -> count("SELECT count(*) FROM " + table) == 1);
        await().atMost(DEADLINE)
                .until(() -> count("SELECT count(*) FROM dead_letter WHERE pipeline = '" + name + "'") == 1);
        assertThat(jdbc.queryForObject(
                        "SELECT convert_from(raw_key, 'UTF8') FROM dead_letter WHERE pipeline = ?", String.class, name))
                .isEqualTo("meter-b");

        // The cause fixed: readings down to -10 are taken now.
        assertThat(post("/api/queries/" + name + "/stop").getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(send(
                                HttpMethod.PUT,
                                "/api/pipelines/" + name,
                                json.readTree(String.format(definition, name, topic, -10, table)))
                        .getStatusCode())
                .isEqualTo(HttpStatus.OK);
        assertThat(post("/api/queries/" + name + "/start").getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(send(HttpMethod.POST, "/api/dead-letters/replay", Map.of("pipeline", name))
                        .getBody()
                        .path("replayed")
                        .asInt())
                .isEqualTo(1);

        await().atMost(DEADLINE).until(() -> count("SELECT count(*) FROM " + table) == 2);
        assertThat(jdbc.queryForObject("SELECT reading FROM " + table + " WHERE id = 'b'", Integer.class))
                .isEqualTo(-3);
        assertThat(count(
                        "SELECT count(*) FROM dead_letter WHERE pipeline = '" + name + "' AND replayed_at IS NOT NULL"))
                .isEqualTo(1);
    }

    private long count(String sql) {
        return jdbc.queryForObject(sql, Long.class);
    }

    private ResponseEntity<JsonNode> send(HttpMethod method, String path, Object body) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        return rest.exchange(path, method, new HttpEntity<>(body, headers), JsonNode.class);
    }
}
