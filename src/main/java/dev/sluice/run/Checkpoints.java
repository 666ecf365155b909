package dev.sluice.run;

import dev.sluice.pipeline.CheckpointOffsets;
import dev.sluice.pipeline.Pipeline;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;

/**
 * The pipelines' checkpoints, where Spark keeps them (a local folder or HDFS): read and
 * discarded for the manager, each failure a {@link CheckpointAccessException} naming the pipeline.
 */
final class Checkpoints {

    private final Configuration hadoop;

    Checkpoints(Configuration hadoop) {
        this.hadoop = hadoop;
    }

    /** What the pipeline's checkpoint holds: the offsets of its last planned and committed batches. */
    CheckpointOffsets read(Pipeline pipeline) {
        try {
            return CheckpointOffsets.read(hadoop, pipeline.checkpointLocation());
        } catch (IOException e) {
            throw new CheckpointAccessException(
                    pipeline.name(),
                    "Could not read the checkpoint of '" + pipeline.name() + "': " + RunFailure.describe(e),
                    e);
        }
    }

    /** Discards the pipeline's checkpoint; its next run starts afresh. */
    void delete(Pipeline pipeline) {
        try {
            CheckpointOffsets.delete(hadoop, pipeline.checkpointLocation());
        } catch (IOException e) {
            throw new CheckpointAccessException(
                    pipeline.name(),
                    "Could not delete the checkpoint of '" + pipeline.name() + "': " + RunFailure.describe(e),
                    e);
        }
    }
}
