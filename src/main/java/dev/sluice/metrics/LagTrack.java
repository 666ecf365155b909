package dev.sluice.metrics;

import dev.sluice.run.PipelineStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * One pipeline's positions in its topic (processed and latest offsets per partition) and the lag
 * they make; written by Spark's listener bus and the poller, read by scrapes and the API.
 */
final class LagTrack {

    private final Clock clock;
    private final LagGauges gauges;
    private final Map<TopicPartition, Long> processed = new HashMap<>();
    private final Map<TopicPartition, Long> latest = new HashMap<>();
    private boolean running;
    private boolean liveProgress;
    private double rate = Double.NaN;
    private Instant measuredAt;
    private PipelineStatus.Lag lag;

    LagTrack(Clock clock, LagGauges gauges) {
        this.clock = clock;
        this.gauges = gauges;
    }

    /** Whether a running query's progress reports say what it has processed. */
    synchronized boolean hasLiveProgress() {
        return liveProgress;
    }

    /** A run started or ended: until its first report, what it has processed is in its checkpoint. */
    synchronized void running(boolean running) {
        this.running = running;
        this.liveProgress = false;
        if (!running) {
            rate = Double.NaN;
        }
        update();
    }

    /** A progress report: the offsets processed, the latest it saw, the processing rate (or NaN). */
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

    /** What a pipeline without live reports has processed (its checkpoint, or where it will start). */
    synchronized void stoppedAt(Map<TopicPartition, Long> processed) {
        if (!liveProgress) {
            this.processed.clear();
            this.processed.putAll(processed);
        }
    }

    /** The brokers' latest offsets: partitions not among them are gone. */
    synchronized void latest(Map<TopicPartition, Long> latest, Instant at) {
        latest.forEach((partition, offset) -> this.latest.merge(partition, offset, Math::max));
        this.latest.keySet().retainAll(latest.keySet());
        this.measuredAt = at;
        update();
    }

    synchronized Optional<PipelineStatus.Lag> lag() {
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
            partitions
                    .computeIfAbsent(entry.getKey().topic(), topic -> new TreeMap<>())
                    .put(entry.getKey().partition(), behind);
            total += behind;
            most = Math.max(most, behind);
        }
        if (partitions.isEmpty()) {
            lag = null;
        } else {
            Double seconds = null; // unknown while not running, or before a rate is known
            if (running && total == 0) {
                seconds = 0.0;
            } else if (running && rate > 0) {
                seconds = total / rate;
            }
            lag = new PipelineStatus.Lag(
                    total,
                    most,
                    partitions,
                    running && !Double.isNaN(rate) ? rate : null,
                    seconds,
                    seconds == null ? null : clock.instant().plusMillis(Math.round(seconds * 1000)),
                    measuredAt);
        }
        gauges.show(lag, running);
    }
}
