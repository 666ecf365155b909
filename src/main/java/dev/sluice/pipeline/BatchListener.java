package dev.sluice.pipeline;

import java.time.Duration;
import java.util.function.Supplier;

/** Told what each micro-batch did at its sink. Called on the query's thread: keep it quick. */
@FunctionalInterface
public interface BatchListener {

    BatchListener NONE = (pipeline, batchId, outcome, writeTime) -> {};

    /**
     * @param writeTime how long the sink took to write the batch (validation, dead letters and
     *     rows), from the start of the write to its commit
     */
    void onBatch(String pipeline, long batchId, BatchOutcome outcome, Duration writeTime);

    /** Runs one micro-batch's write, then tells this listener what it did and how long it took. */
    default void write(String pipeline, long batchId, Supplier<BatchOutcome> write) {
        long start = System.nanoTime();
        BatchOutcome outcome = write.get();
        onBatch(pipeline, batchId, outcome, Duration.ofNanos(System.nanoTime() - start));
    }
}
