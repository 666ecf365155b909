package dev.sluice.pipeline;

import java.nio.ByteBuffer;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.MapData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.unsafe.types.CalendarInterval;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A Kafka record as a row of Spark's Kafka source ({@code key}, {@code value}, {@code topic},
 * {@code partition}, {@code offset}, {@code timestamp}, {@code timestampType}), its key and value
 * left where the consumer read them: a part of the fetched bytes, copied into an array of their
 * own only when Spark asks for the binary ({@link #getBinary}). The fused path reads the value
 * where it lies ({@link #buffer}). Reused for the next record, as a scan's rows are; {@link #copy}
 * gives a row of its own.
 */
final class KafkaRecordRow extends InternalRow {

    static final int KEY = 0;
    static final int VALUE = 1;
    private static final int TOPIC = 2;
    private static final int PARTITION = 3;
    private static final int OFFSET = 4;
    private static final int TIMESTAMP = 5;
    private static final int TIMESTAMP_TYPE = 6;
    private static final int FIELDS = 7;

    private final UTF8String topic;
    private final int partition;
    private ByteBuffer key;
    private ByteBuffer value;
    private long offset;
    private long timestamp;
    private int timestampType;

    KafkaRecordRow(UTF8String topic, int partition) {
        this.topic = topic;
        this.partition = partition;
    }

    /** Makes this row the record's: its timestamp in Spark's microseconds. */
    void set(ByteBuffer key, ByteBuffer value, long offset, long timestampMicros, int timestampType) {
        this.key = key;
        this.value = value;
        this.offset = offset;
        this.timestamp = timestampMicros;
        this.timestampType = timestampType;
    }

    /**
     * The key's ({@value #KEY}) or the value's ({@value #VALUE}) bytes where they lie, from the
     * buffer's position to its limit, or null when the record has none. Not to be moved: read it
     * by absolute position, or {@link ByteBuffer#duplicate} it.
     */
    ByteBuffer buffer(int ordinal) {
        return switch (ordinal) {
            case KEY -> key;
            case VALUE -> value;
            default -> throw new IllegalArgumentException("column " + ordinal + " of a Kafka record is not binary");
        };
    }

    /** The bytes from the buffer's position to its limit, in an array of their own; null for null. */
    static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    @Override
    public int numFields() {
        return FIELDS;
    }

    @Override
    public boolean isNullAt(int ordinal) {
        return switch (ordinal) {
            case KEY -> key == null;
            case VALUE -> value == null;
            default -> false;
        };
    }

    @Override
    public byte[] getBinary(int ordinal) {
        return bytes(buffer(ordinal));
    }

    @Override
    public UTF8String getUTF8String(int ordinal) {
        if (ordinal != TOPIC) {
            throw wrongType(ordinal, "a string");
        }
        return topic;
    }

    @Override
    public int getInt(int ordinal) {
        return switch (ordinal) {
            case PARTITION -> partition;
            case TIMESTAMP_TYPE -> timestampType;
            default -> throw wrongType(ordinal, "an int");
        };
    }

    @Override
    public long getLong(int ordinal) {
        return switch (ordinal) {
            case OFFSET -> offset;
            case TIMESTAMP -> timestamp;
            default -> throw wrongType(ordinal, "a long");
        };
    }

    @Override
    public Object get(int ordinal, DataType dataType) {
        return switch (ordinal) {
            case KEY, VALUE -> getBinary(ordinal);
            case TOPIC -> topic;
            case PARTITION, TIMESTAMP_TYPE -> getInt(ordinal);
            case OFFSET, TIMESTAMP -> getLong(ordinal);
            default -> throw new IndexOutOfBoundsException(ordinal);
        };
    }

    @Override
    public InternalRow copy() {
        return new GenericInternalRow(
                new Object[] {bytes(key), bytes(value), topic, partition, offset, timestamp, timestampType});
    }

    @Override
    public void setNullAt(int ordinal) {
        throw new UnsupportedOperationException("a Kafka record's row is read-only");
    }

    @Override
    public void update(int ordinal, Object value) {
        throw new UnsupportedOperationException("a Kafka record's row is read-only");
    }

    @Override
    public boolean getBoolean(int ordinal) {
        throw wrongType(ordinal, "a boolean");
    }

    @Override
    public byte getByte(int ordinal) {
        throw wrongType(ordinal, "a byte");
    }

    @Override
    public short getShort(int ordinal) {
        throw wrongType(ordinal, "a short");
    }

    @Override
    public float getFloat(int ordinal) {
        throw wrongType(ordinal, "a float");
    }

    @Override
    public double getDouble(int ordinal) {
        throw wrongType(ordinal, "a double");
    }

    @Override
    public Decimal getDecimal(int ordinal, int precision, int scale) {
        throw wrongType(ordinal, "a decimal");
    }

    @Override
    public CalendarInterval getInterval(int ordinal) {
        throw wrongType(ordinal, "an interval");
    }

    @Override
    public InternalRow getStruct(int ordinal, int numFields) {
        throw wrongType(ordinal, "a struct");
    }

    @Override
    public ArrayData getArray(int ordinal) {
        throw wrongType(ordinal, "an array");
    }

    @Override
    public MapData getMap(int ordinal) {
        throw wrongType(ordinal, "a map");
    }

    private static UnsupportedOperationException wrongType(int ordinal, String type) {
        return new UnsupportedOperationException("column " + ordinal + " of a Kafka record is not " + type);
    }
}
