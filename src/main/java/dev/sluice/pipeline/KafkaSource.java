package dev.sluice.pipeline;

import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;

/**
 * A Kafka topic read as a stream of records with Spark's Kafka source columns: {@code key},
 * {@code value}, {@code topic}, {@code partition}, {@code offset}, {@code timestamp}.
 *
 * @param bootstrapServers the brokers
 * @param topic the topic to subscribe to
 * @param startingOffsets where a query without a checkpoint starts
 * @param maxOffsetsPerTrigger the most records per micro-batch, or {@code null} for no limit
 * @param failOnDataLoss whether offsets deleted before they were read fail the query
 * @param kafkaProperties extra consumer settings, without the {@code kafka.} prefix
 */
public record KafkaSource(
        String bootstrapServers,
        String topic,
        String startingOffsets,
        Long maxOffsetsPerTrigger,
        boolean failOnDataLoss,
        Map<String, String> kafkaProperties) {

    public KafkaSource {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(startingOffsets, "startingOffsets");
        kafkaProperties = Map.copyOf(kafkaProperties == null ? Map.of() : kafkaProperties);
    }

    /**
     * @param from where to start without a checkpoint instead of {@link #startingOffsets()}, or
     *     {@code null}
     */
    public Dataset<Row> load(SparkSession spark, StartingPoint from) {
        DataStreamReader reader = spark.readStream()
                .format("kafka")
                .option("kafka.bootstrap.servers", bootstrapServers)
                .option("subscribe", topic)
                .option("failOnDataLoss", failOnDataLoss);
        if (from == null) {
            reader = reader.option("startingOffsets", startingOffsets);
        } else if (from.kind() == StartingPoint.Kind.TIMESTAMP) {
            reader = reader.option("startingTimestamp", from.timestamp().toEpochMilli());
        } else {
            reader = reader.option("startingOffsets", from.kind().name().toLowerCase());
        }
        if (maxOffsetsPerTrigger != null) {
            reader = reader.option("maxOffsetsPerTrigger", maxOffsetsPerTrigger);
        }
        for (Map.Entry<String, String> property : kafkaProperties.entrySet()) {
            reader = reader.option("kafka." + property.getKey(), property.getValue());
        }
        return reader.load();
    }
}
