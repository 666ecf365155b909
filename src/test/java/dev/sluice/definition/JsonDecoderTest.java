package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.CarInfoSchema;
import dev.sluice.pipeline.JsonDecoder;
import dev.sluice.support.TestSpark;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fused shape's decoder decides as the general shape's {@code from_json} and JSON reject rules
 * ({@link RecordParser}) do, for any schema: the same reason, detail and field values for every
 * record, on hostile records and on records of the schema mutated at random.
 */
class JsonDecoderTest {

    private static final Instant AT = Instant.parse("2026-11-29T06:30:15.250Z");

    /** Values a field is given: of every JSON kind, and the strings Spark reads as numbers or times. */
    private static final List<String> TOKENS = List.of(
            "\"x\"",
            "\"\"",
            "\"  \"",
            "\"12\"",
            "\"NaN\"",
            "\"-Infinity\"",
            "\"2026-11-29\"",
            "\"2026-11-29T06:30:15Z\"",
            "\"2026-11-29 06:30:15.123\"",
            "\"aGVsbG8=\"",
            "\"1.5\"",
            "true",
            "false",
            "null",
            "0",
            "12",
            "-7",
            "128",
            "40000",
            "3000000000",
            "123456789012345678901234567890",
            "-0.5",
            "-0",
            "-0.0",
            "0.1",
            "127.0276543",
            "9007199254740993",
            "1.7976931348623157e308",
            "2147483648",
            "1E22",
            "1.25",
            "1e3",
            "1e400",
            "NaN",
            "01",
            "[1, 2]",
            "[\"a\", null]",
            "[]",
            "{\"a\": 1}",
            "{\"x\": 1.5, \"y\": \"2\"}",
            "{}",
            "\"a\\u0000b\"",
            "\"\\ud83d\\ude97\"",
            "\"caf\\u00e9\"",
            "\"tab\\there\"",
            "{\"deep\": [{\"x\": [1, {\"y\": null}]}]}");

    private static final List<String> HOSTILE = List.of(
            "",
            "   ",
            "\n",
            "null",
            "42",
            "\"text\"",
            "true",
            "not json at all",
            "[1, 2, 3]",
            "[{\"id\": \"a\"}]",
            "{\"id\": \"a\"} trailing",
            "{\"id\": \"a\"}{\"id\": \"b\"}",
            "{\"id\": \"a\",}",
            "{'id': 'single'}",
            "{id: \"unquoted\"}",
            "/* c */ {\"id\": \"x\"}",
            "{\"id\": \"x\", \"_corrupt_record\": \"mine\"}",
            "{\"id\": \"first\", \"id\": \"second\"}",
            "{\"id\": \"x\", \"nested\": " + "[".repeat(1_200) + "]".repeat(1_200) + "}",
            "{\"id\": \"" + "\ud83d\ude97".repeat(70) + "\"}",
            "{\"id\": \"\\q\"}",
            "{\"id\": \"a\", \"pos\": {\"x\": 1.5, \"y\": \"2\"}}");

    @ParameterizedTest
    @ValueSource(
            strings = {
                "car_info",
                "id STRING, n INT, big BIGINT, small SMALLINT, tiny TINYINT, f FLOAT, d DOUBLE, ok BOOLEAN, price DECIMAL(10,2)",
                "id STRING, at TIMESTAMP, day DATE, raw BINARY",
                "id STRING, tags ARRAY<STRING>, counts MAP<STRING, INT>, pos STRUCT<x: DOUBLE, y: DOUBLE>"
            })
    void decidesEveryRecordAsFromJsonAndTheRulesDo(String ddl) {
        boolean carInfo = ddl.equals("car_info");
        StructType schema = carInfo ? CarInfoSchema.SCHEMA : SqlPolicy.schema(ddl);
        List<byte[]> values = records(schema, new Random(ddl.hashCode()));

        RecordFormatSpec general = new JsonRecords(schema);
        List<Row> expected = general.parse(TestSpark.kafkaRecords(AT, values))
                .select(
                        col("offset"),
                        col(CarInfoParser.REJECT_REASON),
                        col(CarInfoParser.REJECT_DETAIL),
                        col(RecordFormatSpec.RECORD))
                .orderBy("offset")
                .collectAsList();
        JsonDecoder decoder = new JsonDecoder(schema, "UTC");
        scala.Function1<Object, Object> toRow = CatalystTypeConverters.createToScalaConverter(decoder.schema());

        Set<String> reasons = new TreeSet<>();
        for (int i = 0; i < values.size(); i++) {
            Row spark = expected.get(i);
            JsonDecoder.Decoded decoded = decoder.decode(values.get(i));
            String shown = values.get(i) == null ? "null" : new String(values.get(i), StandardCharsets.UTF_8);
            assertThat(decoded.reason()).as("reason for %s", shown).isEqualTo(spark.getString(1));
            assertThat(decoded.detail()).as("detail for %s", shown).isEqualTo(spark.getString(2));
            if (decoded.accepted()) {
                Row fields = (Row) toRow.apply(decoded.fields());
                Row sparks = spark.getStruct(3);
                for (int f = 0; f < schema.length(); f++) {
                    assertThat(fields.get(f))
                            .as("field %s of %s", schema.fields()[f].name(), shown)
                            .isEqualTo(sparks.get(f));
                }
            }
            reasons.add(String.valueOf(decoded.reason()));
        }
        assertThat(reasons).contains("null", "EMPTY_VALUE", "MALFORMED_JSON", "SCHEMA_MISMATCH");
    }

    /** Hostile records, then records of the schema with random values, some of them mutated. */
    private static List<byte[]> records(StructType schema, Random random) {
        List<byte[]> values = new ArrayList<>();
        HOSTILE.forEach(text -> values.add(text.getBytes(StandardCharsets.UTF_8)));
        values.add(null);
        values.add(new byte[] {'{', '"', 'i', 'd', '"', ':', '"', 'a', (byte) 0xFF, 'b', '"', '}'});
        values.add(new byte[] {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xC3, '"', '}'});
        String alphabet = "{}[]\",:\\ 0-.eE+tfnul'/\t\u00e9";
        for (int i = 0; i < 1_200; i++) {
            StringBuilder json = new StringBuilder("{");
            for (StructField field : schema.fields()) {
                if (random.nextInt(6) == 0) {
                    continue; // absent
                }
                if (json.length() > 1) {
                    json.append(", ");
                }
                json.append('"').append(field.name()).append("\": ").append(TOKENS.get(random.nextInt(TOKENS.size())));
                if (random.nextInt(8) == 0) {
                    // a field the schema does not have, or the same field again
                    String name = random.nextBoolean() ? "extra" : field.name();
                    json.append(", \"").append(name).append("\": ").append(TOKENS.get(random.nextInt(TOKENS.size())));
                }
            }
            json.append('}');
            if (random.nextInt(4) == 0 && json.length() > 0) {
                int at = random.nextInt(json.length());
                switch (random.nextInt(3)) {
                    case 0 -> json.deleteCharAt(at);
                    case 1 -> json.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    default -> json.setLength(at);
                }
            }
            values.add(json.toString().getBytes(StandardCharsets.UTF_8));
        }
        return values;
    }
}
