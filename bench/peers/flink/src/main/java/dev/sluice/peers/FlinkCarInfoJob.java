package dev.sluice.peers;

import java.io.Serializable;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.jdbc.JdbcConnectionOptions;
import org.apache.flink.connector.jdbc.JdbcExactlyOnceOptions;
import org.apache.flink.connector.jdbc.JdbcExecutionOptions;
import org.apache.flink.connector.jdbc.core.datastream.sink.JdbcSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.json.JsonDeserializationSchema;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.postgresql.xa.PGXADataSource;

/**
 * The Flink job a team would write for Sluice's built-in PostgreSQL pipeline, as Flink's docs
 * recommend: a KafkaSource from the earliest offsets, flink-json into a POJO of the seven stored
 * fields, and Flink's JDBC sink upserting on {@code data_id}, with parallelism 2. Exactly-once
 * ({@code xa}) uses the XA sink with a transaction per connection, no retries and a checkpoint a
 * second; at-least-once ({@code batch}) sends batches of 5,000 rows or every 200 ms with
 * {@code reWriteBatchedInserts}. It does less than Sluice per record: no range checks and no dead
 * letters (a malformed record stops the job).
 *
 * <p>Arguments: bootstrap servers, topic, JDBC URL, user, password, {@code xa} or {@code batch}.
 */
public final class FlinkCarInfoJob {

    static final String UPSERT = "INSERT INTO car_info_table (data_id, trmncd, detclot, detclat, gpsutctime,"
            + " vhclesped, vhcletypecd) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (data_id) DO UPDATE SET"
            + " trmncd = EXCLUDED.trmncd, detclot = EXCLUDED.detclot, detclat = EXCLUDED.detclat,"
            + " gpsutctime = EXCLUDED.gpsutctime, vhclesped = EXCLUDED.vhclesped, vhcletypecd = EXCLUDED.vhcletypecd";

    /** The seven stored fields of a car_info event; the others are ignored. */
    public static class CarInfo implements Serializable {
        public String dataId;
        public String trmnId;
        public Double vhcleLot;
        public Double vhcleLat;
        public Double gpsUtcTime;
        public Double vhcleSped;
        public String vhcleTypeCd;
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        String url = args[2];
        String user = args[3];
        String password = args[4];
        boolean exactlyOnce = args[5].equals("xa");

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        if (exactlyOnce) {
            env.enableCheckpointing(1000);
        }
        KafkaSource<CarInfo> source = KafkaSource.<CarInfo>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(topic)
                .setGroupId("flink-car-info")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setValueOnlyDeserializer(new JsonDeserializationSchema<>(
                        CarInfo.class,
                        () -> new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)))
                .build();
        JdbcExecutionOptions execution = JdbcExecutionOptions.builder()
                .withBatchSize(5000)
                .withBatchIntervalMs(200)
                .withMaxRetries(exactlyOnce ? 0 : 3)
                .build();
        var sink = JdbcSink.<CarInfo>builder()
                .withExecutionOptions(execution)
                .withQueryStatement(UPSERT, FlinkCarInfoJob::bind);
        JdbcSink<CarInfo> jdbc = exactlyOnce
                ? sink.buildExactlyOnce(
                        JdbcExactlyOnceOptions.builder()
                                .withTransactionPerConnection(true)
                                .build(),
                        () -> {
                            PGXADataSource xa = new PGXADataSource();
                            xa.setUrl(url);
                            xa.setUser(user);
                            xa.setPassword(password);
                            return xa;
                        })
                : sink.buildAtLeastOnce(new JdbcConnectionOptions.JdbcConnectionOptionsBuilder()
                        .withUrl(url + (url.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true")
                        .withDriverName("org.postgresql.Driver")
                        .withUsername(user)
                        .withPassword(password)
                        .build());
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "car_info").sinkTo(jdbc);
        env.execute("flink-car-info-" + args[5]);
    }

    private static void bind(PreparedStatement statement, CarInfo event) throws SQLException {
        statement.setString(1, event.dataId);
        statement.setString(2, event.trmnId);
        setDouble(statement, 3, event.vhcleLot);
        setDouble(statement, 4, event.vhcleLat);
        setDouble(statement, 5, event.gpsUtcTime);
        setDouble(statement, 6, event.vhcleSped);
        statement.setString(7, event.vhcleTypeCd);
    }

    private static void setDouble(PreparedStatement statement, int index, Double value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.DOUBLE);
        } else {
            statement.setDouble(index, value);
        }
    }
}
