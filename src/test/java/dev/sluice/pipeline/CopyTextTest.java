package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

class CopyTextTest {

    @Test
    void escapesWhatCopyTextFormatTreatsSpecially() {
        assertThat(encode("a\tb\nc\rd\\e")).isEqualTo("a\\tb\\nc\\rd\\\\e");
    }

    @Test
    void writesSparksUtf8TextAsItIsWithTheSameEscapes() {
        String text = "a\tb\nc\rd\\e 차량 \ud83d\ude97 " + "x".repeat(70_000);

        assertThat(encode(UTF8String.fromString(text))).isEqualTo(encode(text));
        assertThat(encode(UTF8String.fromString(""))).isEmpty();
    }

    @Test
    void writesNullAsTheNullMarker() {
        assertThat(encode(null)).isEqualTo("\\N");
    }

    @Test
    void writesBytesAsEscapedHexBytea() {
        assertThat(encode(new byte[] {0x00, (byte) 0xff, 0x41})).isEqualTo("\\\\x00ff41");
    }

    @Test
    void writesTimestampsAsUtcInstants() {
        assertThat(encode(Timestamp.from(Instant.parse("2026-11-21T06:30:15.250Z"))))
                .isEqualTo("2026-11-21T06:30:15.250Z");
    }

    @Test
    void writesNumbersAsPostgresReadsThem() {
        assertThat(encode(42.5)).isEqualTo("42.5");
        assertThat(encode(Double.NaN)).isEqualTo("NaN");
        assertThat(encode(7L)).isEqualTo("7");
    }

    @Test
    void encodesTextAsUtf8AndRowsWithTabsAndNewlines() {
        CopyText out = new CopyText();
        out.value("차량\t1");
        out.nextValue();
        out.value("x".repeat(100_000) + "\u00e9");
        out.endRow();

        assertThat(new String(out.bytes(), 0, out.size(), StandardCharsets.UTF_8))
                .isEqualTo("차량\\t1\t" + "x".repeat(100_000) + "\u00e9\n");
        out.clear();
        assertThat(out.size()).isZero();
    }

    private static String encode(Object value) {
        CopyText out = new CopyText();
        out.value(value);
        return new String(out.bytes(), 0, out.size(), StandardCharsets.UTF_8);
    }
}
