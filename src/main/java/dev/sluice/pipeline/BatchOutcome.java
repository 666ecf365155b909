package dev.sluice.pipeline;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one micro-batch (or one partition of it) did at the sink.
 *
 * @param rowsWritten rows the sink stored
 * @param duplicatesSkipped accepted rows the sink already held (a replayed batch, or an event sent
 *     twice upstream)
 * @param deadLetters rejected records by reason
 */
public record BatchOutcome(long rowsWritten, long duplicatesSkipped, Map<String, Long> deadLetters)
        implements Serializable {

    public static final BatchOutcome EMPTY = new BatchOutcome(0, 0, Map.of());

    public BatchOutcome {
        deadLetters = Map.copyOf(deadLetters);
    }

    public BatchOutcome plus(BatchOutcome other) {
        Map<String, Long> reasons = new TreeMap<>(deadLetters);
        other.deadLetters.forEach((reason, count) -> reasons.merge(reason, count, Long::sum));
        return new BatchOutcome(rowsWritten + other.rowsWritten, duplicatesSkipped + other.duplicatesSkipped, reasons);
    }
}
