package dev.sluice.query;

import dev.sluice.pipeline.BatchListener;
import dev.sluice.pipeline.BatchOutcome;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.pipeline.Redaction;
import jakarta.annotation.PreDestroy;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.util.ShutdownHookManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import scala.runtime.BoxedUnit;

/**
 * Owns the streaming queries of every pipeline: starts, stops and reports on them. Start and stop
 * of one pipeline are serialised; status reads never wait for them.
 */
@Service
public class StreamingQueryManager {

    private static final Logger log = LoggerFactory.getLogger(StreamingQueryManager.class);

    /** Above SparkContext's own shutdown hook (50): queries stop before the context does. */
    private static final int SHUTDOWN_PRIORITY = 60;
    private static final int MAX_MESSAGE_LENGTH = 2000;

    private final SparkSession spark;
    private final Map<String, ManagedQuery> queries = new LinkedHashMap<>();
    private final List<BatchListener> batchListeners;
    private final Object sparkShutdownHook;
    private final TerminationListener terminationListener = new TerminationListener();

    public StreamingQueryManager(SparkSession spark, List<Pipeline> pipelines, List<BatchListener> batchListeners) {
        this.spark = spark;
        this.batchListeners = List.copyOf(batchListeners);
        for (Pipeline pipeline : pipelines) {
            if (queries.putIfAbsent(pipeline.name(), new ManagedQuery(pipeline)) != null) {
                throw new IllegalStateException("Two pipelines are named " + pipeline.name());
            }
        }
        spark.streams().addListener(terminationListener);
        // SIGTERM runs Spark's hooks and Spring's at once; this one makes the queries stop first.
        this.sparkShutdownHook = ShutdownHookManager.addShutdownHook(SHUTDOWN_PRIORITY, () -> {
            stopAll();
            return BoxedUnit.UNIT;
        });
    }

    public List<QueryStatus> list() {
        return queries.values().stream().map(ManagedQuery::status).toList();
    }

    public QueryStatus status(String name) {
        return require(name).status();
    }

    /** Starts the pipeline's query; returns once Spark has started it. */
    public QueryStatus start(String name) {
        ManagedQuery managed = require(name);
        synchronized (managed.lifecycle) {
            QueryState state = managed.state();
            if (state == QueryState.RUNNING || state == QueryState.STOPPING) {
                throw new QueryStateConflictException(name, state, "Pipeline '" + name + "' is already running");
            }
            try {
                managed.started(managed.pipeline.start(spark, this::onBatch));
                log.info("Started pipeline {}", name);
            } catch (Exception e) {
                String message = describe(e);
                managed.failedToStart(message);
                log.error("Pipeline {} could not start: {}", name, message);
                throw new QueryStartException(name, "Pipeline '" + name + "' could not start: " + message, e);
            }
        }
        return managed.status();
    }

    /** Stops the pipeline's query; returns once it has stopped. */
    public QueryStatus stop(String name) {
        ManagedQuery managed = require(name);
        synchronized (managed.lifecycle) {
            QueryState state = managed.state();
            if (state != QueryState.RUNNING) {
                throw new QueryStateConflictException(name, state, "Pipeline '" + name + "' is not running");
            }
            managed.stop();
        }
        return managed.status();
    }

    /** The most recent progress reports, oldest first, as Spark's JSON. */
    public List<String> progress(String name, int limit) {
        StreamingQuery query = require(name).query;
        if (query == null) {
            return List.of();
        }
        StreamingQueryProgress[] recent = query.recentProgress();
        return Arrays.stream(recent, Math.max(0, recent.length - limit), recent.length)
                .map(StreamingQueryProgress::json)
                .toList();
    }

    @EventListener(ApplicationReadyEvent.class)
    public void startAutomatically() {
        for (ManagedQuery managed : queries.values()) {
            String name = managed.pipeline.name();
            if (!managed.pipeline.autoStart()) {
                log.info("Pipeline {}: auto-start is off, STOPPED", name);
                continue;
            }
            try {
                start(name);
            } catch (QueryStartException | QueryStateConflictException e) {
                // Already logged; the service stays up so the operator can see and fix it.
            }
        }
        list().forEach(status -> log.info("Pipeline {}: {}", status.name(), status.state()));
    }

    /** Stops every running query; the manager is done after this. */
    @PreDestroy
    public void stopAll() {
        for (ManagedQuery managed : queries.values()) {
            synchronized (managed.lifecycle) {
                if (managed.state() == QueryState.RUNNING) {
                    log.info("Stopping pipeline {}", managed.pipeline.name());
                    managed.stop();
                }
            }
        }
        PostgresSink.closeConnections();
        spark.streams().removeListener(terminationListener);
        ShutdownHookManager.removeShutdownHook(sparkShutdownHook);
    }

    /** Notes when and why a run ended; Spark calls it on its listener bus, so it only records. */
    private final class TerminationListener extends StreamingQueryListener {
        @Override
        public void onQueryStarted(QueryStartedEvent event) {}

        @Override
        public void onQueryProgress(QueryProgressEvent event) {}

        @Override
        public void onQueryTerminated(QueryTerminatedEvent event) {
            for (ManagedQuery managed : queries.values()) {
                StreamingQuery current = managed.query;
                if (current != null && current.runId().equals(event.runId())) {
                    managed.endedAt = Instant.now();
                    if (event.exception().isDefined()) {
                        log.error("Pipeline {} failed: {}", managed.pipeline.name(), describe(current.exception().get()));
                    }
                }
            }
        }
    }

    private void onBatch(String pipeline, long batchId, BatchOutcome outcome) {
        ManagedQuery managed = queries.get(pipeline);
        if (managed != null) {
            managed.record(outcome);
        }
        for (BatchListener listener : batchListeners) {
            listener.onBatch(pipeline, batchId, outcome);
        }
    }

    private ManagedQuery require(String name) {
        ManagedQuery managed = queries.get(name);
        if (managed == null) {
            throw new UnknownQueryException(name);
        }
        return managed;
    }

    /** A short, credential-free account of an error, for logs and the API. */
    static String describe(Throwable error) {
        Throwable cause = error;
        // Spark wraps the real cause; its own message repeats the whole query plan.
        while (cause.getCause() != null
                && (cause instanceof org.apache.spark.sql.streaming.StreamingQueryException
                        || cause.getMessage() == null)) {
            cause = cause.getCause();
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        message = Redaction.redact(message.strip());
        return message.length() > MAX_MESSAGE_LENGTH ? message.substring(0, MAX_MESSAGE_LENGTH) + "..." : message;
    }

    /**
     * One pipeline and its current (or last) run. Start and stop hold {@link #lifecycle}; the
     * sink totals have their own lock, because the query thread records them while a stop waits
     * for that very thread.
     */
    private static final class ManagedQuery {
        final Object lifecycle = new Object();
        final Pipeline pipeline;
        volatile StreamingQuery query;
        volatile Instant startedAt;
        volatile Instant endedAt;
        volatile QueryStatus.Failure startFailure;
        volatile boolean stopping;
        private long rowsWritten;
        private long duplicatesSkipped;
        private final Map<String, Long> deadLetters = new TreeMap<>();

        ManagedQuery(Pipeline pipeline) {
            this.pipeline = pipeline;
        }

        void started(StreamingQuery query) {
            this.query = query;
            this.startedAt = Instant.now();
            this.endedAt = null;
            this.startFailure = null;
        }

        void failedToStart(String message) {
            this.query = null;
            this.startFailure = new QueryStatus.Failure(message, Instant.now());
        }

        void stop() {
            stopping = true;
            try {
                query.stop();
            } catch (TimeoutException e) {
                log.warn("Pipeline {} did not stop in time: {}", pipeline.name(), e.getMessage());
            } finally {
                stopping = false;
            }
        }

        QueryState state() {
            StreamingQuery current = query;
            if (stopping) {
                return QueryState.STOPPING;
            }
            if (current == null) {
                return startFailure == null ? QueryState.STOPPED : QueryState.FAILED;
            }
            if (current.isActive()) {
                return QueryState.RUNNING;
            }
            return current.exception().isDefined() ? QueryState.FAILED : QueryState.STOPPED;
        }

        synchronized void record(BatchOutcome outcome) {
            rowsWritten += outcome.rowsWritten();
            duplicatesSkipped += outcome.duplicatesSkipped();
            outcome.deadLetters().forEach((reason, count) -> deadLetters.merge(reason, count, Long::sum));
        }

        private synchronized QueryStatus.SinkTotals totals() {
            long dead = deadLetters.values().stream().mapToLong(Long::longValue).sum();
            return new QueryStatus.SinkTotals(rowsWritten, duplicatesSkipped, dead, Map.copyOf(deadLetters));
        }

        QueryStatus status() {
            StreamingQuery current = query;
            QueryState state = state();
            QueryStatus.Failure failure = startFailure;
            if (current != null && state == QueryState.FAILED) {
                failure = new QueryStatus.Failure(describe(current.exception().get()), endedAt);
            }
            return new QueryStatus(
                    pipeline.name(),
                    state,
                    pipeline.autoStart(),
                    current == null ? null : current.id().toString(),
                    current == null ? null : current.runId().toString(),
                    current == null ? null : startedAt,
                    current == null || !current.isActive() ? null : current.status().message(),
                    failure,
                    current == null ? null : summarize(current.lastProgress()),
                    totals());
        }

        private static QueryStatus.Progress summarize(StreamingQueryProgress progress) {
            if (progress == null) {
                return null;
            }
            Long duration = progress.durationMs().get("triggerExecution");
            return new QueryStatus.Progress(
                    progress.batchId(),
                    Instant.parse(progress.timestamp()),
                    progress.numInputRows(),
                    progress.inputRowsPerSecond(),
                    progress.processedRowsPerSecond(),
                    duration);
        }
    }
}
