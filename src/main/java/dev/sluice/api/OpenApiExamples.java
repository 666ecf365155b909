package dev.sluice.api;

/** Request bodies shown in the OpenAPI document, one per kind of pipeline. */
final class OpenApiExamples {

    static final String KAFKA_TO_POSTGRES = """
            {
              "name": "vehicle-speed-by-type-1m",
              "source": {"kind": "kafka", "topics": ["car_info"], "startingOffsets": "earliest", "schemaName": "car_info"},
              "transform": {
                "eventTime": "timestamp_seconds(gpsUtcTime)",
                "watermark": "2 minutes",
                "sql": "SELECT window.start AS window_start, window.end AS window_end, vhcleTypeCd AS vhcle_type_cd, count(*) AS events, avg(vhcleSped) AS avg_speed, max(vhcleSped) AS max_speed FROM events GROUP BY window(event_time, '1 minute'), vhcleTypeCd"
              },
              "sink": {"kind": "postgres", "table": "vehicle_speed_by_type_1m", "keyColumns": ["window_start", "vhcle_type_cd"], "createTable": true},
              "outputMode": "update",
              "trigger": {"kind": "processing-time", "interval": "10 seconds"}
            }""";

    static final String KAFKA_TO_KAFKA = """
            {
              "name": "car-info-dedup-to-kafka",
              "source": {"kind": "kafka", "topics": ["car_info"], "schemaName": "car_info"},
              "transform": {"eventTime": "timestamp_seconds(gpsUtcTime)", "watermark": "10 minutes", "dropDuplicates": ["dataId"]},
              "sink": {"kind": "kafka", "topic": "car_info_clean", "key": "dataId"},
              "outputMode": "append"
            }""";

    static final String KAFKA_TO_MEMORY = """
            {
              "name": "active-terminals-5m",
              "source": {"kind": "kafka", "topics": ["car_info"], "schemaName": "car_info"},
              "transform": {
                "eventTime": "timestamp_seconds(gpsUtcTime)",
                "watermark": "2 minutes",
                "sql": "SELECT window.start AS window_start, window.end AS window_end, size(collect_set(trmnId)) AS active_terminals FROM events GROUP BY window(event_time, '5 minutes', '1 minute')"
              },
              "sink": {"kind": "memory", "maxRows": 1000},
              "outputMode": "append"
            }""";

    static final String FILES_TO_PARQUET = """
            {
              "name": "weblog-status-counts",
              "source": {"kind": "file", "path": "./data/files/weblogs", "format": "json",
                         "schema": "host STRING, timestamp STRING, request STRING, http_reply INT, bytes BIGINT"},
              "rules": [{"reason": "NEGATIVE_BYTES", "require": "bytes IS NULL OR bytes >= 0"}],
              "transform": {
                "eventTime": "to_timestamp(timestamp)",
                "watermark": "30 minutes",
                "sql": "SELECT window.start AS hour, http_reply, count(*) AS requests FROM events GROUP BY window(event_time, '1 hour'), http_reply"
              },
              "sink": {"kind": "parquet", "path": "./data/files/weblog_status_counts"},
              "outputMode": "append",
              "trigger": {"kind": "processing-time", "interval": "30 seconds"}
            }""";

    static final String RATE_TO_CONSOLE = """
            {
              "name": "rate-to-console",
              "source": {"kind": "rate", "rowsPerSecond": 10},
              "transform": {"sql": "SELECT value, value % 2 = 0 AS even FROM events"},
              "sink": {"kind": "console", "maxRows": 5},
              "trigger": {"kind": "processing-time", "interval": "5 seconds"}
            }""";

    private OpenApiExamples() {}
}
