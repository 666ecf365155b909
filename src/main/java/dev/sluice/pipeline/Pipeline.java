package dev.sluice.pipeline;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/** A streaming query definition that can be started any number of times, one run at a time. */
public interface Pipeline {

    /** The stable name, used as the Spark {@code queryName} and the checkpoint folder name. */
    String name();

    /** Whether the service starts this pipeline when it starts. */
    boolean autoStart();

    /** Where Spark keeps this pipeline's offsets and commits. */
    String checkpointLocation();

    /** The Kafka topic the pipeline reads, if it reads one: its lag is measured against it. */
    default Optional<KafkaSource> kafkaSource() {
        return Optional.empty();
    }

    /**
     * Whether what the pipeline reads from and writes to answers now: a short probe. A pipeline
     * that failed while they did not is restarted as soon as they do, not after its backoff.
     */
    default boolean dependenciesAnswer() {
        return true;
    }

    /** The pipeline's expectations, in order, each with its action (warn, drop, quarantine, fail). */
    default Map<String, String> expectations() {
        return Map.of();
    }

    /** Why the checkpoint of this pipeline must not be reset, if it must not. */
    default Optional<String> resetRefusal() {
        return Optional.empty();
    }

    /**
     * Starts one run; returns as soon as Spark has started the query.
     *
     * @param from where to start when there is no checkpoint, or {@code null} for the configured
     *     starting offsets
     */
    StreamingQuery start(SparkSession spark, BatchListener listener, StartingPoint from) throws TimeoutException;
}
