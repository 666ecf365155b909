package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.BatchOutcome;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.pipeline.WriteMethod;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.TestSpark;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The PostgreSQL sinks against a real database, by each write method: what a replayed or
 * overlapping micro-batch leaves in the table, and what the sink reports of it.
 */
class PostgresSinkIT extends IntegrationTest {

    /** The sink's input: the Kafka record, the reject reason and detail, then the table's columns. */
    private static final StructType INPUT = TestSpark.KAFKA_RECORD
            .add("reject_reason", DataTypes.StringType)
            .add("reject_detail", DataTypes.StringType)
            .add("data_id", DataTypes.StringType)
            .add("speed", DataTypes.DoubleType)
            .add("seen_at", DataTypes.TimestampType);

    private static final List<String> COLUMNS = List.of("data_id", "speed", "seen_at");

    private static final Instant AT = Instant.parse("2026-11-21T10:00:00Z");

    @Autowired
    private SparkSession spark;

    @Autowired
    private JdbcTarget configured;

    @ParameterizedTest
    @EnumSource(WriteMethod.class)
    void aReplayedBatchAddsNothingAndAnOverlappingOneOnlyItsNewKeys(WriteMethod method) {
        Fixture fixture = fixture("sink", method);
        String table = fixture.table();
        String pipeline = fixture.pipeline();
        PostgresSink sink = fixture.sink();

        BatchOutcome first = sink.write(batch(0, 3_000, 2));
        BatchOutcome replayed = sink.write(batch(0, 3_000, 2));
        BatchOutcome overlapping = sink.write(batch(2_000, 5_000, 0));

        assertThat(first).isEqualTo(new BatchOutcome(3_000, 0, Map.of("BAD_SPEED", 2L)));
        assertThat(replayed).isEqualTo(new BatchOutcome(0, 3_000, Map.of("BAD_SPEED", 2L)));
        assertThat(overlapping).isEqualTo(new BatchOutcome(2_000, 1_000, Map.of()));
        assertThat(jdbc.queryForObject("SELECT count(*) FROM " + table, Long.class))
                .isEqualTo(5_000);
        assertThat(jdbc.queryForObject("SELECT count(DISTINCT data_id) FROM " + table, Long.class))
                .isEqualTo(5_000);
        assertThat(jdbc.queryForObject(
                        "SELECT speed || ' ' || to_char(seen_at AT TIME ZONE 'UTC', 'HH24:MI:SS')" + " FROM " + table
                                + " WHERE data_id = 'k4321'",
                        String.class))
                .isEqualTo("43.21 11:12:01");
        assertThat(jdbc.queryForList(
                        "SELECT kafka_offset || ' ' || reason || ' ' || convert_from(raw_value, 'UTF8')"
                                + " FROM dead_letter WHERE pipeline = ? ORDER BY kafka_offset",
                        String.class,
                        pipeline))
                .containsExactly("3000 BAD_SPEED raw-3000", "3001 BAD_SPEED raw-3001");
    }

    @ParameterizedTest
    @EnumSource(WriteMethod.class)
    void largePartitionsOfRowsAndDeadLettersInTurnAreWrittenExactlyOnce(WriteMethod method) {
        Fixture fixture = fixture("interleaved", method);
        String table = fixture.table();
        String pipeline = fixture.pipeline();
        PostgresSink sink = fixture.sink();

        BatchOutcome first = sink.write(interleaved(0, 150_000));
        BatchOutcome replayed = sink.write(interleaved(0, 150_000));
        BatchOutcome overlapping = sink.write(interleaved(120_000, 180_000));

        assertThat(first).isEqualTo(new BatchOutcome(100_000, 0, Map.of("BAD_SPEED", 50_000L)));
        assertThat(replayed).isEqualTo(new BatchOutcome(0, 100_000, Map.of("BAD_SPEED", 50_000L)));
        assertThat(overlapping).isEqualTo(new BatchOutcome(20_000, 20_000, Map.of("BAD_SPEED", 20_000L)));
        assertThat(jdbc.queryForObject("SELECT count(*) FROM " + table, Long.class))
                .isEqualTo(120_000);
        assertThat(jdbc.queryForObject("SELECT sum(speed * 100)::bigint FROM " + table, Long.class))
                .isEqualTo(java.util.stream.LongStream.range(0, 180_000)
                        .filter(i -> i % 3 != 2)
                        .sum());
        assertThat(jdbc.queryForObject("SELECT count(*) FROM dead_letter WHERE pipeline = ?", Long.class, pipeline))
                .isEqualTo(60_000);
    }

    @ParameterizedTest
    @EnumSource(WriteMethod.class)
    void anUpsertReplacesTheValuesOfExistingKeys(WriteMethod method) {
        String table = freshTable("upsert_" + method.name().toLowerCase());
        PostgresSink sink = new PostgresSink(
                target(method),
                "sink-it-upsert",
                new PostgresSink.Table(table, COLUMNS, List.of("data_id"), PostgresSink.Conflict.UPDATE),
                "dead_letter");

        assertThat(sink.writeResults(batch(0, 2_000, 0).select("data_id", "speed", "seen_at"))
                        .rowsWritten())
                .isEqualTo(2_000);
        assertThat(sink.writeResults(batch(1_000, 3_000, 0).selectExpr("data_id", "speed * 2 AS speed", "seen_at"))
                        .rowsWritten())
                .isEqualTo(2_000);

        assertThat(jdbc.queryForObject("SELECT count(*) FROM " + table, Long.class))
                .isEqualTo(3_000);
        assertThat(jdbc.queryForObject("SELECT speed FROM " + table + " WHERE data_id = 'k999'", Double.class))
                .isEqualTo(9.99);
        assertThat(jdbc.queryForObject("SELECT speed FROM " + table + " WHERE data_id = 'k1500'", Double.class))
                .isEqualTo(30.0);
    }

    /** A sink into a fresh table, as a pipeline with no dead letters left from an earlier run. */
    private record Fixture(String table, String pipeline, PostgresSink sink) {}

    private Fixture fixture(String name, WriteMethod method) {
        String suffix = method.name().toLowerCase();
        String table = freshTable(name + "_" + suffix);
        String pipeline = "sink-it-" + name + "-" + suffix;
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = ?", pipeline);
        return new Fixture(
                table,
                pipeline,
                new PostgresSink(
                        target(method),
                        pipeline,
                        new PostgresSink.Table(table, COLUMNS, List.of("data_id"), PostgresSink.Conflict.IGNORE),
                        "dead_letter"));
    }

    /** Creates the table afresh, keyed on {@code data_id}, with {@link #COLUMNS}. */
    private String freshTable(String table) {
        jdbc.execute("DROP TABLE IF EXISTS " + table);
        jdbc.execute("CREATE TABLE " + table
                + " (data_id varchar(64) PRIMARY KEY, speed double precision, seen_at timestamptz)");
        return table;
    }

    private JdbcTarget target(WriteMethod method) {
        return new JdbcTarget(configured.url(), configured.username(), configured.password(), 2, method);
    }

    /**
     * Offsets {from}..{to - 1} over two partitions, each third one a dead letter, the others
     * accepted rows with keys k{offset}: partitions of megabytes of both, in turn.
     */
    private Dataset<Row> interleaved(int from, int to) {
        List<Row> rows = new ArrayList<>();
        for (int i = from; i < to; i++) {
            byte[] raw = ("raw-" + i).getBytes(StandardCharsets.UTF_8);
            rows.add(
                    i % 3 == 2
                            ? RowFactory.create(
                                    "t",
                                    0,
                                    (long) i,
                                    Timestamp.from(AT),
                                    raw,
                                    "BAD_SPEED",
                                    "speed is bad",
                                    null,
                                    null,
                                    null)
                            : RowFactory.create(
                                    "t",
                                    0,
                                    (long) i,
                                    Timestamp.from(AT),
                                    raw,
                                    null,
                                    null,
                                    "k" + i,
                                    i / 100.0,
                                    Timestamp.from(AT.plusSeconds(i))));
        }
        return spark.createDataFrame(rows, INPUT).repartition(2);
    }

    /** Accepted rows with keys k{from}..k{to - 1}, then {@code rejected} dead letters; over three partitions. */
    private Dataset<Row> batch(int from, int to, int rejected) {
        List<Row> rows = new ArrayList<>();
        for (int i = from; i < to; i++) {
            rows.add(RowFactory.create(
                    "t",
                    0,
                    (long) i,
                    Timestamp.from(AT),
                    ("raw-" + i).getBytes(StandardCharsets.UTF_8),
                    null,
                    null,
                    "k" + i,
                    i / 100.0,
                    Timestamp.from(AT.plusSeconds(i))));
        }
        for (int i = to; i < to + rejected; i++) {
            rows.add(RowFactory.create(
                    "t",
                    0,
                    (long) i,
                    Timestamp.from(AT),
                    ("raw-" + i).getBytes(StandardCharsets.UTF_8),
                    "BAD_SPEED",
                    "speed is bad",
                    null,
                    null,
                    null));
        }
        return spark.createDataFrame(rows, INPUT).repartition(3);
    }
}
