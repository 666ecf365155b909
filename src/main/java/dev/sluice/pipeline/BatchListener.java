package dev.sluice.pipeline;

/** Told what each micro-batch did at its sink. Called on the query's thread: keep it quick. */
@FunctionalInterface
public interface BatchListener {

    BatchListener NONE = (pipeline, batchId, outcome) -> {};

    void onBatch(String pipeline, long batchId, BatchOutcome outcome);
}
