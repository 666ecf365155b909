package dev.sluice.bench;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.support.CarInfoEvent;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.spark.sql.streaming.StreamingQuery;

/** Latency from the Kafka record to its commit in PostgreSQL, at a steady produce rate. */
final class LatencyRun {

    private LatencyRun() {}

    static void run(Bench bench) throws Exception {
        String topic = "bench_latency";
        bench.createTopic(topic);
        bench.truncate();
        AtomicLong written = new AtomicLong();
        Pipeline pipeline = bench.builtInPostgres("bench-latency", topic);
        StreamingQuery query = pipeline.start(bench.spark, Bench.counting(written), null);
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(5)); // past the first, empty micro-batch
        int total = Bench.LATENCY_RATE * Bench.LATENCY_SECONDS;
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
        bench.produce(topic, values, sentAt);
        bench.awaitRows(written::get, query, total);
        query.stop();
        double[] latencies = new double[total];
        int found = 0;
        try (Connection connection = DriverManager.getConnection(bench.url, "postgres", "postgres");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT data_id, extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000" + " FROM "
                                + Bench.TABLE + " WHERE data_id LIKE 'lat-%'")) {
            while (rows.next()) {
                int index = Integer.parseInt(rows.getString(1).substring(4));
                latencies[found++] = rows.getDouble(2) - sentAt[index];
            }
        }
        Arrays.sort(latencies, 0, found);
        System.out.printf(
                "%nLatency, Kafka record sent -> row committed in PostgreSQL (Sluice, 1 s trigger, %,d events/s for %d s, %,d rows):%n",
                Bench.LATENCY_RATE, Bench.LATENCY_SECONDS, found);
        System.out.printf(
                "  p50 %,.0f ms   p95 %,.0f ms   p99 %,.0f ms   max %,.0f ms%n",
                percentile(latencies, found, 0.50),
                percentile(latencies, found, 0.95),
                percentile(latencies, found, 0.99),
                latencies[found - 1]);
    }

    private static double percentile(double[] sorted, int count, double p) {
        return sorted[Math.min(count - 1, (int) Math.ceil(p * count) - 1)];
    }
}
