package dev.sluice.pipeline;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.json.JSONOptions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The PostgreSQL pipeline's parser: turns a Kafka record into the sink's input row
 * ({@link PostgresSink#INPUT_COLUMNS}, then the seven stored fields) in one pass of Jackson's
 * streaming parser over the record's bytes, converting only the fields the table stores.
 *
 * <p>It decides exactly as {@link CarInfoParser#forPostgres} does in Spark SQL: the same JSON
 * features (Spark's own {@link JSONOptions} build the factory), the same type rules for each
 * field, the same reasons in the same order with the same details. {@code CarInfoJsonTest}
 * holds it to that on hostile and mutated input. What it saves is the per-record work around
 * {@code from_json}: the binary-to-string cast, a character reader per record, the converted
 * struct and the second parse the rules need to tell bad JSON from a bad field type. Such a
 * second pass happens here only for a record that has a field of the wrong type.
 */
public final class CarInfoJson implements Serializable {

    private static final String CORRUPT = "_corrupt_record";
    private static final StructField[] FIELDS = CarInfoSchema.POSTGRES_SCHEMA.fields();
    private static final String[] NAMES = CarInfoSchema.POSTGRES_SCHEMA.fieldNames();
    private static final int DATA_ID = indexOf("dataId");
    private static final int TRMN_ID = indexOf("trmnId");
    private static final int VHCLE_TYPE_CD = indexOf("vhcleTypeCd");
    private static final int LOT = indexOf("vhcleLot");
    private static final int LAT = indexOf("vhcleLat");
    private static final int SPEED = indexOf("vhcleSped");
    /** The text fields, in the order the table's rules check them. */
    private static final int[] TEXT_FIELDS = {DATA_ID, TRMN_ID, VHCLE_TYPE_CD};

    private final CarInfoLimits limits;
    private transient JsonFactory factory;

    public CarInfoJson(CarInfoLimits limits) {
        this.limits = limits;
    }

    /** A decision on one record: the stored fields' values, and the reason it is rejected, if it is. */
    public record Parsed(Object[] values, String reason, String detail) {}

    /**
     * Turns Kafka records ({@code topic}, {@code partition}, {@code offset}, {@code timestamp},
     * {@code value}) into the sink's input rows, one for one; runs in a Spark task.
     */
    public Iterator<Row> parseAll(Iterator<Row> records) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return records.hasNext();
            }

            @Override
            public Row next() {
                Row record = records.next();
                byte[] value = (byte[]) record.get(4);
                Parsed parsed = parse(value);
                Object[] row = new Object[PostgresSink.INPUT_COLUMNS.size() + FIELDS.length];
                for (int i = 0; i < 5; i++) {
                    row[i] = record.get(i);
                }
                row[5] = parsed.reason();
                row[6] = parsed.detail();
                System.arraycopy(parsed.values(), 0, row, 7, FIELDS.length);
                return RowFactory.create(row);
            }
        };
    }

    /** Decides on one record's value. */
    public Parsed parse(byte[] value) {
        if (value == null || value.length == 0) {
            return rejected(new Object[FIELDS.length], "EMPTY_VALUE", "the record has no value");
        }
        // Spark reads a record through a UTF-8 decoder that replaces malformed bytes; pure ASCII
        // decodes to itself, so only other input needs the decoded string to read the same.
        String decoded = isAscii(value) ? null : new String(value, StandardCharsets.UTF_8);
        Object[] values = new Object[FIELDS.length];
        if (!readFields(value, decoded, values)) {
            return readsAsAnyObject(value, decoded)
                    ? rejected(values, "SCHEMA_MISMATCH", "a field's value does not have the car_info schema's type")
                    : rejected(values, "MALFORMED_JSON", "the value is not a JSON object");
        }
        return check(values);
    }

    private Parsed check(Object[] values) {
        String dataId = (String) values[DATA_ID];
        if (dataId == null || trimSpaces(dataId).isEmpty()) {
            return rejected(values, "MISSING_DATA_ID", "dataId is missing or blank");
        }
        Double lat = (Double) values[LAT];
        Double lot = (Double) values[LOT];
        Double speed = (Double) values[SPEED];
        if (outside(lat, limits.minLatitude(), limits.maxLatitude())
                || outside(lot, limits.minLongitude(), limits.maxLongitude())
                || outside(speed, limits.minSpeed(), limits.speedCeiling())) {
            return rejected(
                    values,
                    "OUT_OF_RANGE",
                    "vhcleLat=" + lat + " vhcleLot=" + lot + " vhcleSped=" + speed + " " + limits.describe());
        }
        for (int field : TEXT_FIELDS) {
            String text = (String) values[field];
            int max = maxLength(field);
            if (text != null && text.length() > max) {
                int characters = text.codePointCount(0, text.length());
                if (characters > max) {
                    return rejected(
                            values,
                            "FIELD_TOO_LONG",
                            FIELDS[field].name() + " has " + characters + " characters; the most is " + max);
                }
            }
        }
        for (int field : TEXT_FIELDS) {
            String text = (String) values[field];
            if (text != null && text.indexOf('\u0000') >= 0) {
                return rejected(
                        values,
                        "INVALID_CHARACTER",
                        "a text field contains a NUL character, which PostgreSQL text cannot store");
            }
        }
        return new Parsed(values, null, null);
    }

    /**
     * Reads the stored fields into {@code values} as Spark's JSON reader reads a struct with those
     * fields: false where it would mark the record corrupt (not one JSON object, a syntax error
     * before the object ends, or a field of the wrong type).
     */
    private boolean readFields(byte[] value, String decoded, Object[] values) {
        try (JsonParser parser = open(value, decoded)) {
            JsonToken root = parser.nextToken();
            if (root == null) {
                return true; // blank: no object, every field null
            }
            if (root != JsonToken.START_OBJECT) {
                return false;
            }
            boolean wellTyped = true;
            while (parser.nextToken() != JsonToken.END_OBJECT) {
                String name = parser.currentName();
                JsonToken token = parser.nextToken();
                int index = indexOf(name);
                if (index >= 0) {
                    if (FIELDS[index].dataType() == DataTypes.StringType) {
                        values[index] = readString(parser, token);
                    } else if (!readDouble(parser, token, values, index)) {
                        wellTyped = false;
                        parser.skipChildren();
                    }
                } else {
                    parser.skipChildren();
                }
            }
            return wellTyped;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** A string field takes a JSON string as it is and any other value as its JSON text. */
    private String readString(JsonParser parser, JsonToken token) throws IOException {
        if (token == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (JsonGenerator generator = factory().createGenerator(text)) {
            generator.copyCurrentStructure(parser);
        }
        return text.toString(StandardCharsets.UTF_8);
    }

    /** A double field takes a JSON number, or a string naming NaN or an infinity; false for anything else. */
    private static boolean readDouble(JsonParser parser, JsonToken token, Object[] values, int index)
            throws IOException {
        switch (token) {
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> values[index] = parser.getDoubleValue();
            case VALUE_NULL -> values[index] = null;
            case VALUE_STRING -> {
                Double special = switch (parser.getText()) {
                    case "NaN" -> Double.NaN;
                    case "+INF", "+Infinity", "Infinity" -> Double.POSITIVE_INFINITY;
                    case "-INF", "-Infinity" -> Double.NEGATIVE_INFINITY;
                    default -> null;
                };
                if (special == null) {
                    return false;
                }
                values[index] = special;
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the value reads as a JSON object of any values, every string and nested value read
     * in full (as Spark reads it into a map of strings): what tells bad JSON from a bad field type.
     */
    private boolean readsAsAnyObject(byte[] value, String decoded) {
        try (JsonParser parser = open(value, decoded)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            while (parser.nextToken() != JsonToken.END_OBJECT) {
                readString(parser, parser.nextToken());
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** A parser over the record: its bytes, or the decoded text when it is not ASCII. */
    private JsonParser open(byte[] value, String decoded) throws IOException {
        return decoded == null ? factory().createParser(value) : factory().createParser(decoded);
    }

    private JsonFactory factory() {
        if (factory == null) {
            JsonFactory sparks = new JSONOptions(
                            scala.collection.immutable.Map$.MODULE$.<String, String>empty(), "UTC", CORRUPT)
                    .buildJsonFactory();
            sparks.enable(JsonParser.Feature.USE_FAST_DOUBLE_PARSER); // the same doubles, correctly rounded, sooner
            factory = sparks;
        }
        return factory;
    }

    private static Parsed rejected(Object[] values, String reason, String detail) {
        return new Parsed(values, reason, detail);
    }

    private static boolean outside(Double value, double min, double max) {
        return value != null && (value < min || value > max || value.isNaN());
    }

    private static int maxLength(int field) {
        if (field == DATA_ID) {
            return CarInfoSchema.DATA_ID_MAX_LENGTH;
        }
        return field == TRMN_ID ? CarInfoSchema.TRMN_ID_MAX_LENGTH : CarInfoSchema.VHCLE_TYPE_CD_MAX_LENGTH;
    }

    /** Trims the ASCII spaces, and only those, as Spark's {@code trim} does. */
    private static String trimSpaces(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && text.charAt(start) == ' ') {
            start++;
        }
        while (end > start && text.charAt(end - 1) == ' ') {
            end--;
        }
        return text.substring(start, end);
    }

    private static boolean isAscii(byte[] value) {
        for (byte b : value) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /** The stored field's index, or -1: a scan of seven names, cheaper per field than hashing the name. */
    private static int indexOf(String name) {
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
