package dev.sluice.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/** A car_info event as upstream publishes it, for tests and the simulator. */
public record CarInfoEvent(
        String dataId,
        Integer trsmDy,
        String trmnId,
        Double trsmUtcTime,
        String trsmYear,
        String trsmMt,
        String trsmTm,
        String trsmMs,
        Double vhcleLot,
        Double vhcleLat,
        Double vhcleEvt,
        String trmnTypeCd,
        Double gpsUtcTime,
        Double vhcleDrc,
        Double vhcleSped,
        String trnsmStatCd,
        String lcdtRevisnStatCd,
        String vhcleTypeCd,
        String rgtrId,
        String regDt) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter REG_DT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY =
            DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("HHmmss").withZone(ZoneOffset.UTC);

    /** An event of a vehicle at a place and time, with the other fields filled in as a terminal would. */
    public static CarInfoEvent of(
            String dataId,
            String trmnId,
            Instant at,
            double lon,
            double lat,
            double speed,
            double direction,
            String vehicleType) {
        double epochSeconds = at.toEpochMilli() / 1000.0;
        return new CarInfoEvent(
                dataId,
                Integer.parseInt(DAY.format(at)),
                trmnId,
                epochSeconds,
                String.valueOf(at.atZone(ZoneOffset.UTC).getYear()),
                String.format("%02d", at.atZone(ZoneOffset.UTC).getMonthValue()),
                TIME.format(at),
                String.format("%03d", at.toEpochMilli() % 1000),
                lon,
                lat,
                38.5,
                "OBU",
                epochSeconds,
                direction,
                speed,
                "D",
                "1",
                vehicleType,
                "sluice-simulator",
                REG_DT.format(at));
    }

    public String toJson() {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (var component : CarInfoEvent.class.getRecordComponents()) {
            try {
                fields.put(component.getName(), component.getAccessor().invoke(this));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
