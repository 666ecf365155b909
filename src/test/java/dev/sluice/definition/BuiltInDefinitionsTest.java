package dev.sluice.definition;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.timestamp_seconds;
import static org.apache.spark.sql.functions.to_date;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.CarInfoSchema;
import dev.sluice.pipeline.FusedRecords;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.support.CarInfoEvent;
import dev.sluice.support.TestSpark;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/**
 * The built-in PostgreSQL pipeline, a definition on the engine's fused shape, decides as the Spark
 * SQL definition of its rules ({@link CarInfoParser#forPostgres}) does: the same reason, detail
 * and stored values for every record, on hostile records written by hand and on valid events
 * mutated at random.
 */
class BuiltInDefinitionsTest {

    private static final Instant AT = Instant.parse("2026-11-21T06:30:15.250Z");
    private static final CarInfoLimits SEOUL = new CarInfoLimits(37.4, 37.8, 126.7, 127.3, 0, 200.0);

    @Test
    void decidesEveryHostileRecordAsSparkSqlDoes() {
        List<byte[]> values = new ArrayList<>();
        for (String text : hostile()) {
            values.add(text.getBytes(StandardCharsets.UTF_8));
        }
        values.add(null);
        values.add(new byte[] {'{', '"', 'd', 'a', 't', 'a', 'I', 'd', '"', ':', '"', (byte) 0xC3, '"', '}'});
        values.add(new byte[] {'{', '"', 'd', 'a', 't', 'a', 'I', 'd', '"', ':', '"', 'a', (byte) 0xFF, 'b', '"', '}'});
        values.add(new byte[] {
            '{',
            '"',
            'x',
            '"',
            ':',
            '"',
            (byte) 0xED,
            (byte) 0xA0,
            (byte) 0x80,
            '"',
            ',',
            '"',
            'd',
            'a',
            't',
            'a',
            'I',
            'd',
            '"',
            ':',
            '"',
            'a',
            '"',
            '}'
        });

        assertSameDecisions(values, CarInfoLimits.DEFAULT);
        assertSameDecisions(values, SEOUL);
    }

    @Test
    void decidesMutatedEventsAsSparkSqlDoes() {
        List<String> reasons = assertSameDecisions(mutatedEvents(), SEOUL);

        assertThat(reasons)
                .contains(
                        null,
                        "EMPTY_VALUE",
                        "MALFORMED_JSON",
                        "SCHEMA_MISMATCH",
                        "MISSING_DATA_ID",
                        "OUT_OF_RANGE",
                        "FIELD_TOO_LONG",
                        "INVALID_CHARACTER");
    }

    /**
     * The Parquet pipeline's definition (its rules, its SQL with the Kafka timestamp for events
     * without a GPS time) gives the rows the Spark SQL definition of its files does
     * ({@link CarInfoParser#forEvents}, every field and the event's date), and rejects alike.
     */
    @Test
    void theParquetPipelinesDefinitionGivesTheRowsOfItsSparkSqlDefinition() {
        List<byte[]> values = new ArrayList<>(mutatedEvents());
        hostile().forEach(text -> values.add(text.getBytes(StandardCharsets.UTF_8)));
        values.add("{\"dataId\": \"no-gps\"}".getBytes(StandardCharsets.UTF_8));
        PipelineDefinition parquet = BuiltInDefinitions.carInfoToHdfs(
                new BuiltInDefinitions.Settings(
                        "car-info-to-hdfs", true, "car_info", "earliest", null, true, Duration.ofMinutes(1)),
                "target/car_info",
                1000,
                SEOUL);
        // Planned as a table's rows, so each record's row can be read back here.
        PipelineDefinition asRows = new PipelineDefinition(
                parquet.name(),
                parquet.description(),
                false,
                parquet.source(),
                parquet.transform(),
                BuiltInDefinitions.carInfoToPostgres(
                                new BuiltInDefinitions.Settings("x", false, "t", null, null, true, Duration.ZERO),
                                "t",
                                SEOUL)
                        .sink(),
                parquet.outputMode(),
                parquet.trigger(),
                parquet.rules(),
                parquet.expectations());
        FusedShape.Decision decision = FusedShape.plan(PipelinePlanner.isolatedSession(TestSpark.session()), asRows);
        assertThat(decision.generalBecause()).isNull();
        List<Row> rows = TestSpark.decided(decision.records(), AT, values);
        List<Column> columns = new ArrayList<>(
                List.of(col("offset"), col(CarInfoParser.REJECT_REASON), col(CarInfoParser.REJECT_DETAIL)));
        for (String field : CarInfoSchema.SCHEMA.fieldNames()) {
            columns.add(col(CarInfoParser.CAR + "." + field));
        }
        columns.add(coalesce(
                to_date(timestamp_seconds(col(CarInfoParser.CAR + ".gpsUtcTime"))), to_date(col("timestamp"))));
        List<Row> expected = CarInfoParser.forEvents(SEOUL)
                .parse(TestSpark.kafkaRecords(AT, values))
                .select(columns.toArray(Column[]::new))
                .orderBy("offset")
                .collectAsList();

        assertThat(rows).hasSize(values.size());
        int first = PostgresSink.INPUT_COLUMNS.size();
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            Row spark = expected.get(i);
            Row row = rows.get(i);
            String shown = new String(values.get(i), StandardCharsets.UTF_8);
            if (FusedRecords.INVALID_CHARACTER.equals(row.getString(5)) && spark.isNullAt(1)) {
                // A table cannot store a NUL character, which files can: not a rule of the pipeline's.
                continue;
            }
            assertThat(row.getString(5)).as("reason for %s", shown).isEqualTo(spark.getString(1));
            assertThat(row.getString(6)).as("detail for %s", shown).isEqualTo(spark.getString(2));
            if (row.getString(5) == null) {
                assertThat(row.size() - first).isEqualTo(CarInfoSchema.SCHEMA.size() + 1);
                for (int field = 0; field <= CarInfoSchema.SCHEMA.size(); field++) {
                    assertThat(plain(row.get(first + field)))
                            .as("column %d of %s", field, shown)
                            .isEqualTo(spark.get(3 + field));
                }
            }
            reasons.add(row.getString(5));
        }
        assertThat(reasons).contains(null, "MALFORMED_JSON", "SCHEMA_MISMATCH", "MISSING_DATA_ID", "OUT_OF_RANGE");
        assertThat(plain(rows.get(values.size() - 1).get(first + CarInfoSchema.SCHEMA.size())))
                .isEqualTo(java.sql.Date.valueOf("2026-11-21"));
    }

    /** Valid events and, before each, a copy mutated at random. */
    private static List<byte[]> mutatedEvents() {
        Random random = new Random(20261121);
        List<byte[]> values = new ArrayList<>();
        String alphabet = "{}[]\",:\\ 0-.eE+tfnul'/\t\u0000\u00e9\ud83d\ude97";
        List<String> tokens = List.of(
                "\"x\"",
                "\"\"",
                "true",
                "null",
                "12",
                "-0.5",
                "1e400",
                "\"NaN\"",
                "[1]",
                "{\"a\": 1}",
                "\"" + "Z".repeat(70) + "\"",
                "\"a\\u0000\"");
        String[] fields = CarInfoSchema.SCHEMA.fieldNames();
        for (int i = 0; i < 1_500; i++) {
            String event = CarInfoEvent.of(
                            "ev-" + i,
                            "T" + (i % 40),
                            AT.plusSeconds(i),
                            126.5 + random.nextDouble(),
                            37.3 + random.nextDouble() * 0.6,
                            random.nextDouble() * 240 - 10,
                            i % 360,
                            "1" + (i % 5))
                    .toJson();
            StringBuilder mutated = new StringBuilder(event);
            int edits = 1 + random.nextInt(3);
            for (int e = 0; e < edits && mutated.length() > 0; e++) {
                int at = random.nextInt(mutated.length());
                switch (random.nextInt(5)) {
                    case 4 -> {
                        String field = fields[random.nextInt(fields.length)];
                        String token = tokens.get(random.nextInt(tokens.size()));
                        mutated.replace(
                                0,
                                mutated.length(),
                                mutated.toString()
                                        .replaceFirst(
                                                "(\"" + field + "\":)[^,}]*", "$1" + Matcher.quoteReplacement(token)));
                    }
                    case 0 -> mutated.deleteCharAt(at);
                    case 1 -> mutated.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 2 -> mutated.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    default -> mutated.setLength(at);
                }
            }
            values.add(mutated.toString().getBytes(StandardCharsets.UTF_8));
            values.add(event.getBytes(StandardCharsets.UTF_8));
        }
        return values;
    }

    @Test
    void turnsKafkaRecordsIntoTheSinksRows() {
        byte[] valid = CarInfoEvent.of("d-1", "T00001", AT, 127.0276, 37.4979, 42.5, 90, "11")
                .toJson()
                .getBytes(StandardCharsets.UTF_8);
        byte[] bad = "{\"dataId\": \"d-2\", \"vhcleSped\": -3}".getBytes(StandardCharsets.UTF_8);
        Timestamp at = Timestamp.from(AT);

        List<Row> rows = decide(CarInfoLimits.DEFAULT, List.of(valid, bad));

        Row accepted = rows.get(0);
        assertThat(accepted.size())
                .isEqualTo(PostgresSink.INPUT_COLUMNS.size() + CarInfoSchema.POSTGRES_COLUMNS.size());
        assertThat(Arrays.asList(accepted.get(0), accepted.get(1), accepted.get(2), accepted.get(3), accepted.get(5)))
                .containsExactly("car_info", 0, 0L, at, null);
        assertThat(accepted.<byte[]>getAs(7)).isEqualTo(TestSpark.key(0));
        int first = PostgresSink.INPUT_COLUMNS.size();
        assertThat(Arrays.asList(
                        plain(accepted.get(first)),
                        plain(accepted.get(first + 1)),
                        accepted.get(first + 2),
                        accepted.get(first + 3),
                        accepted.get(first + 4),
                        accepted.get(first + 5),
                        plain(accepted.get(first + 6))))
                .containsExactly("d-1", "T00001", 127.0276, 37.4979, AT.toEpochMilli() / 1000.0, 42.5, "11");
        Row rejected = rows.get(1);
        assertThat(rejected.<byte[]>getAs(4)).isEqualTo(bad);
        assertThat(rejected.getString(5)).isEqualTo("OUT_OF_RANGE");
        assertThat(rejected.getString(6)).startsWith("vhcleLat=null vhcleLot=null vhcleSped=-3.0 (accepted:");
        assertThat(rejected.<byte[]>getAs(7)).isEqualTo(TestSpark.key(1));
        assertThat(rows).hasSize(2);
    }

    /** A table column's value as Spark's rows give it: text as a {@link String}. */
    static Object plain(Object value) {
        return value instanceof UTF8String text ? text.toString() : value;
    }

    /** The built-in pipeline's rows for the values, one per value, in order. */
    private static List<Row> decide(CarInfoLimits limits, List<byte[]> values) {
        PipelineDefinition definition = BuiltInDefinitions.carInfoToPostgres(
                new BuiltInDefinitions.Settings(
                        "car-info-to-postgres", true, "car_info", "earliest", null, true, Duration.ofMinutes(1)),
                "car_info_table",
                limits);
        FusedShape.Decision decision =
                FusedShape.plan(PipelinePlanner.isolatedSession(TestSpark.session()), definition);
        assertThat(decision.generalBecause()).isNull();
        FusedRecords fused = decision.records();
        return TestSpark.decided(fused, AT, values);
    }

    /** Asserts both decide alike on every value; returns the reasons, in order. */
    private static List<String> assertSameDecisions(List<byte[]> values, CarInfoLimits limits) {
        List<Column> columns = new ArrayList<>(
                List.of(col("offset"), col(CarInfoParser.REJECT_REASON), col(CarInfoParser.REJECT_DETAIL)));
        CarInfoSchema.POSTGRES_COLUMNS.keySet().forEach(field -> columns.add(col(CarInfoParser.CAR + "." + field)));
        List<Row> expected = CarInfoParser.forPostgres(limits)
                .parse(TestSpark.kafkaRecords(AT, values))
                .select(columns.toArray(Column[]::new))
                .orderBy("offset")
                .collectAsList();
        List<Row> fused = decide(limits, values);
        assertThat(fused).hasSize(values.size());
        List<String> reasons = new ArrayList<>();
        int first = PostgresSink.INPUT_COLUMNS.size();
        for (int i = 0; i < values.size(); i++) {
            Row spark = expected.get(i);
            Row row = fused.get(i);
            String shown = values.get(i) == null ? "null" : new String(values.get(i), StandardCharsets.UTF_8);
            assertThat(row.getLong(2)).isEqualTo(i);
            // The record's key, for a dead letter, whether the decoder, a rule or the table refuses it.
            assertThat(row.get(7)).as("key of %s", shown).isEqualTo(TestSpark.key(i));
            assertThat(row.getString(5)).as("reason for %s", shown).isEqualTo(spark.getString(1));
            assertThat(row.getString(6)).as("detail for %s", shown).isEqualTo(spark.getString(2));
            if (row.getString(5) == null) {
                for (int field = 0; field < CarInfoSchema.POSTGRES_COLUMNS.size(); field++) {
                    assertThat(plain(row.get(first + field)))
                            .as("field %d of %s", field, shown)
                            .isEqualTo(spark.get(3 + field));
                }
            }
            reasons.add(row.getString(5));
        }
        return reasons;
    }

    private static List<String> hostile() {
        String valid = CarInfoEvent.of("ok", "T1", AT, 127.0, 37.5, 10, 0, "11").toJson();
        return List.of(
                valid,
                "",
                "   ",
                "\n",
                "null",
                "42",
                "\"text\"",
                "true",
                "not json at all",
                "[1, 2, 3]",
                "[" + valid + "]",
                valid + " trailing",
                valid + valid,
                "{\"dataId\": \"x\", \"trmnId\": \"T",
                "{\"dataId\": \"x\",}",
                "{'dataId': 'single'}",
                "{dataId: \"unquoted\"}",
                "/* c */ {\"dataId\": \"x\"}",
                "{\"dataId\": \"x\", \"vhcleSped\": \"fast\"}",
                "{\"dataId\": \"x\", \"gpsUtcTime\": \"noon\"}",
                "{\"dataId\": \"x\", \"vhcleSped\": \"\"}",
                "{\"dataId\": \"x\", \"vhcleSped\": \"12\"}",
                "{\"dataId\": \"x\", \"vhcleSped\": true}",
                "{\"dataId\": \"x\", \"vhcleSped\": [1]}",
                "{\"dataId\": \"x\", \"vhcleSped\": {\"v\": 1}}",
                "{\"dataId\": \"x\", \"vhcleSped\": {\"v\": tru}}",
                "{\"dataId\": \"x\", \"vhcleSped\": NaN}",
                "{\"dataId\": \"x\", \"vhcleSped\": \"NaN\"}",
                "{\"dataId\": \"x\", \"gpsUtcTime\": \"NaN\"}",
                "{\"dataId\": \"x\", \"gpsUtcTime\": \"+INF\"}",
                "{\"dataId\": \"x\", \"gpsUtcTime\": \"-Infinity\"}",
                "{\"dataId\": \"x\", \"gpsUtcTime\": Infinity}",
                "{\"dataId\": \"x\", \"gpsUtcTime\": 1e400}",
                "{\"dataId\": \"x\", \"vhcleSped\": 1e400}",
                "{\"dataId\": \"x\", \"gpsUtcTime\": 123456789012345678901234567890}",
                "{\"dataId\": \"x\", \"gpsUtcTime\": 01}",
                "{\"dataId\": \"x\", \"gpsUtcTime\": -0.0}",
                "{\"dataId\": \"x\", \"vhcleLat\": 1e-5, \"vhcleLot\": 0.1}",
                "{\"dataId\": \"x\", \"vhcleLat\": 123456789.0}",
                "{\"dataId\": \"x\", \"vhcleLat\": 91.0}",
                "{\"dataId\": \"x\", \"vhcleLot\": -180.5}",
                "{\"dataId\": \"x\", \"vhcleSped\": -1}",
                "{\"dataId\": \"x\", \"vhcleSped\": 250}",
                "{\"dataId\": \"x\", \"vhcleLat\": 37.5, \"vhcleLot\": 127.0, \"vhcleSped\": 60}",
                "{\"trmnId\": \"T1\", \"vhcleSped\": 12.5}",
                "{\"dataId\": \"   \"}",
                "{\"dataId\": \" \\t \"}",
                "{\"dataId\": null}",
                "{\"dataId\": \"\"}",
                "{\"DataId\": \"case\"}",
                "{\"dataId\": 12345}",
                "{\"dataId\": 1.50}",
                "{\"dataId\": 1e2}",
                "{\"dataId\": true}",
                "{\"dataId\": {\"x\": [1, 2.0, \"y\\n\", null]}}",
                "{\"dataId\": [\"a\", {\"b\": false}]}",
                "{\"dataId\": \"x\", \"trmnId\": \"" + "A".repeat(65_536) + "\"}",
                "{\"dataId\": \"" + "B".repeat(65) + "\"}",
                "{\"dataId\": \"" + "\ud83d\ude97".repeat(64) + "\"}",
                "{\"dataId\": \"" + "\ud83d\ude97".repeat(65) + "\"}",
                "{\"dataId\": \"x\", \"vhcleTypeCd\": \"" + "C".repeat(33) + "\"}",
                "{\"dataId\": \"x\", \"trmnId\": \"a\\u0000b\"}",
                "{\"dataId\": \"a\\u0000\"}",
                "{\"dataId\": \"x\", \"trmnId\": \"raw\u0000nul\"}",
                "{\"dataId\": \"tab\tinside\"}",
                "{\"dataId\": \"\\q\"}",
                "{\"dataId\": \"x\", \"other\": \"\\q\"}",
                "{\"dataId\": \"x\", \"other\": [1, }",
                "{\"dataId\": \"x\", \"_corrupt_record\": \"mine\"}",
                "{\"dataId\": \"x\", \"_corrupt_record\": null}",
                "{\"dataId\": \"x\", \"_corrupt_record\": 7, \"_corrupt_record\": null}",
                "{\"dataId\": \"first\", \"dataId\": \"second\"}",
                "{\"dataId\": \"x\", \"vhcleSped\": \"no\", \"vhcleSped\": 5}",
                "{\"dataId\": \"x\", \"vhcleSped\": 5, \"vhcleSped\": null}",
                "{\"dataId\": \"차량-1\", \"trmnId\": \"단말\", \"vhcleTypeCd\": \"승용\", \"vhcleSped\": 30.5}",
                "{\"dataId\": \"x\", \"nested\": " + "[".repeat(1_200) + "]".repeat(1_200) + "}",
                "{\"dataId\": \"x\", \"vhcleEvt\": \"high\", \"vhcleSped\": 10}");
    }
}
