package dev.sluice.pipeline;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.json.JacksonParser;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Function1;

/**
 * The usual record read in one pass: a JSON object whose fields all read cleanly, each converted
 * as Spark's {@link JacksonParser} converts it. A field's value of the token its type expects (a
 * string for a string, a number for a number, true or false for a boolean, null for any) is read
 * here with the same parser call Spark makes; any other value goes through Spark's own converter
 * for the field ({@link JacksonParser#makeConverter}). As in Spark's object reading, a field the
 * schema does not have is skipped, a name is matched exactly, a repeated name's last value counts,
 * and nothing after the object's end is read.
 *
 * <p>The plainest records (ASCII, no escape, no nesting) are read first without Jackson
 * ({@link FlatObjects}), to the same values.
 *
 * <p>Anything else (a root that is not an object, a value that does not convert, input that is
 * not JSON, a schema with existence defaults) gives {@code null}: the caller asks Spark's parser,
 * whose answer is the decision. So this never decides differently; it only decides sooner. Not
 * thread-safe.
 */
final class ObjectReader {

    /** The metadata key of a column's existence default, which Spark's reading fills in. */
    private static final String EXISTS_DEFAULT = "EXISTS_DEFAULT";

    /** How many of a record's first names are remembered by their place in the record. */
    private static final int REMEMBERED = 64;

    static final int OTHER = 0;
    static final int STRING = 1;
    static final int INT = 2;
    static final int LONG = 3;
    static final int SHORT = 4;
    static final int BYTE = 5;
    static final int DOUBLE = 6;
    static final int FLOAT = 7;
    static final int BOOLEAN = 8;

    private final JsonFactory factory;
    private final Map<String, Integer> index = new HashMap<>();
    /**
     * The name last read at each place in a record, and its field (-1 for one the schema does not
     * have): records of one source mostly list the same names in the same order, so the parser
     * usually matches a name against the one expected there on the input's bytes, without decoding
     * it or looking it up ({@link JsonParser#nextFieldName(com.fasterxml.jackson.core.SerializableString)}).
     */
    private final SerializedString[] lastNames = new SerializedString[REMEMBERED];

    /** The schema's names, as {@link #lastNames} holds them: a record in another order makes none. */
    private final SerializedString[] fieldNames;

    private final int[] lastFields = new int[REMEMBERED];
    private final int[] kinds;
    private final Function1<JsonParser, Object>[] converters;
    private final boolean enabled;
    /** The plainest records, read without Jackson. */
    private final FlatObjects flat;

    /** @param spark the parser whose conversions and options this reads by */
    @SuppressWarnings("unchecked")
    ObjectReader(StructType schema, JacksonParser spark) {
        // Spark's factory, with a faster reading of doubles that gives the same value for every text.
        this.factory = spark.options()
                .buildJsonFactory()
                .rebuild()
                .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
                .build();
        StructField[] fields = schema.fields();
        this.kinds = new int[fields.length];
        this.fieldNames = new SerializedString[fields.length];
        this.converters = new Function1[fields.length];
        boolean defaults = false;
        for (int i = 0; i < fields.length; i++) {
            index.put(fields[i].name(), i);
            fieldNames[i] = new SerializedString(fields[i].name());
            kinds[i] = kind(fields[i].dataType());
            converters[i] = spark.makeConverter(fields[i].dataType());
            defaults |= fields[i].metadata().contains(EXISTS_DEFAULT);
        }
        this.enabled = !defaults;
        this.flat = new FlatObjects(index, kinds, REMEMBERED);
    }

    /**
     * The record's fields, or null when Spark's parser must decide.
     *
     * @param decoded the record as text when it is not pure ASCII; null to read {@code value}
     */
    InternalRow read(byte[] value, String decoded) {
        return read(value, 0, value.length, decoded);
    }

    /** As {@link #read(byte[], String)}, for the record's {@code length} bytes of {@code bytes} from {@code offset}. */
    InternalRow read(byte[] bytes, int offset, int length, String decoded) {
        if (enabled && decoded == null) {
            InternalRow plain = flat.read(bytes, offset, offset + length);
            if (plain != null) {
                return plain;
            }
        }
        return parse(bytes, offset, length, decoded);
    }

    /** The record's fields as read with Jackson, or null when Spark's parser must decide. */
    InternalRow parse(byte[] value, String decoded) {
        return parse(value, 0, value.length, decoded);
    }

    private InternalRow parse(byte[] bytes, int offset, int length, String decoded) {
        if (!enabled) {
            return null;
        }
        try (JsonParser parser =
                decoded == null ? factory.createParser(bytes, offset, length) : factory.createParser(decoded)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            Object[] values = new Object[kinds.length];
            int place = 0;
            while (true) {
                int field;
                SerializedString expected = place < REMEMBERED ? lastNames[place] : null;
                if (expected != null && parser.nextFieldName(expected)) {
                    // The name last read at this place, matched on the input's bytes.
                    field = lastFields[place];
                } else {
                    JsonToken token = expected != null ? parser.currentToken() : parser.nextToken();
                    if (token == JsonToken.END_OBJECT) {
                        break;
                    }
                    if (token != JsonToken.FIELD_NAME) {
                        return null;
                    }
                    field = field(place, parser.currentName());
                }
                place++;
                JsonToken valueToken = parser.nextToken();
                if (field < 0) {
                    parser.skipChildren();
                } else {
                    values[field] = value(field, valueToken, parser, decoded == null);
                }
            }
            return new GenericInternalRow(values);
        } catch (Exception e) {
            // Spark's converters also throw checked exceptions undeclared (a nested struct's
            // PartialResultException): any failure leaves the record to Spark's parser.
            return null;
        }
    }

    /**
     * The field's position, or -1 for a name the schema does not have, for a name read at this
     * place in the record (not the one last read there), which is remembered for the next record.
     */
    private int field(int place, String name) {
        int field = lookUp(name);
        if (place < REMEMBERED) {
            lastNames[place] = field >= 0 ? fieldNames[field] : new SerializedString(name);
            lastFields[place] = field;
        }
        return field;
    }

    /** The field's position, or -1 for a name the schema does not have (a repeated name: the last). */
    private int lookUp(String name) {
        return index.getOrDefault(name, -1);
    }

    private Object value(int field, JsonToken token, JsonParser parser, boolean ascii) throws IOException {
        switch (kinds[field]) {
            case STRING -> {
                if (token == JsonToken.VALUE_STRING) {
                    return ascii ? asciiText(parser) : UTF8String.fromString(parser.getText());
                }
            }
            case INT -> {
                if (token == JsonToken.VALUE_NUMBER_INT) {
                    return parser.getIntValue();
                }
            }
            case LONG -> {
                if (token == JsonToken.VALUE_NUMBER_INT) {
                    return parser.getLongValue();
                }
            }
            case SHORT -> {
                if (token == JsonToken.VALUE_NUMBER_INT) {
                    return parser.getShortValue();
                }
            }
            case BYTE -> {
                if (token == JsonToken.VALUE_NUMBER_INT) {
                    return parser.getByteValue();
                }
            }
            case DOUBLE -> {
                if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                    return parser.getDoubleValue();
                }
            }
            case FLOAT -> {
                if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                    return parser.getFloatValue();
                }
            }
            case BOOLEAN -> {
                if (token == JsonToken.VALUE_TRUE) {
                    return Boolean.TRUE;
                }
                if (token == JsonToken.VALUE_FALSE) {
                    return Boolean.FALSE;
                }
            }
            default -> {
                // Spark's converter decides
            }
        }
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        return converters[field].apply(parser);
    }

    /**
     * A string value of an ASCII record as UTF-8 bytes, copied from the parser's characters: the
     * bytes {@code UTF8String.fromString(parser.getText())} gives, with no string between. An
     * escape can still make a character outside ASCII; such a value is encoded as Spark does.
     */
    private static UTF8String asciiText(JsonParser parser) throws IOException {
        char[] chars = parser.getTextCharacters();
        int offset = parser.getTextOffset();
        int length = parser.getTextLength();
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            char c = chars[offset + i];
            if (c >= 0x80) {
                return UTF8String.fromString(parser.getText());
            }
            bytes[i] = (byte) c;
        }
        return UTF8String.fromBytes(bytes);
    }

    static int kind(DataType type) {
        if (type instanceof StringType) {
            return STRING;
        } else if (type instanceof IntegerType) {
            return INT;
        } else if (type instanceof LongType) {
            return LONG;
        } else if (type instanceof ShortType) {
            return SHORT;
        } else if (type instanceof ByteType) {
            return BYTE;
        } else if (type instanceof DoubleType) {
            return DOUBLE;
        } else if (type instanceof FloatType) {
            return FLOAT;
        } else if (type instanceof BooleanType) {
            return BOOLEAN;
        }
        return OTHER;
    }
}
