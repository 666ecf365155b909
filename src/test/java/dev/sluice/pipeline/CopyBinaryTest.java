package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/** The binary COPY format, byte for byte, and the values it leaves to the text format. */
class CopyBinaryTest {

    private static final int[] TYPES = {
        CopyBinary.TEXT, CopyBinary.FLOAT8, CopyBinary.INT8, CopyBinary.TIMESTAMPTZ, CopyBinary.BOOL, CopyBinary.BYTEA
    };

    @Test
    void writesTheSignatureEachRowsFieldsAndTheTrailer() {
        CopyBinary copy = new CopyBinary();
        boolean written = copy.row(
                RowFactory.create(
                        "skipped",
                        // a text that is part of its record, as the decoder gives it: only its bytes
                        UTF8String.fromBytes("{\"id\":\"car-1\"}".getBytes(StandardCharsets.UTF_8), 7, 5),
                        61.5,
                        7,
                        Timestamp.from(Instant.parse("2000-01-01T00:00:01.000002Z")),
                        true,
                        new byte[] {1, 2}),
                1,
                TYPES);
        copy.row(RowFactory.create("skipped", "\uac15", null, null, null, null, null), 1, TYPES);

        ByteBuffer bytes = ByteBuffer.wrap(Arrays.copyOf(copy.finish(), copy.size()));
        assertThat(written).isTrue();
        assertThat(copy.rows()).isEqualTo(2);
        byte[] signature = new byte[11];
        bytes.get(signature);
        assertThat(signature).isEqualTo("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(bytes.getInt()).as("flags").isZero();
        assertThat(bytes.getInt()).as("header extension").isZero();

        assertThat(bytes.getShort()).isEqualTo((short) 6);
        assertThat(field(bytes)).isEqualTo("car-1".getBytes(StandardCharsets.UTF_8));
        assertThat(ByteBuffer.wrap(field(bytes)).getDouble()).isEqualTo(61.5);
        assertThat(ByteBuffer.wrap(field(bytes)).getLong()).isEqualTo(7L);
        assertThat(ByteBuffer.wrap(field(bytes)).getLong())
                .as("microseconds since 2000")
                .isEqualTo(1_000_002L);
        assertThat(field(bytes)).isEqualTo(new byte[] {1});
        assertThat(field(bytes)).isEqualTo(new byte[] {1, 2});

        assertThat(bytes.getShort()).isEqualTo((short) 6);
        assertThat(field(bytes)).isEqualTo("\uac15".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 5; i++) {
            assertThat(bytes.getInt()).as("null").isEqualTo(-1);
        }
        assertThat(bytes.getShort()).as("trailer").isEqualTo((short) -1);
        assertThat(bytes.hasRemaining()).isFalse();
    }

    @Test
    void refusesAValueWhoseBinaryFormIsNotWhatTheTextFormatStoresAndAppendsNothing() {
        CopyBinary copy = new CopyBinary();
        int empty = copy.size();
        Timestamp nanos = Timestamp.from(Instant.parse("2026-01-01T00:00:00Z"));
        nanos.setNanos(1);

        assertThat(copy.row(RowFactory.create("a", 1.5f, 1L, null, true, null), 0, TYPES))
                .as("a float into a double column")
                .isFalse();
        assertThat(copy.row(RowFactory.create("a", 1.5, 1.0, null, true, null), 0, TYPES))
                .as("a double into a bigint column")
                .isFalse();
        assertThat(copy.row(RowFactory.create("a", 1.5, 1L, nanos, true, null), 0, TYPES))
                .as("a timestamp finer than microseconds")
                .isFalse();
        assertThat(copy.row(RowFactory.create(1, 1.5, 1L, null, true, null), 0, TYPES))
                .as("a number into a text column")
                .isFalse();
        assertThat(copy.size()).isEqualTo(empty);
        assertThat(copy.rows()).isZero();
    }

    @Test
    void writesOnlyTheTypesWhoseBinaryFormItKnows() {
        assertThat(CopyBinary.writes(TYPES)).isTrue();
        assertThat(CopyBinary.writes(new int[] {CopyBinary.TEXT, 1700}))
                .as("numeric")
                .isFalse();
        assertThat(CopyBinary.writes(new int[] {1082})).as("date").isFalse();
    }

    private static byte[] field(ByteBuffer bytes) {
        byte[] value = new byte[bytes.getInt()];
        bytes.get(value);
        return value;
    }
}
