package dev.sluice.metrics;

import dev.sluice.run.PipelineStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.TopicPartition;

/**
 * One pipeline's lag meters, tagged {@code query}: {@code sluice_kafka_lag_offsets{topic,partition}},
 * {@code sluice_kafka_lag_max_offsets}, {@code sluice_kafka_backlog_offsets} and
 * {@code sluice_kafka_catch_up_seconds}. NaN while unknown.
 */
final class LagGauges {

    private final MeterRegistry registry;
    private final String query;
    private final Map<TopicPartition, AtomicReference<Double>> partitions = new ConcurrentHashMap<>();
    private final AtomicReference<Double> max = new AtomicReference<>(Double.NaN);
    private final AtomicReference<Double> backlog = new AtomicReference<>(Double.NaN);
    private final AtomicReference<Double> catchUp = new AtomicReference<>(Double.NaN);

    LagGauges(MeterRegistry registry, String query) {
        this.registry = registry;
        this.query = query;
        offsets("sluice.kafka.lag.max", "The most records waiting in any one partition", max);
        offsets("sluice.kafka.backlog", "Records waiting in all partitions", backlog);
        Gauge.builder("sluice.kafka.catch.up", catchUp, AtomicReference::get)
                .baseUnit("seconds")
                .description("Time to read the backlog at the last processing rate (NaN while not running)")
                .tag("query", query)
                .register(registry);
    }

    /**
     * @param lag the lag, or null when unknown
     * @param running whether the pipeline runs: a backlog with no known rate then takes forever
     */
    void show(PipelineStatus.Lag lag, boolean running) {
        if (lag == null) {
            max.set(Double.NaN);
            backlog.set(Double.NaN);
            catchUp.set(Double.NaN);
            return;
        }
        lag.partitions()
                .forEach((topic, behind) -> behind.forEach((partition, records) -> partitions
                        .computeIfAbsent(new TopicPartition(topic, partition), this::partition)
                        .set((double) records)));
        max.set((double) lag.maxPartitionRecords());
        backlog.set((double) lag.records());
        Double seconds = lag.catchUpSeconds();
        catchUp.set(seconds != null ? seconds : running && lag.records() > 0 ? Double.POSITIVE_INFINITY : Double.NaN);
    }

    private void offsets(String name, String description, AtomicReference<Double> value) {
        Gauge.builder(name, value, AtomicReference::get)
                .baseUnit("offsets")
                .description(description)
                .tag("query", query)
                .register(registry);
    }

    private AtomicReference<Double> partition(TopicPartition partition) {
        AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
        Gauge.builder("sluice.kafka.lag", value, AtomicReference::get)
                .baseUnit("offsets")
                .description("Records in the partition the query has not processed yet")
                .tags("query", query, "topic", partition.topic(), "partition", Integer.toString(partition.partition()))
                .register(registry);
        return value;
    }
}
