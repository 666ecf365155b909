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
import java.util.Collections;
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
    private static final StructType INPUT = TestSpark.DECIDED_RECORD
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

    /**
     * A keyed table takes a partition's rows a chunk per transaction: another session sees rows
     * and dead letters while the partition is still being written, and a partition that fails
     * half-way and is written again ends with each row and dead letter once. A table without a
     * key, or a target that asks for it, takes the partition in one transaction.
     */
    @ParameterizedTest
    @EnumSource(WriteMethod.class)
    void keyedTablesCommitChunkByChunkAndAReplayAfterAFailureEndsTheSame(WriteMethod method) throws Exception {
        String suffix = method.name().toLowerCase();
        String keyed = freshTable("chunks_keyed_" + suffix);
        String unkeyed = "chunks_unkeyed_" + suffix;
        jdbc.execute("DROP TABLE IF EXISTS public." + unkeyed);
        jdbc.execute("CREATE TABLE public." + unkeyed + " (data_id varchar(64), speed double precision,"
                + " seen_at timestamptz)");
        String pipeline = "sink-it-chunks-" + suffix;
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = ?", pipeline);
        PostgresSink.Table keyedTable =
                new PostgresSink.Table(keyed, COLUMNS, List.of("data_id"), PostgresSink.Conflict.UPDATE);

        // Seen from another session at the 30,000th row, 10,000 of them dead letters.
        long[] seen = visibleWhileWriting(
                new PostgresSink(target(method), pipeline, keyedTable, "sluice.dead_letter"),
                keyed,
                pipeline,
                30_000,
                -1);
        assertThat(seen[0]).as("rows committed before the partition's end").isPositive();
        assertThat(seen[1]).as("dead letters committed with them").isPositive();
        assertThat(count(keyed)).isEqualTo(40_000);

        // It fails at its 45,000th row, after chunks were committed; then it is written again whole.
        jdbc.execute("TRUNCATE public." + keyed);
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = ?", pipeline);
        PostgresSink failing = new PostgresSink(target(method), pipeline, keyedTable, "sluice.dead_letter");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> visibleWhileWriting(failing, keyed, pipeline, 30_000, 45_000))
                .hasMessageContaining("the source failed");
        assertThat(count(keyed)).as("chunks committed before the failure").isBetween(1L, 29_999L);
        assertThat(failing.writeRows(chunkRows(60_000, -1)))
                .isEqualTo(new BatchOutcome(40_000, 0, Map.of("BAD_SPEED", 20_000L)));
        assertThat(count(keyed)).isEqualTo(40_000);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM dead_letter WHERE pipeline = ?", Long.class, pipeline))
                .isEqualTo(20_000);
        assertThat(jdbc.queryForObject("SELECT sum(speed * 100)::bigint FROM " + keyed, Long.class))
                .isEqualTo(java.util.stream.LongStream.range(0, 60_000)
                        .filter(i -> i % 3 != 2)
                        .sum());

        // No key: one transaction, so nothing is seen before the end.
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = ?", pipeline);
        long[] appended = visibleWhileWriting(
                new PostgresSink(
                        target(method),
                        pipeline,
                        new PostgresSink.Table(unkeyed, COLUMNS, List.of(), PostgresSink.Conflict.IGNORE),
                        "sluice.dead_letter"),
                unkeyed,
                pipeline,
                30_000,
                -1);
        assertThat(appended).containsExactly(0, 0);
        assertThat(count(unkeyed)).isEqualTo(40_000);

        // A target that asks for one transaction per partition gets it for a keyed table too.
        jdbc.execute("TRUNCATE public." + keyed);
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = ?", pipeline);
        JdbcTarget whole = new JdbcTarget(
                configured.url(), configured.username(), configured.password(), 2, method, "public", false);
        assertThat(visibleWhileWriting(
                        new PostgresSink(whole, pipeline, keyedTable, "sluice.dead_letter"),
                        keyed,
                        pipeline,
                        30_000,
                        -1))
                .containsExactly(0, 0);
        assertThat(count(keyed)).isEqualTo(40_000);
    }

    /**
     * Writes a partition of 60,000 rows ({@link #chunkRows}) and, at row {@code at}, counts from
     * another session the table's rows and the pipeline's dead letters.
     */
    private long[] visibleWhileWriting(PostgresSink sink, String table, String pipeline, int at, int failAt)
            throws Exception {
        long[] seen = new long[2];
        java.util.Iterator<Row> rows = chunkRows(60_000, failAt);
        java.util.Iterator<Row> watched = new java.util.Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                if (next++ == at) {
                    seen[0] = count(table);
                    seen[1] = jdbc.queryForObject(
                            "SELECT count(*) FROM dead_letter WHERE pipeline = ?", Long.class, pipeline);
                }
                return rows.next();
            }
        };
        sink.writeRows(watched);
        return seen;
    }

    /** Rows k0.. of offsets 0..{@code rows - 1}, each third a dead letter; failing at {@code failAt} (or never: -1). */
    private static java.util.Iterator<Row> chunkRows(int rows, int failAt) {
        return java.util.stream.IntStream.range(0, rows)
                .mapToObj(i -> {
                    if (i == failAt) {
                        throw new IllegalStateException("the source failed at row " + i);
                    }
                    return interleavedRow(i);
                })
                .iterator();
    }

    private long count(String table) {
        return jdbc.queryForObject("SELECT count(*) FROM public." + table, Long.class);
    }

    @ParameterizedTest
    @EnumSource(WriteMethod.class)
    void anUpsertReplacesTheValuesOfExistingKeys(WriteMethod method) {
        String table = freshTable("upsert_" + method.name().toLowerCase());
        PostgresSink sink = new PostgresSink(
                target(method),
                "sink-it-upsert",
                new PostgresSink.Table(table, COLUMNS, List.of("data_id"), PostgresSink.Conflict.UPDATE),
                "sluice.dead_letter");

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

    /**
     * A keyed table fed raw events, many per key in one micro-batch: one row per key, the last in
     * Kafka order; with a version column, the greatest version, whatever the order and partition
     * they come in, and never older than the row already stored.
     */
    @ParameterizedTest
    @EnumSource(WriteMethod.class)
    void latestStateUpsertsKeepOneRowPerKeyTheLastOrTheGreatestVersion(WriteMethod method) {
        String last = freshTable("latest_" + method.name().toLowerCase());
        String versioned = freshTable("versioned_" + method.name().toLowerCase());
        jdbc.update("INSERT INTO " + versioned + " VALUES ('T2', 99, ?)", Timestamp.from(AT.plusSeconds(30)));
        List<Row> events = new ArrayList<>();
        // T1 at 5, 9, 7 s; T2 at 20 s (older than the stored 30 s); T3 at 1..400 s, newest last.
        int[][] t1 = {{5, 1}, {9, 2}, {7, 3}};
        for (int[] event : t1) {
            events.add(event(events.size(), "T1", event[1], event[0]));
        }
        events.add(event(events.size(), "T2", 4, 20));
        for (int i = 1; i <= 400; i++) {
            events.add(event(events.size(), "T3", i, i));
        }
        Dataset<Row> oneBatch = spark.createDataFrame(events, INPUT).coalesce(1);

        BatchOutcome lastOutcome = new PostgresSink(
                        target(method),
                        "sink-it-latest",
                        new PostgresSink.Table(last, COLUMNS, List.of("data_id"), PostgresSink.Conflict.UPDATE),
                        "sluice.dead_letter")
                .write(oneBatch);
        PostgresSink byVersion = new PostgresSink(
                target(method),
                "sink-it-versioned",
                new PostgresSink.Table(versioned, COLUMNS, List.of("data_id"), PostgresSink.Conflict.UPDATE, "seen_at"),
                "sluice.dead_letter");
        byVersion.write(oneBatch);
        // The same events again, spread over three partitions in another order: nothing changes.
        List<Row> reversed = new ArrayList<>(events);
        Collections.reverse(reversed);
        byVersion.write(spark.createDataFrame(reversed, INPUT).repartition(3));

        assertThat(lastOutcome.rowsWritten()).isEqualTo(3);
        assertThat(jdbc.queryForList("SELECT data_id || ' ' || speed FROM " + last + " ORDER BY data_id", String.class))
                .containsExactly("T1 3", "T2 4", "T3 400");
        assertThat(jdbc.queryForList(
                        "SELECT data_id || ' ' || speed || ' ' || extract(epoch FROM seen_at - ?::timestamptz)"
                                + " FROM " + versioned + " ORDER BY data_id",
                        String.class,
                        Timestamp.from(AT)))
                .containsExactly("T1 2 9.000000", "T2 99 30.000000", "T3 400 400.000000");
    }

    /**
     * A table with constraints of its own, fed rows some of which it refuses: each refused row is a
     * dead letter saying why, every other row is stored, in the same transaction; a replay adds
     * nothing twice.
     */
    @ParameterizedTest
    @EnumSource(WriteMethod.class)
    void rowsTheTableRefusesBecomeDeadLettersAndTheRestAreWritten(WriteMethod method) {
        String table = "refusing_" + method.name().toLowerCase();
        String pipeline = "sink-it-refusing-" + method.name().toLowerCase();
        jdbc.execute("DROP TABLE IF EXISTS public." + table);
        jdbc.execute("CREATE TABLE public." + table + " (data_id varchar(8) PRIMARY KEY,"
                + " speed double precision CONSTRAINT speed_below_1000 CHECK (speed < 1000),"
                + " seen_at timestamptz NOT NULL)");
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = ?", pipeline);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            String key = i == 1_234 ? "k-far-too-long" : "k" + i;
            double speed = i == 10 || i == 2_999 ? 5_000 : i % 100;
            Timestamp seen = i == 2_000 ? null : Timestamp.from(AT.plusSeconds(i));
            rows.add(accepted(i, key, speed, seen));
        }
        PostgresSink sink = new PostgresSink(
                target(method),
                pipeline,
                new PostgresSink.Table(table, COLUMNS, List.of("data_id"), PostgresSink.Conflict.IGNORE),
                "sluice.dead_letter");

        BatchOutcome first = sink.write(spark.createDataFrame(rows, INPUT).coalesce(1));
        BatchOutcome replayed = sink.write(spark.createDataFrame(rows, INPUT).repartition(2));

        assertThat(first).isEqualTo(new BatchOutcome(2_996, 0, Map.of(PostgresSink.WRITE_REJECTED, 4L)));
        assertThat(replayed).isEqualTo(new BatchOutcome(0, 2_996, Map.of(PostgresSink.WRITE_REJECTED, 4L)));
        assertThat(jdbc.queryForObject("SELECT count(*) FROM " + table, Long.class))
                .isEqualTo(2_996);
        assertThat(jdbc.queryForObject(
                        "SELECT count(*) FROM " + table + " WHERE data_id IN ('k9', 'k11', 'k1233', 'k1235', 'k2998')",
                        Long.class))
                .isEqualTo(5);
        assertThat(jdbc.queryForList(
                        "SELECT kafka_offset || ' ' || reason || ' ' || detail || ' ' || convert_from(raw_value, 'UTF8')"
                                + " FROM dead_letter WHERE pipeline = ? ORDER BY kafka_offset",
                        String.class,
                        pipeline))
                .satisfiesExactly(
                        check -> assertThat(check)
                                .startsWith("10 WRITE_REJECTED SQLSTATE 23514, constraint speed_below_1000: ")
                                .endsWith(" raw-10"),
                        tooLong -> assertThat(tooLong)
                                .startsWith("1234 WRITE_REJECTED SQLSTATE 22001")
                                .contains("value too long for type character varying(8)")
                                .endsWith(" raw-1234"),
                        notNull -> assertThat(notNull)
                                .startsWith("2000 WRITE_REJECTED SQLSTATE 23502")
                                .contains("seen_at")
                                .endsWith(" raw-2000"),
                        last -> assertThat(last).startsWith("2999 WRITE_REJECTED SQLSTATE 23514"));
        // Each keeps its Kafka record's key, for a replay to send it to its key's partition.
        assertThat(jdbc.queryForList(
                        "SELECT convert_from(raw_key, 'UTF8') FROM dead_letter WHERE pipeline = ? ORDER BY kafka_offset",
                        String.class,
                        pipeline))
                .containsExactly("kafka-key-10", "kafka-key-1234", "kafka-key-2000", "kafka-key-2999");
    }

    /**
     * Result rows (an aggregate's, a join's: no one record's) the table refuses: each is a dead
     * letter with the row as JSON, the rest are stored; a replayed batch keeps each refused row once.
     */
    @ParameterizedTest
    @EnumSource(WriteMethod.class)
    void resultRowsTheTableRefusesBecomeDeadLettersOnce(WriteMethod method) {
        String table = "refusing_results_" + method.name().toLowerCase();
        String pipeline = "sink-it-refusing-results-" + method.name().toLowerCase();
        jdbc.execute("DROP TABLE IF EXISTS public." + table);
        jdbc.execute("CREATE TABLE public." + table + " (data_id varchar(8) PRIMARY KEY,"
                + " speed double precision CONSTRAINT result_speed_below_1000 CHECK (speed < 1000),"
                + " seen_at timestamptz)");
        jdbc.update("DELETE FROM dead_letter WHERE pipeline = ?", pipeline);
        PostgresSink sink = new PostgresSink(
                target(method),
                pipeline,
                new PostgresSink.Table(table, COLUMNS, List.of("data_id"), PostgresSink.Conflict.UPDATE),
                "sluice.dead_letter");
        Dataset<Row> results = batch(0, 500, 0)
                .selectExpr(
                        "data_id",
                        "CASE WHEN data_id IN ('k7', 'k300') THEN 5000.0 ELSE speed END AS speed",
                        "seen_at");

        BatchOutcome first = sink.writeResults(results.coalesce(1));
        BatchOutcome replayed = sink.writeResults(results.repartition(3));

        assertThat(first).isEqualTo(new BatchOutcome(498, 0, Map.of(PostgresSink.WRITE_REJECTED, 2L)));
        assertThat(replayed.deadLetters()).isEqualTo(Map.of(PostgresSink.WRITE_REJECTED, 2L));
        assertThat(jdbc.queryForObject("SELECT count(*) FROM " + table, Long.class))
                .isEqualTo(498);
        assertThat(jdbc.queryForList(
                        "SELECT topic || ' ' || reason || ' ' || convert_from(raw_value, 'UTF8') FROM dead_letter"
                                + " WHERE pipeline = ? ORDER BY convert_from(raw_value, 'UTF8')",
                        String.class,
                        pipeline))
                .satisfiesExactly(
                        k300 -> assertThat(k300)
                                .startsWith(
                                        "result:" + table + " WRITE_REJECTED {\"data_id\":\"k300\",\"speed\":5000.0"),
                        k7 -> assertThat(k7)
                                .startsWith(
                                        "result:" + table + " WRITE_REJECTED {\"data_id\":\"k7\",\"speed\":5000.0"));
        assertThat(jdbc.queryForList("SELECT detail FROM dead_letter WHERE pipeline = ?", String.class, pipeline))
                .allSatisfy(
                        detail -> assertThat(detail).startsWith("SQLSTATE 23514, constraint result_speed_below_1000"));
    }

    private static Row event(int offset, String key, double speed, int second) {
        return accepted(offset, key, speed, Timestamp.from(AT.plusSeconds(second)));
    }

    /**
     * An accepted record's row: the Kafka record (value {@code raw-<offset>}, key {@code
     * kafka-key-<offset>}), no reason, the table's columns.
     */
    private static Row accepted(long offset, String key, Double speed, Timestamp seen) {
        return RowFactory.create(
                "t",
                0,
                offset,
                Timestamp.from(AT),
                ("raw-" + offset).getBytes(StandardCharsets.UTF_8),
                null,
                null,
                ("kafka-key-" + offset).getBytes(StandardCharsets.UTF_8),
                key,
                speed,
                seen);
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
                        "sluice.dead_letter"));
    }

    /** Creates the table afresh, keyed on {@code data_id}, with {@link #COLUMNS}. */
    private String freshTable(String table) {
        jdbc.execute("DROP TABLE IF EXISTS public." + table);
        jdbc.execute("CREATE TABLE public." + table
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
            rows.add(interleavedRow(i));
        }
        return spark.createDataFrame(rows, INPUT).repartition(2);
    }

    /** Offset {@code i}: each third a dead letter, the others an accepted row with key k{i}. */
    private static Row interleavedRow(int i) {
        byte[] raw = ("raw-" + i).getBytes(StandardCharsets.UTF_8);
        return i % 3 == 2
                ? RowFactory.create(
                        "t", 0, (long) i, Timestamp.from(AT), raw, "BAD_SPEED", "speed is bad", null, null, null, null)
                : accepted(i, "k" + i, i / 100.0, Timestamp.from(AT.plusSeconds(i)));
    }

    /** Accepted rows with keys k{from}..k{to - 1}, then {@code rejected} dead letters; over three partitions. */
    private Dataset<Row> batch(int from, int to, int rejected) {
        List<Row> rows = new ArrayList<>();
        for (int i = from; i < to; i++) {
            rows.add(accepted(i, "k" + i, i / 100.0, Timestamp.from(AT.plusSeconds(i))));
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
                    null,
                    null));
        }
        return spark.createDataFrame(rows, INPUT).repartition(3);
    }
}
