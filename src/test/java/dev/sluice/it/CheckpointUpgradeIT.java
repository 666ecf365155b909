package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.definition.BuiltInDefinitions;
import dev.sluice.definition.DefinedPipeline;
import dev.sluice.definition.MemoryTables;
import dev.sluice.definition.PipelineEnvironment;
import dev.sluice.pipeline.BatchOutcome;
import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.support.CarInfoEvent;
import dev.sluice.support.Infrastructure;
import dev.sluice.support.IntegrationTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The PostgreSQL pipeline, now a definition on the one engine, resumes from a checkpoint written
 * by the release before (commit 4a6dae2: a pipeline of its own, with a hand-written parser): no
 * record lost, none written twice. The fixture ({@code src/test/resources/fixtures/checkpoint-upgrade/}) holds what that
 * release left after one micro-batch over 300 records: its checkpoint, the rows it wrote and its
 * dead letters. This test puts the same 300 records at the same offsets, adds 150, and resumes.
 */
class CheckpointUpgradeIT extends IntegrationTest {

    private static final String FIXTURE = "/fixtures/checkpoint-upgrade/";
    private static final String TOPIC = "car_info_checkpoint_fixture";
    private static final String PIPELINE = "car-info-fixture";
    private static final String TABLE = "car_info_fixture";

    @Autowired
    private SparkSession spark;

    @Autowired
    private JdbcTarget target;

    @Test
    void resumesFromTheLastReleasesCheckpointWithNoLossAndNoDuplicate() throws Exception {
        Infrastructure.ensureTopic(TOPIC);
        produce(0, 450);
        jdbc.execute("DROP TABLE IF EXISTS " + TABLE);
        jdbc.execute("CREATE TABLE " + TABLE + " (LIKE car_info_table INCLUDING ALL)");
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = ?", PIPELINE);
        load("COPY " + TABLE + " FROM STDIN WITH (FORMAT csv, HEADER)", "car_info_table.csv");
        load(
                "COPY dead_letter (pipeline, topic, kafka_partition, kafka_offset, kafka_timestamp, reason, detail,"
                        + " raw_value) FROM STDIN WITH (FORMAT csv, HEADER)",
                "dead_letter.csv");
        assertThat(count(TABLE)).isEqualTo(valid(0, 300));
        Path checkpoints = Files.createTempDirectory("checkpoint-upgrade");
        copyCheckpoint(checkpoints.resolve(PIPELINE));

        List<BatchOutcome> outcomes = new CopyOnWriteArrayList<>();
        List<Long> batches = new CopyOnWriteArrayList<>();
        // The built-in pipeline's own definition, on its own topic, table and checkpoint.
        DefinedPipeline pipeline = new DefinedPipeline(
                BuiltInDefinitions.carInfoToPostgres(
                        PIPELINE,
                        false,
                        TOPIC,
                        "earliest",
                        null,
                        true,
                        Duration.ofSeconds(1),
                        TABLE,
                        CarInfoLimits.DEFAULT),
                DefinedPipeline.Origin.BUILT_IN,
                new PipelineEnvironment(
                        Infrastructure.kafka().getBrokersAsString(),
                        Map.of(),
                        checkpoints.toUri().toString(),
                        target,
                        "dead_letter",
                        new MemoryTables()));
        StreamingQuery query = pipeline.start(
                spark,
                (name, batchId, outcome, writeTime) -> {
                    batches.add(batchId);
                    outcomes.add(outcome);
                },
                null);
        try {
            await().atMost(DEADLINE).until(() -> count(TABLE) == valid(0, 450));
            await().atMost(DEADLINE)
                    .until(() -> jdbc.queryForObject(
                                    "SELECT count(*) FROM dead_letter WHERE pipeline = ?", Long.class, PIPELINE)
                            == 450 - valid(0, 450));
        } finally {
            query.stop();
        }

        // Only the 150 new records were read: the batch numbers go on from the checkpoint's.
        BatchOutcome total = outcomes.stream().reduce(BatchOutcome.EMPTY, BatchOutcome::plus);
        assertThat(batches).isNotEmpty().allMatch(batchId -> batchId >= 1);
        assertThat(total.rowsWritten()).isEqualTo(valid(300, 450));
        assertThat(total.duplicatesSkipped()).isZero();
        assertThat(total.deadLetters().values().stream()
                        .mapToLong(Long::longValue)
                        .sum())
                .isEqualTo(150 - valid(300, 450));
        assertThat(jdbc.queryForObject("SELECT count(DISTINCT data_id) FROM " + TABLE, Long.class))
                .isEqualTo(valid(0, 450));
        assertThat(jdbc.queryForObject("SELECT vhclesped FROM " + TABLE + " WHERE data_id = 'fx-449'", Double.class))
                .isEqualTo((449 * 7) % 120);
        assertThat(jdbc.queryForList(
                        "SELECT DISTINCT reason FROM dead_letter WHERE pipeline = ? ORDER BY reason",
                        String.class,
                        PIPELINE))
                .containsExactly("MALFORMED_JSON", "OUT_OF_RANGE");
    }

    /** The records the fixture was written from, at the same partitions and offsets. */
    private static void produce(int from, int to) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", Infrastructure.kafka().getBrokersAsString()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = from; i < to; i++) {
                producer.send(new ProducerRecord<>(TOPIC, i % 3, null, record(i)))
                        .get();
            }
        }
    }

    private static byte[] record(int i) {
        if (i % 25 == 7) {
            return ("{\"dataId\": \"fx-" + i + "\", \"vhcleSped\": -1}").getBytes(StandardCharsets.UTF_8);
        }
        if (i % 40 == 11) {
            return ("not json " + i).getBytes(StandardCharsets.UTF_8);
        }
        return CarInfoEvent.of(
                        "fx-" + i,
                        "T" + (i % 7),
                        Instant.parse("2026-11-29T00:00:00Z").plusSeconds(i),
                        127.0 + (i % 100) / 1000.0,
                        37.5 + (i % 50) / 1000.0,
                        (i * 7) % 120,
                        i % 360,
                        "1" + (i % 5))
                .toJson()
                .getBytes(StandardCharsets.UTF_8);
    }

    private static long valid(int from, int to) {
        long valid = 0;
        for (int i = from; i < to; i++) {
            if (i % 25 != 7 && i % 40 != 11) {
                valid++;
            }
        }
        return valid;
    }

    private long count(String table) {
        return jdbc.queryForObject("SELECT count(*) FROM " + table, Long.class);
    }

    private static void load(String copy, String file) throws Exception {
        try (Connection connection = DriverManager.getConnection(Infrastructure.postgresUrl());
                InputStream in = CheckpointUpgradeIT.class.getResourceAsStream(FIXTURE + file)) {
            connection
                    .unwrap(PGConnection.class)
                    .getCopyAPI()
                    .copyIn(copy, new InputStreamReader(in, StandardCharsets.UTF_8));
        }
    }

    /** A copy of the fixture's checkpoint, to be written on by the run. */
    private static void copyCheckpoint(Path checkpoint) throws IOException {
        try (InputStream list = CheckpointUpgradeIT.class.getResourceAsStream(FIXTURE + "files.txt")) {
            for (String file : new String(list.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (file.isBlank()) {
                    continue;
                }
                Path to = checkpoint.resolve(file);
                Files.createDirectories(to.getParent());
                try (InputStream in = CheckpointUpgradeIT.class.getResourceAsStream(FIXTURE + "checkpoint/" + file)) {
                    Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
