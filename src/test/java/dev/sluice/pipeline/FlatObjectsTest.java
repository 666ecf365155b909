package dev.sluice.pipeline;

import static dev.sluice.pipeline.ObjectReaderTest.bytes;
import static dev.sluice.pipeline.ObjectReaderTest.reader;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/**
 * The plainest records are read without Jackson, and what is read so is exactly what Jackson's
 * reading gives ({@link ObjectReader#parse}): the same values, down to a double's last bit and
 * the sign of its zero. Anything else is left to Jackson. {@code JsonDecoderTest} checks the whole
 * decoder against Spark's {@code from_json}.
 */
class FlatObjectsTest {

    private static final StructType SCHEMA = new StructType()
            .add("id", "string")
            .add("n", "int")
            .add("big", "bigint")
            .add("speed", "double")
            .add("ok", "boolean")
            .add("at", "timestamp")
            .add("f", "float");

    private static final String NOISE = "{}[]\",:\\ 0-.eE+tfnul'/\t\u0001";

    @Test
    void readsTheUsualEventItselfAsJacksonDoes() {
        ObjectReader reader = reader(CarInfoSchema.POSTGRES_SCHEMA);
        byte[] event = bytes("{\"dataId\":\"d-1\",\"trsmDy\":3,\"trmnId\":\"T-9\",\"trsmUtcTime\":1638316800.123,"
                + "\"vhcleLot\":127.0276543,\"vhcleLat\":37.4979502,\"vhcleEvt\":0,\"gpsUtcTime\":1638316799.5,"
                + "\"vhcleSped\":61.25,\"vhcleTypeCd\":\"BUS\",\"regDt\":\"2026-11-29 06:30:15\"}");

        InternalRow flat = flat(CarInfoSchema.POSTGRES_SCHEMA).read(event);

        assertThat(flat).isNotNull();
        assertSame(flat, reader.parse(event, null), CarInfoSchema.POSTGRES_SCHEMA, "the event");
        assertThat(flat.getUTF8String(0)).isEqualTo(UTF8String.fromString("d-1"));
        assertThat(flat.getDouble(2)).isEqualTo(127.0276543);
        // A double's shortest text can need 17 digits (126.8 + 0.0004 as Java prints it)
        assertThat(flat(CarInfoSchema.POSTGRES_SCHEMA).read(bytes("{\"vhcleLot\": 126.80040000000001}")))
                .isNotNull();
    }

    @Test
    void readsNumbersToTheLastBitAsJacksonDoes() {
        ObjectReader reader = reader(SCHEMA);
        FlatObjects flat = flat(SCHEMA);
        List<String> numbers = new ArrayList<>(List.of(
                "0",
                "-0",
                "0.0",
                "-0.0",
                "0.1",
                "-0.5",
                "1e3",
                "1E-5",
                "2.5e+3",
                "9007199254740993",
                "9007199254740992.5",
                "123456789012345678",
                "1234567890123456789",
                "0.3",
                "1e22",
                "1e23",
                "1e-22",
                "4.9e-324",
                "1.7976931348623157e308",
                "1e400",
                "2147483647",
                "2147483648",
                "-2147483648",
                "999999999",
                "127.0276543",
                "126.80040000000001",
                "37.400800000000004",
                "1.0E-4",
                "12345678901234567890123",
                "0.000001",
                "00",
                "01",
                "1.",
                ".5",
                "-",
                "+1",
                "1e",
                "1e+",
                "--1",
                "1.5.3",
                "1x"));
        Random random = new Random(18);
        for (int i = 0; i < 20_000; i++) {
            numbers.add(randomNumber(random));
        }
        int readFlat = 0;
        for (String number : numbers) {
            for (String field : List.of("n", "big", "speed", "id", "ok", "other")) {
                byte[] record = bytes("{\"" + field + "\": " + number + "}");
                InternalRow read = flat.read(record);
                if (read != null) {
                    readFlat++;
                    assertSame(read, reader.parse(record, null), SCHEMA, new String(record, StandardCharsets.US_ASCII));
                }
            }
        }
        assertThat(readFlat).isGreaterThan(numbers.size());
        InternalRow negativeZero = flat.read(bytes("{\"speed\": -0.0}"));
        assertThat(Double.doubleToRawLongBits(negativeZero.getDouble(3))).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(Double.doubleToRawLongBits(
                        flat.read(bytes("{\"speed\": -0}")).getDouble(3)))
                .as("an integer's zero has no sign in Jackson's reading")
                .isEqualTo(0L);
    }

    @Test
    void readsOnlyWhatItIsSureOfAndAlwaysAsJacksonDoes() {
        ObjectReader reader = reader(SCHEMA);
        FlatObjects flat = flat(SCHEMA);
        String[] tokens = {
            "\"x\"",
            "\"\"",
            "\"a b\"",
            "\"tab\\there\"",
            "\"\\u0041\"",
            "\"caf\u00e9\"",
            "\"2026-11-29 06:30:15\"",
            "true",
            "false",
            "null",
            "nul",
            "truex",
            "0",
            "-7",
            "61.5",
            "-0.0",
            "1e3",
            "3000000000",
            "01",
            "NaN",
            "[1, 2]",
            "{\"a\": 1}",
            "{}",
            "'single'"
        };
        String[] names = {"id", "n", "big", "speed", "ok", "at", "f", "extra", "i\\u0064"};
        String[] spaces = {"", " ", "\n", "\t", "\r\n", "  "};
        Random random = new Random(2026);
        int readFlat = 0;
        for (int i = 0; i < 30_000; i++) {
            StringBuilder json = new StringBuilder(spaces[random.nextInt(spaces.length)]).append('{');
            int fields = random.nextInt(6);
            for (int f = 0; f < fields; f++) {
                if (f > 0) {
                    json.append(',');
                }
                json.append(spaces[random.nextInt(spaces.length)])
                        .append('"')
                        .append(names[random.nextInt(names.length)])
                        .append('"')
                        .append(spaces[random.nextInt(spaces.length)])
                        .append(':')
                        .append(spaces[random.nextInt(spaces.length)])
                        .append(tokens[random.nextInt(tokens.length)])
                        .append(spaces[random.nextInt(spaces.length)]);
            }
            json.append('}');
            if (random.nextInt(5) == 0) {
                int at = random.nextInt(json.length());
                switch (random.nextInt(3)) {
                    case 0 -> json.deleteCharAt(at);
                    case 1 -> json.insert(at, NOISE.charAt(random.nextInt(NOISE.length())));
                    default -> json.append(" trailing");
                }
            }
            byte[] record = bytes(json.toString());
            if (!isAscii(record)) {
                continue; // the decoder gives only ASCII records to this reading
            }
            InternalRow read = flat.read(record);
            if (read != null) {
                readFlat++;
                InternalRow jackson = reader.parse(record, null);
                assertThat(jackson).as("Jackson reads %s too", json).isNotNull();
                assertSame(read, jackson, SCHEMA, json.toString());
            }
        }
        assertThat(readFlat).isGreaterThan(3_000);
    }

    @Test
    void leavesTheLargestRecordsToJackson() {
        String large = "{\"id\": \"" + "x".repeat(FlatObjects.LARGEST) + "\"}";

        assertThat(flat(SCHEMA).read(bytes(large))).isNull();
        assertThat(reader(SCHEMA).read(bytes(large), null).getUTF8String(0).numBytes())
                .isEqualTo(FlatObjects.LARGEST);
    }

    /** Numbers of JSON's grammar, mostly: signs, leading digits, fractions and exponents of any length. */
    private static String randomNumber(Random random) {
        StringBuilder number = new StringBuilder();
        if (random.nextInt(3) == 0) {
            number.append('-');
        }
        int digits = 1 + random.nextInt(random.nextBoolean() ? 6 : 21);
        for (int d = 0; d < digits; d++) {
            number.append((char) ('0' + random.nextInt(10)));
        }
        if (random.nextBoolean()) {
            number.append('.');
            int fraction = 1 + random.nextInt(random.nextBoolean() ? 8 : 22);
            for (int d = 0; d < fraction; d++) {
                number.append((char) ('0' + random.nextInt(10)));
            }
        }
        if (random.nextInt(4) == 0) {
            number.append(random.nextBoolean() ? 'e' : 'E');
            if (random.nextBoolean()) {
                number.append(random.nextBoolean() ? '-' : '+');
            }
            number.append(random.nextInt(random.nextBoolean() ? 25 : 400));
        }
        return number.toString();
    }

    /** The same values, a double's bits included (so the sign of a zero counts). */
    private static void assertSame(InternalRow flat, InternalRow jackson, StructType schema, String shown) {
        assertThat(jackson).as("Jackson's reading of %s", shown).isNotNull();
        for (int i = 0; i < schema.length(); i++) {
            DataType type = schema.fields()[i].dataType();
            assertThat(flat.isNullAt(i))
                    .as("null %s of %s", schema.fields()[i].name(), shown)
                    .isEqualTo(jackson.isNullAt(i));
            if (flat.isNullAt(i)) {
                continue;
            }
            if (type == DataTypes.DoubleType) {
                assertThat(Double.doubleToRawLongBits(flat.getDouble(i)))
                        .as("%s of %s", schema.fields()[i].name(), shown)
                        .isEqualTo(Double.doubleToRawLongBits(jackson.getDouble(i)));
            } else {
                assertThat(flat.get(i, type))
                        .as("%s of %s", schema.fields()[i].name(), shown)
                        .isEqualTo(jackson.get(i, type));
            }
        }
    }

    private static boolean isAscii(byte[] record) {
        for (byte b : record) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    private static FlatObjects flat(StructType schema) {
        Map<String, Integer> index = new HashMap<>();
        int[] kinds = new int[schema.length()];
        for (int i = 0; i < kinds.length; i++) {
            index.put(schema.fields()[i].name(), i);
            kinds[i] = ObjectReader.kind(schema.fields()[i].dataType());
        }
        return new FlatObjects(index, kinds, 64);
    }
}
