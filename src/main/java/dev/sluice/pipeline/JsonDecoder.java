package dev.sluice.pipeline;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Objects;
import org.apache.spark.SparkUpgradeException;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.json.JSONOptions;
import org.apache.spark.sql.catalyst.json.JacksonParser;
import org.apache.spark.sql.catalyst.util.BadRecordException;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.collection.immutable.Map$;

/**
 * Decodes a record's JSON bytes into Spark's internal row of a schema's fields, deciding exactly as
 * {@code from_json(CAST(value AS STRING), schema)} and the JSON reject rules of a parsed source do:
 * Spark's own {@link JacksonParser} (the parser behind {@code from_json}) converts the fields, with
 * the same options, so every type, null and corrupt record comes out the same; the usual record,
 * an object whose fields read cleanly, is read in one pass with the same conversions
 * ({@link ObjectReader}), and any other by Spark's parser itself. What it saves is
 * the work around {@code from_json}: the cast to a string, a character reader per record (pure
 * ASCII is parsed from the bytes), and the second parse that tells bad JSON from a bad field type,
 * which runs here only for a record that failed the first.
 *
 * <p>Reasons, in the order they are checked: {@code EMPTY_VALUE}, {@code MALFORMED_JSON},
 * {@code SCHEMA_MISMATCH}. A record that would make {@code from_json} throw rather than mark it
 * corrupt (a date Spark's parser upgrade refuses) is a {@code SCHEMA_MISMATCH} here, so one record
 * cannot stop a pipeline. Not thread-safe: one per task.
 */
public final class JsonDecoder implements Serializable {

    private static final String EMPTY_VALUE = "EMPTY_VALUE";
    private static final String MALFORMED_JSON = "MALFORMED_JSON";
    private static final String SCHEMA_MISMATCH = "SCHEMA_MISMATCH";
    private static final scala.Function2<JsonFactory, Object, JsonParser> OPEN = JsonDecoder::open;
    private static final scala.Function1<Object, UTF8String> LITERAL = record ->
            record instanceof String text ? UTF8String.fromString(text) : UTF8String.fromBytes((byte[]) record);

    private static final String CORRUPT = "_corrupt_record";
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final scala.collection.Seq<Filter> NO_FILTERS =
            JavaConverters.asScalaBuffer(new ArrayList<Filter>()).toSeq();

    private final StructType schema;
    private final String timeZone;
    private transient JacksonParser fields;
    private transient JacksonParser anyObject;
    private transient GenericInternalRow nulls;
    private transient ObjectReader objects;

    /**
     * @param schema the record's fields (read as nullable, as {@code from_json} reads them)
     * @param timeZone the session time zone timestamps without one are read in
     */
    public JsonDecoder(StructType schema, String timeZone) {
        this.schema = (StructType) schema.asNullable();
        this.timeZone = Objects.requireNonNull(timeZone, "timeZone");
    }

    /** The decision on one record: its fields, or why it is rejected. */
    public record Decoded(InternalRow fields, String reason, String detail) {
        public boolean accepted() {
            return reason == null;
        }
    }

    /** The fields read as nullable: the row {@link #decode} gives has them. */
    public StructType schema() {
        return schema;
    }

    /** Decides on one record's value. */
    public Decoded decode(byte[] value) {
        return value == null ? decode(null, 0, 0) : decode(value, 0, value.length);
    }

    /**
     * Decides on one record's value, from the buffer's position to its limit (null: no value),
     * read where it lies when the buffer has an array; the buffer is not moved. A text field of the
     * row given may be a part of those bytes, not a copy.
     */
    public Decoded decode(ByteBuffer value) {
        if (value == null || !value.hasArray()) {
            return decode(KafkaRecordRow.bytes(value));
        }
        return decode(value.array(), value.arrayOffset() + value.position(), value.remaining());
    }

    /**
     * Decides on one record's value, {@code length} bytes of {@code bytes} from {@code offset}
     * (null: no value). A text field of the row given may be a part of those bytes, not a copy.
     */
    public Decoded decode(byte[] bytes, int offset, int length) {
        if (bytes == null || length == 0) {
            return new Decoded(null, EMPTY_VALUE, "the record has no value");
        }
        // Spark reads a record through a UTF-8 decoder that replaces malformed bytes; pure ASCII
        // decodes to itself, so only other input needs the decoded string to read the same.
        String decoded =
                isAscii(bytes, offset, length) ? null : new String(bytes, offset, length, StandardCharsets.UTF_8);
        InternalRow read = objects().read(bytes, offset, length, decoded);
        if (read != null) {
            return new Decoded(read, null, null);
        }
        // Spark's parser reads a whole array.
        byte[] value =
                offset == 0 && length == bytes.length ? bytes : Arrays.copyOfRange(bytes, offset, offset + length);
        try {
            Iterator<InternalRow> rows = parse(fields(), value, decoded);
            return new Decoded(rows.hasNext() ? rows.next() : nulls, null, null);
        } catch (Exception e) {
            corrupt(e);
            return readsAsAnyObject(value, decoded)
                    ? new Decoded(null, SCHEMA_MISMATCH, "a field's value does not have the schema's type")
                    : new Decoded(null, MALFORMED_JSON, "the value is not a JSON object");
        }
    }

    /**
     * Whether the value reads as a JSON object of any values ({@code from_json} into a map of
     * strings is not null): what tells bad JSON from a bad field type.
     */
    private boolean readsAsAnyObject(byte[] value, String decoded) {
        try {
            Iterator<InternalRow> rows = parse(anyObject(), value, decoded);
            return rows.hasNext() && !rows.next().isNullAt(0);
        } catch (Exception e) {
            corrupt(e);
            return false;
        }
    }

    /**
     * Returns when {@code e} says the record is corrupt (Spark's parser throws the checked
     * {@link BadRecordException} undeclared); throws anything else on.
     */
    private static void corrupt(Exception e) {
        if (e instanceof BadRecordException || e instanceof SparkUpgradeException) {
            return;
        }
        if (e instanceof RuntimeException runtime) {
            throw runtime;
        }
        throw new IllegalStateException(e);
    }

    /** The record is its bytes, or its decoded text when it is not ASCII. */
    private static Iterator<InternalRow> parse(JacksonParser parser, byte[] value, String decoded) {
        return parser.parse(decoded == null ? value : decoded, OPEN, LITERAL).iterator();
    }

    /** A parser over a record: its bytes, or its decoded text. */
    private static JsonParser open(JsonFactory factory, Object record) {
        try {
            return record instanceof String text ? factory.createParser(text) : factory.createParser((byte[]) record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JacksonParser fields() {
        if (fields == null) {
            fields = new JacksonParser(schema, options(), false, NO_FILTERS);
            nulls = new GenericInternalRow(schema.length());
        }
        return fields;
    }

    private ObjectReader objects() {
        if (objects == null) {
            objects = new ObjectReader(schema, fields());
        }
        return objects;
    }

    private JacksonParser anyObject() {
        if (anyObject == null) {
            StructType map =
                    new StructType().add("value", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType));
            anyObject = new JacksonParser(map.apply("value").dataType(), options(), false, NO_FILTERS);
        }
        return anyObject;
    }

    private JSONOptions options() {
        return new JSONOptions(Map$.MODULE$.<String, String>empty(), timeZone, CORRUPT);
    }

    /** Whether every byte of the range is below 0x80, looked at eight at a time. */
    private static boolean isAscii(byte[] bytes, int offset, int length) {
        int i = offset;
        int end = offset + length;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            if ((Platform.getLong(bytes, Platform.BYTE_ARRAY_OFFSET + i) & HIGH_BITS) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }
}
