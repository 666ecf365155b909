package dev.sluice.deadletter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes dead letters' raw values with an idempotent producer, each with its record's key (kept
 * with the dead letter, so Kafka's partitioner sends it to its key's partition), the original
 * record's headers (read back from Kafka while it keeps the record) and headers naming the dead
 * letter ({@value #ID_HEADER}, {@value #REASON_HEADER}); waits for every acknowledgement.
 */
public final class KafkaPublisher implements DeadLetterStore.Publisher, AutoCloseable {

    public static final String ID_HEADER = "sluice-dead-letter-id";
    public static final String REASON_HEADER = "sluice-dead-letter-reason";
    private static final long ACK_TIMEOUT_SECONDS = 30;
    /** A name Kafka takes for a topic. */
    public static final String TOPIC_NAME = "[A-Za-z0-9._-]{1,249}";

    static final Pattern TOPIC = Pattern.compile(TOPIC_NAME);

    private final KafkaProducer<byte[], byte[]> producer;
    private final OriginalRecords originals;

    public KafkaPublisher(String bootstrapServers, Map<String, String> kafkaProperties) {
        Properties properties = new Properties();
        properties.putAll(kafkaProperties);
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ProducerConfig.CLIENT_ID_CONFIG, "sluice-dead-letter-replay");
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TimeUnit.SECONDS.toMillis(ACK_TIMEOUT_SECONDS));
        this.producer = new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
        this.originals = new OriginalRecords(bootstrapServers, kafkaProperties);
    }

    @Override
    public void publish(List<DeadLetter> letters, String topic) throws Exception {
        for (DeadLetter letter : letters) {
            String target = topic == null ? letter.topic() : topic;
            if (!TOPIC.matcher(target).matches()) {
                throw new IllegalArgumentException("dead letter " + letter.id() + " came from " + target
                        + ", not a Kafka topic: give the topic to replay it into");
            }
        }
        Map<Long, ConsumerRecord<byte[], byte[]>> found = originals.find(letters);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (DeadLetter letter : letters) {
            byte[] value =
                    letter.valueBase64() == null ? null : Base64.getDecoder().decode(letter.valueBase64());
            ConsumerRecord<byte[], byte[]> original = found.get(letter.id());
            // Kept with the dead letter; one kept before dead letters kept keys has its original's.
            byte[] key = letter.keyBase64() != null
                    ? Base64.getDecoder().decode(letter.keyBase64())
                    : original == null ? null : original.key();
            ProducerRecord<byte[], byte[]> record =
                    new ProducerRecord<>(topic == null ? letter.topic() : topic, null, key, value);
            if (original != null) {
                for (Header header : original.headers()) {
                    if (!header.key().equals(ID_HEADER) && !header.key().equals(REASON_HEADER)) {
                        record.headers().add(header);
                    }
                }
            }
            record.headers()
                    .add(new RecordHeader(ID_HEADER, Long.toString(letter.id()).getBytes(StandardCharsets.UTF_8)))
                    .add(new RecordHeader(REASON_HEADER, letter.reason().getBytes(StandardCharsets.UTF_8)));
            sent.add(producer.send(record));
        }
        producer.flush();
        for (Future<RecordMetadata> ack : sent) {
            ack.get(ACK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
