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
import dev.sluice.pipeline.FusedRecords;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.pipeline.KafkaSource;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.support.CarInfoEvent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.flywaydb.core.Flyway;
import org.postgresql.PGConnection;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Sluice's sinks side by side with their baselines and limits, in one run, on the same data:
 * car_info events preloaded into a Kafka topic, read from {@code earliest}.
 *
 * <ul>
 *   <li>Kafka -> PostgreSQL: Sluice's sink (COPY straight into the table, merged through a staging
 *       table from a key conflict on) vs the plain {@code foreachBatch} + {@code write.jdbc}
 *       baseline vs a raw {@code COPY} of the same rows without Spark (the database's limit), and
 *       the same Kafka read and parse with no sink at all (the most any sink behind it can reach);
 *   <li>Kafka -> Parquet: Sluice's streaming pipeline vs a Spark batch job doing the same parse and
 *       write;
 *   <li>the same two through pipeline definitions (what a user-defined pipeline costs: every field
 *       parsed by {@code from_json}, an upsert into PostgreSQL, Spark's own Parquet sink);
 *   <li>latency from the Kafka record to its commit in PostgreSQL at a steady produce rate.
 * </ul>
 *
 * A warm-up pass runs each throughput run once, uncounted, on a smaller topic; then each is
 * repeated, and the table shows every repetition and the median. Settings:
 * {@code -Dbench.events} (default 500000), {@code -Dbench.repetitions} (3), {@code -Dbench.warmupEvents} (200000; 0 for none),
 * {@code -Dbench.latencyRate} (5000 events/s), {@code -Dbench.latencySeconds} (30),
 * {@code -Dbench.partitions} (4), {@code -Dbench.maxOffsetsPerTrigger} (none), {@code -Dbench.master} ({@code local[*]}) and {@code -Dbench.only} (which groups run: {@code postgres,parquet,defined,latency},
 * or single runs by id).
 */
public final class Benchmark {

    private static final int EVENTS = Integer.getInteger("bench.events", 500_000);
    private static final int REPETITIONS = Integer.getInteger("bench.repetitions", 3);
    /**
     * Events of the warm-up pass, which runs every selected run once before the repetitions and is
     * not counted, so that no run is measured on a cold JVM (0: none).
     */
    private static final int WARMUP_EVENTS = Integer.getInteger("bench.warmupEvents", Math.min(EVENTS, 200_000));

    private static final int LATENCY_RATE = Integer.getInteger("bench.latencyRate", 5_000);
    private static final int LATENCY_SECONDS = Integer.getInteger("bench.latencySeconds", 30);
    private static final int PARTITIONS = Integer.getInteger("bench.partitions", 4);
    /** Records per micro-batch at most, for Sluice's pipelines and the baseline; none by default: one batch catches up. */
    private static final Long MAX_OFFSETS_PER_TRIGGER = Long.getLong("bench.maxOffsetsPerTrigger");
    /** Where Spark runs: {@code local[N]} gives N task slots, whatever the cores. */
    private static final String MASTER = System.getProperty("bench.master", "local[*]");
    /**
     * Which groups run ({@code postgres}, {@code parquet}, {@code defined}, {@code latency}; {@code stateful} only when named), or single runs:
     * {@code sluice-postgres}, {@code sluice-postgres-sql}, {@code jdbc}, {@code copy}, {@code parse}, {@code sluice-parquet}, {@code batch-parquet},
     * {@code defined-postgres}, {@code defined-postgres-general}, {@code defined-parquet},
     * {@code stateful-2}, {@code stateful-4}, {@code stateful-200}.
     */
    private static final List<String> ONLY = List.of(
            System.getProperty("bench.only", "postgres,parquet,defined,latency").split(","));

    private static final String SLUICE_POSTGRES = "PostgreSQL: Sluice (direct COPY)";
    private static final String SLUICE_POSTGRES_SQL = "PostgreSQL: same sink, from_json parse";
    private static final String JDBC_BASELINE = "PostgreSQL: write.jdbc baseline";
    private static final String COPY_LIMIT = "PostgreSQL: raw COPY limit";
    private static final String PARSE_CEILING = "Kafka read + parse, no sink (ceiling)";
    private static final String SLUICE_PARQUET = "Parquet: Sluice streaming";
    private static final String BATCH_LIMIT = "Parquet: Spark batch job limit";
    private static final String DEFINED_POSTGRES = "PostgreSQL: defined pipeline (upsert)";
    private static final String DEFINED_POSTGRES_GENERAL = "PostgreSQL: same definition, general shape";
    private static final String DEFINED_PARQUET = "Parquet: defined pipeline";
    private static final String TABLE = "car_info_table";
    /** The built-in Parquet pipeline's default {@code rows-per-file}. */
    private static final long ROWS_PER_FILE = 250_000;
    /** The shuffle partitions the stateful runs compare (Spark's default is 200; Sluice's 4). */
    private static final List<String> STATEFUL_SHUFFLE_PARTITIONS = List.of("2", "4", "200");

    private final Path work;
    private final EmbeddedKafkaKraftBroker kafka;
    private final EmbeddedPostgres postgres;
    private final SparkSession spark;
    private final String url;
    private final Map<String, List<Run>> results = new LinkedHashMap<>();
    /** The rows each run writes: the warm-up's events, then the measured events. */
    private int expected = EVENTS;

    private boolean warmingUp;

    private Benchmark(Path work) throws IOException {
        this.work = work;
        kafka = new EmbeddedKafkaKraftBroker(1, PARTITIONS);
        kafka.afterPropertiesSet();
        postgres = EmbeddedPostgres.builder()
                .setServerConfig("track_commit_timestamp", "on")
                .start();
        url = postgres.getJdbcUrl("postgres", "postgres");
        Flyway.configure()
                .dataSource(url, "postgres", "postgres")
                .placeholders(Map.of("car_info_table", TABLE, "dead_letter_table", "dead_letter"))
                .load()
                .migrate();
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

    /** One measured run. */
    record Run(
            long rows,
            double seconds,
            long peakRssBytes,
            long peakHeapBytes,
            double jvmCpuSeconds,
            double postgresCpuSeconds) {
        double rowsPerSecond() {
            return rows / seconds;
        }

        /** CPU microseconds per row, in this JVM and in PostgreSQL's processes. */
        String cpuPerRow() {
            return String.format("%5.1f + %4.1f", jvmCpuSeconds * 1e6 / rows, postgresCpuSeconds * 1e6 / rows);
        }
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("sluice-bench");
        Benchmark bench = new Benchmark(work);
        try {
            bench.runAll();
        } finally {
            bench.spark.stop();
            PostgresSink.closeConnections();
            bench.postgres.close();
            bench.kafka.destroy();
        }
        System.exit(0);
    }

    private void runAll() throws Exception {
        System.out.printf(
                "Sluice benchmark: %,d car_info events, %d Kafka partitions, %d repetitions, %d cores, Spark %s, %s%n",
                EVENTS,
                PARTITIONS,
                REPETITIONS,
                Runtime.getRuntime().availableProcessors(),
                MASTER,
                MAX_OFFSETS_PER_TRIGGER == null
                        ? "no record limit per micro-batch"
                        : String.format("at most %,d records per micro-batch", MAX_OFFSETS_PER_TRIGGER));
        if (WARMUP_EVENTS > 0) {
            String warmup = "bench_warmup";
            createTopic(warmup);
            System.out.printf("Warm-up (not counted): every run once over %,d events%n", WARMUP_EVENTS);
            byte[] warmupCsv = preload(warmup, WARMUP_EVENTS);
            expected = WARMUP_EVENTS;
            warmingUp = true;
            repetition(warmup, warmupCsv);
            warmingUp = false;
            expected = EVENTS;
        }
        String topic = "bench_car_info";
        createTopic(topic);
        byte[] copyCsv = preload(topic, EVENTS);
        for (int rep = 1; rep <= REPETITIONS; rep++) {
            System.out.printf("Repetition %d%n", rep);
            repetition(topic, copyCsv);
        }
        printThroughput();
        if (ONLY.contains("latency")) {
            latency();
        }
    }

    private void repetition(String topic, byte[] copyCsv) throws Exception {
        record("postgres", "sluice-postgres", SLUICE_POSTGRES, () -> sluicePostgres(topic));
        record("postgres", "sluice-postgres-sql", SLUICE_POSTGRES_SQL, () -> sluicePostgresSqlParse(topic));
        record("postgres", "jdbc", JDBC_BASELINE, () -> jdbcBaseline(topic));
        record("postgres", "copy", COPY_LIMIT, () -> rawCopy(copyCsv));
        record("postgres", "parse", PARSE_CEILING, () -> parseOnly(topic));
        record("parquet", "sluice-parquet", SLUICE_PARQUET, () -> sluiceParquet(topic));
        record("parquet", "batch-parquet", BATCH_LIMIT, () -> batchParquet(topic));
        record("defined", "defined-postgres", DEFINED_POSTGRES, () -> definedPostgres(topic, ""));
        // rand() keeps a definition from the fused shape: what the same job costs through Spark's operators.
        record(
                "defined",
                "defined-postgres-general",
                DEFINED_POSTGRES_GENERAL,
                () -> definedPostgres(topic, " WHERE rand() >= 0"));
        record("defined", "defined-parquet", DEFINED_PARQUET, () -> definedParquet(topic));
        for (String partitions : STATEFUL_SHUFFLE_PARTITIONS) {
            record(
                    "stateful",
                    "stateful-" + partitions,
                    "Stateful 1-min windows, " + partitions + " shuffle partitions",
                    () -> stateful(topic, partitions));
        }
    }

    // --- the runs ---------------------------------------------------------------------------------

    private Supplier<Long> sluicePostgres(String topic) throws Exception {
        truncate();
        AtomicLong written = new AtomicLong();
        Pipeline pipeline = builtInPostgres("bench-pg", topic);
        StreamingQuery query = pipeline.start(spark, counting(written), null);
        awaitRows(() -> written.get(), query);
        query.stop();
        return this::countRowsQuietly;
    }

    /**
     * Sluice's sink behind the same rules written in Spark SQL ({@code from_json} and column
     * expressions) instead of its parser: what the parser buys.
     */
    private Supplier<Long> sluicePostgresSqlParse(String topic) throws Exception {
        truncate();
        AtomicLong written = new AtomicLong();
        PostgresSink sink = new PostgresSink(
                new JdbcTarget(url, "postgres", "postgres", 4),
                "bench-pg-sql",
                new PostgresSink.Table(
                        TABLE,
                        List.copyOf(CarInfoSchema.POSTGRES_COLUMNS.values()),
                        List.of("data_id"),
                        PostgresSink.Conflict.IGNORE),
                "dead_letter");
        List<Column> columns = new ArrayList<>();
        PostgresSink.INPUT_COLUMNS.forEach(name -> columns.add(col(name)));
        CarInfoSchema.POSTGRES_COLUMNS.forEach((field, column) ->
                columns.add(col(CarInfoParser.CAR + "." + field).as(column)));
        StreamingQuery query = CarInfoParser.forPostgres(CarInfoLimits.DEFAULT)
                .parse(source(topic).load(spark, null))
                .select(columns.toArray(Column[]::new))
                .writeStream()
                .option("checkpointLocation", checkpoint("bench-pg-sql"))
                .trigger(Trigger.ProcessingTime(1000))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>)
                        (batch, id) -> written.addAndGet(sink.write(batch).rowsWritten()))
                .start();
        awaitRows(written::get, query);
        query.stop();
        return this::countRowsQuietly;
    }

    /** What Sluice's PostgreSQL pipeline does before its sink: the most any sink behind it can reach. */
    private Supplier<Long> parseOnly(String topic) throws Exception {
        AtomicLong seen = new AtomicLong();
        FusedRecords fused = builtInPostgres("bench-parse", topic).fusedRecords(spark);
        StreamingQuery query = source(topic)
                .load(spark, null)
                .select("topic", "partition", "offset", "timestamp", "value")
                .writeStream()
                .option("checkpointLocation", checkpoint("bench-parse"))
                .trigger(Trigger.ProcessingTime(1000))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> seen.addAndGet(batch
                        .queryExecution()
                        .toRdd()
                        .toJavaRDD()
                        .mapPartitions(fused::decideAll)
                        .mapPartitions(Benchmark::drain)
                        .collect()
                        .stream()
                        .mapToLong(Long::longValue)
                        .sum()))
                .start();
        awaitRows(seen::get, query);
        query.stop();
        return seen::get;
    }

    private static java.util.Iterator<Long> drain(java.util.Iterator<Row> rows) {
        long count = 0;
        while (rows.hasNext()) {
            if (rows.next().get(PostgresSink.INPUT_COLUMNS.size()) != null) {
                count++;
            }
        }
        return List.of(count).iterator();
    }

    private Supplier<Long> jdbcBaseline(String topic) throws Exception {
        truncate();
        Dataset<Row> parsed = CarInfoParser.forPostgres(CarInfoLimits.DEFAULT)
                .parse(source(topic).load(spark, null))
                .filter(col(CarInfoParser.REJECT_REASON).isNull());
        List<Column> columns = new ArrayList<>();
        CarInfoSchema.POSTGRES_COLUMNS.forEach((field, column) ->
                columns.add(col(CarInfoParser.CAR + "." + field).as(column)));
        Properties properties = new Properties();
        properties.put("user", "postgres");
        properties.put("password", "postgres");
        String jdbcUrl = url;
        StreamingQuery query = parsed.select(columns.toArray(Column[]::new))
                .writeStream()
                .option("checkpointLocation", checkpoint("bench-jdbc"))
                .trigger(Trigger.ProcessingTime(1000))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>)
                        (batch, id) -> batch.write().mode(SaveMode.Append).jdbc(jdbcUrl, TABLE, properties))
                .start();
        awaitRows(this::countRowsQuietly, query);
        query.stop();
        return this::countRowsQuietly;
    }

    private Supplier<Long> rawCopy(byte[] csv) throws Exception {
        truncate();
        try (Connection connection = DriverManager.getConnection(url, "postgres", "postgres")) {
            String columns = String.join(", ", CarInfoSchema.POSTGRES_COLUMNS.values());
            connection
                    .unwrap(PGConnection.class)
                    .getCopyAPI()
                    .copyIn(
                            "COPY " + TABLE + " (" + columns + ") FROM STDIN (FORMAT csv)",
                            new ByteArrayInputStream(csv));
        }
        return this::countRowsQuietly;
    }

    private Supplier<Long> sluiceParquet(String topic) throws Exception {
        AtomicLong written = new AtomicLong();
        Path out = Files.createTempDirectory(work, "parquet-stream");
        Pipeline pipeline = new DefinedPipeline(
                BuiltInDefinitions.carInfoToHdfs(
                        new BuiltInDefinitions.Settings(
                                "bench-parquet",
                                false,
                                topic,
                                "earliest",
                                MAX_OFFSETS_PER_TRIGGER,
                                true,
                                Duration.ofSeconds(1)),
                        out.toString(),
                        ROWS_PER_FILE,
                        CarInfoLimits.DEFAULT),
                DefinedPipeline.Origin.BUILT_IN,
                environment("bench-parquet"));
        StreamingQuery query = pipeline.start(spark, counting(written), null);
        awaitRows(written::get, query);
        query.stop();
        String path = out.toString();
        return () -> {
            printFiles(out);
            return spark.read().parquet(path).count();
        };
    }

    private Supplier<Long> batchParquet(String topic) throws Exception {
        Path out = Files.createTempDirectory(work, "parquet-batch");
        Dataset<Row> records = spark.read()
                .format("kafka")
                .option("kafka.bootstrap.servers", kafka.getBrokersAsString())
                .option("subscribe", topic)
                .option("startingOffsets", "earliest")
                .option("endingOffsets", "latest")
                .load();
        // Parsed once and kept, as Sluice's pipeline does: a filter and a projection over from_json
        // straight away would evaluate it again for each reference to the parsed struct. The raw
        // values are not kept: this job writes no dead letters.
        Dataset<Row> parsed = CarInfoParser.forEvents(CarInfoLimits.DEFAULT)
                .parse(records)
                .drop("value")
                .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> accepted =
                parsed.filter(col(CarInfoParser.REJECT_REASON).isNull()).select(eventColumns());
        String path = out.resolve("car_info").toString();
        accepted.write().partitionBy(BuiltInDefinitions.EVENT_DATE).parquet(path);
        parsed.unpersist(true);
        return () -> {
            printFiles(out);
            return spark.read().parquet(path).count();
        };
    }

    /**
     * The built-in PostgreSQL pipeline's job as a user would define it: the seven fields it stores
     * as the schema, its checks as rules, the renames as SQL, upserted on the key. Such a definition
     * runs in the fused shape, as the built-in does.
     */
    private Supplier<Long> definedPostgres(String topic, String where) throws Exception {
        truncate();
        StringBuilder select = new StringBuilder();
        CarInfoSchema.POSTGRES_COLUMNS.forEach((field, column) -> select.append(select.isEmpty() ? "" : ", ")
                .append(field)
                .append(" AS ")
                .append(column));
        Map<String, Object> source = Map.of(
                "schema",
                "dataId STRING, trmnId STRING, vhcleLot DOUBLE, vhcleLat DOUBLE, gpsUtcTime DOUBLE, vhcleSped DOUBLE,"
                        + " vhcleTypeCd STRING");
        List<Map<String, String>> rules = List.of(
                Map.of("reason", "MISSING_DATA_ID", "require", "trim(dataId) <> ''"),
                Map.of(
                        "reason",
                        "OUT_OF_RANGE",
                        "require",
                        "(vhcleLat IS NULL OR vhcleLat BETWEEN -90 AND 90)"
                                + " AND (vhcleLot IS NULL OR vhcleLot BETWEEN -180 AND 180)"
                                + " AND (vhcleSped IS NULL OR vhcleSped >= 0)"),
                Map.of(
                        "reason",
                        "FIELD_TOO_LONG",
                        "require",
                        "char_length(dataId) <= 64 AND coalesce(char_length(trmnId), 0) <= 64"
                                + " AND coalesce(char_length(vhcleTypeCd), 0) <= 32"));
        Map<String, Object> sink = Map.of("kind", "postgres", "table", TABLE, "keyColumns", List.of("data_id"));
        return runDefined(
                "bench-defined-pg" + (where.isEmpty() ? "" : "-general"),
                topic,
                source,
                rules,
                "SELECT " + select + " FROM events" + where,
                sink,
                this::countRowsQuietly);
    }

    /** The same files as Sluice's Parquet pipeline, through a pipeline definition with Spark's own Parquet sink. */
    private Supplier<Long> definedParquet(String topic) throws Exception {
        Path out = Files.createTempDirectory(work, "parquet-defined");
        String path = out.resolve("car_info").toString();
        Map<String, Object> sink =
                Map.of("kind", "parquet", "path", path, "partitionBy", List.of(BuiltInDefinitions.EVENT_DATE));
        runDefined(
                "bench-defined-parquet",
                topic,
                Map.of("schemaName", "car_info"),
                List.of(),
                "SELECT *, to_date(timestamp_seconds(gpsUtcTime)) AS " + BuiltInDefinitions.EVENT_DATE + " FROM events",
                sink,
                () -> 0L);
        return () -> {
            printFiles(out);
            return spark.read().parquet(path).count();
        };
    }

    private Supplier<Long> runDefined(
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

    /**
     * A stateful query of the kind the pipeline definitions run: speed per vehicle type in 1-minute
     * event-time windows with a watermark, in update mode, with the given shuffle partitions (the
     * state store has one instance per shuffle partition). Counts the input rows it processed.
     */
    private Supplier<Long> stateful(String topic, String shufflePartitions) throws Exception {
        spark.conf().set("spark.sql.shuffle.partitions", shufflePartitions);
        try {
            Dataset<Row> events = CarInfoParser.forEvents(CarInfoLimits.DEFAULT)
                    .parse(source(topic).load(spark, null))
                    .filter(col(CarInfoParser.REJECT_REASON).isNull())
                    .select(
                            col(CarInfoParser.CAR + ".vhcleTypeCd").as("type"),
                            col(CarInfoParser.CAR + ".vhcleSped").as("speed"),
                            org.apache
                                    .spark
                                    .sql
                                    .functions
                                    .timestamp_seconds(col(CarInfoParser.CAR + ".gpsUtcTime"))
                                    .as("event_time"));
            StreamingQuery query = events.withWatermark("event_time", "2 minutes")
                    .groupBy(org.apache.spark.sql.functions.window(col("event_time"), "1 minute"), col("type"))
                    .agg(
                            org.apache.spark.sql.functions.count("*").as("events"),
                            org.apache.spark.sql.functions.avg("speed"))
                    .writeStream()
                    .outputMode("update")
                    .option("checkpointLocation", checkpoint("bench-stateful"))
                    .trigger(Trigger.ProcessingTime(1000))
                    .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> batch.count())
                    .start();
            Supplier<Long> processed = () -> Arrays.stream(query.recentProgress())
                    .mapToLong(p -> p.numInputRows())
                    .sum();
            awaitRows(processed, query);
            query.stop();
            return processed;
        } finally {
            spark.conf().set("spark.sql.shuffle.partitions", "4");
        }
    }

    private static void printFiles(Path folder) {
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

    // --- latency ----------------------------------------------------------------------------------

    private void latency() throws Exception {
        String topic = "bench_latency";
        createTopic(topic);
        truncate();
        AtomicLong written = new AtomicLong();
        Pipeline pipeline = builtInPostgres("bench-latency", topic);
        StreamingQuery query = pipeline.start(spark, counting(written), null);
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(5)); // past the first, empty micro-batch
        int total = LATENCY_RATE * LATENCY_SECONDS;
        long[] sentAt = new long[total];
        List<byte[]> values = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            values.add(CarInfoEvent.of(
                            "lat-" + i,
                            "T" + (i % 500),
                            Instant.parse("2026-11-21T12:00:00Z").plusMillis(i),
                            127.0,
                            37.5,
                            i % 100,
                            i % 360,
                            "11")
                    .toJson()
                    .getBytes(StandardCharsets.UTF_8));
        }
        produce(topic, values, sentAt);
        awaitRows(written::get, query, total);
        query.stop();
        double[] latencies = new double[total];
        int found = 0;
        try (Connection connection = DriverManager.getConnection(url, "postgres", "postgres");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT data_id, extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000" + " FROM " + TABLE
                                + " WHERE data_id LIKE 'lat-%'")) {
            while (rows.next()) {
                int index = Integer.parseInt(rows.getString(1).substring(4));
                latencies[found++] = rows.getDouble(2) - sentAt[index];
            }
        }
        Arrays.sort(latencies, 0, found);
        System.out.printf(
                "%nLatency, Kafka record sent -> row committed in PostgreSQL (Sluice, 1 s trigger, %,d events/s for %d s, %,d rows):%n",
                LATENCY_RATE, LATENCY_SECONDS, found);
        System.out.printf(
                "  p50 %,.0f ms   p95 %,.0f ms   p99 %,.0f ms   max %,.0f ms%n",
                percentile(latencies, found, 0.50),
                percentile(latencies, found, 0.95),
                percentile(latencies, found, 0.99),
                latencies[found - 1]);
    }

    // --- measurement ------------------------------------------------------------------------------

    /** A run; it returns how to count what it wrote, which happens after the clock stops. */
    private interface Measured {
        Supplier<Long> run() throws Exception;
    }

    private void record(String group, String id, String name, Measured measured) throws Exception {
        if (!ONLY.contains(group) && !ONLY.contains(id)) {
            return;
        }
        resetPeakRss();
        AtomicLong peakHeap = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakHeap.accumulateAndGet(
                        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        double jvmCpu = jvmCpuSeconds();
        double postgresCpu = postgresCpuSeconds();
        Map<String, Long> threadCpu = threadCpuNanos();
        long start = System.nanoTime();
        Supplier<Long> count = measured.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        jvmCpu = jvmCpuSeconds() - jvmCpu;
        postgresCpu = postgresCpuSeconds() - postgresCpu;
        sampler.interrupt();
        long rows = count.get();
        Run run = new Run(rows, seconds, peakRss(), peakHeap.get(), jvmCpu, postgresCpu);
        if (!warmingUp) {
            results.computeIfAbsent(name, key -> new ArrayList<>()).add(run);
        }
        System.out.printf(
                "  %-40s %,10d rows %7.2f s %,12.0f rows/s   CPU us/row, JVM + PostgreSQL: %s%n",
                name, rows, seconds, run.rowsPerSecond(), run.cpuPerRow());
        StringBuilder byThread = new StringBuilder();
        threadCpuNanos().forEach((threads, nanos) -> {
            double perRow = (nanos - threadCpu.getOrDefault(threads, 0L)) / 1e3 / rows;
            if (perRow >= 0.2) {
                byThread.append(String.format("  %s %.1f", threads, perRow));
            }
        });
        System.out.printf("    JVM CPU us/row by thread:%s%n", byThread);
        if (rows != expected) {
            throw new IllegalStateException(name + " wrote " + rows + " rows, not " + expected);
        }
    }

    private void printThroughput() {
        System.out.printf(
                "%n%-40s %s %12s %10s %10s%n",
                "run", "rows/s per repetition".indent(0).strip(), "median", "peak RSS", "peak heap");
        Map<String, Double> medians = new LinkedHashMap<>();
        results.forEach((name, runs) -> {
            double[] rates =
                    runs.stream().mapToDouble(Run::rowsPerSecond).sorted().toArray();
            double median = rates[rates.length / 2];
            medians.put(name, median);
            StringBuilder each = new StringBuilder();
            runs.forEach(run -> each.append(String.format("%,10.0f", run.rowsPerSecond())));
            System.out.printf(
                    "%-40s %s %,12.0f %7d MiB %7d MiB%n",
                    name,
                    each,
                    median,
                    runs.stream().mapToLong(Run::peakRssBytes).max().orElse(0) >> 20,
                    runs.stream().mapToLong(Run::peakHeapBytes).max().orElse(0) >> 20);
        });
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("%nRatios of medians:%n");
        ratio(
                medians,
                SLUICE_POSTGRES,
                COPY_LIMIT,
                "  Sluice PostgreSQL / raw COPY limit      %.2f  (target >= 0.8)%n");
        ratio(
                medians,
                SLUICE_POSTGRES,
                JDBC_BASELINE,
                "  Sluice PostgreSQL / write.jdbc baseline %.2f  (target >= 5)%n");
        ratio(medians, SLUICE_POSTGRES, PARSE_CEILING, "  Sluice PostgreSQL / read + parse ceiling %.2f%n");
        ratio(
                medians,
                SLUICE_POSTGRES,
                SLUICE_POSTGRES_SQL,
                "  Sluice PostgreSQL / same sink with from_json parse %.2f%n");
        if (medians.containsKey(PARSE_CEILING)
                && medians.containsKey(COPY_LIMIT)
                && medians.containsKey(SLUICE_POSTGRES)) {
            // Both halves on the same cores, one after the other per row: the most the pair can do here.
            double shared = 1 / (1 / medians.get(PARSE_CEILING) + 1 / medians.get(COPY_LIMIT));
            System.out.printf(
                    "  Sluice PostgreSQL / (read + parse, then COPY, on shared cores: %,.0f rows/s) %.2f%n",
                    shared, medians.get(SLUICE_POSTGRES) / shared);
        }
        if (medians.containsKey(SLUICE_POSTGRES)) {
            System.out.printf(
                    "  Per core (%d cores): Sluice PostgreSQL %,.0f rows/s%n",
                    cores, medians.get(SLUICE_POSTGRES) / cores);
        }
        if (medians.containsKey(SLUICE_PARQUET) && medians.containsKey(BATCH_LIMIT)) {
            System.out.printf(
                    "  Sluice Parquet / batch job limit        %.2f  (target >= 0.8)%n",
                    medians.get(SLUICE_PARQUET) / medians.get(BATCH_LIMIT));
            System.out.printf(
                    "  Per core (%d cores): Sluice Parquet %,.0f rows/s%n", cores, medians.get(SLUICE_PARQUET) / cores);
        }
        ratio(
                medians,
                DEFINED_POSTGRES,
                SLUICE_POSTGRES,
                "  Defined pipeline to PostgreSQL / Sluice PostgreSQL %.2f  (target >= 0.95)%n");
        ratio(
                medians,
                DEFINED_POSTGRES_GENERAL,
                SLUICE_POSTGRES,
                "  Same definition, general shape / Sluice PostgreSQL %.2f%n");
        ratio(
                medians,
                DEFINED_POSTGRES,
                JDBC_BASELINE,
                "  Defined pipeline to PostgreSQL / write.jdbc baseline %.2f%n");
        ratio(medians, DEFINED_PARQUET, SLUICE_PARQUET, "  Defined pipeline to Parquet / Sluice Parquet %.2f%n");
        ratio(medians, DEFINED_PARQUET, BATCH_LIMIT, "  Defined pipeline to Parquet / batch job limit %.2f%n");
    }

    private static void ratio(Map<String, Double> medians, String run, String against, String format) {
        if (medians.containsKey(run) && medians.containsKey(against)) {
            System.out.printf(format, medians.get(run) / medians.get(against));
        }
    }

    private static double percentile(double[] sorted, int count, double p) {
        return sorted[Math.min(count - 1, (int) Math.ceil(p * count) - 1)];
    }

    private static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux: the peak then covers the whole benchmark
        }
    }

    /**
     * CPU time of this JVM's threads, Java and native (garbage collector, compiler), by name
     * without numbers, as Linux shows them (at most 15 characters); empty off Linux.
     */
    private static Map<String, Long> threadCpuNanos() {
        Map<String, Long> byGroup = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    int end = stat.lastIndexOf(')');
                    String group = stat.substring(stat.indexOf('(') + 1, end)
                            .replaceAll("\\d+", "#")
                            .strip();
                    String[] fields = stat.substring(end + 2).split(" ");
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    byGroup.merge(group, ticks * 10_000_000L, Long::sum); // USER_HZ ticks to nanoseconds
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return byGroup;
        }
        return byGroup;
    }

    private static double jvmCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                        .getProcessCpuTime()
                / 1e9;
    }

    /** The CPU time of every PostgreSQL process on this machine (the benchmark's server is the only one), or 0 off Linux. */
    private static double postgresCpuSeconds() {
        long ticks = 0;
        try (var processes = Files.list(Path.of("/proc"))) {
            for (Path process : processes
                    .filter(p -> p.getFileName().toString().matches("\\d+"))
                    .toList()) {
                try {
                    String stat = Files.readString(process.resolve("stat"));
                    int end = stat.lastIndexOf(')');
                    if (!stat.substring(stat.indexOf('(') + 1, end).startsWith("postgres")) {
                        continue;
                    }
                    String[] fields = stat.substring(end + 2).split(" ");
                    // utime, stime, and those of ended children (backends of closed connections)
                    ticks += Long.parseLong(fields[11])
                            + Long.parseLong(fields[12])
                            + Long.parseLong(fields[13])
                            + Long.parseLong(fields[14]);
                } catch (IOException | RuntimeException e) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return ticks / 100.0; // USER_HZ
    }

    private static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return 0;
    }

    // --- plumbing ---------------------------------------------------------------------------------

    private static BatchListener counting(AtomicLong written) {
        return (pipeline, batchId, outcome, writeTime) -> written.addAndGet(outcome.rowsWritten());
    }

    private void awaitRows(Supplier<Long> rows, StreamingQuery query) {
        awaitRows(rows, query, expected);
    }

    private void awaitRows(Supplier<Long> rows, StreamingQuery query, long expected) {
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
    private DefinedPipeline builtInPostgres(String name, String topic) throws IOException {
        PipelineDefinition definition = BuiltInDefinitions.carInfoToPostgres(
                new BuiltInDefinitions.Settings(
                        name, false, topic, "earliest", MAX_OFFSETS_PER_TRIGGER, true, Duration.ofSeconds(1)),
                TABLE,
                CarInfoLimits.DEFAULT);
        return new DefinedPipeline(definition, DefinedPipeline.Origin.BUILT_IN, environment(name));
    }

    /** The built-in Parquet pipeline's columns: every car_info field, and the event's date. */
    private static Column[] eventColumns() {
        List<Column> columns = new ArrayList<>();
        for (String field : CarInfoSchema.SCHEMA.fieldNames()) {
            columns.add(col(CarInfoParser.CAR + "." + field).as(field));
        }
        columns.add(coalesce(
                        to_date(timestamp_seconds(col(CarInfoParser.CAR + ".gpsUtcTime"))), to_date(col("timestamp")))
                .as(BuiltInDefinitions.EVENT_DATE));
        return columns.toArray(Column[]::new);
    }

    private PipelineEnvironment environment(String name) throws IOException {
        return new PipelineEnvironment(
                kafka.getBrokersAsString(),
                Map.of(),
                Files.createTempDirectory(work, name).toString(),
                new JdbcTarget(url, "postgres", "postgres", 4),
                "dead_letter",
                new MemoryTables());
    }

    private KafkaSource source(String topic) {
        return new KafkaSource(kafka.getBrokersAsString(), topic, "earliest", MAX_OFFSETS_PER_TRIGGER, true, Map.of());
    }

    private String checkpoint(String name) throws IOException {
        return Files.createTempDirectory(work, name).toString();
    }

    private void createTopic(String topic) throws Exception {
        try (AdminClient admin = AdminClient.create(Map.of("bootstrap.servers", kafka.getBrokersAsString()))) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /** Sends the values; with {@code sentAt}, paced at the latency rate, noting when each was sent. */
    private void produce(String topic, List<byte[]> values, long[] sentAt) throws Exception {
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
    private byte[] preload(String topic, int events) throws Exception {
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

    private void truncate() throws Exception {
        try (Connection connection = DriverManager.getConnection(url, "postgres", "postgres");
                Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE " + TABLE + ", dead_letter");
            statement.execute("VACUUM ANALYZE " + TABLE);
        }
    }

    private long countRows() throws Exception {
        try (Connection connection = DriverManager.getConnection(url, "postgres", "postgres");
                Statement statement = connection.createStatement();
                ResultSet count = statement.executeQuery("SELECT count(*) FROM " + TABLE)) {
            count.next();
            return count.getLong(1);
        }
    }

    private long countRowsQuietly() {
        try {
            return countRows();
        } catch (Exception e) {
            return 0;
        }
    }
}
