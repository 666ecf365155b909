package dev.sluice.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Spark's progress reports as Micrometer meters, tagged {@code query=<pipeline name>} (never the
 * run id, which changes on every restart):
 *
 * <ul>
 *   <li>{@code sluice_query_input_rows_total}; {@code sluice_query_input_rows_per_second},
 *       {@code sluice_query_processed_rows_per_second}; {@code sluice_query_batch_duration_seconds}
 *       and {@code sluice_query_batch_phase_duration_seconds{phase}} (addBatch, latestOffset,
 *       walCommit...); {@code sluice_query_last_batch_id};
 *       {@code sluice_query_last_progress_timestamp_seconds};
 *   <li>Kafka lag, through the {@link KafkaLagMonitor};
 *   <li>stateful queries: {@code sluice_query_watermark_delay_seconds},
 *       {@code sluice_query_state_rows}, {@code sluice_query_state_memory_bytes},
 *       {@code sluice_query_rows_dropped_by_watermark_total}.
 * </ul>
 *
 * It runs on Spark's listener bus, so it only parses one small JSON document per micro-batch and
 * sets values; the registry reads them when scraped.
 */
@Component
class RunProgressMetrics extends StreamingQueryListener implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(RunProgressMetrics.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MeterRegistry registry;
    private final SparkSession spark;
    private final Map<String, QueryGauges> queries = new ConcurrentHashMap<>();
    private final KafkaLagMonitor lag;
    private final Map<UUID, String> runs = new ConcurrentHashMap<>();

    RunProgressMetrics(MeterRegistry registry, SparkSession spark, KafkaLagMonitor lag) {
        this.registry = registry;
        this.spark = spark;
        this.lag = lag;
        if (spark != null) {
            spark.streams().addListener(this);
        }
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        if (event.name() != null) {
            runs.put(event.runId(), event.name());
            lag.onRunStarted(event.name());
        }
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        try {
            record(JSON.readTree(event.progress().json()));
        } catch (JsonProcessingException | RuntimeException e) {
            // Metrics must never disturb the query; one lost sample is the price.
            log.warn("Could not turn a progress report into metrics: {}", e.getMessage());
        }
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        String query = runs.remove(event.runId());
        if (query != null) {
            lag.onRunEnded(query);
        }
    }

    /** Drops what is known of a removed pipeline. */
    void forget(String query) {
        queries.remove(query);
        runs.values().removeIf(query::equals);
    }

    /** Takes one {@code StreamingQueryProgress} as Spark writes it in JSON. */
    void record(JsonNode progress) {
        String query = progress.path("name").asText(null);
        if (query == null || query.isEmpty()) {
            return;
        }
        QueryGauges gauges = queries.computeIfAbsent(query, this::register);
        long inputRows = progress.path("numInputRows").asLong();
        double processedPerSecond = progress.path("processedRowsPerSecond").asDouble(Double.NaN);
        Counter.builder("sluice.query.input.rows")
                .description("Rows read by the query")
                .tag("query", query)
                .register(registry)
                .increment(inputRows);
        gauges.inputRowsPerSecond.set(progress.path("inputRowsPerSecond").asDouble(Double.NaN));
        gauges.processedRowsPerSecond.set(processedPerSecond);
        gauges.lastBatchId.set((double) progress.path("batchId").asLong());
        gauges.lastProgress.set(
                Instant.parse(progress.path("timestamp").asText()).toEpochMilli() / 1000.0);

        JsonNode durations = progress.path("durationMs");
        if (durations.has("triggerExecution")) {
            Timer.builder("sluice.query.batch.duration")
                    .description("Time of a whole micro-batch")
                    .tag("query", query)
                    .register(registry)
                    .record(Duration.ofMillis(durations.path("triggerExecution").asLong()));
        }
        for (Iterator<Map.Entry<String, JsonNode>> phases = durations.fields(); phases.hasNext(); ) {
            Map.Entry<String, JsonNode> phase = phases.next();
            if (!phase.getKey().equals("triggerExecution")) {
                Timer.builder("sluice.query.batch.phase.duration")
                        .description("Time of one phase of a micro-batch")
                        .tag("query", query)
                        .tag("phase", phase.getKey())
                        .register(registry)
                        .record(Duration.ofMillis(phase.getValue().asLong()));
            }
        }

        lag.onProgress(query, progress);

        String watermark = progress.path("eventTime").path("watermark").asText(null);
        gauges.watermarkDelay.set(
                watermark == null
                        ? Double.NaN
                        : Duration.between(
                                                Instant.parse(watermark),
                                                Instant.parse(progress.path("timestamp")
                                                        .asText()))
                                        .toMillis()
                                / 1000.0);
        double stateRows = 0;
        double stateMemory = 0;
        long dropped = 0;
        for (JsonNode operator : progress.path("stateOperators")) {
            stateRows += operator.path("numRowsTotal").asLong();
            stateMemory += operator.path("memoryUsedBytes").asLong();
            dropped += operator.path("numRowsDroppedByWatermark").asLong();
        }
        boolean stateful = progress.path("stateOperators").size() > 0;
        gauges.stateRows.set(stateful ? stateRows : Double.NaN);
        gauges.stateMemory.set(stateful ? stateMemory : Double.NaN);
        Counter.builder("sluice.query.rows.dropped.by.watermark")
                .description("Late rows a stateful query ignored")
                .tag("query", query)
                .register(registry)
                .increment(dropped);
    }

    @Override
    public void destroy() {
        if (spark != null) {
            spark.streams().removeListener(this);
        }
    }

    private QueryGauges register(String query) {
        QueryGauges gauges = new QueryGauges();
        gauge("sluice.query.input.rows.per.second", "Rows per second arriving", query, gauges.inputRowsPerSecond, null);
        gauge(
                "sluice.query.processed.rows.per.second",
                "Rows per second the query processes",
                query,
                gauges.processedRowsPerSecond,
                null);
        gauge("sluice.query.last.batch.id", "The last micro-batch reported", query, gauges.lastBatchId, null);
        gauge(
                "sluice.query.last.progress.timestamp",
                "When the last micro-batch started (epoch)",
                query,
                gauges.lastProgress,
                "seconds");
        gauge(
                "sluice.query.watermark.delay",
                "How far the event-time watermark trails the batch time",
                query,
                gauges.watermarkDelay,
                "seconds");
        gauge("sluice.query.state.rows", "Rows kept in state stores", query, gauges.stateRows, null);
        gauge("sluice.query.state.memory", "Memory used by state stores", query, gauges.stateMemory, "bytes");
        return gauges;
    }

    private void gauge(String name, String description, String query, AtomicReference<Double> value, String unit) {
        Gauge.Builder<AtomicReference<Double>> builder = Gauge.builder(name, value, AtomicReference::get)
                .description(description)
                .tag("query", query);
        if (unit != null) {
            builder = builder.baseUnit(unit);
        }
        builder.register(registry);
    }

    /** The latest values of one query's gauges. */
    private static final class QueryGauges {
        final AtomicReference<Double> inputRowsPerSecond = new AtomicReference<>(Double.NaN);
        final AtomicReference<Double> processedRowsPerSecond = new AtomicReference<>(Double.NaN);
        final AtomicReference<Double> lastBatchId = new AtomicReference<>(Double.NaN);
        final AtomicReference<Double> lastProgress = new AtomicReference<>(Double.NaN);
        final AtomicReference<Double> watermarkDelay = new AtomicReference<>(Double.NaN);
        final AtomicReference<Double> stateRows = new AtomicReference<>(Double.NaN);
        final AtomicReference<Double> stateMemory = new AtomicReference<>(Double.NaN);
    }
}
