package dev.sluice.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.sluice.pipeline.BatchOutcome.ExpectationCount;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the control API shows of one pipeline.
 *
 * @param name the pipeline (and Spark query) name
 * @param state where the query is
 * @param desired what the operator (or the configuration) wants: RUNNING or STOPPED
 * @param autoStart whether the service starts it at boot
 * @param id Spark's query id, stable across runs with the same checkpoint
 * @param runId Spark's id for the current (or last) run
 * @param startedAt when the current (or last) run started
 * @param activity what Spark says the query is doing now
 * @param failure why it failed, when it did
 * @param restart the automatic restarts after failures in a row, when there were any
 * @param lastProgress the last micro-batch Spark reported
 * @param lag how far the pipeline trails its Kafka topic, with an estimate of when it catches up
 * @param sink what the sink did since this service started
 * @param expectations the records that broke each of the pipeline's expectations (and rules)
 *     since this service started, with what was done with them
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PipelineStatus(
        String name,
        RunState state,
        DesiredState desired,
        boolean autoStart,
        String id,
        String runId,
        Instant startedAt,
        String activity,
        Failure failure,
        Restart restart,
        Progress lastProgress,
        Lag lag,
        SinkTotals sink,
        List<ExpectationCount> expectations) {

    /** Why a query failed. */
    public record Failure(String message, Instant at) {}

    /**
     * Automatic restarts.
     *
     * @param attempt failures in a row so far
     * @param nextAttemptAt when the next restart happens, if one is planned
     * @param gaveUp true when the restart budget is spent and only an operator's start helps
     */
    public record Restart(int attempt, Instant nextAttemptAt, boolean gaveUp) {}

    /** A summary of one {@code StreamingQueryProgress}. */
    public record Progress(
            long batchId,
            Instant timestamp,
            long numInputRows,
            double inputRowsPerSecond,
            double processedRowsPerSecond,
            Long batchDurationMs) {}

    /**
     * How far a pipeline trails its Kafka topic: the latest offsets minus the offsets it has
     * processed (from its last micro-batch, or from its checkpoint while it is stopped).
     *
     * @param records records waiting, in all partitions
     * @param maxPartitionRecords records waiting in the partition furthest behind
     * @param partitions topic -> partition -> records waiting
     * @param processedRowsPerSecond the rate of the last micro-batch that read any rows, if running
     * @param catchUpSeconds records over that rate: the time to read the backlog (0 when caught
     *     up; absent when not running)
     * @param caughtUpAt when the backlog will have been read at that rate
     * @param measuredAt when the latest offsets were read
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Lag(
            long records,
            long maxPartitionRecords,
            Map<String, Map<Integer, Long>> partitions,
            Double processedRowsPerSecond,
            Double catchUpSeconds,
            Instant caughtUpAt,
            Instant measuredAt) {}

    /** Rows the sink handled since the service started, for this pipeline. */
    public record SinkTotals(
            long rowsWritten, long duplicatesSkipped, long deadLetters, Map<String, Long> deadLettersByReason) {}
}
