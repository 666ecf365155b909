package dev.sluice.metrics;

import dev.sluice.pipeline.Dependencies;
import dev.sluice.pipeline.KafkaSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/** Asks the brokers for a topic's offsets: one admin client per cluster, each call bounded. */
final class KafkaOffsets implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final Map<String, Admin> admins = new ConcurrentHashMap<>();

    /** The latest offset of each partition of the source's topic. */
    Map<TopicPartition, Long> latest(KafkaSource source) throws Exception {
        Admin admin = admin(source);
        TopicDescription topic = admin.describeTopics(List.of(source.topic()))
                .allTopicNames()
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .get(source.topic());
        Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
        for (TopicPartitionInfo partition : topic.partitions()) {
            spec.put(new TopicPartition(source.topic(), partition.partition()), OffsetSpec.latest());
        }
        return list(admin, spec);
    }

    /** The earliest offset still held of each of these partitions. */
    Map<TopicPartition, Long> earliest(KafkaSource source, Iterable<TopicPartition> partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
        partitions.forEach(partition -> spec.put(partition, OffsetSpec.earliest()));
        return list(admin(source), spec);
    }

    private static Map<TopicPartition, Long> list(Admin admin, Map<TopicPartition, OffsetSpec> spec) throws Exception {
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> found =
                admin.listOffsets(spec).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, Long> offsets = new HashMap<>();
        found.forEach((partition, info) -> offsets.put(partition, info.offset()));
        return offsets;
    }

    private Admin admin(KafkaSource source) {
        return admins.computeIfAbsent(source.bootstrapServers() + source.kafkaProperties(), key -> {
            Properties properties = Dependencies.adminProperties(
                    source.bootstrapServers(), source.kafkaProperties(), "sluice-lag-monitor", TIMEOUT);
            properties.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 10_000);
            return Admin.create(properties);
        });
    }

    @Override
    public void close() {
        admins.values().forEach(admin -> admin.close(Duration.ofSeconds(1)));
        admins.clear();
    }
}
