package dev.sluice.it;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.not;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.definition.BuiltInDefinitions;
import dev.sluice.definition.DefinedPipeline;
import dev.sluice.support.CarInfoEvent;
import dev.sluice.support.Infrastructure;
import dev.sluice.support.IntegrationTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpStatus;

/** car_info from a real Kafka broker into Parquet on a real HDFS, checkpoint on HDFS too. */
class CarInfoHdfsIT extends IntegrationTest {

    @Autowired
    private SparkSession spark;

    @Autowired
    @Qualifier("carInfoToHdfs")
    private DefinedPipeline pipeline;

    @Test
    void writesEveryValidEventToParquetOnceAcrossARestart() throws IOException {
        String run = "hdfs-" + UUID.randomUUID().toString().substring(0, 8);
        // 7 s apart from 21:00 UTC: the 120 events span two UTC dates.
        List<CarInfoEvent> first = CarInfoPostgresIT.events(run, 0, 120).stream()
                .map(e -> shifted(e, Instant.parse("2026-11-20T23:50:00Z")))
                .toList();
        List<byte[]> values = new ArrayList<>(CarInfoPostgresIT.json(first));
        values.add("{\"dataId\": ".getBytes(StandardCharsets.UTF_8));
        values.add("{\"trmnId\": \"T1\"}".getBytes(StandardCharsets.UTF_8));
        // No GPS time: its date is that of its Kafka timestamp.
        values.add(("{\"dataId\": \"" + run + "-no-gps\", \"trmnId\": \"T9\"}").getBytes(StandardCharsets.UTF_8));
        LocalDate produced = LocalDate.now(ZoneOffset.UTC);
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            keys.add(("terminal-" + i).getBytes(StandardCharsets.UTF_8));
        }
        produce(HDFS_TOPIC, keys, values);

        assertThat(post("/api/queries/" + HDFS_PIPELINE + "/start").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        // Until the first batch commits there is no Parquet to read yet.
        await().atMost(DEADLINE)
                .ignoreException(AnalysisException.class)
                .until(() -> parquetRows(run).count() == first.size());
        assertParquetHolds(run, CarInfoPostgresIT.byId(first));
        Row noGps = spark.read()
                .parquet(path())
                .filter(col("dataId").equalTo(run + "-no-gps"))
                .first();
        assertThat(noGps.<java.sql.Date>getAs(BuiltInDefinitions.EVENT_DATE).toLocalDate())
                .isBetween(produced, LocalDate.now(ZoneOffset.UTC));
        assertThat(noGps.<String>getAs("trmnId")).isEqualTo("T9");
        assertThat(noGps.<Double>getAs("gpsUtcTime")).isNull();
        // One batch of 120 rows from three Kafka partitions: one file per event_date, not one per partition.
        assertThat(parquetRows(run).select(input_file_name()).distinct().count())
                .isEqualTo(2);

        FileSystem hdfs = Infrastructure.hdfs().getFileSystem();
        assertThat(hdfs.exists(new Path("/sluice/checkpoints/" + HDFS_PIPELINE + "/offsets")))
                .isTrue();
        assertThat(hdfs.exists(new Path("/sluice/checkpoints/" + HDFS_PIPELINE + "/commits")))
                .isTrue();
        assertThat(hdfs.exists(new Path("/data/car_info/_spark_metadata"))).isTrue();
        assertThat(hdfs.exists(new Path("/data/car_info/event_date=2026-11-20")))
                .isTrue();
        assertThat(hdfs.exists(new Path("/data/car_info/event_date=2026-11-21")))
                .isTrue();
        await().atMost(DEADLINE)
                .until(() -> jdbc.queryForObject(
                                "SELECT count(*) FROM dead_letter WHERE pipeline = ? AND topic = ?",
                                Long.class,
                                HDFS_PIPELINE,
                                HDFS_TOPIC)
                        >= 2);
        // Each rejected record keeps its raw value, as it came from Kafka.
        assertThat(jdbc.queryForList(
                        "SELECT reason || ' ' || convert_from(raw_value, 'UTF8') FROM dead_letter"
                                + " WHERE pipeline = ? AND topic = ? ORDER BY reason",
                        String.class,
                        HDFS_PIPELINE,
                        HDFS_TOPIC))
                .containsExactly("MALFORMED_JSON {\"dataId\": ", "MISSING_DATA_ID {\"trmnId\": \"T1\"}");
        // And its key.
        assertThat(jdbc.queryForList(
                        "SELECT reason || ' ' || convert_from(raw_key, 'UTF8') FROM dead_letter"
                                + " WHERE pipeline = ? AND topic = ? ORDER BY reason",
                        String.class,
                        HDFS_PIPELINE,
                        HDFS_TOPIC))
                .containsExactly("MALFORMED_JSON terminal-120", "MISSING_DATA_ID terminal-121");

        assertThat(post("/api/queries/" + HDFS_PIPELINE + "/stop").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        List<CarInfoEvent> second = CarInfoPostgresIT.events(run, 120, 80).stream()
                .map(e -> shifted(e, Instant.parse("2026-11-20T23:50:00Z")))
                .toList();
        produce(HDFS_TOPIC, CarInfoPostgresIT.json(second));
        assertThat(post("/api/queries/" + HDFS_PIPELINE + "/start").getStatusCode())
                .isEqualTo(HttpStatus.OK);

        Map<String, CarInfoEvent> expected = CarInfoPostgresIT.byId(first);
        expected.putAll(CarInfoPostgresIT.byId(second));
        await().atMost(DEADLINE).until(() -> parquetRows(run).count() == expected.size());
        assertParquetHolds(run, expected);
        assertThat(parquetRows(run).select("dataId").distinct().count()).isEqualTo(expected.size());
        assertThat(jdbc.queryForObject(
                        "SELECT count(*) FROM dead_letter WHERE pipeline = ? AND topic = ?",
                        Long.class,
                        HDFS_PIPELINE,
                        HDFS_TOPIC))
                .isEqualTo(2);
    }

    private Dataset<Row> parquetRows(String run) {
        // Spark reads through _spark_metadata: only files of committed batches.
        return spark.read()
                .parquet(path())
                .filter(col("dataId").startsWith(run).and(not(col("dataId").endsWith("-no-gps"))));
    }

    private String path() {
        return pipeline.definition().sink().path();
    }

    private void assertParquetHolds(String run, Map<String, CarInfoEvent> expected) {
        List<Row> rows = parquetRows(run).collectAsList();
        assertThat(rows).hasSize(expected.size());
        for (Row row : rows) {
            CarInfoEvent event = expected.get(row.<String>getAs("dataId"));
            assertThat(event).isNotNull();
            assertThat(row.<String>getAs("trmnId")).isEqualTo(event.trmnId());
            assertThat(row.<Integer>getAs("trsmDy")).isEqualTo(event.trsmDy());
            assertThat(row.<Double>getAs("vhcleLot")).isEqualTo(event.vhcleLot());
            assertThat(row.<Double>getAs("vhcleLat")).isEqualTo(event.vhcleLat());
            assertThat(row.<Double>getAs("vhcleSped")).isEqualTo(event.vhcleSped());
            assertThat(row.<Double>getAs("vhcleDrc")).isEqualTo(event.vhcleDrc());
            assertThat(row.<Double>getAs("gpsUtcTime")).isEqualTo(event.gpsUtcTime());
            assertThat(row.<String>getAs("trsmTm")).isEqualTo(event.trsmTm());
            assertThat(row.<String>getAs("rgtrId")).isEqualTo(event.rgtrId());
            assertThat(row.<java.sql.Timestamp>getAs("regDt")).isNotNull();
            LocalDate eventDate = Instant.ofEpochMilli(Math.round(event.gpsUtcTime() * 1000))
                    .atZone(ZoneOffset.UTC)
                    .toLocalDate();
            assertThat(row.<java.sql.Date>getAs(BuiltInDefinitions.EVENT_DATE).toLocalDate())
                    .isEqualTo(eventDate);
        }
    }

    private static CarInfoEvent shifted(CarInfoEvent event, Instant base) {
        int index = Integer.parseInt(event.dataId().substring(event.dataId().lastIndexOf('-') + 1));
        Instant at = base.plusSeconds(index * 7L);
        return CarInfoEvent.of(
                event.dataId(),
                event.trmnId(),
                at,
                event.vhcleLot(),
                event.vhcleLat(),
                event.vhcleSped(),
                event.vhcleDrc(),
                event.vhcleTypeCd());
    }
}
