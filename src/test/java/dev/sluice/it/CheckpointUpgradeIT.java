package dev.sluice.it;

import static org.apache.spark.sql.functions.col;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The built-in pipelines, now definitions on the one engine, resume from what the releases before
 * them left. The PostgreSQL one resumes from a checkpoint written
 * by the release before (commit 4a6dae2: a pipeline of its own, with a hand-written parser): no
 * record lost, none written twice. The fixture ({@code src/test/resources/fixtures/checkpoint-upgrade/}) holds what that
 * release left after one micro-batch over 300 records: its checkpoint, the rows it wrote and its
 * dead letters. This test puts the same 300 records at the same offsets, adds 150, and resumes.
 */
class CheckpointUpgradeIT extends IntegrationTest {

    private static final String FIXTURE = "/fixtures/checkpoint-upgrade/";
    private static final String PARQUET_FIXTURE = "/fixtures/checkpoint-upgrade-parquet/";
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
        jdbc.execute("DROP TABLE IF EXISTS public." + TABLE);
        // The table as the last release made it.
        jdbc.execute("CREATE TABLE public." + TABLE + " (data_id varchar(64) PRIMARY KEY, trmncd varchar(64),"
                + " detclot double precision, detclat double precision, gpsutctime double precision,"
                + " vhclesped double precision, vhcletypecd varchar(32))");
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = ?", PIPELINE);
        load("COPY " + TABLE + " FROM STDIN WITH (FORMAT csv, HEADER)", FIXTURE + "car_info_table.csv");
        loadDeadLetters(FIXTURE);
        assertThat(count(TABLE)).isEqualTo(valid(0, 300));
        Path checkpoints = Files.createTempDirectory("checkpoint-upgrade");
        copyCheckpoint(checkpoints.resolve(PIPELINE));

        List<BatchOutcome> outcomes = new CopyOnWriteArrayList<>();
        List<Long> batches = new CopyOnWriteArrayList<>();
        // The built-in pipeline's own definition, on its own topic, table and checkpoint.
        DefinedPipeline pipeline = new DefinedPipeline(
                BuiltInDefinitions.carInfoToPostgres(
                        new BuiltInDefinitions.Settings(
                                PIPELINE, false, TOPIC, "earliest", null, true, Duration.ofSeconds(1)),
                        TABLE,
                        CarInfoLimits.DEFAULT),
                DefinedPipeline.Origin.BUILT_IN,
                environment(checkpoints));
        StreamingQuery query = start(pipeline, batches, outcomes);
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

    /**
     * The Parquet pipeline, now a definition on the one engine, resumes from a checkpoint and files
     * written by the release before (commit b3cf9a6: a pipeline of its own). The fixture
     * ({@code src/test/resources/fixtures/checkpoint-upgrade-parquet/}) holds what that release
     * left after one micro-batch over 300 records (280 events in one file per event date, 20 dead
     * letters): its checkpoint, its folder with the sink's log, and its dead letters.
     */
    @Test
    void theParquetPipelineResumesFromTheLastReleasesCheckpointAndFiles() throws Exception {
        String topic = "car_info_parquet_fixture";
        String pipelineName = "car-info-parquet-fixture";
        Instant gpsBase = Instant.parse("2026-11-29T23:50:00Z");
        Infrastructure.ensureTopic(topic);
        produce(topic, 0, 450, gpsBase, 7);
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = ?", pipelineName);
        loadDeadLetters(PARQUET_FIXTURE);
        Path work = Files.createTempDirectory("checkpoint-upgrade-parquet");
        Path output = work.resolve("car_info");
        copyFixture(PARQUET_FIXTURE, "checkpoint/", work.resolve("checkpoints").resolve(pipelineName), Map.of());
        copyFixture(
                PARQUET_FIXTURE,
                "car_info/",
                output,
                Map.of("@OUTPUT@", output.toUri().toString().replaceAll("/$", "")));
        String path = output.toUri().toString();
        assertThat(spark.read().parquet(path).count()).isEqualTo(valid(0, 300));

        List<BatchOutcome> outcomes = new CopyOnWriteArrayList<>();
        List<Long> batches = new CopyOnWriteArrayList<>();
        DefinedPipeline pipeline = new DefinedPipeline(
                BuiltInDefinitions.carInfoToHdfs(
                        new BuiltInDefinitions.Settings(
                                pipelineName, false, topic, "earliest", null, true, Duration.ofSeconds(1)),
                        path,
                        250_000,
                        CarInfoLimits.DEFAULT),
                DefinedPipeline.Origin.BUILT_IN,
                environment(work.resolve("checkpoints")));
        StreamingQuery query = start(pipeline, batches, outcomes);
        try {
            await().atMost(DEADLINE).until(() -> spark.read().parquet(path).count() == valid(0, 450));
            await().atMost(DEADLINE)
                    .until(() -> jdbc.queryForObject(
                                    "SELECT count(*) FROM dead_letter WHERE pipeline = ?", Long.class, pipelineName)
                            == 450 - valid(0, 450));
            await().atMost(DEADLINE)
                    .until(() -> outcomes.stream()
                                    .mapToLong(BatchOutcome::rowsWritten)
                                    .sum()
                            == valid(300, 450));
        } finally {
            query.stop();
        }

        assertThat(batches).isNotEmpty().allMatch(batchId -> batchId >= 1);
        Dataset<Row> rows = spark.read().parquet(path);
        assertThat(rows.select("dataId").distinct().count()).isEqualTo(valid(0, 450));
        // The same layout: every field, the event's date as the partition folder.
        assertThat(rows.columns()).hasSize(21).endsWith(BuiltInDefinitions.EVENT_DATE);
        Row last = rows.filter(col("dataId").equalTo("fx-449")).first();
        assertThat(last.<Double>getAs("vhcleSped")).isEqualTo((449 * 7) % 120);
        assertThat(last.<java.sql.Date>getAs(BuiltInDefinitions.EVENT_DATE).toLocalDate())
                .isEqualTo(gpsBase.plusSeconds(449 * 7L).atZone(ZoneOffset.UTC).toLocalDate());
        assertThat(rows.groupBy(BuiltInDefinitions.EVENT_DATE).count().count()).isEqualTo(2);
        assertThat(jdbc.queryForList(
                        "SELECT DISTINCT reason FROM dead_letter WHERE pipeline = ? ORDER BY reason",
                        String.class,
                        pipelineName))
                .containsExactly("MALFORMED_JSON", "OUT_OF_RANGE");
    }

    /** Starts the pipeline from its checkpoint, noting each micro-batch's number and outcome. */
    private StreamingQuery start(DefinedPipeline pipeline, List<Long> batches, List<BatchOutcome> outcomes)
            throws Exception {
        return pipeline.start(
                spark,
                (name, batchId, outcome, writeTime) -> {
                    batches.add(batchId);
                    outcomes.add(outcome);
                },
                null);
    }

    private PipelineEnvironment environment(Path checkpoints) {
        return new PipelineEnvironment(
                Infrastructure.kafka().getBrokersAsString(),
                Map.of(),
                checkpoints.toUri().toString(),
                target,
                "sluice.dead_letter",
                new MemoryTables());
    }

    private static void loadDeadLetters(String fixture) throws Exception {
        load(
                "COPY sluice.dead_letter (pipeline, topic, kafka_partition, kafka_offset, kafka_timestamp, reason, detail,"
                        + " raw_value) FROM STDIN WITH (FORMAT csv, HEADER)",
                fixture + "dead_letter.csv");
    }

    /** The records the fixture was written from, at the same partitions and offsets. */
    private static void produce(int from, int to) throws Exception {
        produce(TOPIC, from, to, Instant.parse("2026-11-29T00:00:00Z"), 1);
    }

    private static void produce(String topic, int from, int to, Instant gpsBase, int gpsStep) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", Infrastructure.kafka().getBrokersAsString()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = from; i < to; i++) {
                producer.send(new ProducerRecord<>(topic, i % 3, null, record(i, gpsBase, gpsStep)))
                        .get();
            }
        }
    }

    private static byte[] record(int i, Instant gpsBase, int gpsStep) {
        if (i % 25 == 7) {
            return ("{\"dataId\": \"fx-" + i + "\", \"vhcleSped\": -1}").getBytes(StandardCharsets.UTF_8);
        }
        if (i % 40 == 11) {
            return ("not json " + i).getBytes(StandardCharsets.UTF_8);
        }
        return CarInfoEvent.of(
                        "fx-" + i,
                        "T" + (i % 7),
                        gpsBase.plusSeconds((long) i * gpsStep),
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
                InputStream in = CheckpointUpgradeIT.class.getResourceAsStream(file)) {
            connection
                    .unwrap(PGConnection.class)
                    .getCopyAPI()
                    .copyIn(copy, new InputStreamReader(in, StandardCharsets.UTF_8));
        }
    }

    /** A copy of the fixture's checkpoint, to be written on by the run. */
    private static void copyCheckpoint(Path checkpoint) throws IOException {
        copyFixture(FIXTURE, "checkpoint/", checkpoint, Map.of());
    }

    /**
     * Copies the files of a fixture under {@code prefix} to {@code to}, replacing placeholders in
     * their text (the file sink's log holds absolute paths).
     */
    private static void copyFixture(String fixture, String prefix, Path to, Map<String, String> replacements)
            throws IOException {
        try (InputStream list = CheckpointUpgradeIT.class.getResourceAsStream(fixture + "files.txt")) {
            for (String file : new String(list.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (file.isBlank() || !(file.startsWith(prefix) || prefix.isEmpty())) {
                    continue;
                }
                Path target = to.resolve(file.substring(prefix.length()));
                Files.createDirectories(target.getParent());
                try (InputStream in = CheckpointUpgradeIT.class.getResourceAsStream(fixture + file)) {
                    byte[] bytes = in.readAllBytes();
                    if (!replacements.isEmpty() && !file.endsWith(".parquet")) {
                        String text = new String(bytes, StandardCharsets.UTF_8);
                        for (Map.Entry<String, String> replacement : replacements.entrySet()) {
                            text = text.replace(replacement.getKey(), replacement.getValue());
                        }
                        bytes = text.getBytes(StandardCharsets.UTF_8);
                    }
                    Files.write(target, bytes);
                }
            }
        }
    }
}
