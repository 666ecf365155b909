package dev.sluice.bench;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.timestamp_seconds;
import static org.apache.spark.sql.functions.to_date;

import dev.sluice.definition.BuiltInDefinitions;
import dev.sluice.definition.DefinedPipeline;
import dev.sluice.definition.MemoryTables;
import dev.sluice.definition.PipelineDefinition;
import dev.sluice.definition.PipelineEnvironment;
import dev.sluice.pipeline.BatchListener;
import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.CarInfoSchema;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.pipeline.KafkaSource;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.support.CarInfoEvent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.flywaydb.core.Flyway;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * What every benchmark run works with: an in-process Kafka broker and PostgreSQL server (with
 * commit timestamps), a Spark session, the settings ({@code -Dbench.*}), and the plumbing runs share:
 * topics, producing and preloading events, the built-in pipelines on a topic of the benchmark's,
 * waiting for rows, and counting them.
 */
final class Bench implements AutoCloseable {

    static final int EVENTS = Integer.getInteger("bench.events", 500_000);
    static final int REPETITIONS = Integer.getInteger("bench.repetitions", 3);
    /**
     * Events of the warm-up pass, which runs every selected run once before the repetitions and is
     * not counted, so that no run is measured on a cold JVM (0: none).
     */
    static final int WARMUP_EVENTS = Integer.getInteger("bench.warmupEvents", Math.min(EVENTS, 200_000));

    static final int LATENCY_RATE = Integer.getInteger("bench.latencyRate", 5_000);
    static final int LATENCY_SECONDS = Integer.getInteger("bench.latencySeconds", 30);
    static final int PARTITIONS = Integer.getInteger("bench.partitions", 4);
    /** Records per micro-batch at most, for Sluice's pipelines and the baseline; none by default: one batch catches up. */
    static final Long MAX_OFFSETS_PER_TRIGGER = Long.getLong("bench.maxOffsetsPerTrigger");
    /** Where Spark runs: {@code local[N]} gives N task slots, whatever the cores. */
    static final String MASTER = System.getProperty("bench.master", "local[*]");
    /**
     * Which groups run ({@code postgres}, {@code parquet}, {@code defined}, {@code latency}; {@code stateful} only when named), or single runs:
     * {@code sluice-postgres}, {@code sluice-postgres-sql}, {@code jdbc}, {@code copy}, {@code parse}, {@code sluice-parquet}, {@code batch-parquet},
     * {@code defined-postgres}, {@code defined-postgres-general}, {@code defined-parquet},
     * {@code stateful-2}, {@code stateful-4}, {@code stateful-200}.
     */
    static final List<String> ONLY = List.of(
            System.getProperty("bench.only", "postgres,parquet,defined,latency").split(","));

    static final String SLUICE_POSTGRES = "PostgreSQL: Sluice (direct COPY)";
    static final String SLUICE_POSTGRES_POLL500 = "PostgreSQL: Sluice, 500 records a poll";
    static final String SLUICE_POSTGRES_SQL = "PostgreSQL: same sink, from_json parse";
    static final String JDBC_BASELINE = "PostgreSQL: write.jdbc baseline";
    static final String COPY_LIMIT = "PostgreSQL: raw COPY limit";
    static final String PARSE_CEILING = "Kafka read + parse, no sink (ceiling)";
    static final String SLUICE_PARQUET = "Parquet: Sluice streaming";
    static final String BATCH_LIMIT = "Parquet: Spark batch job limit";
    static final String DEFINED_POSTGRES = "PostgreSQL: defined pipeline (upsert)";
    static final String DEFINED_POSTGRES_GENERAL = "PostgreSQL: same definition, general shape";
    static final String DEFINED_PARQUET = "Parquet: defined pipeline";
    static final String TABLE = "car_info_table";
    /** The built-in Parquet pipeline's default {@code rows-per-file}. */
    static final long ROWS_PER_FILE = 250_000;
    /** The shuffle partitions the stateful runs compare (Spark's default is 200; Sluice's 4). */
    static final List<String> STATEFUL_SHUFFLE_PARTITIONS = List.of("2", "4", "200");

    final Path work;
    final EmbeddedKafkaKraftBroker kafka;
    final EmbeddedPostgres postgres;
    final SparkSession spark;
    final String url;
    /** The rows each run writes: the warm-up's events, then the measured events. */
    long expected = EVENTS;
    /** The preloaded events' stored fields as CSV, for the raw COPY. */
    byte[] copyCsv;

    Bench(Path work) throws IOException {
        this.work = work;
        kafka = new EmbeddedKafkaKraftBroker(1, PARTITIONS);
        kafka.afterPropertiesSet();
        postgres = EmbeddedPostgres.builder()
                .setServerConfig("track_commit_timestamp", "on")
                // Flink's exactly-once JDBC sink prepares its transactions (XA).
                .setServerConfig("max_prepared_transactions", "16")
                .start();
        url = postgres.getJdbcUrl("postgres", "postgres");
        Flyway.configure()
                .dataSource(url, "postgres", "postgres")
                .locations("classpath:db/sluice")
                .schemas("sluice")
                .placeholders(Map.of("dead_letter_table", "dead_letter"))
                .load()
                .migrate();
        // The built-in pipeline's table, as it makes it; made here so every run finds it.
        try (Connection connection = DriverManager.getConnection(url, "postgres", "postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + TABLE + " (data_id text NOT NULL PRIMARY KEY, trmncd text,"
                    + " detclot double precision, detclat double precision, gpsutctime double precision,"
                    + " vhclesped double precision, vhcletypecd text)");
        } catch (SQLException e) {
            throw new IOException("Could not make the table " + TABLE, e);
        }
        spark = SparkSession.builder()
                .config("spark.master", MASTER)
                .appName("sluice-bench")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }

    @Override
    public void close() throws IOException {
        spark.stop();
        PostgresSink.closeConnections();
        postgres.close();
        kafka.destroy();
    }

    static BatchListener counting(AtomicLong written) {
        return (pipeline, batchId, outcome, writeTime) -> written.addAndGet(outcome.rowsWritten());
    }

    void awaitRows(Supplier<Long> rows, StreamingQuery query) {
        awaitRows(rows, query, expected);
    }

    void awaitRows(Supplier<Long> rows, StreamingQuery query, long expected) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
        while (rows.get() < expected) {
            if (!query.isActive()) {
                throw new IllegalStateException("The query stopped: " + query.exception());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Not all rows arrived in 15 minutes: " + rows.get());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    /** Sluice's built-in PostgreSQL pipeline, its definition from the default settings, on a topic of the benchmark's. */
    DefinedPipeline builtInPostgres(String name, String topic) throws IOException {
        return builtInPostgres(name, topic, Map.of());
    }

    /** The same, its Kafka reader with these consumer settings. */
    DefinedPipeline builtInPostgres(String name, String topic, Map<String, String> kafkaProperties) throws IOException {
        PipelineDefinition definition = BuiltInDefinitions.carInfoToPostgres(
                new BuiltInDefinitions.Settings(
                        name, false, topic, "earliest", MAX_OFFSETS_PER_TRIGGER, true, Duration.ofSeconds(1)),
                TABLE,
                CarInfoLimits.DEFAULT);
        return new DefinedPipeline(definition, DefinedPipeline.Origin.BUILT_IN, environment(name, kafkaProperties));
    }

    /** The built-in Parquet pipeline's columns: every car_info field, and the event's date. */
    static Column[] eventColumns() {
        List<Column> columns = new ArrayList<>();
        for (String field : CarInfoSchema.SCHEMA.fieldNames()) {
            columns.add(col(CarInfoParser.CAR + "." + field).as(field));
        }
        columns.add(coalesce(
                        to_date(timestamp_seconds(col(CarInfoParser.CAR + ".gpsUtcTime"))), to_date(col("timestamp")))
                .as(BuiltInDefinitions.EVENT_DATE));
        return columns.toArray(Column[]::new);
    }

    PipelineEnvironment environment(String name) throws IOException {
        return environment(name, Map.of());
    }

    PipelineEnvironment environment(String name, Map<String, String> kafkaProperties) throws IOException {
        return new PipelineEnvironment(
                kafka.getBrokersAsString(),
                kafkaProperties,
                Files.createTempDirectory(work, name).toString(),
                new JdbcTarget(url, "postgres", "postgres", 4),
                "sluice.dead_letter",
                new MemoryTables());
    }

    KafkaSource source(String topic) {
        return new KafkaSource(kafka.getBrokersAsString(), topic, "earliest", MAX_OFFSETS_PER_TRIGGER, true, Map.of());
    }

    String checkpoint(String name) throws IOException {
        return Files.createTempDirectory(work, name).toString();
    }

    void createTopic(String topic) throws Exception {
        try (AdminClient admin = AdminClient.create(Map.of("bootstrap.servers", kafka.getBrokersAsString()))) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /** Sends the values; with {@code sentAt}, paced at the latency rate, noting when each was sent. */
    void produce(String topic, List<byte[]> values, long[] sentAt) throws Exception {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.getBrokersAsString(),
                ProducerConfig.ACKS_CONFIG,
                "1",
                ProducerConfig.LINGER_MS_CONFIG,
                sentAt == null ? 20 : 0,
                ProducerConfig.BATCH_SIZE_CONFIG,
                256 * 1024,
                ProducerConfig.COMPRESSION_TYPE_CONFIG,
                "none");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            for (int i = 0; i < values.size(); i++) {
                if (sentAt != null) {
                    long due = start + (long) (i * (1e9 / LATENCY_RATE));
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    sentAt[i] = System.currentTimeMillis();
                }
                producer.send(new ProducerRecord<>(topic, values.get(i)));
            }
            producer.flush();
        }
    }

    /**
     * Sends the events to the topic; returns their stored fields as CSV, in {@link
     * CarInfoSchema#POSTGRES_COLUMNS} order. The events themselves are not kept: millions of small
     * objects left on the heap would make every garbage collection during the runs dearer.
     */
    byte[] preload(String topic, int events) throws Exception {
        List<byte[]> values = new ArrayList<>(events);
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < events; i++) {
            CarInfoEvent e = CarInfoEvent.of(
                    "ev-" + i,
                    String.format("T%05d", i % 2000),
                    Instant.parse("2026-11-21T00:00:00Z").plusMillis(i * 20L),
                    126.8 + (i % 1000) * 0.0004,
                    37.4 + (i % 800) * 0.0004,
                    (i % 120) + 0.5,
                    i % 360,
                    "1" + (i % 5));
            values.add(e.toJson().getBytes(StandardCharsets.UTF_8));
            csv.append(e.dataId())
                    .append(',')
                    .append(e.trmnId())
                    .append(',')
                    .append(e.vhcleLot())
                    .append(',')
                    .append(e.vhcleLat())
                    .append(',')
                    .append(e.gpsUtcTime())
                    .append(',')
                    .append(e.vhcleSped())
                    .append(',')
                    .append(e.vhcleTypeCd())
                    .append('\n');
        }
        long produceStart = System.nanoTime();
        produce(topic, values, null);
        System.out.printf("Preloaded in %.1f s%n%n", (System.nanoTime() - produceStart) / 1e9);
        return csv.toString().getBytes(StandardCharsets.UTF_8);
    }

    void truncate() throws Exception {
        try (Connection connection = DriverManager.getConnection(url, "postgres", "postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE " + TABLE + ", sluice.dead_letter");
            statement.execute("VACUUM ANALYZE " + TABLE);
        }
    }

    long countRows() throws Exception {
        try (Connection connection = DriverManager.getConnection(url, "postgres", "postgres");
                Statement statement = connection.createStatement();
                ResultSet count = statement.executeQuery("SELECT count(*) FROM " + TABLE)) {
            count.next();
            return count.getLong(1);
        }
    }

    long countRowsQuietly() {
        try {
            return countRows();
        } catch (Exception e) {
            return 0;
        }
    }

    static void printFiles(Path folder) {
        try (var files = Files.walk(folder)) {
            long[] sizes = files.filter(f -> f.getFileName().toString().endsWith(".parquet"))
                    .mapToLong(f -> f.toFile().length())
                    .toArray();
            System.out.printf(
                    "    %d Parquet files, %,.1f MiB on average%n",
                    sizes.length, Arrays.stream(sizes).average().orElse(0) / (1 << 20));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Runs a definition (as the API takes it, in JSON) until it has written every row. */
    Supplier<Long> runDefined(
            String name,
            String topic,
            Map<String, Object> schema,
            List<Map<String, String>> rules,
            String sql,
            Map<String, Object> sink,
            Supplier<Long> count)
            throws Exception {
        Map<String, Object> source =
                new LinkedHashMap<>(Map.of("kind", "kafka", "topics", List.of(topic), "startingOffsets", "earliest"));
        source.putAll(schema);
        if (MAX_OFFSETS_PER_TRIGGER != null) {
            source.put("maxOffsetsPerTrigger", MAX_OFFSETS_PER_TRIGGER);
        }
        Map<String, Object> json = Map.of(
                "name",
                name,
                "source",
                source,
                "transform",
                Map.of("sql", sql),
                "rules",
                rules,
                "sink",
                sink,
                "outputMode",
                "append",
                "trigger",
                Map.of("kind", "processing-time", "interval", "1 second"));
        com.fasterxml.jackson.databind.ObjectMapper mapper = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .findAndAddModules()
                .build();
        PipelineDefinition definition = mapper.convertValue(json, PipelineDefinition.class);
        PipelineEnvironment environment = environment(name);
        AtomicLong written = new AtomicLong();
        StreamingQuery query = new DefinedPipeline(definition, DefinedPipeline.Origin.API, environment)
                .start(spark, counting(written), null);
        awaitRows(written::get, query);
        query.stop();
        return count;
    }
}
