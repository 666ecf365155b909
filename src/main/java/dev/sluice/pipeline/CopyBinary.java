package dev.sluice.pipeline;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.util.Arrays;
import org.apache.spark.sql.Row;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Rows encoded in PostgreSQL's binary {@code COPY ... FROM STDIN (FORMAT binary)} format: each
 * value as the column type's binary form (a double as its eight bytes, text as its UTF-8 bytes),
 * so neither side formats or parses numbers. Only the pairs of value and column type whose binary
 * form is exactly what the text format would store are taken ({@link #row}); a sender meeting any
 * other goes back to the text format. Not thread-safe.
 */
final class CopyBinary {

    /** The column types written in binary, by their type OID. */
    static final int BOOL = 16;

    static final int BYTEA = 17;
    static final int INT8 = 20;
    static final int INT2 = 21;
    static final int INT4 = 23;
    static final int TEXT = 25;
    static final int FLOAT4 = 700;
    static final int FLOAT8 = 701;
    static final int BPCHAR = 1042;
    static final int VARCHAR = 1043;
    static final int TIMESTAMP = 1114;
    static final int TIMESTAMPTZ = 1184;

    /** The signature, the flags and the header extension's length. */
    private static final byte[] HEADER = {
        'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0
    };

    /** Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01. */
    private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;

    private byte[] bytes = new byte[64 * 1024];
    private int size;
    private int rows;

    CopyBinary() {
        clear();
    }

    /** Whether every type can be written in binary. */
    static boolean writes(int[] types) {
        for (int type : types) {
            switch (type) {
                case BOOL, BYTEA, INT8, INT2, INT4, TEXT, FLOAT4, FLOAT8, BPCHAR, VARCHAR, TIMESTAMP, TIMESTAMPTZ -> {}
                default -> {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Appends a row's values from {@code from} on, into columns of these types.
     *
     * @return false, with nothing appended, when a value's binary form is not the one the text
     *     format would give its column
     */
    boolean row(Row row, int from, int[] types) {
        int start = size;
        int count = row.length() - from;
        ensure(2);
        putShort(count);
        for (int i = 0; i < count; i++) {
            if (!value(row.get(from + i), types[i])) {
                size = start;
                return false;
            }
        }
        rows++;
        return true;
    }

    /** The rows appended since the last {@link #clear}. */
    int rows() {
        return rows;
    }

    /** The bytes so far, with the trailer written: {@link #size()} of them, from 0. */
    byte[] finish() {
        ensure(2);
        putShort(-1);
        return bytes;
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
        rows = 0;
        ensure(HEADER.length);
        System.arraycopy(HEADER, 0, bytes, 0, HEADER.length);
        size = HEADER.length;
    }

    private boolean value(Object value, int type) {
        if (value == null) {
            ensure(4);
            putInt(-1);
            return true;
        }
        switch (type) {
            case TEXT, VARCHAR, BPCHAR -> {
                if (value instanceof UTF8String text) {
                    // Its bytes as they are, wherever they lie (a decoded record's text is a part of the record).
                    int length = text.numBytes();
                    ensure(4 + length);
                    putInt(length);
                    text.writeToMemory(bytes, Platform.BYTE_ARRAY_OFFSET + size);
                    size += length;
                    return true;
                }
                if (value instanceof String text) {
                    return field(text.getBytes(StandardCharsets.UTF_8));
                }
                return false;
            }
            case FLOAT8 -> {
                if (value instanceof Double number) {
                    ensure(12);
                    putInt(8);
                    putLong(Double.doubleToRawLongBits(number));
                    return true;
                }
                return false;
            }
            case FLOAT4 -> {
                if (value instanceof Float number) {
                    ensure(8);
                    putInt(4);
                    putInt(Float.floatToRawIntBits(number));
                    return true;
                }
                return false;
            }
            case INT8 -> {
                if (value instanceof Long || value instanceof Integer || value instanceof Short) {
                    ensure(12);
                    putInt(8);
                    putLong(((Number) value).longValue());
                    return true;
                }
                return false;
            }
            case INT4 -> {
                if (value instanceof Integer || value instanceof Short) {
                    ensure(8);
                    putInt(4);
                    putInt(((Number) value).intValue());
                    return true;
                }
                return false;
            }
            case INT2 -> {
                if (value instanceof Short number) {
                    ensure(6);
                    putInt(2);
                    putShort(number);
                    return true;
                }
                return false;
            }
            case BOOL -> {
                if (value instanceof Boolean truth) {
                    ensure(5);
                    putInt(1);
                    bytes[size++] = (byte) (truth ? 1 : 0);
                    return true;
                }
                return false;
            }
            case BYTEA -> {
                return value instanceof byte[] binary && field(binary);
            }
            case TIMESTAMP, TIMESTAMPTZ -> {
                // The text format writes the instant in UTC, which a column without a time zone
                // stores as its wall-clock time: the same microseconds either way.
                if (value instanceof Timestamp timestamp && timestamp.getNanos() % 1_000 == 0) {
                    long micros =
                            Math.floorDiv(timestamp.getTime(), 1_000L) * 1_000_000L + timestamp.getNanos() / 1_000;
                    ensure(12);
                    putInt(8);
                    putLong(micros - POSTGRES_EPOCH_MICROS);
                    return true;
                }
                return false;
            }
            default -> {
                return false;
            }
        }
    }

    private boolean field(byte[] value) {
        ensure(4 + value.length);
        putInt(value.length);
        System.arraycopy(value, 0, bytes, size, value.length);
        size += value.length;
        return true;
    }

    private void putShort(int value) {
        bytes[size++] = (byte) (value >>> 8);
        bytes[size++] = (byte) value;
    }

    private void putInt(int value) {
        bytes[size++] = (byte) (value >>> 24);
        bytes[size++] = (byte) (value >>> 16);
        bytes[size++] = (byte) (value >>> 8);
        bytes[size++] = (byte) value;
    }

    private void putLong(long value) {
        putInt((int) (value >>> 32));
        putInt((int) value);
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
