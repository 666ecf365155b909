package dev.sluice.pipeline;

import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
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
 * Plans a pipeline's fused shape ({@link FusedRecords}) from Spark's own analysis: the reject rules
 * and the transform are analysed over a stand-in relation with the decoded records' columns, and
 * the analysed plan must be projections and filters of a row's own values (no aggregation, join,
 * subquery, clock or randomness), each result column one value PostgreSQL stores. The expressions
 * planned are the analysed ones, so each row is the one Spark's operators would give.
 */
public final class FusedPlanner {

    /** The fused records, or why the plan cannot be fused. */
    public record Result(FusedRecords records, String notFusedBecause) {
        public boolean fused() {
            return records != null;
        }
    }

    private FusedPlanner() {}

    /**
     * @param metadata columns of each record's Kafka metadata, after the decoded fields
     * @param rules the reject rules, in the order they are checked, and the expectations counted,
     *     over the decoded fields and the metadata columns (the columns of the dataset given)
     * @param transform the result over the accepted records (the decoded fields)
     */
    public static Result plan(
            SparkSession spark,
            JsonDecoder decoder,
            List<FusedRecords.Metadata> metadata,
            Function<Dataset<Row>, RejectRule.Checks> rules,
            Function<Dataset<Row>, Dataset<Row>> transform) {
        StructType columns = decoder.schema();
        for (FusedRecords.Metadata column : metadata) {
            columns = columns.add(column.name(), column.type());
        }
        List<Attribute> fields = new ArrayList<>(JavaConverters.seqAsJavaList(DataTypeUtils.toAttributes(columns)));
        LocalRelation relation = new LocalRelation(
                JavaConverters.asScalaBuffer(fields).toSeq(),
                JavaConverters.asScalaBuffer(new ArrayList<InternalRow>()).toSeq(),
                false);
        Dataset<Row> base = Dataset.ofRows(spark, relation);

        RejectRule.Checks checks = rules.apply(base);
        List<Expression> ruleExpressions = List.of();
        if (!checks.rules().isEmpty() || !checks.counted().isEmpty()) {
            List<Column> checked = new ArrayList<>();
            checked.add(checks.rules().isEmpty() ? lit(null).cast("string") : RejectRule.firstReason(checks.rules()));
            checked.add(checks.rules().isEmpty() ? lit(null).cast("string") : RejectRule.firstDetail(checks.rules()));
            checked.addAll(checks.counted());
            LogicalPlan checkedPlan = replaced(base.select(checked.toArray(Column[]::new)));
            if (!(checkedPlan instanceof Project project) || !evaluable(project.projectList())) {
                return new Result(null, "a rule needs more than a row's own values");
            }
            ruleExpressions = expressions(project.projectList());
        }
        Dataset<Row> output = transform.apply(base);
        List<FusedRecords.Step> steps = new ArrayList<>();
        String shapeProblem = steps(replaced(output), relation, steps);
        if (shapeProblem != null) {
            return new Result(null, shapeProblem);
        }
        for (StructField field : output.schema().fields()) {
            if (!storable(field.dataType())) {
                return new Result(
                        null,
                        "the column " + field.name() + " is a "
                                + field.dataType().simpleString() + ", not a single value");
            }
        }
        return new Result(new FusedRecords(decoder, metadata, ruleExpressions, fields, steps, output.schema()), null);
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
        return JavaConverters.seqAsJavaList(expression.children()).stream().allMatch(FusedPlanner::evaluable);
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
