package dev.sluice.definition;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sluice.pipeline.FusedRecords;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.support.TestSpark;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which definitions run in the fused shape (decided from the analysed plan), and what the fused
 * shape makes of records: the rows, rejects and drops the general shape's operators would give.
 */
class FusedShapeTest {

    private static final ObjectMapper JSON =
            JsonMapper.builder().findAndAddModules().build();
    private static final Instant AT = Instant.parse("2026-11-29T06:30:15Z");
    private static final String SOURCE =
            "{\"kind\": \"kafka\", \"topics\": [\"t\"], \"schema\": \"id STRING, reading INT, at STRING\"}";
    private static final String TABLE = "{\"kind\": \"postgres\", \"table\": \"readings\", \"keyColumns\": [\"id\"]}";

    static Stream<Arguments> definitions() {
        return Stream.of(
                Arguments.of("every field as it is", "SELECT * FROM events", TABLE, null),
                Arguments.of(
                        "renames, casts, functions and a filter",
                        "SELECT upper(id) AS id, CAST(reading AS DOUBLE) / 4 AS quarter,"
                                + " to_timestamp(at) AS seen, nvl(at, 'none') AS at FROM events WHERE reading <> 3",
                        TABLE,
                        null),
                Arguments.of(
                        "a subquery in FROM and a CTE",
                        "WITH r AS (SELECT id, reading FROM events WHERE reading > 0)"
                                + " SELECT id, reading * 2 AS doubled FROM (SELECT * FROM r) WHERE id LIKE 'r%'",
                        TABLE,
                        null),
                Arguments.of(
                        "an aggregation",
                        "SELECT id, max(reading) AS reading FROM events GROUP BY id",
                        TABLE,
                        "the SQL is more than projections and filters of events (it has Aggregate)"),
                Arguments.of(
                        "the clock",
                        "SELECT id, current_timestamp() AS seen FROM events",
                        TABLE,
                        "the SQL computes a value from more than the row (a subquery, the clock, randomness)"),
                Arguments.of(
                        "randomness in a filter",
                        "SELECT id FROM events WHERE rand() < 0.5",
                        TABLE,
                        "the SQL filters on more than the row (a subquery, the clock, randomness)"),
                Arguments.of(
                        "a union",
                        "SELECT id FROM events UNION ALL SELECT at FROM events",
                        TABLE,
                        "the SQL is more than projections and filters of events (it has Union)"),
                Arguments.of(
                        "an array column",
                        "SELECT id, array(reading) AS readings FROM events",
                        TABLE,
                        "the column readings is a array<int>, not a single value"),
                Arguments.of(
                        "a memory sink", "SELECT * FROM events", "{\"kind\": \"memory\"}", "the sink is not postgres"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("definitions")
    void runsEveryProjectionAndFilterIntoPostgresFused(String what, String sql, String sink, String generalBecause)
            throws Exception {
        FusedShape.Decision decision = decide(sql, sink, "[]");

        assertThat(decision.generalBecause()).isEqualTo(generalBecause);
        assertThat(decision.shape()).isEqualTo(generalBecause == null ? "fused" : "general");
    }

    @Test
    void otherSourcesFormatsAndStateRunGeneral() throws Exception {
        PipelineDefinition file =
                definition("{\"name\": \"f\", \"source\": {\"kind\": \"file\", \"path\": \"target/in\","
                        + " \"schema\": \"id STRING\"}, \"sink\": " + TABLE + "}");
        PipelineDefinition csv = definition("{\"name\": \"c\", \"source\": {\"kind\": \"kafka\", \"topics\": [\"t\"],"
                + " \"format\": \"csv\", \"schema\": \"id STRING\"}, \"sink\": " + TABLE + "}");
        PipelineDefinition deduplicated = definition("{\"name\": \"d\", \"source\": " + SOURCE + ", \"transform\":"
                + " {\"eventTime\": \"to_timestamp(at)\", \"watermark\": \"1 minute\", \"dropDuplicates\": [\"id\"]},"
                + " \"sink\": " + TABLE + "}");

        assertThat(FusedShape.plan(session(), file).generalBecause()).isEqualTo("the source is not kafka");
        assertThat(FusedShape.plan(session(), csv).generalBecause()).isEqualTo("the records are not json");
        assertThat(FusedShape.plan(session(), deduplicated).generalBecause())
                .isEqualTo("the transform keeps state (a watermark or de-duplication)");
    }

    @Test
    void recordMetadataAreColumnsOfEventsInTheFusedShape() throws Exception {
        PipelineDefinition definition = definition("{\"name\": \"m\", \"source\": {\"kind\": \"kafka\","
                + " \"topics\": [\"t\"], \"schema\": \"id STRING\", \"metadata\": {\"kafka_time\": \"timestamp\","
                + " \"kafka_offset\": \"offset\", \"kafka_topic\": \"topic\", \"kafka_partition\": \"partition\","
                + " \"kafka_key\": \"key\"}},"
                + " \"transform\": {\"sql\": \"SELECT id, to_date(kafka_time) AS day, kafka_offset * 10 AS tenfold,"
                + " kafka_topic, kafka_partition, CAST(kafka_key AS STRING) AS vehicle FROM events WHERE kafka_offset > 0\"},"
                + " \"rules\": [{\"reason\": \"FIRST_TWO\", \"require\": \"kafka_offset > 1\"}], \"sink\": " + TABLE
                + "}");
        FusedShape.Decision decision = FusedShape.plan(session(), definition);
        assertThat(decision.fused()).as(decision.generalBecause()).isTrue();
        List<byte[]> values = new ArrayList<>();
        for (String id : List.of("a", "b", "c", "d")) {
            values.add(("{\"id\": \"" + id + "\"}").getBytes(StandardCharsets.UTF_8));
        }

        List<Row> rows = TestSpark.decided(decision.records(), AT, values);

        // Offsets 0 and 1 break the rule; the filter would drop 0, but the rule comes first.
        assertThat(rows.stream().map(row -> row.getString(5))).containsExactly("FIRST_TWO", "FIRST_TWO", null, null);
        List<Object> third = tableColumns(rows.get(2));
        assertThat(third.get(0)).isEqualTo("c");
        assertThat(third.get(1)).isEqualTo(java.sql.Date.valueOf("2026-11-29"));
        assertThat(third.get(2)).isEqualTo(20L);
        assertThat(third.get(3)).isEqualTo(rows.get(2).getString(0));
        assertThat(third.get(4)).isEqualTo(rows.get(2).get(1));
        assertThat(third.get(5)).isEqualTo("key-2");
    }

    @Test
    void decidesEachRecordAsTheGeneralShapesOperatorsWould() throws Exception {
        FusedShape.Decision decision = decide(
                "SELECT upper(id) AS id, reading * 10 AS scaled, to_timestamp(at) AS seen, event_time"
                        + " FROM events WHERE reading <> 3",
                TABLE,
                "[{\"reason\": \"NEGATIVE_READING\", \"require\": \"reading >= 0\","
                        + " \"detail\": \"concat('reading=', reading, ' is below 0')\"}]",
                "to_timestamp(at) + INTERVAL 1 HOUR");
        assertThat(decision.fused()).as(decision.generalBecause()).isTrue();
        List<String> records = List.of(
                "{\"id\": \"r-1\", \"reading\": 1, \"at\": \"2026-11-29 06:00:00\"}",
                "{\"id\": \"r-2\", \"reading\": -5}",
                "{\"id\": \"r-3\", \"reading\": 3}",
                "{\"id\": \"r-4\", \"reading\": \"many\"}",
                "{\"id\": \"r-5\", \"reading\": 5",
                "",
                "{\"id\": \"r-\\u0000\", \"reading\": 6}",
                "{\"reading\": 7, \"at\": \"not a time\"}");
        List<byte[]> values = new ArrayList<>();
        records.forEach(record -> values.add(record.getBytes(StandardCharsets.UTF_8)));

        FusedRecords fused = decision.records();
        List<Row> rows = TestSpark.decided(fused, AT, values);

        assertThat(rows.stream().map(row -> row.getLong(2) + ":" + row.getString(5) + ":" + row.getString(6)))
                .containsExactly(
                        "0:null:null",
                        "1:NEGATIVE_READING:reading=-5 is below 0",
                        "3:SCHEMA_MISMATCH:a field's value does not have the schema's type",
                        "4:MALFORMED_JSON:the value is not a JSON object",
                        "5:EMPTY_VALUE:the record has no value",
                        "6:INVALID_CHARACTER:id contains a NUL character, which PostgreSQL text cannot store",
                        "7:null:null");
        assertThat(Arrays.asList(
                        rows.get(0).get(0), rows.get(0).get(1), rows.get(0).get(3)))
                .containsExactly("car_info", 0, Timestamp.from(AT));
        assertThat(tableColumns(rows.get(0)))
                .containsExactly(
                        "R-1",
                        10,
                        Timestamp.from(Instant.parse("2026-11-29T06:00:00Z")),
                        Timestamp.from(Instant.parse("2026-11-29T07:00:00Z")));
        assertThat(tableColumns(rows.get(6))).containsExactly(null, 70, null, null);
        assertThat(fused.output().fieldNames()).containsExactly("id", "scaled", "seen", "event_time");
    }

    private static List<Object> tableColumns(Row row) {
        List<Object> columns = new ArrayList<>();
        for (int i = PostgresSink.INPUT_COLUMNS.size(); i < row.length(); i++) {
            columns.add(row.get(i) instanceof UTF8String text ? text.toString() : row.get(i));
        }
        return columns;
    }

    private static FusedShape.Decision decide(String sql, String sink, String rules) throws Exception {
        return decide(sql, sink, rules, null);
    }

    private static FusedShape.Decision decide(String sql, String sink, String rules, String eventTime)
            throws Exception {
        String transform = "{\"sql\": " + JSON.writeValueAsString(sql)
                + (eventTime == null ? "" : ", \"eventTime\": " + JSON.writeValueAsString(eventTime)) + "}";
        return FusedShape.plan(
                session(),
                definition("{\"name\": \"p\", \"source\": " + SOURCE + ", \"transform\": " + transform + ", \"rules\": "
                        + rules + ", \"sink\": " + sink + "}"));
    }

    private static PipelineDefinition definition(String json) throws Exception {
        return JSON.readValue(json, PipelineDefinition.class);
    }

    private static org.apache.spark.sql.SparkSession session() {
        return PipelinePlanner.isolatedSession(TestSpark.session());
    }
}
