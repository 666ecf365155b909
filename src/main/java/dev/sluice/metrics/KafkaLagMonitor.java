package dev.sluice.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.pipeline.CheckpointOffsets;
import dev.sluice.pipeline.KafkaSource;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.query.LagSource;
import dev.sluice.query.QueryStatus;
import dev.sluice.query.StreamingQueryManager;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far each pipeline trails its Kafka topic. Spark commits no offsets to a consumer group, so
 * no outside tool can see a Structured Streaming query's lag; this does, for running and stopped
 * pipelines alike:
 *
 * <ul>
 *   <li>what a pipeline has processed comes from its progress reports while it runs, and from its
 *       checkpoint while it does not (or before its first report);
 *   <li>the latest offsets come from the progress reports and, every {@code lagRefresh}, from the
 *       brokers, so a pipeline with a long trigger or a stopped one still shows records arriving.
 * </ul>
 *
 * Meters, tagged {@code query}: {@code sluice_kafka_lag_offsets{topic,partition}},
 * {@code sluice_kafka_lag_max_offsets}, {@code sluice_kafka_backlog_offsets} (all partitions) and
 * {@code sluice_kafka_catch_up_seconds} (the backlog over the last processing rate; NaN while the
 * pipeline does not run).
 */
public class KafkaLagMonitor implements LagSource, StreamingQueryManager.RegistryListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaLagMonitor.class);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(5);

    private final MeterRegistry registry;
    private final Map<String, Pipeline> pipelines = new ConcurrentHashMap<>();
    private final Configuration hadoop;
    private final Clock clock;
    private final Map<String, Track> tracks = new ConcurrentHashMap<>();
    private final Map<String, Admin> admins = new ConcurrentHashMap<>();
    private final Map<String, String> failing = new ConcurrentHashMap<>();
    private ScheduledExecutorService poller;

    public KafkaLagMonitor(MeterRegistry registry, List<Pipeline> pipelines, Configuration hadoop, Clock clock) {
        this.registry = registry;
        this.hadoop = hadoop;
        this.clock = clock;
        pipelines.forEach(pipeline -> this.pipelines.put(pipeline.name(), pipeline));
    }

    /** Reads the brokers and checkpoints once now, then every {@code interval} in the background. */
    public void start(Duration interval) {
        refresh();
        poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-kafka-lag");
            thread.setDaemon(true);
            return thread;
        });
        poller.scheduleWithFixedDelay(this::refresh, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void added(Pipeline pipeline) {
        pipelines.put(pipeline.name(), pipeline);
    }

    @Override
    public void removed(String name) {
        pipelines.remove(name);
        tracks.remove(name);
        failing.remove(name);
    }

    @Override
    public Optional<QueryStatus.Lag> lag(String pipeline) {
        Track track = tracks.get(pipeline);
        return track == null ? Optional.empty() : track.lag();
    }

    /** A new run of a query: until its first report, what it has processed is in its checkpoint. */
    void onRunStarted(String query) {
        Track track = tracks.get(query);
        if (track != null) {
            track.running(true);
        }
    }

    void onRunEnded(String query) {
        Track track = tracks.get(query);
        if (track != null) {
            track.running(false);
        }
    }

    /** Takes one progress report, as Spark writes it in JSON. Cheap: runs on Spark's listener bus. */
    void onProgress(String query, JsonNode progress) {
        Map<TopicPartition, Long> latest = new HashMap<>();
        Map<TopicPartition, Long> processed = new HashMap<>();
        for (JsonNode source : progress.path("sources")) {
            offsets(source.path("latestOffset"), latest);
            offsets(source.path("endOffset"), processed);
        }
        if (processed.isEmpty()) {
            return;
        }
        Track track = tracks.computeIfAbsent(query, Track::new);
        double rate = progress.path("numInputRows").asLong() > 0
                ? progress.path("processedRowsPerSecond").asDouble(Double.NaN)
                : Double.NaN;
        track.progress(
                processed,
                latest,
                rate,
                Instant.parse(progress.path("timestamp").asText()));
    }

    /** Reads the latest offsets of every Kafka pipeline's topic, and stopped pipelines' checkpoints. */
    void refresh() {
        for (Pipeline pipeline : pipelines.values()) {
            Optional<KafkaSource> source = pipeline.kafkaSource();
            if (source.isEmpty()) {
                continue;
            }
            try {
                refresh(pipeline, source.get());
                if (failing.remove(pipeline.name()) != null) {
                    log.info("Measuring the lag of pipeline {} again", pipeline.name());
                }
            } catch (Exception e) {
                String message =
                        (e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e).toString();
                // Say it once per outage, not every refresh.
                if (!message.equals(failing.put(pipeline.name(), message))) {
                    log.warn("Could not measure the lag of pipeline {}: {}", pipeline.name(), message);
                }
            } catch (Throwable e) {
                log.error("Lag measurement of pipeline {} failed", pipeline.name(), e);
            }
        }
    }

    private void refresh(Pipeline pipeline, KafkaSource source) throws Exception {
        Admin admin =
                admins.computeIfAbsent(source.bootstrapServers() + source.kafkaProperties(), key -> admin(source));
        TopicDescription topic = admin.describeTopics(List.of(source.topic()))
                .allTopicNames()
                .get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .get(source.topic());
        Map<TopicPartition, OffsetSpec> latestSpec = new HashMap<>();
        for (TopicPartitionInfo partition : topic.partitions()) {
            latestSpec.put(new TopicPartition(source.topic(), partition.partition()), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> latest = listOffsets(admin, latestSpec);
        Track track = tracks.computeIfAbsent(pipeline.name(), Track::new);
        if (!track.hasLiveProgress()) {
            track.stoppedAt(processedWhileStopped(admin, pipeline, source, latest));
        }
        track.latest(latest, clock.instant());
    }

    /** What a pipeline without a live report has processed: its checkpoint, else where it will start. */
    private Map<TopicPartition, Long> processedWhileStopped(
            Admin admin, Pipeline pipeline, KafkaSource source, Map<TopicPartition, Long> latest) throws Exception {
        CheckpointOffsets checkpoint = CheckpointOffsets.read(hadoop, pipeline.checkpointLocation());
        Map<TopicPartition, Long> processed = new HashMap<>();
        if (checkpoint.committedBatchId() != null) {
            checkpoint
                    .offsets()
                    .forEach((topic, partitions) -> partitions.forEach(
                            (partition, offset) -> processed.put(new TopicPartition(topic, partition), offset)));
            return processed;
        }
        if (source.startingOffsets() == null) {
            return Map.of(); // from a timestamp: not worth guessing either
        }
        switch (source.startingOffsets().trim().toLowerCase()) {
            case "latest":
                return latest;
            case "earliest":
                Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
                latest.keySet().forEach(partition -> earliest.put(partition, OffsetSpec.earliest()));
                return listOffsets(admin, earliest);
            default:
                return Map.of(); // specific offsets: not worth guessing
        }
    }

    private static Map<TopicPartition, Long> listOffsets(Admin admin, Map<TopicPartition, OffsetSpec> spec)
            throws Exception {
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> found =
                admin.listOffsets(spec).all().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, Long> offsets = new HashMap<>();
        found.forEach((partition, info) -> offsets.put(partition, info.offset()));
        return offsets;
    }

    private static Admin admin(KafkaSource source) {
        Properties properties = new Properties();
        properties.putAll(source.kafkaProperties());
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, source.bootstrapServers());
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "sluice-lag-monitor");
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
        properties.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 10_000);
        return Admin.create(properties);
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
        admins.values().forEach(admin -> admin.close(Duration.ofSeconds(1)));
        admins.clear();
    }

    private static void offsets(JsonNode topics, Map<TopicPartition, Long> into) {
        for (Iterator<Map.Entry<String, JsonNode>> t = topics.fields(); t.hasNext(); ) {
            Map.Entry<String, JsonNode> topic = t.next();
            if (!topic.getValue().isObject()) {
                return; // not a Kafka source
            }
            for (Iterator<Map.Entry<String, JsonNode>> p = topic.getValue().fields(); p.hasNext(); ) {
                Map.Entry<String, JsonNode> partition = p.next();
                into.put(
                        new TopicPartition(topic.getKey(), Integer.parseInt(partition.getKey())),
                        partition.getValue().asLong());
            }
        }
    }

    /** One pipeline's positions; written by the listener bus and the poller, read by scrapes and the API. */
    private final class Track {
        private final String query;
        private final Map<TopicPartition, Long> processed = new HashMap<>();
        private final Map<TopicPartition, Long> latest = new HashMap<>();
        private final Map<TopicPartition, AtomicReference<Double>> partitionGauges = new ConcurrentHashMap<>();
        private final AtomicReference<Double> max = new AtomicReference<>(Double.NaN);
        private final AtomicReference<Double> backlog = new AtomicReference<>(Double.NaN);
        private final AtomicReference<Double> catchUp = new AtomicReference<>(Double.NaN);
        private boolean running;
        private boolean liveProgress;
        private double rate = Double.NaN;
        private Instant measuredAt;
        private QueryStatus.Lag lag;

        Track(String query) {
            this.query = query;
            gauge("sluice.kafka.lag.max", "The most records waiting in any one partition", max);
            gauge("sluice.kafka.backlog", "Records waiting in all partitions", backlog);
            Gauge.builder("sluice.kafka.catch.up", catchUp, AtomicReference::get)
                    .baseUnit("seconds")
                    .description("Time to read the backlog at the last processing rate (NaN while not running)")
                    .tag("query", query)
                    .register(registry);
        }

        private void gauge(String name, String description, AtomicReference<Double> value) {
            Gauge.builder(name, value, AtomicReference::get)
                    .baseUnit("offsets")
                    .description(description)
                    .tag("query", query)
                    .register(registry);
        }

        synchronized boolean hasLiveProgress() {
            return liveProgress;
        }

        synchronized void running(boolean running) {
            this.running = running;
            this.liveProgress = false;
            if (!running) {
                rate = Double.NaN;
            }
            update();
        }

        synchronized void progress(
                Map<TopicPartition, Long> processed, Map<TopicPartition, Long> latest, double rate, Instant at) {
            this.running = true;
            this.liveProgress = true;
            this.processed.putAll(processed);
            latest.forEach((partition, offset) -> this.latest.merge(partition, offset, Math::max));
            if (!Double.isNaN(rate)) {
                this.rate = rate;
            }
            this.measuredAt = measuredAt == null || at.isAfter(measuredAt) ? at : measuredAt;
            update();
        }

        synchronized void stoppedAt(Map<TopicPartition, Long> processed) {
            if (!liveProgress) {
                this.processed.clear();
                this.processed.putAll(processed);
            }
        }

        synchronized void latest(Map<TopicPartition, Long> latest, Instant at) {
            latest.forEach((partition, offset) -> this.latest.merge(partition, offset, Math::max));
            this.latest.keySet().retainAll(latest.keySet());
            this.measuredAt = at;
            update();
        }

        synchronized Optional<QueryStatus.Lag> lag() {
            return Optional.ofNullable(lag);
        }

        private void update() {
            long total = 0;
            long most = 0;
            Map<String, Map<Integer, Long>> partitions = new TreeMap<>();
            for (Map.Entry<TopicPartition, Long> entry : latest.entrySet()) {
                Long read = processed.get(entry.getKey());
                if (read == null) {
                    continue;
                }
                long behind = Math.max(0, entry.getValue() - read);
                partitionGauges
                        .computeIfAbsent(entry.getKey(), this::partitionGauge)
                        .set((double) behind);
                partitions
                        .computeIfAbsent(entry.getKey().topic(), topic -> new TreeMap<>())
                        .put(entry.getKey().partition(), behind);
                total += behind;
                most = Math.max(most, behind);
            }
            if (partitions.isEmpty()) {
                lag = null;
                max.set(Double.NaN);
                backlog.set(Double.NaN);
                catchUp.set(Double.NaN);
                return;
            }
            Double seconds = null; // unknown while not running, or before a rate is known
            if (running && total == 0) {
                seconds = 0.0;
            } else if (running && rate > 0) {
                seconds = total / rate;
            }
            max.set((double) most);
            backlog.set((double) total);
            catchUp.set(seconds == null ? (running && total > 0 ? Double.POSITIVE_INFINITY : Double.NaN) : seconds);
            lag = new QueryStatus.Lag(
                    total,
                    most,
                    partitions,
                    running && !Double.isNaN(rate) ? rate : null,
                    seconds,
                    seconds == null ? null : clock.instant().plusMillis(Math.round(seconds * 1000)),
                    measuredAt);
        }

        private AtomicReference<Double> partitionGauge(TopicPartition partition) {
            AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
            Gauge.builder("sluice.kafka.lag", value, AtomicReference::get)
                    .baseUnit("offsets")
                    .description("Records in the partition the query has not processed yet")
                    .tags(
                            "query",
                            query,
                            "topic",
                            partition.topic(),
                            "partition",
                            Integer.toString(partition.partition()))
                    .register(registry);
            return value;
        }
    }
}
