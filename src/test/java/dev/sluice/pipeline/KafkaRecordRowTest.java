package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

class KafkaRecordRowTest {

    private static final Instant AT = Instant.parse("2026-12-02T20:00:00.123Z");

    @Test
    void givesSparkTheRecordsColumnsWithKeyAndValueCopiedOutOfTheFetchedBytes() {
        byte[] value = "{\"dataId\":\"d-1\"}".getBytes(StandardCharsets.UTF_8);
        List<InternalRow> rows = FetchedRecords.rows(
                "car_info", AT, Arrays.asList(value, null), offset -> offset == 0 ? "k".getBytes() : null);

        KafkaRecordRow first = (KafkaRecordRow) rows.get(0);
        ByteBuffer fetched = first.buffer(KafkaRecordRow.VALUE);
        int position = fetched.position();
        assertThat(fetched.array().length).isGreaterThan(value.length);
        assertThat(first.numFields()).isEqualTo(7);
        assertThat(first.getBinary(1)).isEqualTo(value).isNotSameAs(fetched.array());
        assertThat(first.getBinary(0)).isEqualTo("k".getBytes());
        assertThat(fetched.position()).as("not moved by a read").isEqualTo(position);
        assertThat(first.getUTF8String(2)).isEqualTo(UTF8String.fromString("car_info"));
        assertThat(first.getInt(3)).isZero();
        assertThat(first.getLong(4)).isZero();
        assertThat(first.getLong(5)).isEqualTo(AT.toEpochMilli() * 1000);
        assertThat(first.getInt(6)).isZero();
        assertThat(first.anyNull()).isFalse();

        InternalRow copy = first.copy();
        assertThat(copy.getBinary(1)).isEqualTo(value);
        assertThat(copy.getUTF8String(2).toString()).isEqualTo("car_info");
        assertThat(copy.getLong(5)).isEqualTo(AT.toEpochMilli() * 1000);
        ((KafkaRecordRow) rows.get(0)).set(null, null, 9, 0, 1);
        assertThat(copy.getBinary(1)).as("a copy is its own").isEqualTo(value);
        assertThat(copy.getLong(4)).isZero();

        KafkaRecordRow second = (KafkaRecordRow) rows.get(1);
        assertThat(second.isNullAt(0)).isTrue();
        assertThat(second.isNullAt(1)).isTrue();
        assertThat(second.getBinary(1)).isNull();
        assertThat(second.get(4, DataTypes.LongType)).isEqualTo(1L);
        assertThat(second.anyNull()).isTrue();
    }

    @Test
    void isReadOnlyAndNamesAColumnReadAsTheWrongType() {
        KafkaRecordRow row = new KafkaRecordRow(UTF8String.fromString("t"), 3);
        assertThatThrownBy(() -> row.update(0, null)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.setNullAt(0)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.getInt(2))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("column 2");
        assertThatThrownBy(() -> row.getDouble(4)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.buffer(2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDeadLetterKeepsTheFetchedBytesAsAnArray() {
        byte[] fetched = "xx{}yy".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer value = ByteBuffer.wrap(fetched).position(2).slice().limit(2);
        assertThat((byte[]) PostgresSink.bytes(value)).containsExactly('{', '}');
        assertThat(value.position()).isZero();
        byte[] own = {1, 2};
        assertThat(PostgresSink.bytes(own)).isSameAs(own);
        assertThat(PostgresSink.bytes(null)).isNull();
    }
}
