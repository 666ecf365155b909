package dev.sluice.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Sluice beside what users would pick instead for the same job, each in a cold JVM of its own
 * ({@code -Xmx2g}) catching up on the same preloaded topic into the same table ({@code data_id}
 * primary key): the packaged Sluice jar, a Flink 2.0 job with Flink's JDBC sink (exactly-once
 * with XA, and at-least-once), Kafka Connect 4.3 with Debezium's JDBC sink, and a {@code COPY} of
 * the same rows as the database's limit. Run by {@code bash bench/run peers}, which builds the
 * peers from {@code bench/peers} (never on Sluice's classpath).
 *
 * <p>Rates come from PostgreSQL: rows / (start of the first transaction seen writing the table,
 * sampled every 20 ms, else its commit -> commit of the last row), from {@code
 * track_commit_timestamp}, so no system's start-up counts in its rate. Launch to first row is
 * reported on its own, and CPU per row for the system's JVM, the broker (the benchmark's JVM,
 * which hosts it and does little else meanwhile) and PostgreSQL.
 */
public final class PeersBenchmark {

    static final String SLUICE = "Sluice jar, built-in pipeline";
    static final String SLUICE_IMAGE = "Sluice as its image runs it (CDS)";
    static final String FLINK_XA = "Flink 2.0 JDBC sink, exactly-once (XA)";
    static final String FLINK_BATCH = "Flink 2.0 JDBC sink, at-least-once";
    static final String CONNECT = "Kafka Connect 4.3 + Debezium JDBC sink";
    static final String COPY = "COPY of the same rows (limit)";

    private static final Duration DEADLINE = Duration.ofMinutes(15);
    /** A system that writes nothing new this long (start-up included) has failed, alive or not. */
    private static final Duration STALLED = Duration.ofMinutes(3);
    /** How long a system may take to stop once asked before it is killed. */
    private static final Duration STOPPING = Duration.ofSeconds(90);

    /** One measured run of one system. */
    record Result(
            long rows,
            double seconds,
            double firstRowSeconds,
            double lastRowSeconds,
            double jvmCpuSeconds,
            double brokerCpuSeconds,
            double postgresCpuSeconds,
            long peakRssBytes) {
        double rowsPerSecond() {
            return rows / seconds;
        }

        String cpuPerRow() {
            return String.format(
                    "%5.1f %5.1f %5.1f", perRow(jvmCpuSeconds), perRow(brokerCpuSeconds), perRow(postgresCpuSeconds));
        }

        double perRow(double seconds) {
            return seconds * 1e6 / rows;
        }
    }

    /** A system under test, launched in a JVM of its own. */
    interface Peer {
        String label();

        List<String> command(Launch launch) throws IOException;
    }

    /** What a launch knows: where things are, and a folder of its own. */
    record Launch(Bench bench, String topic, Path work, int repetition) {}

    private final Bench bench;
    private final Map<String, List<Result>> results = new LinkedHashMap<>();

    private PeersBenchmark(Bench bench) {
        this.bench = bench;
    }

    public static void main(String[] args) throws Exception {
        try (Bench bench = new Bench(Files.createTempDirectory("sluice-peers"))) {
            new PeersBenchmark(bench).runAll();
        }
        System.exit(0);
    }

    private void runAll() throws Exception {
        System.out.printf(
                "Sluice and its peers: %,d car_info events, %d Kafka partitions, %d repetitions, %d cores, cold JVMs"
                        + " with -Xmx2g%n",
                Bench.EVENTS,
                Bench.PARTITIONS,
                Bench.REPETITIONS,
                Runtime.getRuntime().availableProcessors());
        String topic = "peers_car_info";
        bench.createTopic(topic);
        bench.copyCsv = bench.preload(topic, Bench.EVENTS);
        bench.expected = Bench.EVENTS;
        for (int rep = 1; rep <= Bench.REPETITIONS; rep++) {
            System.out.printf("Repetition %d%n", rep);
            for (Peer system : Peers.all()) {
                if (Bench.ONLY.contains("peers") || Bench.ONLY.contains(Peers.id(system))) {
                    record(system, new Launch(bench, topic, Files.createTempDirectory(bench.work, "peer"), rep));
                }
            }
            if (Bench.ONLY.contains("peers") || Bench.ONLY.contains("copy")) {
                recordCopy();
            }
        }
        print();
    }

    private void record(Peer system, Launch launch) throws Exception {
        bench.truncate();
        double brokerCpu = Resources.jvmCpuSeconds();
        double postgresCpu = Resources.postgresCpuSeconds();
        AtomicReference<Timestamp> firstWrite = new AtomicReference<>();
        Thread sampler = firstWriteSampler(firstWrite);
        Path log = launch.work().resolve("out.log");
        Instant launched = Instant.now();
        Process process = new ProcessBuilder(system.command(launch))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .directory(launch.work().toFile())
                .start();
        double jvmCpu;
        long peakRss;
        try {
            awaitRows(process, log);
            jvmCpu = ProcessStats.cpuSeconds(process.pid());
            peakRss = ProcessStats.peakRss(process.pid());
        } finally {
            sampler.interrupt();
            // Asked to stop first (a recording, say, is written on the way out), then killed. The
            // jar's first start is followed by the training run that writes its class-data archive:
            // 25 to 30 s here, and one killed at 30 s would leave the next repetition without it.
            process.destroy();
            if (!process.waitFor(STOPPING.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
        brokerCpu = Resources.jvmCpuSeconds() - brokerCpu;
        postgresCpu = Resources.postgresCpuSeconds() - postgresCpu;
        rollBackPrepared();
        add(system.label(), commits(launched, firstWrite.get(), jvmCpu, brokerCpu, postgresCpu, peakRss));
    }

    /** The raw COPY, in this JVM: the database's limit. */
    private void recordCopy() throws Exception {
        AtomicReference<Timestamp> firstWrite = new AtomicReference<>();
        bench.truncate();
        Thread sampler = firstWriteSampler(firstWrite);
        double postgresCpu = Resources.postgresCpuSeconds();
        double jvmCpu = Resources.jvmCpuSeconds();
        Instant launched = Instant.now();
        new CopyLimitRun().run(bench, null);
        sampler.interrupt();
        jvmCpu = Resources.jvmCpuSeconds() - jvmCpu;
        postgresCpu = Resources.postgresCpuSeconds() - postgresCpu;
        add(COPY, commits(launched, firstWrite.get(), jvmCpu, 0, postgresCpu, Resources.peakRss()));
    }

    private void add(String label, Result result) {
        results.computeIfAbsent(label, key -> new ArrayList<>()).add(result);
        System.out.printf(
                "  %-42s %,10d rows %,10.0f rows/s  first row %5.1f s  last %5.1f s  CPU us/row JVM %s broker"
                        + " PostgreSQL  RSS %d MiB%n",
                label,
                result.rows(),
                result.rowsPerSecond(),
                result.firstRowSeconds(),
                result.lastRowSeconds(),
                result.cpuPerRow(),
                result.peakRssBytes() >> 20);
    }

    /**
     * Waits for every row: polls the table's statistics (cheap), and counts the rows (a scan) only
     * when the estimate is close, at most once a second; fails when the system dies or stops
     * writing.
     */
    private void awaitRows(Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        long writes = -1;
        long movedAt = System.nanoTime();
        long countedAt = 0;
        // One connection for the polling, so it costs the database little.
        try (Connection polling = DriverManager.getConnection(bench.url, "postgres", "postgres")) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("The system stopped (exit " + process.exitValue() + "); its log: "
                            + log + "\n" + tail(log));
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Not every row arrived in " + DEADLINE + "; log: " + log);
                }
                long[] statistics = tableStatistics(polling);
                // The live rows are an estimate, which an autovacuum's analyze mid-load can leave
                // low for good: writes that stopped are counted too.
                boolean quiet = statistics[1] == writes && System.nanoTime() - movedAt > 2_000_000_000L;
                if ((statistics[0] >= bench.expected * 0.98 || quiet)
                        && System.nanoTime() - countedAt > 1_000_000_000L) {
                    countedAt = System.nanoTime();
                    if (bench.countRows() >= bench.expected) {
                        return;
                    }
                }
                if (statistics[1] != writes) {
                    writes = statistics[1];
                    movedAt = System.nanoTime();
                } else if (System.nanoTime() - movedAt > STALLED.toNanos()) {
                    throw new IllegalStateException("Nothing written for " + STALLED + " (about " + statistics[0]
                            + " rows so far); log: " + log + "\n" + tail(log));
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
            }
        }
    }

    /** The table's live rows (an estimate) and the rows ever written to it (inserted or updated). */
    private static long[] tableStatistics(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT coalesce(sum(n_live_tup), 0), coalesce(sum(n_tup_ins + n_tup_upd), 0)"
                                + " FROM pg_stat_user_tables WHERE relname = '" + Bench.TABLE + "'")) {
            rows.next();
            return new long[] {rows.getLong(1), rows.getLong(2)};
        }
    }

    /** Notes the start of the earliest transaction seen writing the table (its rows or their staging). */
    private Thread firstWriteSampler(AtomicReference<Timestamp> first) {
        Thread sampler = new Thread(() -> {
            try (Connection connection = DriverManager.getConnection(bench.url, "postgres", "postgres");
                    Statement statement = connection.createStatement()) {
                while (!Thread.currentThread().isInterrupted()) {
                    try (ResultSet rows = statement.executeQuery("SELECT min(xact_start) FROM pg_stat_activity"
                            + " WHERE pid <> pg_backend_pid() AND (query ILIKE '%insert%car_info_table%'"
                            + " OR query ILIKE '%copy%car_info_table%')")) {
                        rows.next();
                        Timestamp at = rows.getTimestamp(1);
                        if (at != null) {
                            first.accumulateAndGet(at, (a, b) -> a == null || b.before(a) ? b : a);
                        }
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
            } catch (SQLException e) {
                // the benchmark is over
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        return sampler;
    }

    /** The rate and the first row from the commit timestamps of the table's rows. */
    private Result commits(
            Instant launched, Timestamp firstWrite, double jvmCpu, double brokerCpu, double postgresCpu, long peakRss)
            throws SQLException {
        try (Connection connection = DriverManager.getConnection(bench.url, "postgres", "postgres");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*), min(at), max(at) FROM (SELECT"
                        + " pg_xact_commit_timestamp(xmin) AS at FROM " + Bench.TABLE + ") c")) {
            rows.next();
            long count = rows.getLong(1);
            Instant firstCommit = rows.getTimestamp(2).toInstant();
            Instant lastCommit = rows.getTimestamp(3).toInstant();
            Instant start = firstWrite != null && firstWrite.toInstant().isBefore(firstCommit)
                    ? firstWrite.toInstant()
                    : firstCommit;
            return new Result(
                    count,
                    Duration.between(start, lastCommit).toNanos() / 1e9,
                    Duration.between(launched, firstCommit).toNanos() / 1e9,
                    Duration.between(launched, lastCommit).toNanos() / 1e9,
                    jvmCpu,
                    brokerCpu,
                    postgresCpu,
                    peakRss);
        }
    }

    /** A killed XA sink can leave prepared transactions, which would hold the table's locks. */
    private void rollBackPrepared() throws SQLException {
        try (Connection connection = DriverManager.getConnection(bench.url, "postgres", "postgres");
                Statement statement = connection.createStatement()) {
            List<String> prepared = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("SELECT gid FROM pg_prepared_xacts")) {
                while (rows.next()) {
                    prepared.add(rows.getString(1));
                }
            }
            for (String gid : prepared) {
                statement.execute("ROLLBACK PREPARED '" + gid.replace("'", "''") + "'");
            }
        }
    }

    private void print() {
        System.out.printf(
                "%n%-42s %-36s %10s %9s %9s %22s %8s%n",
                "system", "rows/s per repetition", "median", "1st row", "last row", "CPU us/row JVM brk PG", "RSS MiB");
        Map<String, Double> medians = new LinkedHashMap<>();
        results.forEach((label, runs) -> {
            List<Result> sorted = runs.stream()
                    .sorted((a, b) -> Double.compare(a.rowsPerSecond(), b.rowsPerSecond()))
                    .toList();
            Result median = sorted.get(sorted.size() / 2);
            medians.put(label, median.rowsPerSecond());
            StringBuilder each = new StringBuilder();
            runs.forEach(run -> each.append(String.format("%,12.0f", run.rowsPerSecond())));
            System.out.printf(
                    "%-42s %-36s %,10.0f %7.1f s %7.1f s %22s %8d%n",
                    label,
                    each,
                    median.rowsPerSecond(),
                    median.firstRowSeconds(),
                    median.lastRowSeconds(),
                    median.cpuPerRow(),
                    runs.stream().mapToLong(Result::peakRssBytes).max().orElse(0) >> 20);
        });
        System.out.printf("%nRatios of medians (targets from the issue):%n");
        ratio(medians, FLINK_BATCH, "  Sluice / Flink at-least-once   %.2f  (target >= 1.5)%n");
        ratio(medians, FLINK_XA, "  Sluice / Flink exactly-once    %.2f  (target >= 1.5)%n");
        ratio(medians, CONNECT, "  Sluice / Kafka Connect          %.2f  (target >= 2)%n");
        ratio(medians, COPY, "  Sluice / COPY limit             %.2f  (target >= 0.5)%n");
    }

    private static void ratio(Map<String, Double> medians, String against, String format) {
        for (String sluice : List.of(SLUICE, SLUICE_IMAGE)) {
            if (medians.containsKey(sluice) && medians.containsKey(against)) {
                System.out.printf(
                        format.replace("Sluice", SLUICE.equals(sluice) ? "Sluice jar  " : "Sluice image"),
                        medians.get(sluice) / medians.get(against));
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
