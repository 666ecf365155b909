package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.support.IntegrationTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Definitions beyond the shipped examples: a CSV-valued topic with its bad lines kept, and a continuous query. */
class PipelineSourcesIT extends IntegrationTest {

    @Test
    void csvRecordsAreParsedByTheSchemaAndBadLinesGoToTheDeadLetters() {
        String topic = newTopic("sources_csv");
        createRunning("""
                {"name": "csv-readings", "autoStart": true,
                 "source": {"kind": "kafka", "topics": ["%s"], "startingOffsets": "earliest", "format": "csv", "schema": "terminal STRING, speed DOUBLE, kind STRING",
                            "metadata": {"sender": "key"}},
                 "rules": [{"reason": "NEGATIVE_SPEED", "require": "speed >= 0"}],
                 "transform": {"sql": "SELECT terminal, speed * 2 AS doubled, kind, CAST(sender AS STRING) AS sender FROM events"},
                 "sink": {"kind": "memory", "maxRows": 100},
                 "trigger": {"kind": "processing-time", "interval": "1 second"}}""".formatted(topic));

        List<String> lines = List.of("T1,12.5,A", "T2,fast,B", "T3,30,A", "T4", "T5,-1,A", "T6,7,\"quoted, kind\"");
        // Keyed by sender, each line's key its first field in lower case; the last has none.
        produce(
                topic,
                lines.stream()
                        .map(line -> line.startsWith("T6")
                                ? null
                                : line.substring(0, 2).toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8))
                        .toList(),
                lines.stream()
                        .map(line -> line.getBytes(StandardCharsets.UTF_8))
                        .toList());

        await().atMost(DEADLINE)
                .untilAsserted(() -> assertThat(deadLetters(topic))
                        .containsExactlyInAnyOrder(
                                "MALFORMED_CSV T2,fast,B", "MALFORMED_CSV T4", "NEGATIVE_SPEED T5,-1,A"));
        await().atMost(DEADLINE)
                .untilAsserted(() -> assertThat(rows("csv-readings"))
                        .containsExactlyInAnyOrder("T1 25.0 A t1", "T3 60.0 A t3", "T6 14.0 quoted, kind null"));
        // Counted from the progress reports, which arrive just after the batch.
        await().atMost(DEADLINE).untilAsserted(() -> {
            JsonNode byReason =
                    get("/api/queries/csv-readings").getBody().path("sink").path("deadLettersByReason");
            assertThat(byReason.path("MALFORMED_CSV").asLong()).isEqualTo(2);
            assertThat(byReason.path("NEGATIVE_SPEED").asLong()).isEqualTo(1);
        });
    }

    @Test
    void aContinuousQueryWritesEveryGeneratedRowToKafka() {
        String out = newTopic("sources_continuous");
        createRunning("""
                {"name": "rate-continuous", "autoStart": true,
                 "source": {"kind": "rate", "rowsPerSecond": 50},
                 "sink": {"kind": "kafka", "topic": "%s", "key": "CAST(value AS STRING)", "value": "CAST(value * 2 AS STRING)"},
                 "trigger": {"kind": "continuous", "interval": "1 second"}}""".formatted(out));

        await().atMost(DEADLINE).until(() -> consume(out).size() >= 100);
        List<ConsumerRecord<byte[], byte[]>> records = consume(out);
        Map<Long, Long> doubled = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            doubled.put(
                    Long.parseLong(new String(record.key(), StandardCharsets.UTF_8)),
                    Long.parseLong(new String(record.value(), StandardCharsets.UTF_8)));
        }
        assertThat(doubled).as("each generated value once").hasSize(records.size());
        doubled.forEach((value, twice) -> assertThat(twice).isEqualTo(value * 2));
        // One partition: values arrive 0, 1, 2, ... with none missing.
        assertThat(doubled.keySet()).allMatch(value -> value < records.size());
        assertThat(get("/api/queries/rate-continuous").getBody().path("state").asText())
                .isEqualTo("RUNNING");
    }

    private List<String> deadLetters(String topic) {
        return jdbc.queryForList(
                "SELECT reason || ' ' || convert_from(raw_value, 'UTF8') FROM dead_letter"
                        + " WHERE pipeline = 'csv-readings' AND topic = ?",
                String.class,
                topic);
    }

    private List<String> rows(String pipeline) {
        List<String> rows = new ArrayList<>();
        for (JsonNode row :
                get("/api/queries/" + pipeline + "/rows?limit=100").getBody().path("rows")) {
            rows.add(row.path("terminal").asText() + " " + row.path("doubled").asDouble() + " "
                    + row.path("kind").asText() + " " + row.path("sender").asText());
        }
        return rows;
    }
}
