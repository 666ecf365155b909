package dev.sluice.pipeline;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.util.Arrays;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Rows encoded in PostgreSQL's {@code COPY ... FROM STDIN} text format, straight into UTF-8
 * bytes ready to send: no intermediate string of the whole chunk. Not thread-safe.
 */
final class CopyText {

    private static final byte[] NULL = {'\\', 'N'};
    private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private byte[] bytes = new byte[64 * 1024];
    private int size;

    /** Appends one value: {@code null} as the null marker, text escaped, bytes as {@code bytea} hex. */
    void value(Object value) {
        if (value == null) {
            put(NULL);
        } else if (value instanceof String text) {
            text(text);
        } else if (value instanceof UTF8String utf8) {
            utf8(utf8);
        } else if (value instanceof byte[] binary) {
            ensure(3 + 2 * binary.length);
            bytes[size++] = '\\';
            bytes[size++] = '\\';
            bytes[size++] = 'x';
            for (byte b : binary) {
                bytes[size++] = HEX_DIGITS[(b >> 4) & 0xf];
                bytes[size++] = HEX_DIGITS[b & 0xf];
            }
        } else if (value instanceof Timestamp timestamp) {
            text(timestamp.toInstant().toString());
        } else {
            text(value.toString());
        }
    }

    /** Ends a value: another follows in the same row. */
    void nextValue() {
        ensure(1);
        bytes[size++] = '\t';
    }

    /** Ends a row. */
    void endRow() {
        ensure(1);
        bytes[size++] = '\n';
    }

    /** The bytes encoded so far: {@link #size()} of them, from 0. */
    byte[] bytes() {
        return bytes;
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
    }

    private void text(String text) {
        int length = text.length();
        ensure(2 * length);
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                // A run of non-ASCII characters needs no escaping, only encoding.
                int end = i + 1;
                while (end < length && text.charAt(end) >= 0x80) {
                    end++;
                }
                put(text.substring(i, end).getBytes(StandardCharsets.UTF_8));
                ensure(2 * (length - end));
                i = end - 1;
                continue;
            }
            switch (c) {
                case '\\' -> escape('\\');
                case '\t' -> escape('t');
                case '\n' -> escape('n');
                case '\r' -> escape('r');
                default -> bytes[size++] = (byte) c;
            }
        }
    }

    /** UTF-8 text as it is, only the four characters COPY gives a meaning escaped. */
    private void utf8(UTF8String text) {
        byte[] source = text.getBytes();
        ensure(2 * source.length);
        for (byte b : source) {
            switch (b) {
                case '\\' -> escape('\\');
                case '\t' -> escape('t');
                case '\n' -> escape('n');
                case '\r' -> escape('r');
                default -> bytes[size++] = b;
            }
        }
    }

    private void escape(char c) {
        bytes[size++] = '\\';
        bytes[size++] = (byte) c;
    }

    private void put(byte[] more) {
        ensure(more.length);
        System.arraycopy(more, 0, bytes, size, more.length);
        size += more.length;
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
