package dev.sluice.deadletter;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads dead letters' original records back from Kafka, for their keys and headers: per partition,
 * from the first offset wanted to the last, within a deadline. A record Kafka no longer keeps
 * (past its retention) or a dead letter of a file is simply not found.
 */
final class OriginalRecords {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(200);

    private final Properties properties = new Properties();

    OriginalRecords(String bootstrapServers, Map<String, String> kafkaProperties) {
        properties.putAll(kafkaProperties);
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "sluice-dead-letter-originals");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    }

    /** The original record of each dead letter found, by dead letter id. */
    Map<Long, ConsumerRecord<byte[], byte[]>> find(List<DeadLetter> letters) {
        Map<TopicPartition, Map<Long, Long>> wanted = letters.stream()
                .filter(letter -> KafkaPublisher.TOPIC.matcher(letter.topic()).matches())
                .collect(Collectors.groupingBy(
                        letter -> new TopicPartition(letter.topic(), letter.partition()),
                        Collectors.toMap(DeadLetter::offset, DeadLetter::id, (a, b) -> a, TreeMap::new)));
        Map<Long, ConsumerRecord<byte[], byte[]>> found = new HashMap<>();
        if (wanted.isEmpty()) {
            return found;
        }
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            Map<TopicPartition, Long> earliest = consumer.beginningOffsets(wanted.keySet(), DEADLINE);
            Map<TopicPartition, Long> end = consumer.endOffsets(wanted.keySet(), DEADLINE);
            for (Map.Entry<TopicPartition, Map<Long, Long>> partition : wanted.entrySet()) {
                TreeMap<Long, Long> offsets = (TreeMap<Long, Long>) partition.getValue();
                long from = Math.max(offsets.firstKey(), earliest.getOrDefault(partition.getKey(), 0L));
                long to = Math.min(offsets.lastKey() + 1, end.getOrDefault(partition.getKey(), 0L));
                if (from >= to) {
                    continue;
                }
                consumer.assign(List.of(partition.getKey()));
                consumer.seek(partition.getKey(), from);
                long deadline = System.nanoTime() + DEADLINE.toNanos();
                while (consumer.position(partition.getKey()) < to && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                        Long id = offsets.get(record.offset());
                        if (id != null) {
                            found.put(id, record);
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            // Kafka cannot say: the replay goes on with the values alone.
        }
        return found;
    }
}
