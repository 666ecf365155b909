package dev.sluice.pipeline;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one micro-batch (or one partition of it) did at the sink.
 *
 * @param rowsWritten rows the sink stored
 * @param duplicatesSkipped accepted rows the sink already held (a replayed batch, or an event sent
 *     twice upstream)
 * @param deadLetters rejected records by reason
 * @param expectations the records that broke each of the pipeline's expectations, every one of
 *     them listed, in the definition's order
 */
public record BatchOutcome(
        long rowsWritten, long duplicatesSkipped, Map<String, Long> deadLetters, List<ExpectationCount> expectations)
        implements Serializable {

    public static final BatchOutcome EMPTY = new BatchOutcome(0, 0, Map.of());

    public BatchOutcome {
        deadLetters = Map.copyOf(deadLetters);
        expectations = List.copyOf(expectations);
    }

    /** An outcome of a pipeline without expectations. */
    public BatchOutcome(long rowsWritten, long duplicatesSkipped, Map<String, Long> deadLetters) {
        this(rowsWritten, duplicatesSkipped, deadLetters, List.of());
    }

    /** The same outcome with these expectation counts. */
    public BatchOutcome withExpectations(List<ExpectationCount> counts) {
        return new BatchOutcome(rowsWritten, duplicatesSkipped, deadLetters, counts);
    }

    public BatchOutcome plus(BatchOutcome other) {
        Map<String, Long> reasons = new TreeMap<>(deadLetters);
        other.deadLetters.forEach((reason, count) -> reasons.merge(reason, count, Long::sum));
        return new BatchOutcome(
                rowsWritten + other.rowsWritten,
                duplicatesSkipped + other.duplicatesSkipped,
                reasons,
                ExpectationCount.sum(expectations, other.expectations));
    }

    /**
     * How many records broke one expectation.
     *
     * @param name the expectation
     * @param action what was done with them: warn, drop, quarantine or fail
     * @param records how many
     */
    public record ExpectationCount(String name, String action, long records) implements Serializable {

        /** The counts of both lists added by expectation, in the order they first appear. */
        public static List<ExpectationCount> sum(List<ExpectationCount> a, List<ExpectationCount> b) {
            if (b.isEmpty()) {
                return a;
            }
            Map<String, ExpectationCount> sums = new LinkedHashMap<>();
            for (List<ExpectationCount> counts : List.of(a, b)) {
                for (ExpectationCount count : counts) {
                    sums.merge(
                            count.name, count, (x, y) -> new ExpectationCount(x.name, x.action, x.records + y.records));
                }
            }
            return new ArrayList<>(sums.values());
        }
    }
}
