package dev.sluice.definition;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;

import dev.sluice.definition.PipelineDefinition.OutputMode;
import dev.sluice.definition.PipelineDefinition.RecordFormat;
import dev.sluice.definition.PipelineDefinition.Rule;
import dev.sluice.definition.PipelineDefinition.SinkKind;
import dev.sluice.definition.PipelineDefinition.SourceKind;
import dev.sluice.definition.PipelineDefinition.TriggerKind;
import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.CarInfoSchema;
import dev.sluice.pipeline.FusedRecords;
import dev.sluice.pipeline.JsonDecoder;
import dev.sluice.pipeline.RejectRule;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.CurrentBatchTimestamp;
import org.apache.spark.sql.catalyst.expressions.CurrentDate;
import org.apache.spark.sql.catalyst.expressions.CurrentTimestampLike;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.LocalTimestamp;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.expressions.Unevaluable;
import org.apache.spark.sql.catalyst.optimizer.InlineCTE;
import org.apache.spark.sql.catalyst.optimizer.ReplaceExpressions$;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.catalyst.plans.logical.View;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampType;
import scala.collection.JavaConverters;

/**
 * Decides whether a definition runs in the fused shape, and plans it: a Kafka source of JSON (or
 * {@code car_info}) records, a PostgreSQL sink, and a transform that only projects, renames, casts
 * and filters {@code events} (decided from the analysed plan, never from the text), with no state
 * to keep. Such a pipeline is done record by record in the task that writes ({@link FusedRecords}):
 * the bytes decoded straight into the sink's columns, rejects to the dead letters and the rest
 * {@code COPY}ed, in one transaction per partition, as the built-in car_info pipeline is.
 * Everything else runs in the general shape.
 *
 * <p>The transform and rules are analysed over a stand-in relation with the accepted records'
 * columns, by the same SQL policy as the general shape; the fused plan's expressions are Spark's,
 * so each row is the one the general shape gives.
 */
final class FusedShape {

    /** Where a definition runs: its fused records, or why it runs in the general shape. */
    record Decision(FusedRecords records, String generalBecause) {
        boolean fused() {
            return records != null;
        }

        /** {@code fused} or {@code general}. */
        String shape() {
            return fused() ? "fused" : "general";
        }
    }

    private static final String CORRUPT = "_corrupt_record";

    private FusedShape() {}

    /**
     * @param spark a session of the definition's own ({@link PipelinePlanner#isolatedSession}); a view
     *     is made and dropped in it
     */
    static Decision plan(SparkSession spark, PipelineDefinition definition) {
        String general = generalBecause(definition);
        if (general != null) {
            return new Decision(null, general);
        }
        try {
            return planFused(spark, definition);
        } catch (RuntimeException e) {
            // The general shape's checks have passed: whatever fails here only means "not fused".
            return new Decision(null, "the fused shape could not be planned: " + PipelinePlanner.sparkMessage(e));
        }
    }

    private static Decision planFused(SparkSession spark, PipelineDefinition definition) {
        PipelineDefinition.Source source = definition.source();
        boolean carInfo = "car_info".equals(source.schemaName());
        StructType schema = carInfo ? CarInfoSchema.SCHEMA : SqlPolicy.schema(source.schema());
        if (List.of(schema.fieldNames()).contains(CORRUPT)) {
            return new Decision(null, "the schema has a field named " + CORRUPT);
        }
        JsonDecoder decoder = new JsonDecoder(
                schema, spark.conf().get("spark.sql.session.timeZone"), carInfo ? "the car_info schema" : "the schema");
        List<AttributeReference> attributes =
                JavaConverters.seqAsJavaList(DataTypeUtils.toAttributes(decoder.schema()));
        List<Attribute> fields = new ArrayList<>(attributes);
        LocalRelation relation = new LocalRelation(
                JavaConverters.asScalaBuffer(fields).toSeq(),
                JavaConverters.asScalaBuffer(new ArrayList<org.apache.spark.sql.catalyst.InternalRow>())
                        .toSeq(),
                false);
        Dataset<Row> base = Dataset.ofRows(spark, relation);

        List<RejectRule> rules = new ArrayList<>();
        if (carInfo) {
            rules.addAll(CarInfoParser.eventChecks(CarInfoLimits.DEFAULT, field -> col("`" + field + "`")));
        }
        for (Rule rule : definition.rules()) {
            Column holds = coalesce(PipelinePlanner.column(base, rule.require()).cast("boolean"), lit(false));
            rules.add(new RejectRule(rule.reason(), not(holds), lit("breaks the rule: " + rule.require())));
        }
        List<Expression> ruleExpressions = List.of();
        if (!rules.isEmpty()) {
            LogicalPlan checked = replaced(base.select(RejectRule.firstReason(rules), RejectRule.firstDetail(rules)));
            if (!(checked instanceof Project project) || !evaluable(project.projectList())) {
                return new Decision(null, "a rule needs more than a row's own values");
            }
            ruleExpressions = expressions(project.projectList());
        }

        Dataset<Row> events = base;
        String eventTime = definition.transform().eventTime();
        if (eventTime != null && !eventTime.isBlank()) {
            events = base.withColumn(PipelineDefinition.EVENT_TIME, PipelinePlanner.column(base, eventTime));
        }
        Dataset<Row> output =
                PipelinePlanner.analyse(spark, events, definition.transform().sqlOrDefault());
        LogicalPlan plan = replaced(output);
        List<FusedRecords.Step> steps = new ArrayList<>();
        String shapeProblem = steps(plan, relation, steps);
        if (shapeProblem != null) {
            return new Decision(null, shapeProblem);
        }
        for (StructField field : output.schema().fields()) {
            if (!storable(field.dataType())) {
                return new Decision(
                        null,
                        "the column " + field.name() + " is a "
                                + field.dataType().simpleString() + ", not a single value");
            }
        }
        return new Decision(new FusedRecords(decoder, ruleExpressions, fields, steps, output.schema()), null);
    }

    /** Why the definition's settings call for the general shape, or null. */
    private static String generalBecause(PipelineDefinition definition) {
        PipelineDefinition.Source source = definition.source();
        if (definition.sink().kind() != SinkKind.POSTGRES) {
            return "the sink is not postgres";
        }
        if (source.kind() != SourceKind.KAFKA) {
            return "the source is not kafka";
        }
        if (source.formatOrDefault() != RecordFormat.JSON) {
            return "the records are not json";
        }
        if (definition.trigger().kind() == TriggerKind.CONTINUOUS) {
            return "the trigger is continuous";
        }
        if (definition.outputMode() == OutputMode.COMPLETE) {
            return "the output mode is complete";
        }
        if (definition.transform().watermark() != null
                || !definition.transform().dropDuplicates().isEmpty()) {
            return "the transform keeps state (a watermark or de-duplication)";
        }
        return null;
    }

    /**
     * The analysed plan with its {@code WITH} queries inlined and Spark's stand-in expressions
     * replaced by those that evaluate, as the optimiser begins.
     */
    private static LogicalPlan replaced(Dataset<Row> dataset) {
        LogicalPlan inlined = new InlineCTE(true).apply(dataset.queryExecution().analyzed());
        return ReplaceExpressions$.MODULE$.apply(inlined);
    }

    /**
     * Collects the steps from the stand-in relation up to {@code plan}; returns why the plan is not
     * one of projections and filters of a row's own values, or null.
     */
    private static String steps(LogicalPlan plan, LocalRelation relation, List<FusedRecords.Step> steps) {
        if (plan instanceof LocalRelation local) {
            Set<Object> ids = new HashSet<>();
            JavaConverters.seqAsJavaList(relation.output()).forEach(a -> ids.add(a.exprId()));
            boolean same = local.output().size() == relation.output().size()
                    && JavaConverters.seqAsJavaList(local.output()).stream().allMatch(a -> ids.contains(a.exprId()));
            return same ? null : "the SQL reads rows of its own";
        }
        if (plan instanceof SubqueryAlias alias) {
            return steps(alias.child(), relation, steps);
        }
        if (plan instanceof View view) {
            return steps(view.child(), relation, steps);
        }
        List<Attribute> input = plan.children().size() == 1
                ? new ArrayList<>(
                        JavaConverters.seqAsJavaList(plan.children().head().output()))
                : List.of();
        if (plan instanceof Project project) {
            String below = steps(project.child(), relation, steps);
            if (below != null) {
                return below;
            }
            if (!evaluable(project.projectList())) {
                return "the SQL computes a value from more than the row (a subquery, the clock, randomness)";
            }
            steps.add(FusedRecords.Step.project(expressions(project.projectList()), input));
            return null;
        }
        if (plan instanceof Filter filter) {
            String below = steps(filter.child(), relation, steps);
            if (below != null) {
                return below;
            }
            if (!evaluable(filter.condition())) {
                return "the SQL filters on more than the row (a subquery, the clock, randomness)";
            }
            steps.add(FusedRecords.Step.filter(filter.condition(), input));
            return null;
        }
        return "the SQL is more than projections and filters of events (it has " + plan.nodeName() + ")";
    }

    private static boolean evaluable(scala.collection.Seq<NamedExpression> expressions) {
        return expressions(expressions).stream().allMatch(e -> evaluable(e));
    }

    private static List<Expression> expressions(scala.collection.Seq<NamedExpression> named) {
        List<Expression> list = new ArrayList<>();
        for (NamedExpression expression : JavaConverters.seqAsJavaList(named)) {
            list.add((Expression) expression);
        }
        return list;
    }

    /** Whether the expression gives a value from the row alone, the same value every time. */
    private static boolean evaluable(Expression expression) {
        if (expression instanceof SubqueryExpression
                || expression instanceof CurrentTimestampLike
                || expression instanceof CurrentDate
                || expression instanceof LocalTimestamp
                || expression instanceof CurrentBatchTimestamp
                || (expression instanceof Unevaluable && !(expression instanceof Attribute))
                || !expression.deterministic()) {
            return false;
        }
        return JavaConverters.seqAsJavaList(expression.children()).stream().allMatch(FusedShape::evaluable);
    }

    /** Whether a column of this type is one value PostgreSQL stores as text or a number. */
    private static boolean storable(DataType type) {
        return type instanceof StringType
                || type instanceof NumericType
                || type instanceof BooleanType
                || type instanceof DateType
                || type instanceof TimestampType
                || type instanceof BinaryType;
    }
}
