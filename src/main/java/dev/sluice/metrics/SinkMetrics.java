package dev.sluice.metrics;

import dev.sluice.pipeline.BatchListener;
import dev.sluice.pipeline.BatchOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import org.springframework.stereotype.Component;

/**
 * Counts what the sinks did, tagged by pipeline ({@code query}): {@code sluice_sink_rows_total}
 * by {@code outcome} (written, duplicate), {@code sluice_dead_letters_total} by {@code reason}, and
 * {@code sluice_sink_write_duration_seconds} (a histogram, for write latency quantiles), and
 * {@code sluice_expectation_records_total} by {@code expectation} and {@code action}.
 */
@Component
class SinkMetrics implements BatchListener {

    private final MeterRegistry registry;

    SinkMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void onBatch(String pipeline, long batchId, BatchOutcome outcome, Duration writeTime) {
        Timer.builder("sluice.sink.write.duration")
                .description("Time the sink took to write one micro-batch, until its commit")
                .tag("query", pipeline)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry)
                .record(writeTime);
        rows(pipeline, "written").increment(outcome.rowsWritten());
        rows(pipeline, "duplicate").increment(outcome.duplicatesSkipped());
        outcome.deadLetters()
                .forEach((reason, count) -> Counter.builder("sluice.dead.letters")
                        .description("Records rejected to the dead letters")
                        .tag("query", pipeline)
                        .tag("reason", reason)
                        .register(registry)
                        .increment(count));
        for (BatchOutcome.ExpectationCount count : outcome.expectations()) {
            Counter.builder("sluice.expectation.records")
                    .description("Records that broke an expectation, by what was done with them")
                    .tag("query", pipeline)
                    .tag("expectation", count.name())
                    .tag("action", count.action())
                    .register(registry)
                    .increment(count.records());
        }
    }

    private Counter rows(String pipeline, String outcome) {
        return Counter.builder("sluice.sink.rows")
                .description("Rows handled by the sink")
                .tag("query", pipeline)
                .tag("outcome", outcome)
                .register(registry);
    }
}
