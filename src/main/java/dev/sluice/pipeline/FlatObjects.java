package dev.sluice.pipeline;

import com.fasterxml.jackson.core.io.NumberInput;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The plainest records read straight from their bytes, with no JSON parser: an ASCII object whose
 * values are strings without escapes or control characters, numbers, {@code true}, {@code false}
 * and {@code null}, with JSON's own whitespace and nothing lenient. What it gives for such a record
 * is what {@link ObjectReader} reads from it with Jackson: the same string, the same int or long,
 * the same double (a decimal of at most 2^53 and a power of ten up to 22 is one correctly rounded
 * division or multiplication, as Jackson's reading is correctly rounded; any other is read by
 * Jackson's own {@link NumberInput#parseDouble}). Anything else, a value
 * its field's kind does not take as read, and any record over {@link #LARGEST} bytes (so no limit
 * of Jackson's can apply) give null, and {@link ObjectReader} reads the record. The per-record
 * parser Jackson needs (its context, buffers and symbol table) was over a quarter of what the
 * fused path allocated.
 *
 * <p>A string value is the record's own bytes, not a copy: the record's value is never changed
 * once read, and its row keeps it anyway. Not thread-safe.
 */
final class FlatObjects {

    /** The largest record read here: far below Jackson's limits on names, strings and numbers. */
    static final int LARGEST = 16 * 1024;

    /** The longest number read here; longer ones (and their limit) are Jackson's. */
    private static final int LONGEST_NUMBER = 64;

    private static final long LARGEST_EXACT_MANTISSA = 1L << 53;
    private static final double[] POWERS_OF_TEN = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22
    };

    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};

    private final Map<String, Integer> index;
    private final int[] kinds;
    /** The name last read at each place in a record, and its field: records mostly repeat them. */
    private final byte[][] lastNames;

    private final int[] lastFields;

    /** Where the record being read ends in its array. */
    private int end;

    /** Where the number just read ends; {@link #number} returns its value. */
    private int numberEnd;

    /** A number's text, for Jackson's reading of a double. */
    private final char[] chars = new char[LONGEST_NUMBER];

    /**
     * @param index each field's position by its name
     * @param kinds each field's kind, {@link ObjectReader}'s
     */
    FlatObjects(Map<String, Integer> index, int[] kinds, int remembered) {
        this.index = Map.copyOf(index);
        this.kinds = kinds.clone();
        this.lastNames = new byte[remembered][];
        this.lastFields = new int[remembered];
    }

    /** The record's fields, or null when {@link ObjectReader} must read it. The record is ASCII. */
    InternalRow read(byte[] json) {
        return read(json, 0, json.length);
    }

    /** As {@link #read(byte[])}, for the record in {@code json} from {@code from} to {@code to}. */
    InternalRow read(byte[] json, int from, int to) {
        if (to - from > LARGEST) {
            return null;
        }
        end = to;
        int at = whitespace(json, from);
        if (at >= end || json[at] != '{') {
            return null;
        }
        Object[] values = new Object[kinds.length];
        at = whitespace(json, at + 1);
        if (at < end && json[at] == '}') {
            return new GenericInternalRow(values);
        }
        int place = 0;
        while (at < end && json[at] == '"') {
            int nameEnd = stringEnd(json, at + 1);
            if (nameEnd < 0) {
                return null;
            }
            int field = field(place++, json, at + 1, nameEnd);
            at = whitespace(json, nameEnd + 1);
            if (at >= end || json[at] != ':') {
                return null;
            }
            at = whitespace(json, at + 1);
            at = at < end ? value(json, at, field, values) : -1;
            if (at < 0) {
                return null;
            }
            at = whitespace(json, at);
            if (at >= end) {
                return null;
            }
            if (json[at] == '}') {
                // As Jackson's reading, nothing after the object's end is read.
                return new GenericInternalRow(values);
            }
            if (json[at] != ',') {
                return null;
            }
            at = whitespace(json, at + 1);
        }
        return null;
    }

    /** Reads one value into its field; where it ends, or -1 when {@link ObjectReader} must read the record. */
    private int value(byte[] json, int at, int field, Object[] values) {
        int kind = field < 0 ? ObjectReader.OTHER : kinds[field];
        byte first = json[at];
        if (first == '"') {
            int close = stringEnd(json, at + 1);
            if (close < 0) {
                return -1;
            }
            if (field >= 0) {
                if (kind != ObjectReader.STRING) {
                    return -1;
                }
                values[field] = UTF8String.fromAddress(json, Platform.BYTE_ARRAY_OFFSET + at + 1, close - at - 1);
            }
            return close + 1;
        }
        if (first == '-' || (first >= '0' && first <= '9')) {
            Object number = number(json, at, field < 0 ? -1 : kind);
            if (number == null && field >= 0 || numberEnd < 0) {
                return -1;
            }
            if (field >= 0) {
                values[field] = number;
            }
            return numberEnd;
        }
        if (first == 'n' && literal(json, at, NULL)) {
            if (field >= 0) {
                values[field] = null;
            }
            return at + NULL.length;
        }
        boolean truth = first == 't' && literal(json, at, TRUE);
        if (truth || first == 'f' && literal(json, at, FALSE)) {
            if (field >= 0) {
                if (kind != ObjectReader.BOOLEAN) {
                    return -1;
                }
                values[field] = truth;
            }
            return at + (truth ? TRUE.length : FALSE.length);
        }
        return -1;
    }

    /**
     * A number in JSON's grammar as a field of this kind takes it (-1: only skipped), with
     * {@link #numberEnd} set where it ends, or -1 when it is not one; null when the kind does not
     * take it as read here.
     */
    private Object number(byte[] json, int start, int kind) {
        int at = start;
        boolean negative = json[at] == '-';
        if (negative) {
            at++;
        }
        int digitsStart = at;
        long mantissa = 0;
        int digits = 0;
        if (at < end && json[at] == '0') {
            at++;
        } else if (at < end && json[at] >= '1' && json[at] <= '9') {
            while (at < end && json[at] >= '0' && json[at] <= '9') {
                if (digits < 18) {
                    mantissa = mantissa * 10 + (json[at] - '0');
                }
                digits++;
                at++;
            }
        } else {
            numberEnd = -1;
            return null;
        }
        int integerDigits = at - digitsStart;
        boolean fraction = false;
        int fractionDigits = 0;
        if (at < end && json[at] == '.') {
            fraction = true;
            at++;
            int fractionStart = at;
            while (at < end && json[at] >= '0' && json[at] <= '9') {
                if (digits > 0 || json[at] != '0') {
                    if (digits < 18) {
                        mantissa = mantissa * 10 + (json[at] - '0');
                    }
                    digits++;
                }
                at++;
            }
            fractionDigits = at - fractionStart;
            if (fractionDigits == 0) {
                numberEnd = -1;
                return null;
            }
        }
        int exponent = 0;
        boolean exponentPart = false;
        if (at < end && (json[at] == 'e' || json[at] == 'E')) {
            exponentPart = true;
            at++;
            boolean negativeExponent = at < end && json[at] == '-';
            if (at < end && (json[at] == '-' || json[at] == '+')) {
                at++;
            }
            int exponentStart = at;
            while (at < end && json[at] >= '0' && json[at] <= '9') {
                exponent = Math.min(exponent * 10 + (json[at] - '0'), 100_000);
                at++;
            }
            if (at == exponentStart) {
                numberEnd = -1;
                return null;
            }
            if (negativeExponent) {
                exponent = -exponent;
            }
        }
        numberEnd = at - start > LONGEST_NUMBER ? -1 : at;
        if (kind < 0 || numberEnd < 0) {
            return null;
        }
        boolean integral = !fraction && !exponentPart;
        switch (kind) {
            case ObjectReader.INT -> {
                // Jackson reads up to nine digits as an int; "-0" is 0
                return integral && integerDigits <= 9 ? (int) (negative ? -mantissa : mantissa) : null;
            }
            case ObjectReader.LONG -> {
                return integral && integerDigits <= 18 ? (negative ? -mantissa : mantissa) : null;
            }
            case ObjectReader.DOUBLE -> {
                if (integral && integerDigits <= 18) {
                    // Jackson reads up to 18 digits as an int or a long, then casts it: "-0" is 0.0
                    return (double) (negative ? -mantissa : mantissa);
                }
                int scale = exponent - fractionDigits;
                if (integral
                        || digits > 18
                        || mantissa > LARGEST_EXACT_MANTISSA
                        || Math.abs(scale) >= POWERS_OF_TEN.length) {
                    // Jackson's own reading of the text (correctly rounded, as the division is)
                    for (int i = start; i < at; i++) {
                        chars[i - start] = (char) json[i];
                    }
                    return NumberInput.parseDouble(chars, 0, at - start, true);
                }
                double value = scale >= 0 ? mantissa * POWERS_OF_TEN[scale] : mantissa / POWERS_OF_TEN[-scale];
                return negative ? -value : value;
            }
            default -> {
                return null;
            }
        }
    }

    /** The field of the name read at this place: the one last read there, compared byte by byte, or looked up. */
    private int field(int place, byte[] json, int from, int to) {
        if (place < lastNames.length) {
            byte[] last = lastNames[place];
            if (last != null && Arrays.equals(last, 0, last.length, json, from, to)) {
                return lastFields[place];
            }
        }
        Integer field = index.get(new String(json, from, to - from, StandardCharsets.US_ASCII));
        int found = field == null ? -1 : field;
        if (place < lastNames.length) {
            lastNames[place] = Arrays.copyOfRange(json, from, to);
            lastFields[place] = found;
        }
        return found;
    }

    /** Where a string that starts at {@code from} closes; -1 for one with an escape or a control character, or unclosed. */
    private int stringEnd(byte[] json, int from) {
        for (int at = from; at < end; at++) {
            byte b = json[at];
            if (b == '"') {
                return at;
            }
            if (b == '\\' || b < 0x20) {
                return -1;
            }
        }
        return -1;
    }

    private boolean literal(byte[] json, int at, byte[] literal) {
        return end - at >= literal.length && Arrays.equals(json, at, at + literal.length, literal, 0, literal.length);
    }

    /** The first position from {@code at} that is not JSON whitespace. */
    private int whitespace(byte[] json, int at) {
        while (at < end) {
            byte b = json[at];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return at;
            }
            at++;
        }
        return at;
    }
}
