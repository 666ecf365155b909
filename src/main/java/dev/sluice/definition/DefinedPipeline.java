package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.definition.PipelineDefinition.SourceKind;
import dev.sluice.pipeline.BatchListener;
import dev.sluice.pipeline.BatchOutcome;
import dev.sluice.pipeline.FusedRecords;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.pipeline.KafkaSource;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.pipeline.StartingPoint;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.types.StructType;

/** A pipeline built from its {@link PipelineDefinition}. */
public final class DefinedPipeline implements Pipeline {

    /** Where a definition comes from. */
    public enum Origin {
        /** {@code sluice.pipelines.definitions} in the configuration: read-only over the API. */
        CONFIGURATION,
        /** Created over the API and kept in PostgreSQL. */
        API
    }

    private static final int DEFAULT_MEMORY_ROWS = 1000;

    private final PipelineDefinition definition;
    private final Origin origin;
    private final PipelineEnvironment environment;
    private final InvalidDefinitionException invalid;

    public DefinedPipeline(PipelineDefinition definition, Origin origin, PipelineEnvironment environment) {
        this(definition, origin, environment, null);
    }

    /**
     * @param invalid why a stored definition no longer passes the checks (a later release's rules,
     *     a changed setting): every start is refused with it until the definition is changed
     */
    DefinedPipeline(
            PipelineDefinition definition,
            Origin origin,
            PipelineEnvironment environment,
            InvalidDefinitionException invalid) {
        this.definition = definition;
        this.origin = origin;
        this.environment = environment;
        this.invalid = invalid;
    }

    public PipelineDefinition definition() {
        return definition;
    }

    public Origin origin() {
        return origin;
    }

    @Override
    public String name() {
        return definition.name();
    }

    @Override
    public boolean autoStart() {
        return definition.autoStart();
    }

    @Override
    public String checkpointLocation() {
        return environment.checkpointLocation(name());
    }

    /** A single-topic kafka source, whose lag Sluice measures. */
    @Override
    public Optional<KafkaSource> kafkaSource() {
        PipelineDefinition.Source source = definition.source();
        if (source.kind() != SourceKind.KAFKA || source.topics().size() != 1) {
            return Optional.empty();
        }
        return Optional.of(kafkaSource(source, environment));
    }

    /** The Kafka reader of a kafka source. */
    static KafkaSource kafkaSource(PipelineDefinition.Source source, PipelineEnvironment environment) {
        return new KafkaSource(
                environment.kafkaBootstrapServers(),
                source.topics(),
                source.topics().isEmpty() ? source.topicPattern() : null,
                source.startingOffsets() == null && source.startingTimestamp() == null
                        ? "latest"
                        : source.startingOffsets(),
                source.startingTimestamp(),
                source.maxOffsetsPerTrigger(),
                source.failOnDataLoss() == null || source.failOnDataLoss(),
                environment.kafkaProperties());
    }

    @Override
    public Optional<String> resetRefusal() {
        Sink sink = definition.sink();
        if (!sink.isFiles()) {
            return Optional.empty();
        }
        return Optional.of("Spark's file sink ties " + sink.path()
                + "/_spark_metadata to this checkpoint: with a new checkpoint it"
                + " would skip batches it believes written. Point the sink at a new path instead");
    }

    @Override
    public StreamingQuery start(SparkSession spark, BatchListener listener, StartingPoint from)
            throws TimeoutException {
        if (invalid != null) {
            throw invalid;
        }
        FusedShape.Decision shape = FusedShape.plan(PipelinePlanner.isolatedSession(spark), definition);
        if (shape.fused()) {
            return startFused(spark, listener, from, shape.records());
        }
        PipelinePlanner.Plan plan = PipelinePlanner.build(spark, definition, environment, from);
        Sink sink = definition.sink();
        String name = name();
        DataStreamWriter<Row> writer = switch (sink.kind()) {
            case POSTGRES -> {
                PostgresSink postgres = postgresSink(plan.schema());
                yield plan.output().writeStream().foreachBatch((VoidFunction2<Dataset<Row>, Long>)
                        (batch, batchId) -> postgres.writeResults(batch));
            }
            case PARQUET, JSON, CSV -> {
                DataStreamWriter<Row> files = plan.output()
                        .writeStream()
                        .format(sink.kind().name().toLowerCase(Locale.ROOT))
                        .option("path", sink.path());
                if (sink.kind() == PipelineDefinition.SinkKind.CSV) {
                    files = files.option("header", true);
                }
                yield sink.partitionBy().isEmpty()
                        ? files
                        : files.partitionBy(sink.partitionBy().toArray(String[]::new));
            }
            case KAFKA -> {
                DataStreamWriter<Row> kafka = PipelinePlanner.kafkaRecords(plan.output(), sink)
                        .writeStream()
                        .format("kafka")
                        .options(KafkaSource.clientOptions(
                                environment.kafkaBootstrapServers(), environment.kafkaProperties()))
                        .option("topic", sink.topic());
                yield kafka;
            }
            case CONSOLE ->
                plan.output()
                        .writeStream()
                        .format("console")
                        .option("numRows", sink.maxRows() == null ? 20 : sink.maxRows())
                        .option("truncate", false);
            case MEMORY -> {
                if (from != null) {
                    // The checkpoint was reset: batch numbers start again, and so does the table.
                    environment.memoryTables().remove(name);
                }
                environment
                        .memoryTables()
                        .ensure(
                                name,
                                plan.schema(),
                                definition.outputMode(),
                                sink.keyColumns(),
                                sink.maxRows() == null ? DEFAULT_MEMORY_ROWS : sink.maxRows());
                MemoryTables tables = environment.memoryTables();
                yield plan.output().writeStream().foreachBatch((VoidFunction2<Dataset<Row>, Long>)
                        (batch, batchId) -> tables.apply(name, batchId, batch.collectAsList()));
            }
        };
        ProgressRelay relay = new ProgressRelay(spark, name, plan.rejectReasons(), listener);
        spark.streams().addListener(relay);
        try {
            return writer.queryName(name)
                    .option("checkpointLocation", checkpointLocation())
                    .outputMode(definition.outputMode().spark())
                    .trigger(PipelinePlanner.trigger(definition.trigger()))
                    .start();
        } catch (TimeoutException | RuntimeException e) {
            spark.streams().removeListener(relay);
            throw e;
        }
    }

    /**
     * The fused shape: the Kafka records themselves are the query; each micro-batch's records are
     * decided and written in the tasks that read them, and the batch's outcome (rows, duplicates,
     * dead letters by reason, the time the write took) goes to the listener as the built-in
     * pipelines' does.
     */
    private StreamingQuery startFused(
            SparkSession spark, BatchListener listener, StartingPoint from, FusedRecords fused)
            throws TimeoutException {
        String name = name();
        PostgresSink sink = postgresSink(fused.output());
        return kafkaSource(definition.source(), environment)
                .load(spark, from)
                .select("topic", "partition", "offset", "timestamp", "value")
                .writeStream()
                .queryName(name)
                .option("checkpointLocation", checkpointLocation())
                .outputMode(definition.outputMode().spark())
                .trigger(PipelinePlanner.trigger(definition.trigger()))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, batchId) -> listener.write(
                        name,
                        batchId,
                        () -> sink.write(
                                batch.queryExecution().toRdd().toJavaRDD().mapPartitions(fused::decideAll))))
                .start();
    }

    /**
     * The postgres sink of rows with the given columns: upserted on the key columns, or inserted
     * when there are none; the table made first when the definition asks for it.
     */
    private PostgresSink postgresSink(StructType columns) {
        Sink sink = definition.sink();
        if (Boolean.TRUE.equals(sink.createTable())) {
            createTable(PostgresTables.ddl(sink.table(), columns, sink.keyColumns()));
        }
        PostgresSink.Table table = new PostgresSink.Table(
                sink.table(),
                List.of(columns.fieldNames()).stream()
                        .map(c -> c.toLowerCase(Locale.ROOT))
                        .toList(),
                sink.keyColumns().stream().map(c -> c.toLowerCase(Locale.ROOT)).toList(),
                PostgresSink.Conflict.UPDATE);
        return new PostgresSink(environment.target(), name(), table, environment.deadLetterTable());
    }

    /** Removes what the pipeline keeps outside its checkpoint and sink: its in-memory rows. */
    public void discard() {
        environment.memoryTables().remove(name());
    }

    private void createTable(String ddl) {
        JdbcTarget target = environment.target();
        try (Connection connection = DriverManager.getConnection(target.url(), target.username(), target.password());
                Statement statement = connection.createStatement()) {
            statement.execute(ddl);
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "Could not create the table " + definition.sink().table() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Tells the batch listener what each micro-batch of one run did, from Spark's progress report:
     * result rows written and records rejected by reason (both observed in the plan), and how long
     * the sink took. Removes itself when the run ends.
     */
    private static final class ProgressRelay extends StreamingQueryListener {
        private final SparkSession spark;
        private final String name;
        private final List<String> reasons;
        private final BatchListener listener;

        ProgressRelay(SparkSession spark, String name, List<String> reasons, BatchListener listener) {
            this.spark = spark;
            this.name = name;
            this.reasons = reasons;
            this.listener = listener;
        }

        private volatile java.util.UUID runId;

        @Override
        public void onQueryStarted(QueryStartedEvent event) {
            if (runId == null && name.equals(event.name())) {
                runId = event.runId();
            }
        }

        @Override
        public void onQueryProgress(QueryProgressEvent event) {
            StreamingQueryProgress progress = event.progress();
            if (!progress.runId().equals(runId)) {
                return;
            }
            Row output = progress.observedMetrics().get(PipelinePlanner.OUTPUT_METRICS);
            Row input = progress.observedMetrics().get(PipelinePlanner.INPUT_METRICS);
            if (output == null && input == null) {
                return;
            }
            long rows = output == null || output.isNullAt(0) ? 0 : output.getLong(0);
            Map<String, Long> rejected = new TreeMap<>();
            if (input != null) {
                for (int i = 0; i < reasons.size() && i < input.length(); i++) {
                    long count = input.isNullAt(i) ? 0 : ((Number) input.get(i)).longValue();
                    if (count > 0) {
                        rejected.put(reasons.get(i), count);
                    }
                }
            }
            Long addBatch = progress.durationMs().get("addBatch");
            listener.onBatch(
                    name,
                    progress.batchId(),
                    new BatchOutcome(rows, 0, rejected),
                    Duration.ofMillis(addBatch == null ? 0 : addBatch));
        }

        @Override
        public void onQueryTerminated(QueryTerminatedEvent event) {
            if (event.runId().equals(runId)) {
                spark.streams().removeListener(this);
            }
        }
    }
}
