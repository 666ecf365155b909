package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.support.IntegrationTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * Expectations with each action, in both shapes of the engine (the fused one, and the general one
 * that a non-deterministic filter calls for), against real Kafka and PostgreSQL: warned records
 * stored and counted, dropped ones counted and gone, quarantined ones in the dead letters, and a
 * broken {@code fail} expectation stopping the pipeline, naming itself and the record, until an
 * operator changes it and starts the pipeline again.
 */
class ExpectationsIT extends IntegrationTest {

    private static final String EXPECTATIONS = """
            [{"name": "reading_known", "require": "reading IS NOT NULL", "action": "warn"},
             {"name": "not_a_test", "require": "id NOT LIKE 'test-%%'", "action": "drop"},
             {"name": "reading_positive", "require": "reading IS NULL OR reading >= 0", "action": "quarantine",
              "detail": "concat('reading=', reading)"}%s]""";

    @ParameterizedTest
    @ValueSource(strings = {"fused", "general"})
    void eachActionDoesWhatItSaysAndEveryExpectationIsCounted(String shape) {
        String name = "expect-" + shape;
        String table = "expect_" + shape;
        String topic = newTopic("expect_" + shape);
        jdbc.execute("DROP TABLE IF EXISTS public." + table);
        createRunning(definition(name, topic, table, shape, EXPECTATIONS.formatted("")));
        assertThat(get("/api/pipelines/" + name).getBody().at("/engine/shape").asText())
                .isEqualTo(shape);

        List<String> records = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            records.add("{\"id\": \"r" + i + "\", \"reading\": " + (i + 1) + "}");
        }
        records.add("{\"id\": \"unknown-1\"}"); // warn: kept
        records.add("{\"id\": \"unknown-2\", \"reading\": null}"); // warn: kept
        records.add("{\"id\": \"test-1\", \"reading\": 1}"); // drop
        records.add("{\"id\": \"test-2\", \"reading\": 2}"); // drop
        records.add("{\"id\": \"test-3\", \"reading\": 3}"); // drop
        records.add("{\"id\": \"neg-1\", \"reading\": -1}"); // quarantine
        records.add("{\"id\": \"neg-2\", \"reading\": -2}"); // quarantine
        records.add("{\"id\": \"test-neg\", \"reading\": -3}"); // drop and quarantine: quarantined
        records.add("not json"); // neither: its format rejects it first
        produce(
                topic,
                records.stream().map(r -> r.getBytes(StandardCharsets.UTF_8)).toList());

        await().atMost(DEADLINE)
                .until(() -> jdbc.queryForObject("SELECT count(*) FROM public." + table, Long.class) == 12);
        assertThat(jdbc.queryForList("SELECT id FROM public." + table + " ORDER BY id", String.class))
                .containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "unknown-1", "unknown-2");
        await().atMost(DEADLINE)
                .untilAsserted(() -> assertThat(jdbc.queryForList(
                                "SELECT reason || ' ' || detail FROM dead_letter WHERE pipeline = ? ORDER BY kafka_offset",
                                String.class,
                                name))
                        .containsExactly(
                                "READING_POSITIVE reading=-1",
                                "READING_POSITIVE reading=-2",
                                "READING_POSITIVE reading=-3",
                                "MALFORMED_JSON the value is not a JSON object"));

        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("reading_known", "warn 2");
        expected.put("not_a_test", "drop 4");
        expected.put("reading_positive", "quarantine 3");
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(counts(name)).isEqualTo(expected));
        String metrics = rest.getForObject("/actuator/prometheus", String.class);
        Map<String, String> exported = new LinkedHashMap<>();
        Pattern tag = Pattern.compile("(\\w+)=\"([^\"]*)\"");
        for (String line : metrics.lines().toList()) {
            if (!line.startsWith("sluice_expectation_records_total{") || !line.contains("query=\"" + name + "\"")) {
                continue;
            }
            Map<String, String> tags = new LinkedHashMap<>();
            Matcher found = tag.matcher(line.substring(0, line.indexOf('}')));
            while (found.find()) {
                tags.put(found.group(1), found.group(2));
            }
            String value = line.substring(line.lastIndexOf(' ') + 1);
            exported.put(tags.get("expectation"), tags.get("action") + " " + Math.round(Double.parseDouble(value)));
        }
        assertThat(exported).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fused", "general"})
    void aBrokenFailExpectationStopsThePipelineUntilAnOperatorActs(String shape) {
        String name = "expect-fail-" + shape;
        String table = "expect_fail_" + shape;
        String topic = newTopic("expect_fail_" + shape);
        jdbc.execute("DROP TABLE IF EXISTS public." + table);
        String failing = ", {\"name\": \"reading_small\", \"require\": \"reading < 1000\", \"action\": \"%s\"}";
        createRunning(definition(name, topic, table, shape, EXPECTATIONS.formatted(failing.formatted("fail"))));
        produce(
                topic,
                List.of(
                        "{\"id\": \"a\", \"reading\": 1}".getBytes(StandardCharsets.UTF_8),
                        "{\"id\": \"huge\", \"reading\": 5000}".getBytes(StandardCharsets.UTF_8)));

        await().atMost(DEADLINE)
                .until(() -> get("/api/queries/" + name)
                        .getBody()
                        .at("/restart/gaveUp")
                        .asBoolean());
        JsonNode failed = get("/api/queries/" + name).getBody();
        assertThat(failed.path("state").asText()).isEqualTo("FAILED");
        assertThat(failed.at("/failure/message").asText())
                .contains("The expectation reading_small (action fail) is broken by the record at " + topic)
                .contains("offset 1")
                .contains("breaks the rule: reading < 1000");
        // The batch with the record did not commit: nothing of it is in the table.
        assertThat(jdbc.queryForObject("SELECT count(*) FROM public." + table, Long.class))
                .isZero();

        // The operator decides such readings are to be kept, with a warning, and starts it again.
        assertThat(post("/api/queries/" + name + "/stop").getStatusCode().value())
                .isEqualTo(200);
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        ResponseEntity<JsonNode> changed = rest.exchange(
                "/api/pipelines/" + name,
                HttpMethod.PUT,
                new HttpEntity<>(
                        definition(name, topic, table, shape, EXPECTATIONS.formatted(failing.formatted("warn"))),
                        headers),
                JsonNode.class);
        assertThat(changed.getStatusCode().value()).as("%s", changed.getBody()).isEqualTo(200);
        assertThat(post("/api/queries/" + name + "/start").getStatusCode().value())
                .isEqualTo(200);
        await().atMost(DEADLINE)
                .until(() -> jdbc.queryForObject("SELECT count(*) FROM public." + table, Long.class) == 2);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(counts(name)).containsEntry("reading_small", "warn 1"));
    }

    private static String definition(String name, String topic, String table, String shape, String expectations) {
        return """
                {"name": "%s", "autoStart": true,
                 "source": {"kind": "kafka", "topics": ["%s"], "startingOffsets": "earliest", "format": "json",
                            "schema": "id STRING, reading INT"},
                 "expectations": %s,
                 "transform": {"sql": "SELECT id, reading FROM events%s"},
                 "sink": {"kind": "postgres", "table": "%s", "keyColumns": ["id"], "createTable": true},
                 "trigger": {"kind": "processing-time", "interval": "1 second"}}""".formatted(name, topic, expectations, shape.equals("general") ? " WHERE rand() >= 0" : "", table);
    }

    /** The status's expectation counts: name to "action records". */
    private Map<String, String> counts(String name) {
        Map<String, String> counts = new LinkedHashMap<>();
        for (JsonNode count : get("/api/queries/" + name).getBody().path("expectations")) {
            counts.put(
                    count.path("name").asText(),
                    count.path("action").asText() + " " + count.path("records").asLong());
        }
        return counts;
    }
}
