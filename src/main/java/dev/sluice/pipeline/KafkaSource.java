package dev.sluice.pipeline;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;

/**
 * Kafka topics read as a stream of records with Spark's Kafka source columns: {@code key},
 * {@code value}, {@code topic}, {@code partition}, {@code offset}, {@code timestamp}, read by
 * {@link KafkaRangeSource}. The one Kafka reader of every pipeline, built-in or defined.
 *
 * @param bootstrapServers the brokers
 * @param topics the topics to subscribe to; empty when {@code topicPattern} is set
 * @param topicPattern a Java regex of topics to subscribe to, or {@code null}
 * @param startingOffsets where a query without a checkpoint starts ({@code earliest},
 *     {@code latest} or Spark's JSON offsets), or {@code null} for Spark's default ({@code latest})
 * @param startingTimestamp instead of {@code startingOffsets}: the first record at or after it
 * @param maxOffsetsPerTrigger the most records per micro-batch, or {@code null} for no limit
 * @param failOnDataLoss whether offsets deleted before they were read fail the query
 * @param kafkaProperties extra consumer settings, without the {@code kafka.} prefix
 */
public record KafkaSource(
        String bootstrapServers,
        List<String> topics,
        String topicPattern,
        String startingOffsets,
        Instant startingTimestamp,
        Long maxOffsetsPerTrigger,
        boolean failOnDataLoss,
        Map<String, String> kafkaProperties) {

    /**
     * Consumer settings for reading a backlog, unless the configuration sets them. A poll costs
     * the reader ({@link KafkaRangeReader}) and the broker a round trip, and Spark's reader (for
     * the ranges it still reads) two offset look-ups more, so a poll should bring many records:
     * up to 20,000 (the consumer's default is 500) from fetches of up to 8 MiB a partition (its
     * default, 1 MiB, holds about 4,000 car_info records, and a poll returns what one fetch
     * brought), over a 1 MiB socket buffer (Spark's default is 64 KiB).
     */
    public static final Map<String, String> CATCH_UP_DEFAULTS = Map.of(
            "max.poll.records", "20000",
            "max.partition.fetch.bytes", Integer.toString(8 << 20),
            "receive.buffer.bytes", Integer.toString(1 << 20));

    public KafkaSource {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        topics = List.copyOf(topics == null ? List.of() : topics);
        if (topics.isEmpty() == (topicPattern == null)) {
            throw new IllegalArgumentException("a Kafka source reads either topics or a topic pattern");
        }
        kafkaProperties = Map.copyOf(kafkaProperties == null ? Map.of() : kafkaProperties);
    }

    /** One topic, from {@code startingOffsets} when there is no checkpoint. */
    public KafkaSource(
            String bootstrapServers,
            String topic,
            String startingOffsets,
            Long maxOffsetsPerTrigger,
            boolean failOnDataLoss,
            Map<String, String> kafkaProperties) {
        this(
                bootstrapServers,
                List.of(Objects.requireNonNull(topic, "topic")),
                null,
                Objects.requireNonNull(startingOffsets, "startingOffsets"),
                null,
                maxOffsetsPerTrigger,
                failOnDataLoss,
                kafkaProperties);
    }

    /** The one topic this source reads; only for a source of exactly one topic. */
    public String topic() {
        if (topics.size() != 1) {
            throw new IllegalStateException("This Kafka source reads " + (topicPattern != null ? "a pattern" : topics));
        }
        return topics.get(0);
    }

    /**
     * @param from where to start without a checkpoint instead of the configured starting point,
     *     or {@code null}
     */
    public Dataset<Row> load(SparkSession spark, StartingPoint from) {
        DataStreamReader reader = spark.readStream()
                .format(KafkaRangeSource.class.getName())
                .options(clientOptions(bootstrapServers, consumerProperties()))
                .option(
                        topics.isEmpty() ? "subscribePattern" : "subscribe",
                        topics.isEmpty() ? topicPattern : String.join(",", topics))
                .option("failOnDataLoss", failOnDataLoss);
        if (from != null && from.kind() == StartingPoint.Kind.TIMESTAMP) {
            reader = reader.option("startingTimestamp", from.timestamp().toEpochMilli());
        } else if (from != null) {
            reader = reader.option("startingOffsets", from.kind().name().toLowerCase());
        } else if (startingTimestamp != null) {
            reader = reader.option("startingTimestamp", startingTimestamp.toEpochMilli());
        } else if (startingOffsets != null) {
            reader = reader.option("startingOffsets", startingOffsets);
        }
        if (maxOffsetsPerTrigger != null) {
            reader = reader.option("maxOffsetsPerTrigger", maxOffsetsPerTrigger);
        }
        return reader.load();
    }

    /** The reader's consumer settings: {@link #CATCH_UP_DEFAULTS}, then the configured ones, which win. */
    public Map<String, String> consumerProperties() {
        Map<String, String> consumer = new LinkedHashMap<>(CATCH_UP_DEFAULTS);
        consumer.putAll(kafkaProperties);
        return consumer;
    }

    /** The client settings of Spark's Kafka source and sink alike: the brokers and every extra setting, prefixed. */
    public static Map<String, String> clientOptions(String bootstrapServers, Map<String, String> kafkaProperties) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("kafka.bootstrap.servers", bootstrapServers);
        kafkaProperties.forEach((key, value) -> options.put("kafka." + key, value));
        return options;
    }
}
