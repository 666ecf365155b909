package dev.sluice.definition;

import dev.sluice.pipeline.StartingPoint;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.TableIdentifier$;
import org.apache.spark.sql.catalyst.analysis.LocalTempView$;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Deduplicate;
import org.apache.spark.sql.catalyst.plans.logical.DeduplicateWithinWatermark;
import org.apache.spark.sql.catalyst.plans.logical.Distinct;
import org.apache.spark.sql.catalyst.plans.logical.FlatMapGroupsWithState;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.command.CreateViewCommand;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.collection.immutable.Map$;

/**
 * Turns a {@link PipelineDefinition} into Spark's plan, and checks it with Spark's own parser,
 * analyser and streaming rules before anything starts.
 *
 * <p>The plan: the source's raw records; parsed with the schema; rejected records (unparseable,
 * or breaking a rule) written to the dead letters from within the micro-batch, before it can
 * commit; the accepted ones, with {@code event_time}, watermark and de-duplication, as the view
 * {@code events}; the transform's SQL over that view.
 */
public final class PipelinePlanner {

    /** Observed per micro-batch: rejected records by reason. */
    static final String INPUT_METRICS = "sluice_input";
    /** Observed per micro-batch: result rows written to the sink. */
    static final String OUTPUT_METRICS = "sluice_output";

    static final String CAR_INFO = "car_info";
    static final List<String> ROUTING =
            List.of("__topic", "__partition", "__offset", "__timestamp", "__value", "__reason", "__detail", "__key");
    /** Spark's {@code ${...}} substitution reads the environment and system properties: off everywhere. */
    public static final String VARIABLE_SUBSTITUTION = "spark.sql.variable.substitute";
    /** How dates and times in records are read: {@code CORRECTED} by default (never an exception). */
    public static final String TIME_PARSER_POLICY = "spark.sql.legacy.timeParserPolicy";
    /** Temp views are per session; the view of one plan lives only while its SQL is analysed. */
    private static final Object VIEW_LOCK = new Object();

    /**
     * A built plan.
     *
     * @param output the transform's result, not started
     * @param rejectReasons the reasons records can be rejected with, observed per batch
     * @param stateful whether the query keeps state between micro-batches (aggregation,
     *     de-duplication, join)
     * @param shape where it runs: the fused shape, or why the general one (known once validated)
     */
    public record Plan(Dataset<Row> output, List<String> rejectReasons, boolean stateful, FusedShape.Decision shape) {

        public StructType schema() {
            return output.schema();
        }
    }

    private PipelinePlanner() {}

    /**
     * Checks everything Spark would check at start, and the sink's needs; throws if anything is
     * wrong. The plan is built in a session of its own, which is then dropped: nothing a definition
     * holds reaches the service's session, and nothing is created (no folder, table or file).
     */
    public static Plan validate(SparkSession spark, PipelineDefinition definition, PipelineEnvironment environment) {
        return validate(spark, definition, environment, unchecked -> List.of(), PreparedChecks.none());
    }

    /**
     * As {@link #validate(SparkSession, PipelineDefinition, PipelineEnvironment)}, with {@code places}:
     * where the definition may not reach, checked with its settings once its texts are sound, before
     * Spark sees it; Spark's part is taken from {@code prepared} when it was made for this definition
     * and environment.
     */
    static Plan validate(
            SparkSession spark,
            PipelineDefinition definition,
            PipelineEnvironment environment,
            Function<PipelineDefinition, List<DefinitionProblem>> places,
            PreparedChecks prepared) {
        List<DefinitionProblem> problems = DefinitionText.problems(definition);
        if (problems.isEmpty()) {
            problems.addAll(places.apply(definition));
            problems.addAll(DefinitionChecks.structuralProblems(definition));
        }
        if (!problems.isEmpty()) {
            throw new InvalidDefinitionException(definition.name(), problems);
        }
        Optional<Plan> made = prepared.take(definition, environment);
        if (made.isPresent()) {
            return made.get();
        }
        SparkSession isolated = isolatedSession(spark);
        Plan plan = new PlanBuilder(isolated, definition, environment, true).build(null);
        problems.addAll(DefinitionChecks.streamingProblems(definition, plan));
        problems.addAll(DefinitionChecks.sinkProblems(definition, plan));
        if (!problems.isEmpty()) {
            throw new InvalidDefinitionException(definition.name(), problems);
        }
        return new Plan(plan.output(), plan.rejectReasons(), plan.stateful(), FusedShape.plan(isolated, definition));
    }

    /**
     * Builds the plan to run; each Spark error becomes a problem of the part of the definition it
     * came from. Every SQL text is checked by the {@link SqlPolicy} before Spark analyses it.
     */
    static Plan build(
            SparkSession spark, PipelineDefinition definition, PipelineEnvironment environment, StartingPoint from) {
        PlanBuilder builder = new PlanBuilder(spark, definition, environment, false);
        return builder.build(from);
    }

    /** A session of the service's Spark for checking a definition: its own settings, views and functions. */
    static SparkSession isolatedSession(SparkSession spark) {
        SparkSession isolated = spark.newSession();
        isolated.conf().set(VARIABLE_SUBSTITUTION, "false");
        return isolated;
    }

    /** A column from an expression's text, parsed and checked by the {@link SqlPolicy}, not yet analysed. */
    static Column parsed(String text) {
        return new Column(SqlPolicy.expression(text));
    }

    /**
     * Whether these parsed columns all analyse over {@code input}, together in one plan, and that
     * plan passes the {@link SqlPolicy}: what {@link #column} checks of each, at once.
     */
    static boolean analyseTogether(Dataset<Row> input, List<Column> all) {
        try {
            SqlPolicy.checkAnalyzed(
                    input.select(all.toArray(Column[]::new)).queryExecution().analyzed());
            return true;
        } catch (Exception | StackOverflowError e) {
            // Analysed one by one, each mistake is then a problem of its own field.
            return false;
        }
    }

    /** A column from a checked expression, analysed over {@code input}; throws {@link SqlPolicy.Refused} if refused. */
    static Column column(Dataset<Row> input, String text) {
        Column column = new Column(SqlPolicy.expression(text));
        SqlPolicy.checkAnalyzed(input.select(column).queryExecution().analyzed());
        return column;
    }

    /**
     * The transform's text parsed and checked by the {@link SqlPolicy}, then that very plan analysed
     * over {@code events} as the view {@value PipelineDefinition#EVENTS_VIEW} (which lives only
     * while it is analysed).
     */
    static Dataset<Row> analyse(SparkSession spark, Dataset<Row> events, String text) {
        LogicalPlan query = SqlPolicy.query(text);
        synchronized (VIEW_LOCK) {
            replaceEventsView(spark, events);
            try {
                Dataset<Row> result = Dataset.ofRows(spark, query);
                SqlPolicy.checkAnalyzed(result.queryExecution().analyzed());
                return result;
            } finally {
                spark.catalog().dropTempView(PipelineDefinition.EVENTS_VIEW);
            }
        }
    }

    /**
     * Makes {@code events} the view {@value PipelineDefinition#EVENTS_VIEW}, as
     * {@code events.createOrReplaceTempView} does, without running it as a SQL execution: that
     * explains the plan and posts it to Spark's listeners, at every check, for a view that lives
     * only while a query is analysed.
     */
    private static void replaceEventsView(SparkSession spark, Dataset<Row> events) {
        Seq<Tuple2<String, Option<String>>> noColumns = JavaConverters.asScalaBuffer(
                        List.<Tuple2<String, Option<String>>>of())
                .toList();
        Seq<String> noFunctions =
                JavaConverters.asScalaBuffer(List.<String>of()).toList();
        new CreateViewCommand(
                        TableIdentifier$.MODULE$.apply(PipelineDefinition.EVENTS_VIEW),
                        noColumns,
                        Option.empty(),
                        Map$.MODULE$.<String, String>empty(),
                        Option.empty(),
                        events.logicalPlan(),
                        false,
                        true,
                        LocalTempView$.MODULE$,
                        true,
                        noFunctions)
                .run(spark);
    }

    /** The Spark trigger. */
    static Trigger trigger(PipelineDefinition.Trigger trigger) {
        return switch (trigger.kind()) {
            case PROCESSING_TIME -> Trigger.ProcessingTime(trigger.interval());
            case AVAILABLE_NOW -> Trigger.AvailableNow();
            case CONTINUOUS -> Trigger.Continuous(trigger.interval());
        };
    }

    /** A message from Spark, without the plan dump some of its exceptions append. */
    static String sparkMessage(Throwable e) {
        String message = e instanceof AnalysisException analysis ? analysis.message() : e.getMessage();
        if (message == null) {
            message = e.getClass().getSimpleName();
        }
        int plan = message.indexOf(";\n");
        return (plan > 0 ? message.substring(0, plan) : message).strip();
    }

    static DefinitionProblem sparkProblem(String field, Throwable e) {
        Integer line = null;
        Integer position = null;
        if (e instanceof AnalysisException analysis) {
            line = analysis.line().isDefined() ? (Integer) analysis.line().get() : null;
            position = analysis.startPosition().isDefined()
                    ? (Integer) analysis.startPosition().get()
                    : null;
        }
        return new DefinitionProblem(field, sparkMessage(e), line, position);
    }

    /** Whether the query keeps state between micro-batches. */
    static boolean stateful(LogicalPlan plan) {
        if (plan instanceof Aggregate
                || plan instanceof Deduplicate
                || plan instanceof DeduplicateWithinWatermark
                || plan instanceof Distinct
                || plan instanceof Join
                || plan instanceof FlatMapGroupsWithState) {
            return true;
        }
        for (LogicalPlan child : JavaConverters.seqAsJavaList(plan.children())) {
            if (stateful(child)) {
                return true;
            }
        }
        return false;
    }
}
