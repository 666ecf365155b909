package dev.sluice.definition;

import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.definition.PipelineDefinition.SourceKind;
import dev.sluice.pipeline.BatchListener;
import dev.sluice.pipeline.BatchOutcome;
import dev.sluice.pipeline.BatchRecords;
import dev.sluice.pipeline.Dependencies;
import dev.sluice.pipeline.FusedRecords;
import dev.sluice.pipeline.KafkaSource;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PostgresSink;
import dev.sluice.pipeline.StartingPoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.util.LongAccumulator;
import scala.Option;

/** A pipeline built from its {@link PipelineDefinition}. */
public final class DefinedPipeline implements Pipeline {

    /** Where a definition comes from. */
    public enum Origin {
        /** A built-in pipeline ({@link BuiltInDefinitions}), from its {@code sluice.pipelines.car-info-*} settings: read-only. */
        BUILT_IN,
        /** {@code sluice.pipelines.definitions} in the configuration: read-only over the API. */
        CONFIGURATION,
        /** Created over the API and kept in PostgreSQL. */
        API
    }

    /** Held while a query starts: the session's settings a start changes are its own. */
    private static final Object STARTING = new Object();

    private static final String WHOLE_STAGE_CODEGEN = "spark.sql.codegen.wholeStage";

    private final PipelineDefinition definition;
    private final Origin origin;
    private final PipelineEnvironment environment;
    private final InvalidDefinitionException invalid;
    /**
     * Where it runs, as its validation planned it: a start need not plan it again. The plan
     * depends only on the definition and the session's settings, which do not change.
     */
    private volatile FusedShape.Decision planned;

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

    /** Keeps the shape its validation planned, for its starts. */
    void planned(FusedShape.Decision shape) {
        this.planned = shape;
    }

    /** The shape planned so far, or null. */
    FusedShape.Decision plannedShape() {
        return planned;
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

    /** PostgreSQL (every pipeline keeps its dead letters there), and the brokers of a kafka source. */
    @Override
    public boolean dependenciesAnswer() {
        if (!Dependencies.postgresAnswers(environment.target())) {
            return false;
        }
        return definition.source().kind() != SourceKind.KAFKA
                || Dependencies.kafkaAnswers(environment.kafkaBootstrapServers(), environment.kafkaProperties());
    }

    @Override
    public Map<String, String> expectations() {
        Map<String, String> actions = new LinkedHashMap<>();
        definition
                .checks()
                .forEach(check -> actions.put(check.name(), check.action().label()));
        return actions;
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
        FusedShape.Decision shape = shape(spark);
        if (shape.fused()) {
            return startFused(spark, listener, from, shape.records());
        }
        PipelinePlanner.Plan plan = PipelinePlanner.build(spark, definition, environment, from);
        String name = name();
        DataStreamWriter<Row> writer = SinkKindSpec.of(definition.sink().kind())
                .writer(new SinkKindSpec.Run(definition, environment, from), plan.output());
        ProgressRelay relay = new ProgressRelay(spark, definition, plan.rejectReasons(), listener);
        spark.streams().addListener(relay);
        try {
            return startQuery(
                    spark,
                    writer.queryName(name)
                            .option("checkpointLocation", checkpointLocation())
                            .outputMode(definition.outputMode().spark())
                            .trigger(PipelinePlanner.trigger(definition.trigger())),
                    true);
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
        PostgresSink sink = PostgresSinkKind.sink(new SinkKindSpec.Run(definition, environment, from), fused.output());
        List<LongAccumulator> counters = new ArrayList<>();
        for (int i = 0; i < fused.expectations(); i++) {
            counters.add(spark.sparkContext().longAccumulator(name + ".expectation." + i));
        }
        // The source's own rows, with no projection (and no copy of each record) before the tasks read them.
        Dataset<Row> records = kafkaSource(definition.source(), environment).load(spark, from);
        FusedRecords counting = fused.counting(counters);
        long[] counted = new long[counters.size()];
        DataStreamWriter<Row> writer = records.writeStream()
                .queryName(name)
                .option("checkpointLocation", checkpointLocation())
                .outputMode(definition.outputMode().spark())
                .trigger(PipelinePlanner.trigger(definition.trigger()))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, batchId) ->
                        listener.write(name, batchId, () -> {
                            BatchRecords read = BatchRecords.of(spark, batch);
                            FusedRecords deciding = counting.readingFrom(read.schema());
                            BatchOutcome outcome =
                                    sink.write(read.rows().toJavaRDD().mapPartitions(deciding::decideAll));
                            // The accumulators hold every batch of this run: this batch's counts are what they added.
                            long[] batchCounts = new long[counted.length];
                            for (int i = 0; i < counted.length; i++) {
                                long total = counters.get(i).sum();
                                batchCounts[i] = total - counted[i];
                                counted[i] = total;
                            }
                            return outcome.withExpectations(ExpectationRules.counted(definition, batchCounts));
                        }));
        // The batch's records are read from the scan itself (BatchRecords): a compiled stage over it
        // would only be compiled, at every start, and never run.
        return startQuery(spark, writer, false);
    }

    /**
     * Starts a query, one start at a time. Spark plans a query's micro-batches in a copy of the
     * session taken as the query is created, so a setting made here for one start reaches that
     * query only.
     *
     * @param wholeStageCodegen whether its micro-batches are planned with whole-stage code
     *     generation (Spark's default, and the setting everywhere else)
     */
    private static StreamingQuery startQuery(
            SparkSession spark, DataStreamWriter<Row> writer, boolean wholeStageCodegen) throws TimeoutException {
        synchronized (STARTING) {
            if (wholeStageCodegen) {
                return writer.start();
            }
            RuntimeConfig conf = spark.conf();
            Option<String> before = conf.getOption(WHOLE_STAGE_CODEGEN);
            conf.set(WHOLE_STAGE_CODEGEN, false);
            try {
                return writer.start();
            } finally {
                if (before.isDefined()) {
                    conf.set(WHOLE_STAGE_CODEGEN, before.get());
                } else {
                    conf.unset(WHOLE_STAGE_CODEGEN);
                }
            }
        }
    }

    /** Checks the definition as the catalog does (Spark's analysis included); throws if it is invalid. */
    public void validate(SparkSession spark) {
        PipelinePlanner.validate(spark, definition, environment);
    }

    /** The fused records this pipeline runs, or null when it runs in the general shape. */
    public FusedRecords fusedRecords(SparkSession spark) {
        return shape(spark).records();
    }

    /** Where it runs: as planned already, else planned now (and kept). */
    private FusedShape.Decision shape(SparkSession spark) {
        FusedShape.Decision shape = planned;
        if (shape == null) {
            shape = FusedShape.plan(PipelinePlanner.isolatedSession(spark), definition);
            planned = shape;
        }
        return shape;
    }

    /** Removes what the pipeline keeps outside its checkpoint and sink: its in-memory rows. */
    public void discard() {
        environment.memoryTables().remove(name());
    }

    /**
     * Tells the batch listener what each micro-batch of one run did, from Spark's progress report:
     * result rows written and records rejected by reason (both observed in the plan), and how long
     * the sink took. Removes itself when the run ends.
     */
    private static final class ProgressRelay extends StreamingQueryListener {
        private final SparkSession spark;
        private final PipelineDefinition definition;
        private final String name;
        private final List<String> reasons;
        private final BatchListener listener;

        ProgressRelay(SparkSession spark, PipelineDefinition definition, List<String> reasons, BatchListener listener) {
            this.spark = spark;
            this.definition = definition;
            this.name = definition.name();
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
            // The expectations' counts follow the reasons' in the observed row.
            long[] broken = new long[definition.checks().size()];
            for (int i = 0; i < broken.length && input != null && reasons.size() + i < input.length(); i++) {
                int at = reasons.size() + i;
                broken[i] = input.isNullAt(at) ? 0 : ((Number) input.get(at)).longValue();
            }
            Long addBatch = progress.durationMs().get("addBatch");
            listener.onBatch(
                    name,
                    progress.batchId(),
                    new BatchOutcome(rows, 0, rejected, ExpectationRules.counted(definition, broken)),
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
