package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.support.Infrastructure;
import dev.sluice.support.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A micro-batch's Kafka offset ranges read in the writing task, against a real broker: the rows
 * Spark's own reader gives for the same offsets, invisible records skipped as Spark skips them,
 * deleted offsets failing or skipped as {@code failOnDataLoss} says, and a partition's consumer
 * kept from one batch to the next.
 */
class KafkaRangeReaderIT {

    private static final KafkaConsumerPool POOL = new KafkaConsumerPool(60_000, 8);

    @TempDir
    Path checkpoints;

    @AfterAll
    static void closeConsumers() {
        POOL.closeAll();
    }

    @Test
    void aQueryReadsEveryRecordSparksReaderReadsAndCountsThem() throws Exception {
        String topic = topic();
        List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            byte[] key = i % 7 == 0 ? null : ("k" + i).getBytes(StandardCharsets.UTF_8);
            byte[] value = i % 11 == 0 ? null : ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
            sent.add(new ProducerRecord<>(topic, i % 3, 1_700_000_000_000L + i, key, value));
        }
        produce(sent, false);
        SparkSession spark = TestSpark.session();
        List<String> read = Collections.synchronizedList(new ArrayList<>());
        int idleBefore = KafkaConsumerPool.shared().idle();

        StreamingQuery query = stream(spark, topic)
                .writeStream()
                .option(
                        "checkpointLocation",
                        Files.createDirectories(checkpoints.resolve("query")).toString())
                .trigger(Trigger.AvailableNow())
                .foreachBatch((batch, id) -> {
                    BatchRecords records = BatchRecords.of(spark, batch);
                    read.addAll(records.rows()
                            .toJavaRDD()
                            .map(KafkaRangeReaderIT::describe)
                            .collect());
                })
                .start();
        assertThat(query.awaitTermination(TimeUnit.MINUTES.toMillis(2))).isTrue();

        List<String> sparks = sparksRows(Map.of("subscribe", topic));
        assertThat(read).hasSize(600).containsExactlyInAnyOrderElementsOf(sparks);
        assertThat(query.recentProgress()).hasSizeGreaterThanOrEqualTo(4);
        long counted = Arrays.stream(query.recentProgress())
                .mapToLong(StreamingQueryProgress::numInputRows)
                .sum();
        assertThat(counted).isEqualTo(600);
        // Read by the range readers, whose consumers (one a partition) wait for the next batch.
        assertThat(KafkaConsumerPool.shared().idle() - idleBefore).isEqualTo(3);
    }

    @Test
    void aQueryOfSparksOperatorsGivesWhatItGivesOverSparksKafkaSource() throws Exception {
        String topic = topic();
        List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            sent.add(new ProducerRecord<>(topic, i % 3, null, ("v" + (i % 17)).getBytes(StandardCharsets.UTF_8)));
        }
        produce(sent, false);
        SparkSession spark = TestSpark.session();
        List<String> results = new ArrayList<>();
        for (String format : List.of(KafkaRangeSource.class.getName(), "kafka")) {
            String name = "counts_" + UUID.randomUUID().toString().replace("-", "");
            StreamingQuery query = spark.readStream()
                    .format(format)
                    .option("kafka.bootstrap.servers", Infrastructure.kafka().getBrokersAsString())
                    .option("subscribe", topic)
                    .option("startingOffsets", "earliest")
                    .option("maxOffsetsPerTrigger", "70")
                    .load()
                    .selectExpr("CAST(value AS STRING) AS v", "partition", "offset")
                    .groupBy("v")
                    .agg(
                            org.apache.spark.sql.functions.count("*").as("n"),
                            org.apache.spark.sql.functions.sum("offset").as("offsets"))
                    .writeStream()
                    .format("memory")
                    .queryName(name)
                    .outputMode("complete")
                    .option(
                            "checkpointLocation",
                            Files.createDirectories(checkpoints.resolve(name)).toString())
                    .trigger(Trigger.AvailableNow())
                    .start();
            assertThat(query.awaitTermination(TimeUnit.MINUTES.toMillis(2))).isTrue();
            results.add(spark.sql("SELECT v, n, offsets FROM " + name + " ORDER BY v")
                    .collectAsList()
                    .toString());
        }
        assertThat(results.get(0)).contains("[v0,18,").isEqualTo(results.get(1));
    }

    private static Dataset<Row> stream(SparkSession spark, String topic) {
        return spark.readStream()
                .format(KafkaRangeSource.class.getName())
                .option("kafka.bootstrap.servers", Infrastructure.kafka().getBrokersAsString())
                .option("subscribe", topic)
                .option("startingOffsets", "earliest")
                // Several batches a partition: each batch's consumer is the one the batch before left.
                .option("maxOffsetsPerTrigger", "150")
                .load();
    }

    @Test
    void skipsAbortedRecordsAndTransactionMarkersAsSparkDoes() throws Exception {
        String topic = topic();
        TopicPartition partition = new TopicPartition(topic, 0);
        List<ProducerRecord<byte[], byte[]>> committed = records(topic, 0, 5);
        produce(committed, true);
        produceAborted(records(topic, 100, 5));
        produce(records(topic, 200, 5), true);
        Map<String, Object> params = params();
        params.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long end = endOffset(partition, params);

        List<String> ours = read(new KafkaRangeReader.Range(partition, 0, end, params, 10_000, true));

        List<String> spark =
                sparksRows(Map.of("kafka.isolation.level", "read_committed", "assign", "{\"" + topic + "\":[0]}"));
        assertThat(ours).hasSize(10).containsExactlyElementsOf(spark);
        assertThat(ours).noneMatch(row -> row.contains("v10"));
    }

    @Test
    void deletedOffsetsFailTheReadOrAreSkippedAsFailOnDataLossSays() throws Exception {
        String topic = topic();
        TopicPartition partition = new TopicPartition(topic, 0);
        produce(records(topic, 0, 10), false);
        try (AdminClient admin = AdminClient.create(
                Map.of("bootstrap.servers", Infrastructure.kafka().getBrokersAsString()))) {
            admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(4)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }

        assertThatThrownBy(() -> read(new KafkaRangeReader.Range(partition, 0, 10, params(), 10_000, true)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no longer has offsets [0, 10) of " + partition)
                .hasMessageContaining("failOnDataLoss");
        List<String> rest = read(new KafkaRangeReader.Range(partition, 0, 10, params(), 10_000, false));
        assertThat(rest).hasSize(6).first().asString().startsWith("0 4 ");
        // Past what the partition has: fails after one empty poll rather than polling again.
        assertThatThrownBy(() -> read(new KafkaRangeReader.Range(partition, 4, 12, params(), 1_000, true)))
                .hasMessageContaining("no longer has offsets [10, 12)");
    }

    @Test
    void aPartitionsNextRangeGoesOnWithTheSameConsumerAndAnyOtherRangeSeeks() throws Exception {
        String topic = topic();
        TopicPartition partition = new TopicPartition(topic, 1);
        produce(
                records(topic, 0, 30).stream()
                        .map(r -> new ProducerRecord<>(topic, 1, r.key(), r.value()))
                        .toList(),
                false);
        KafkaConsumerPool pool = new KafkaConsumerPool(60_000, 8);
        try {
            Map<String, Object> params = params();
            params.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "25");
            List<String> first = read(new KafkaRangeReader.Range(partition, 0, 10, params, 10_000, true), pool);
            assertThat(pool.idle()).isEqualTo(1);
            List<String> second = read(new KafkaRangeReader.Range(partition, 10, 30, params, 10_000, true), pool);
            List<String> again = read(new KafkaRangeReader.Range(partition, 5, 8, params, 10_000, true), pool);
            assertThat(pool.idle()).isEqualTo(1);
            assertThat(first).hasSize(10).first().asString().startsWith("1 0 ");
            assertThat(second).hasSize(20).first().asString().startsWith("1 10 ");
            assertThat(second.get(19)).startsWith("1 29 ");
            assertThat(again).extracting(row -> row.split(" ")[1]).containsExactly("5", "6", "7");
            assertThat(read(new KafkaRangeReader.Range(partition, 30, 30, params, 10_000, true), pool))
                    .isEmpty();
        } finally {
            pool.closeAll();
        }
        assertThat(pool.idle()).isZero();
    }

    /** What Spark's own Kafka reader gives for the topic from its start, in a batch read. */
    private static List<String> sparksRows(Map<String, String> options) {
        return TestSpark.session()
                .read()
                .format("kafka")
                .option("kafka.bootstrap.servers", Infrastructure.kafka().getBrokersAsString())
                .options(options)
                .load()
                .queryExecution()
                .toRdd()
                .toJavaRDD()
                .map(KafkaRangeReaderIT::describe)
                .collect();
    }

    private static String describe(InternalRow row) {
        return row.getInt(3) + " " + row.getLong(4) + " "
                + (row.isNullAt(0) ? "null" : new String(row.getBinary(0), StandardCharsets.UTF_8)) + " "
                + (row.isNullAt(1) ? "null" : new String(row.getBinary(1), StandardCharsets.UTF_8)) + " "
                + row.getUTF8String(2) + " " + row.getLong(5) + " " + row.getInt(6);
    }

    private static List<String> read(KafkaRangeReader.Range range) {
        return read(range, POOL);
    }

    private static List<String> read(KafkaRangeReader.Range range, KafkaConsumerPool pool) {
        List<String> rows = new ArrayList<>();
        Iterator<InternalRow> reader = new KafkaRangeReader(range, pool);
        reader.forEachRemaining(row -> rows.add(describe(row)));
        return rows;
    }

    /** Settings as Spark gives its executors' consumers. */
    private static Map<String, Object> params() {
        Map<String, Object> params = new HashMap<>();
        params.put(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Infrastructure.kafka().getBrokersAsString());
        params.put(ConsumerConfig.GROUP_ID_CONFIG, "range-reader-" + UUID.randomUUID());
        params.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        params.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        params.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        params.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return params;
    }

    private static long endOffset(TopicPartition partition, Map<String, Object> params) {
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(params)) {
            return consumer.endOffsets(List.of(partition)).get(partition);
        }
    }

    private static String topic() {
        String topic = "it_range_" + UUID.randomUUID().toString().substring(0, 8);
        Infrastructure.ensureTopic(topic);
        return topic;
    }

    private static List<ProducerRecord<byte[], byte[]>> records(String topic, int first, int count) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            records.add(new ProducerRecord<>(
                    topic, 0, ("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }

    private static void produce(List<ProducerRecord<byte[], byte[]>> records, boolean transactional) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = producer(transactional)) {
            if (transactional) {
                producer.initTransactions();
                producer.beginTransaction();
            }
            List<Future<RecordMetadata>> sends = new ArrayList<>();
            for (ProducerRecord<byte[], byte[]> record : records) {
                sends.add(producer.send(record));
            }
            if (transactional) {
                producer.commitTransaction();
            } else {
                producer.flush();
            }
            // Every record is written before a test reads: a failed send fails here, naming its cause.
            for (Future<RecordMetadata> send : sends) {
                send.get();
            }
        }
    }

    private static void produceAborted(List<ProducerRecord<byte[], byte[]>> records) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = producer(true)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> record : records) {
                producer.send(record);
            }
            producer.flush();
            producer.abortTransaction();
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(boolean transactional) {
        Map<String, Object> config = new HashMap<>();
        config.put(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, Infrastructure.kafka().getBrokersAsString());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        if (transactional) {
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "range-reader-" + UUID.randomUUID());
        }
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
