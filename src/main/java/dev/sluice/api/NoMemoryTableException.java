package dev.sluice.api;

import dev.sluice.run.PipelineException;

/** Rows were asked of a pipeline that keeps none in memory. */
class NoMemoryTableException extends PipelineException {

    NoMemoryTableException(String name) {
        super(
                name,
                "Pipeline '" + name
                        + "' has no in-memory rows: its sink is not memory, or it has not started since the service did",
                null);
    }
}
