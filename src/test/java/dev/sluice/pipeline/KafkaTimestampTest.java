package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TimeZone;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.sql.catalyst.util.RebaseDateTime;
import org.junit.jupiter.api.Test;

/** A Kafka record's timestamp in the fused path's rows: the value Spark's own conversion gives. */
class KafkaTimestampTest {

    @Test
    void givesSparksValueInEveryTimeZoneBeforeAndAfterTheCalendarSwitches() {
        List<Long> instants = new ArrayList<>();
        long lastSwitch = RebaseDateTime.lastSwitchGregorianTs();
        for (long delta = -3; delta <= 3; delta++) {
            instants.add(lastSwitch + delta);
        }
        instants.add(0L);
        instants.add(-1L);
        instants.add(micros("1582-10-04T12:00:00Z"));
        instants.add(micros("1582-10-15T00:00:00Z"));
        instants.add(micros("1883-11-18T17:00:00Z"));
        instants.add(micros("1900-01-01T00:00:00Z"));
        instants.add(micros("2026-11-30T23:59:59.999999Z"));
        SplittableRandom random = new SplittableRandom(18);
        for (int i = 0; i < 2_000; i++) {
            // Years 0001 to 9999.
            instants.add(random.nextLong(micros("0001-01-01T00:00:00Z"), micros("9999-12-31T23:59:59Z")));
        }
        TimeZone original = TimeZone.getDefault();
        try {
            for (String zone : List.of(
                    "UTC", "America/Los_Angeles", "Asia/Seoul", "Asia/Kolkata", "Europe/Amsterdam", "Pacific/Apia")) {
                TimeZone.setDefault(TimeZone.getTimeZone(zone));
                for (long micros : instants) {
                    assertThat(FusedRecords.kafkaTimestamp(micros))
                            .as("%d microseconds in %s", micros, zone)
                            .isEqualTo(DateTimeUtils.toJavaTimestamp(micros));
                }
            }
        } finally {
            TimeZone.setDefault(original);
        }
    }

    @Test
    void theReaderGivesARecordsTimestampAsSparksKafkaSourceDoesInEveryTimeZone() {
        List<Long> millis = new ArrayList<>(List.of(0L, -1L, 1L, 1_700_000_000_000L, -62_135_596_800_000L));
        long lastSwitch = Math.floorDiv(RebaseDateTime.lastSwitchJulianTs(), 1000);
        for (long delta = -3; delta <= 3; delta++) {
            millis.add(lastSwitch + delta);
        }
        SplittableRandom random = new SplittableRandom(18);
        for (int i = 0; i < 2_000; i++) {
            millis.add(random.nextLong(-62_135_596_800_000L, 253_402_300_799_000L));
        }
        TimeZone original = TimeZone.getDefault();
        try {
            for (String zone :
                    List.of("UTC", "America/Los_Angeles", "Asia/Seoul", "Europe/Amsterdam", "Pacific/Apia")) {
                TimeZone.setDefault(TimeZone.getTimeZone(zone));
                for (long at : millis) {
                    assertThat(KafkaRangeReader.micros(at))
                            .as("%d milliseconds in %s", at, zone)
                            .isEqualTo(DateTimeUtils.fromJavaTimestamp(new Timestamp(at)));
                }
            }
        } finally {
            TimeZone.setDefault(original);
        }
    }

    private static long micros(String instant) {
        return DateTimeUtils.instantToMicros(Instant.parse(instant));
    }
}
