package dev.sluice.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

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

    private final Bench bench;
    private final Map<String, List<Measurement>> results = new LinkedHashMap<>();
    private boolean warmingUp;

    private Benchmark(Bench bench) {
        this.bench = bench;
    }

    /** One measured run. */
    record Measurement(
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
        try (Bench bench = new Bench(Files.createTempDirectory("sluice-bench"))) {
            new Benchmark(bench).runAll();
        }
        System.exit(0);
    }

    /** Every throughput run, in the order they run in each repetition. */
    private static List<BenchRun> runs() {
        List<BenchRun> runs = new ArrayList<>(List.of(
                new BuiltInPostgresRun(),
                new SmallPollsPostgresRun(),
                new SqlParsePostgresRun(),
                new JdbcBaselineRun(),
                new CopyLimitRun(),
                new ParseOnlyRun(),
                new BuiltInParquetRun(),
                new BatchParquetRun(),
                new DefinedPostgresRun(""),
                new DefinedPostgresRun(DefinedPostgresRun.GENERAL),
                new DefinedParquetRun()));
        Bench.STATEFUL_SHUFFLE_PARTITIONS.forEach(partitions -> runs.add(new StatefulRun(partitions)));
        return runs;
    }

    private void runAll() throws Exception {
        System.out.printf(
                "Sluice benchmark: %,d car_info events, %d Kafka partitions, %d repetitions, %d cores, Spark %s, %s%n",
                Bench.EVENTS,
                Bench.PARTITIONS,
                Bench.REPETITIONS,
                Runtime.getRuntime().availableProcessors(),
                Bench.MASTER,
                Bench.MAX_OFFSETS_PER_TRIGGER == null
                        ? "no record limit per micro-batch"
                        : String.format("at most %,d records per micro-batch", Bench.MAX_OFFSETS_PER_TRIGGER));
        if (Bench.WARMUP_EVENTS > 0) {
            String warmup = "bench_warmup";
            bench.createTopic(warmup);
            System.out.printf("Warm-up (not counted): every run once over %,d events%n", Bench.WARMUP_EVENTS);
            bench.copyCsv = bench.preload(warmup, Bench.WARMUP_EVENTS);
            bench.expected = Bench.WARMUP_EVENTS;
            warmingUp = true;
            repetition(warmup);
            warmingUp = false;
        }
        String topic = "bench_car_info";
        bench.createTopic(topic);
        bench.copyCsv = bench.preload(topic, Bench.EVENTS);
        bench.expected = Bench.EVENTS;
        for (int rep = 1; rep <= Bench.REPETITIONS; rep++) {
            System.out.printf("Repetition %d%n", rep);
            repetition(topic);
        }
        printThroughput();
        if (Bench.ONLY.contains("latency")) {
            LatencyRun.run(bench);
        }
    }

    private void repetition(String topic) throws Exception {
        for (BenchRun run : runs()) {
            record(run, topic);
        }
    }

    // --- measurement ------------------------------------------------------------------------------

    private void record(BenchRun run, String topic) throws Exception {
        String group = run.group();
        String id = run.id();
        String name = run.label();
        if (!Bench.ONLY.contains(group) && !Bench.ONLY.contains(id)) {
            return;
        }
        Resources.resetPeakRss();
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
        double jvmCpu = Resources.jvmCpuSeconds();
        double postgresCpu = Resources.postgresCpuSeconds();
        Map<String, Long> threadCpu = Resources.threadCpuNanos();
        long start = System.nanoTime();
        Supplier<Long> count = run.run(bench, topic);
        double seconds = (System.nanoTime() - start) / 1e9;
        jvmCpu = Resources.jvmCpuSeconds() - jvmCpu;
        postgresCpu = Resources.postgresCpuSeconds() - postgresCpu;
        sampler.interrupt();
        long rows = count.get();
        Measurement measurement =
                new Measurement(rows, seconds, Resources.peakRss(), peakHeap.get(), jvmCpu, postgresCpu);
        if (!warmingUp) {
            results.computeIfAbsent(name, key -> new ArrayList<>()).add(measurement);
        }
        System.out.printf(
                "  %-40s %,10d rows %7.2f s %,12.0f rows/s   CPU us/row, JVM + PostgreSQL: %s%n",
                name, rows, seconds, measurement.rowsPerSecond(), measurement.cpuPerRow());
        StringBuilder byThread = new StringBuilder();
        Resources.threadCpuNanos().forEach((threads, nanos) -> {
            double perRow = (nanos - threadCpu.getOrDefault(threads, 0L)) / 1e3 / rows;
            if (perRow >= 0.2) {
                byThread.append(String.format("  %s %.1f", threads, perRow));
            }
        });
        System.out.printf("    JVM CPU us/row by thread:%s%n", byThread);
        if (rows != bench.expected) {
            throw new IllegalStateException(name + " wrote " + rows + " rows, not " + bench.expected);
        }
    }

    private void printThroughput() {
        System.out.printf(
                "%n%-40s %s %12s %10s %10s%n",
                "run", "rows/s per repetition".indent(0).strip(), "median", "peak RSS", "peak heap");
        Map<String, Double> medians = new LinkedHashMap<>();
        results.forEach((name, runs) -> {
            double[] rates = runs.stream()
                    .mapToDouble(Measurement::rowsPerSecond)
                    .sorted()
                    .toArray();
            double median = rates[rates.length / 2];
            medians.put(name, median);
            StringBuilder each = new StringBuilder();
            runs.forEach(run -> each.append(String.format("%,10.0f", run.rowsPerSecond())));
            System.out.printf(
                    "%-40s %s %,12.0f %7d MiB %7d MiB%n",
                    name,
                    each,
                    median,
                    runs.stream().mapToLong(Measurement::peakRssBytes).max().orElse(0) >> 20,
                    runs.stream().mapToLong(Measurement::peakHeapBytes).max().orElse(0) >> 20);
        });
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("%nRatios of medians:%n");
        ratio(
                medians,
                Bench.SLUICE_POSTGRES,
                Bench.COPY_LIMIT,
                "  Sluice PostgreSQL / raw COPY limit      %.2f  (target >= 0.8)%n");
        ratio(
                medians,
                Bench.SLUICE_POSTGRES,
                Bench.JDBC_BASELINE,
                "  Sluice PostgreSQL / write.jdbc baseline %.2f  (target >= 5)%n");
        ratio(medians, Bench.SLUICE_POSTGRES, Bench.PARSE_CEILING, "  Sluice PostgreSQL / read + parse ceiling %.2f%n");
        ratio(
                medians,
                Bench.SLUICE_POSTGRES,
                Bench.SLUICE_POSTGRES_SQL,
                "  Sluice PostgreSQL / same sink with from_json parse %.2f%n");
        if (medians.containsKey(Bench.PARSE_CEILING)
                && medians.containsKey(Bench.COPY_LIMIT)
                && medians.containsKey(Bench.SLUICE_POSTGRES)) {
            // Both halves on the same cores, one after the other per row: the most the pair can do here.
            double shared = 1 / (1 / medians.get(Bench.PARSE_CEILING) + 1 / medians.get(Bench.COPY_LIMIT));
            System.out.printf(
                    "  Sluice PostgreSQL / (read + parse, then COPY, on shared cores: %,.0f rows/s) %.2f%n",
                    shared, medians.get(Bench.SLUICE_POSTGRES) / shared);
        }
        if (medians.containsKey(Bench.SLUICE_POSTGRES)) {
            System.out.printf(
                    "  Per core (%d cores): Sluice PostgreSQL %,.0f rows/s%n",
                    cores, medians.get(Bench.SLUICE_POSTGRES) / cores);
        }
        if (medians.containsKey(Bench.SLUICE_PARQUET) && medians.containsKey(Bench.BATCH_LIMIT)) {
            System.out.printf(
                    "  Sluice Parquet / batch job limit        %.2f  (target >= 0.8)%n",
                    medians.get(Bench.SLUICE_PARQUET) / medians.get(Bench.BATCH_LIMIT));
            System.out.printf(
                    "  Per core (%d cores): Sluice Parquet %,.0f rows/s%n",
                    cores, medians.get(Bench.SLUICE_PARQUET) / cores);
        }
        ratio(
                medians,
                Bench.SLUICE_POSTGRES,
                Bench.SLUICE_POSTGRES_POLL500,
                "  Sluice PostgreSQL / same with 500 records a poll %.2f%n");
        ratio(
                medians,
                Bench.DEFINED_POSTGRES,
                Bench.SLUICE_POSTGRES,
                "  Defined pipeline to PostgreSQL / Sluice PostgreSQL %.2f  (target >= 0.95)%n");
        ratio(
                medians,
                Bench.DEFINED_POSTGRES_GENERAL,
                Bench.SLUICE_POSTGRES,
                "  Same definition, general shape / Sluice PostgreSQL %.2f%n");
        ratio(
                medians,
                Bench.DEFINED_POSTGRES,
                Bench.JDBC_BASELINE,
                "  Defined pipeline to PostgreSQL / write.jdbc baseline %.2f%n");
        ratio(
                medians,
                Bench.DEFINED_PARQUET,
                Bench.SLUICE_PARQUET,
                "  Defined pipeline to Parquet / Sluice Parquet %.2f%n");
        ratio(
                medians,
                Bench.DEFINED_PARQUET,
                Bench.BATCH_LIMIT,
                "  Defined pipeline to Parquet / batch job limit %.2f%n");
    }

    private static void ratio(Map<String, Double> medians, String run, String against, String format) {
        if (medians.containsKey(run) && medians.containsKey(against)) {
            System.out.printf(format, medians.get(run) / medians.get(against));
        }
    }
}
