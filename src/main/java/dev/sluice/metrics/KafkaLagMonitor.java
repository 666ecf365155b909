package dev.sluice.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.pipeline.CheckpointOffsets;
import dev.sluice.pipeline.KafkaSource;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.run.LagSource;
import dev.sluice.run.PipelineStatus;
import dev.sluice.run.RegistryListener;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.kafka.common.TopicPartition;
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
public class KafkaLagMonitor implements LagSource, RegistryListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaLagMonitor.class);

    private final MeterRegistry registry;
    /** The pipelines, read from the one registry of them each time. */
    private volatile Supplier<List<Pipeline>> pipelines = List::of;

    private final Configuration hadoop;
    private final Clock clock;
    private final Map<String, LagTrack> tracks = new ConcurrentHashMap<>();
    private final KafkaOffsets kafka = new KafkaOffsets();
    private final Map<String, String> failing = new ConcurrentHashMap<>();
    private ScheduledExecutorService poller;

    public KafkaLagMonitor(MeterRegistry registry, Configuration hadoop, Clock clock) {
        this.registry = registry;
        this.hadoop = hadoop;
        this.clock = clock;
    }

    /** Where the pipelines are: the runs' registry. */
    public void watch(Supplier<List<Pipeline>> pipelines) {
        this.pipelines = pipelines;
    }

    /**
     * Reads the brokers and checkpoints every {@code interval} in the background, the first time at
     * once (off the service's start: the pipelines need not wait for it).
     */
    public void start(Duration interval) {
        poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-kafka-lag");
            thread.setDaemon(true);
            return thread;
        });
        poller.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void added(Pipeline pipeline) {}

    /** Forgets what was measured of a pipeline that is gone (or replaced by a new definition). */
    @Override
    public void removed(String name) {
        tracks.remove(name);
        failing.remove(name);
    }

    @Override
    public Optional<PipelineStatus.Lag> lag(String pipeline) {
        LagTrack track = tracks.get(pipeline);
        return track == null ? Optional.empty() : track.lag();
    }

    /** A new run of a query: until its first report, what it has processed is in its checkpoint. */
    void onRunStarted(String query) {
        LagTrack track = tracks.get(query);
        if (track != null) {
            track.running(true);
        }
    }

    void onRunEnded(String query) {
        LagTrack track = tracks.get(query);
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
        LagTrack track = track(query);
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
        for (Pipeline pipeline : pipelines.get()) {
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
        Map<TopicPartition, Long> latest = kafka.latest(source);
        LagTrack track = track(pipeline.name());
        if (!track.hasLiveProgress()) {
            track.stoppedAt(processedWhileStopped(pipeline, source, latest));
        }
        track.latest(latest, clock.instant());
    }

    private LagTrack track(String query) {
        return tracks.computeIfAbsent(query, name -> new LagTrack(clock, new LagGauges(registry, name)));
    }

    /** What a pipeline without a live report has processed: its checkpoint, else where it will start. */
    private Map<TopicPartition, Long> processedWhileStopped(
            Pipeline pipeline, KafkaSource source, Map<TopicPartition, Long> latest) throws Exception {
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
        return switch (source.startingOffsets().trim().toLowerCase(Locale.ROOT)) {
            case "latest" -> latest;
            case "earliest" -> kafka.earliest(source, latest.keySet());
            default -> Map.of(); // specific offsets: not worth guessing
        };
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
        kafka.close();
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
}
