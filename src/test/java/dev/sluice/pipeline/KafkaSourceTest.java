package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaSourceTest {

    @Test
    void theReaderFetchesLargeBatchesForACatchUpUnlessConfiguredOtherwise() {
        KafkaSource source = new KafkaSource("127.0.0.1:9092", "car_info", "earliest", null, true, Map.of());

        assertThat(source.consumerProperties())
                .containsEntry("max.poll.records", "20000")
                .containsEntry("max.partition.fetch.bytes", "8388608")
                .containsEntry("receive.buffer.bytes", "1048576")
                .hasSize(3);
    }

    @Test
    void configuredConsumerSettingsWinOverTheDefaultsAndArePassedPrefixed() {
        KafkaSource source = new KafkaSource(
                "127.0.0.1:9092",
                "car_info",
                "earliest",
                null,
                true,
                Map.of("max.partition.fetch.bytes", "1048576", "security.protocol", "SSL"));

        Map<String, String> options = KafkaSource.clientOptions(source.bootstrapServers(), source.consumerProperties());

        assertThat(options)
                .containsEntry("kafka.bootstrap.servers", "127.0.0.1:9092")
                .containsEntry("kafka.max.partition.fetch.bytes", "1048576")
                .containsEntry("kafka.max.poll.records", "20000")
                .containsEntry("kafka.receive.buffer.bytes", "1048576")
                .containsEntry("kafka.security.protocol", "SSL");
    }
}
