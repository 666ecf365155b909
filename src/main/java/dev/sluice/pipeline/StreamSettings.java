package dev.sluice.pipeline;

import java.time.Duration;
import java.util.Objects;
import org.apache.spark.sql.streaming.Trigger;

/**
 * What every Kafka pipeline is configured with.
 *
 * @param name the pipeline name
 * @param autoStart whether the service starts it at boot
 * @param source the topic it reads
 * @param trigger the micro-batch interval
 * @param checkpointLocation where Spark keeps its offsets and commits for this query
 */
public record StreamSettings(
        String name, boolean autoStart, KafkaSource source, Duration trigger, String checkpointLocation) {

    public StreamSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(checkpointLocation, "checkpointLocation");
    }

    public Trigger sparkTrigger() {
        return Trigger.ProcessingTime(trigger.toMillis());
    }
}
