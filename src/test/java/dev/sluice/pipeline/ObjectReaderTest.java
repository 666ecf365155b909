package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.json.JSONOptions;
import org.apache.spark.sql.catalyst.json.JacksonParser;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;
import scala.collection.immutable.Map$;

/**
 * The one-pass read takes the usual record itself and leaves every other to Spark's parser: that
 * it decides as Spark does is {@code JsonDecoderTest}'s differential check.
 */
class ObjectReaderTest {

    private static final StructType SCHEMA = new StructType()
            .add("id", "string")
            .add("n", "int")
            .add("speed", "double")
            .add("ok", "boolean")
            .add("at", "timestamp");

    @Test
    void readsAnObjectOfTheSchemasFieldsItselfAndSkipsOthers() {
        InternalRow row = reader(SCHEMA)
                .read(
                        bytes("{\"id\": \"car-1\", \"other\": {\"a\": [1, 2]}, \"n\": 7, \"speed\": 61.5,"
                                + " \"ok\": true, \"at\": 0, \"id\": \"car-2\"} ignored"),
                        null);

        assertThat(row).isNotNull();
        assertThat(row.getUTF8String(0)).isEqualTo(UTF8String.fromString("car-2"));
        assertThat(row.getInt(1)).isEqualTo(7);
        assertThat(row.getDouble(2)).isEqualTo(61.5);
        assertThat(row.getBoolean(3)).isTrue();
        assertThat(row.getLong(4)).isZero();
    }

    @Test
    void readsEscapesAndTextBeyondAscii() {
        String text = "{\"id\": \"caf\\u00e9 \\\"x\\\"\", \"n\": null}";
        ObjectReader reader = reader(SCHEMA);

        InternalRow fromBytes = reader.read(bytes(text), null);
        InternalRow fromText = reader.read(bytes("{}"), "{\"id\": \"Gangnam-gu \uac15\ub0a8\"}");

        assertThat(fromBytes.getUTF8String(0)).isEqualTo(UTF8String.fromString("caf\u00e9 \"x\""));
        assertThat(fromBytes.isNullAt(1)).isTrue();
        assertThat(fromText.getUTF8String(0)).isEqualTo(UTF8String.fromString("Gangnam-gu \uac15\ub0a8"));
    }

    @Test
    void findsEachNameWhereverARecordPutsIt() {
        ObjectReader reader = reader(SCHEMA);
        String[] records = {
            "{\"id\": \"a\", \"n\": 1, \"speed\": 1.5}",
            "{\"n\": 2, \"id\": \"b\", \"speed\": 2.5}",
            "{\"other\": 0, \"speed\": 3.5, \"n\": 3, \"id\": \"c\"}",
            "{\"id\": \"d\", \"n\": 4, \"speed\": 4.5}",
            "{\"speed\": 5.5, \"other\": 0, \"id\": \"e\"}"
        };
        String[] ids = {"a", "b", "c", "d", "e"};
        double[] speeds = {1.5, 2.5, 3.5, 4.5, 5.5};

        for (int i = 0; i < records.length; i++) {
            InternalRow row = reader.read(bytes(records[i]), null);
            assertThat(row.getUTF8String(0)).as(records[i]).isEqualTo(UTF8String.fromString(ids[i]));
            assertThat(row.getDouble(2)).as(records[i]).isEqualTo(speeds[i]);
            if (i < 4) {
                assertThat(row.getInt(1)).as(records[i]).isEqualTo(i + 1);
            } else {
                assertThat(row.isNullAt(1)).as(records[i]).isTrue();
            }
        }
    }

    @Test
    void takesTheNameLastReadAtAPlaceOnlyForTheVeryName() {
        ObjectReader reader = reader(SCHEMA);
        // Text with a character beyond ASCII is read from its decoded form, the rest from bytes.
        String[][] records = {
            {"{\"id\": \"a\", \"n\": 1}", null},
            {"{\"idx\": \"b\", \"n\": 2}", null},
            {"{\"i\\u0064\" : \"c\", \"n\" :3}", null},
            {"{}", "{\"id\": \"\uac15\", \"n\": 4}"},
            {"{\"i\": \"e\", \"id\": \"e\", \"n\": 5}", null},
            {"{\"id\": \"f\"}", null},
            {"{\"n\": 7, \"id\": \"g\", \"speed\": 7.5}", null}
        };
        String[] ids = {"a", null, "c", "\uac15", "e", "f", "g"};
        Integer[] ns = {1, 2, 3, 4, 5, null, 7};

        for (int i = 0; i < records.length; i++) {
            InternalRow row = reader.read(bytes(records[i][0]), records[i][1]);
            String record = records[i][1] == null ? records[i][0] : records[i][1];
            assertThat(row).as(record).isNotNull();
            assertThat(row.isNullAt(0) ? null : row.getUTF8String(0).toString())
                    .as(record)
                    .isEqualTo(ids[i]);
            assertThat(row.isNullAt(1) ? null : row.getInt(1)).as(record).isEqualTo(ns[i]);
        }
    }

    @Test
    void leavesEverythingElseToSparksParser() {
        ObjectReader reader = reader(SCHEMA);

        for (String other : new String[] {
            "[{\"id\": \"a\"}]",
            "42",
            "null",
            "   ",
            "{\"id\": \"a\"",
            "{\"n\": \"seven\"}",
            "{\"n\": 3000000000}",
            "{\"at\": \"not a time\"}",
            "{\"ok\": 1}",
            "{\"id\": \"a\",}"
        }) {
            assertThat(reader.read(bytes(other), null)).as(other).isNull();
        }
    }

    @Test
    void leavesASchemaWithExistenceDefaultsToSparksParser() {
        Metadata defaulted =
                new MetadataBuilder().putString("EXISTS_DEFAULT", "'x'").build();
        StructType schema = new StructType().add("id", "string", true, defaulted);

        assertThat(reader(schema).read(bytes("{\"id\": \"a\"}"), null)).isNull();
    }

    /** A reader of Spark's default JSON options, in UTC. */
    static ObjectReader reader(StructType schema) {
        JSONOptions options = new JSONOptions(Map$.MODULE$.<String, String>empty(), "UTC", "_corrupt_record");
        JacksonParser spark = new JacksonParser(
                schema,
                options,
                false,
                JavaConverters.asScalaBuffer(new ArrayList<Filter>()).toSeq());
        return new ObjectReader(schema, spark);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
