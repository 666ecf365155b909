package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.CarInfoEvent;
import dev.sluice.support.TestSpark;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class CarInfoParserTest {

    private static final Instant AT = Instant.parse("2026-11-21T06:30:15.250Z");

    private final SparkSession spark = TestSpark.session();

    @Test
    void parsesAValidEventWithEveryField() {
        CarInfoEvent event = CarInfoEvent.of("d-1", "T00001", AT, 127.0276, 37.4979, 42.5, 90, "11");

        Row row = parse(CarInfoParser.forEvents(CarInfoLimits.DEFAULT), event.toJson())
                .get(0);

        assertThat(row.<String>getAs(CarInfoParser.REJECT_REASON)).isNull();
        Row car = row.getAs(CarInfoParser.CAR);
        assertThat(car.<String>getAs("dataId")).isEqualTo("d-1");
        assertThat(car.<String>getAs("trmnId")).isEqualTo("T00001");
        assertThat(car.<Integer>getAs("trsmDy")).isEqualTo(20261121);
        assertThat(car.<Double>getAs("vhcleLot")).isEqualTo(127.0276);
        assertThat(car.<Double>getAs("vhcleLat")).isEqualTo(37.4979);
        assertThat(car.<Double>getAs("vhcleSped")).isEqualTo(42.5);
        assertThat(car.<Double>getAs("gpsUtcTime")).isEqualTo(AT.toEpochMilli() / 1000.0);
        assertThat(car.<String>getAs("vhcleTypeCd")).isEqualTo("11");
        assertThat(car.<Timestamp>getAs("regDt").toInstant()).isEqualTo(Instant.parse("2026-11-21T06:30:15Z"));
    }

    @Test
    void givesEveryHostileRecordItsReasonAndLetsValidOnesThrough() {
        String valid = CarInfoEvent.of("ok", "T1", AT, 127.0, 37.5, 10, 0, "11").toJson();
        Map<String, String> expected = new HashMap<>();
        expected.put(valid, null);
        expected.put("", "EMPTY_VALUE");
        expected.put("not json at all", "MALFORMED_JSON");
        expected.put("{\"dataId\": \"x\", \"trmnId\": \"T", "MALFORMED_JSON");
        expected.put("[1, 2, 3]", "MALFORMED_JSON");
        expected.put("{\"dataId\": \"x\", \"vhcleSped\": \"fast\"}", "SCHEMA_MISMATCH");
        expected.put("{\"dataId\": \"x\", \"gpsUtcTime\": \"noon\"}", "SCHEMA_MISMATCH");
        expected.put("{\"trmnId\": \"T1\", \"vhcleSped\": 12.5}", "MISSING_DATA_ID");
        expected.put("{\"dataId\": \"   \"}", "MISSING_DATA_ID");
        expected.put("{\"dataId\": \"x\", \"vhcleLat\": 91.0}", "OUT_OF_RANGE");
        expected.put("{\"dataId\": \"x\", \"vhcleLot\": -180.5}", "OUT_OF_RANGE");
        expected.put("{\"dataId\": \"x\", \"vhcleSped\": -1}", "OUT_OF_RANGE");
        expected.put("{\"dataId\": \"x\", \"trmnId\": \"" + "A".repeat(65_536) + "\"}", "FIELD_TOO_LONG");
        expected.put("{\"dataId\": \"" + "B".repeat(65) + "\"}", "FIELD_TOO_LONG");
        // Widths count characters, not bytes: 64 four-byte characters fit, 65 do not.
        expected.put("{\"dataId\": \"" + "\ud83d\ude97".repeat(64) + "\"}", null);
        expected.put("{\"dataId\": \"" + "\ud83d\ude97".repeat(65) + "\"}", "FIELD_TOO_LONG");
        expected.put("{\"dataId\": \"x\", \"vhcleTypeCd\": \"" + "\uac15".repeat(32) + "\"}", null);
        expected.put("{\"dataId\": \"x\", \"trmnId\": \"a\\u0000b\"}", "INVALID_CHARACTER");

        List<String> values = new ArrayList<>(expected.keySet());
        List<Row> rows = parse(CarInfoParser.forPostgres(CarInfoLimits.DEFAULT), values.toArray(String[]::new));

        assertThat(rows).hasSize(values.size());
        for (Row row : rows) {
            String value = new String(row.<byte[]>getAs("value"), StandardCharsets.UTF_8);
            assertThat(row.<String>getAs(CarInfoParser.REJECT_REASON))
                    .as("reason for %s", value.length() > 80 ? value.substring(0, 80) + "..." : value)
                    .isEqualTo(expected.get(value));
            if (expected.get(value) != null) {
                assertThat(row.<String>getAs(CarInfoParser.REJECT_DETAIL)).isNotBlank();
            }
        }
    }

    @Test
    void aNullValueIsRejectedNotLost() {
        Dataset<Row> records = spark.createDataFrame(
                List.of(RowFactory.create("car_info", 0, 7L, Timestamp.from(AT), null, null)), TestSpark.KAFKA_RECORD);

        Row row = CarInfoParser.forEvents(CarInfoLimits.DEFAULT)
                .parse(records)
                .collectAsList()
                .get(0);

        assertThat(row.<String>getAs(CarInfoParser.REJECT_REASON)).isEqualTo("EMPTY_VALUE");
        assertThat(row.<Long>getAs("offset")).isEqualTo(7L);
    }

    @Test
    void thePostgresParserChecksTheTypesOfTheFieldsItStoresAndNoOthers() {
        String badAltitude = "{\"dataId\": \"x\", \"vhcleEvt\": \"high\", \"vhcleSped\": 10}";

        assertThat(parse(CarInfoParser.forEvents(CarInfoLimits.DEFAULT), badAltitude)
                        .get(0)
                        .<String>getAs(CarInfoParser.REJECT_REASON))
                .isEqualTo("SCHEMA_MISMATCH");
        Row stored = parse(CarInfoParser.forPostgres(CarInfoLimits.DEFAULT), badAltitude)
                .get(0);
        assertThat(stored.<String>getAs(CarInfoParser.REJECT_REASON)).isNull();
        assertThat(stored.<Row>getAs(CarInfoParser.CAR).<Double>getAs("vhcleSped"))
                .isEqualTo(10.0);
        assertThat(stored.<Row>getAs(CarInfoParser.CAR).schema().fieldNames())
                .contains("dataId", "vhcleTypeCd")
                .doesNotContain("vhcleEvt");
    }

    @Test
    void onlyThePostgresParserCaresAboutColumnWidths() {
        String longTerminal = "{\"dataId\": \"x\", \"trmnId\": \"" + "A".repeat(100) + "\"}";

        assertThat(parse(CarInfoParser.forEvents(CarInfoLimits.DEFAULT), longTerminal)
                        .get(0)
                        .<String>getAs(CarInfoParser.REJECT_REASON))
                .isNull();
        assertThat(parse(CarInfoParser.forPostgres(CarInfoLimits.DEFAULT), longTerminal)
                        .get(0)
                        .<String>getAs(CarInfoParser.REJECT_REASON))
                .isEqualTo("FIELD_TOO_LONG");
    }

    @Test
    void configuredLimitsDecideWhatIsOutOfRange() {
        CarInfoLimits seoul = new CarInfoLimits(37.4, 37.8, 126.7, 127.3, 0, 200.0);
        CarInfoParser parser = CarInfoParser.forEvents(seoul);

        List<Row> rows = parse(
                parser,
                "{\"dataId\": \"in\", \"vhcleLat\": 37.5, \"vhcleLot\": 127.0, \"vhcleSped\": 60}",
                "{\"dataId\": \"busan\", \"vhcleLat\": 35.1, \"vhcleLot\": 129.0}",
                "{\"dataId\": \"fast\", \"vhcleLat\": 37.5, \"vhcleLot\": 127.0, \"vhcleSped\": 250}",
                "{\"dataId\": \"no-position\"}");

        assertThat(rows)
                .extracting(row -> row.<String>getAs(CarInfoParser.REJECT_REASON))
                .containsExactly(null, "OUT_OF_RANGE", "OUT_OF_RANGE", null);
        assertThat(rows.get(1).<String>getAs(CarInfoParser.REJECT_DETAIL)).contains("latitude in [37.4, 37.8]");
    }

    private List<Row> parse(CarInfoParser parser, String... values) {
        List<byte[]> bytes = new ArrayList<>();
        for (String value : values) {
            bytes.add(value.getBytes(StandardCharsets.UTF_8));
        }
        return parser.parse(TestSpark.kafkaRecords(AT, bytes)).orderBy("offset").collectAsList();
    }
}
