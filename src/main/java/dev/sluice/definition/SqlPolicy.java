package dev.sluice.definition;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.catalyst.analysis.ExpressionWithUnresolvedIdentifier;
import org.apache.spark.sql.catalyst.analysis.UnresolvedFunction;
import org.apache.spark.sql.catalyst.analysis.UnresolvedGenerator;
import org.apache.spark.sql.catalyst.analysis.UnresolvedHaving;
import org.apache.spark.sql.catalyst.analysis.UnresolvedInlineTable;
import org.apache.spark.sql.catalyst.analysis.UnresolvedRelation;
import org.apache.spark.sql.catalyst.analysis.UnresolvedSubqueryColumnAliases;
import org.apache.spark.sql.catalyst.analysis.UnresolvedTableValuedFunction;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;
import org.apache.spark.sql.catalyst.plans.QueryPlan;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.CTERelationRef;
import org.apache.spark.sql.catalyst.plans.logical.Distinct;
import org.apache.spark.sql.catalyst.plans.logical.Except;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.Generate;
import org.apache.spark.sql.catalyst.plans.logical.GlobalLimit;
import org.apache.spark.sql.catalyst.plans.logical.Intersect;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LateralJoin;
import org.apache.spark.sql.catalyst.plans.logical.LocalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Offset;
import org.apache.spark.sql.catalyst.plans.logical.OneRowRelation;
import org.apache.spark.sql.catalyst.plans.logical.Pivot;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.RepartitionByExpression;
import org.apache.spark.sql.catalyst.plans.logical.Sample;
import org.apache.spark.sql.catalyst.plans.logical.Sort;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.catalyst.plans.logical.Union;
import org.apache.spark.sql.catalyst.plans.logical.Unpivot;
import org.apache.spark.sql.catalyst.plans.logical.UnresolvedHint;
import org.apache.spark.sql.catalyst.plans.logical.UnresolvedWith;
import org.apache.spark.sql.catalyst.plans.logical.WithWindowDefinition;
import org.apache.spark.sql.catalyst.streaming.StreamingRelationV2;
import org.apache.spark.sql.execution.streaming.StreamingRelation;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;
import scala.collection.JavaConverters;

/**
 * What SQL a pipeline definition may carry, checked on Spark's own parse tree before anything is
 * analysed, and again on the analysed plan. Text is never handed to {@code spark.sql()}: the plan
 * built is the plan checked.
 *
 * <p>Allowed: one query ({@code SELECT}, {@code WITH ... SELECT}, set operations, joins, windows,
 * {@code LATERAL VIEW}, {@code PIVOT}, inline {@code VALUES}) whose relations are the view
 * {@value PipelineDefinition#EVENTS_VIEW} and its own common table expressions, calling Spark's
 * built-in functions on the allow-list ({@code sql-functions-allowed.txt}). Refused: every other
 * statement (commands, DDL, DML, {@code SET}, {@code CACHE}, {@code ADD JAR}, functions), catalog
 * tables and path relations such as {@code parquet.`/data`}, table-valued functions,
 * {@code IDENTIFIER(...)}, {@code TRANSFORM ... USING} scripts, hints other than join hints, and
 * the functions in {@link SqlFunctions#DENIED}. Text is bounded in length and nesting so no input can exhaust
 * the parser's stack. The parser is Spark's SQL grammar without the session's {@code ${...}}
 * variable substitution (which would read the environment and system properties), and knows no
 * commands at all.
 */
public final class SqlPolicy {

    /** The longest SQL text of a transform. */
    public static final int MAX_QUERY_LENGTH = 20_000;
    /** The longest expression (event time, rule, kafka key or value). */
    public static final int MAX_EXPRESSION_LENGTH = 4_000;
    /** The deepest nesting of brackets in a text. */
    public static final int MAX_BRACKET_DEPTH = 40;
    /** The deepest tree of operators and expressions a text may parse into. */
    public static final int MAX_TREE_DEPTH = 200;

    private static final String ONE_QUERY =
            "a transform is one query (SELECT or WITH ... SELECT) over the view " + PipelineDefinition.EVENTS_VIEW;
    private static final Set<String> JOIN_HINTS = Set.of(
            "BROADCAST",
            "BROADCASTJOIN",
            "MAPJOIN",
            "MERGE",
            "SHUFFLE_MERGE",
            "MERGEJOIN",
            "SHUFFLE_HASH",
            "SHUFFLE_REPLICATE_NL");
    private static final Set<Class<?>> QUERY_OPERATORS = Set.of(
            Project.class,
            Filter.class,
            Aggregate.class,
            UnresolvedHaving.class,
            Join.class,
            LateralJoin.class,
            Union.class,
            Intersect.class,
            Except.class,
            Distinct.class,
            Sort.class,
            GlobalLimit.class,
            LocalLimit.class,
            Offset.class,
            SubqueryAlias.class,
            UnresolvedWith.class,
            WithWindowDefinition.class,
            Generate.class,
            Pivot.class,
            Unpivot.class,
            Sample.class,
            RepartitionByExpression.class,
            UnresolvedHint.class,
            OneRowRelation.class,
            UnresolvedRelation.class,
            UnresolvedInlineTable.class,
            UnresolvedSubqueryColumnAliases.class);
    /**
     * The leaves an analysed plan may have: the source's streams, inline rows, the empty row, and
     * references to the query's own WITH queries (each checked where it is defined).
     */
    private static final Set<Class<?>> LEAVES = Set.of(
            StreamingRelation.class,
            StreamingRelationV2.class,
            LocalRelation.class,
            OneRowRelation.class,
            CTERelationRef.class);
    /** A text the policy refuses, with what is wrong in the words the API returns. */
    public static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private SqlPolicy() {}

    /** Parses a transform's text into one query allowed by the policy; throws {@link Refused} otherwise. */
    public static LogicalPlan query(String text) {
        SqlBounds.bound(text, MAX_QUERY_LENGTH, false);
        LogicalPlan plan;
        try {
            plan = SqlBounds.parse(() -> CatalystSqlParser$.MODULE$.parsePlan(text));
        } catch (Exception e) {
            // Spark's grammar without its session's commands: SET, RESET, ADD JAR, CREATE VIEW ...
            if (String.valueOf(e.getMessage()).strip().startsWith("Unsupported SQL statement")) {
                throw new Refused("the statement is not a query: " + ONE_QUERY);
            }
            throw SqlBounds.<RuntimeException>unchecked(e);
        }
        SqlBounds.requireShallow(SqlBounds.depth(plan, 0));
        if (!QUERY_OPERATORS.contains(plan.getClass())) {
            throw new Refused(describe(plan));
        }
        checkParsed(plan, cteNames(plan));
        return plan;
    }

    /** Parses an expression allowed by the policy; throws {@link Refused} otherwise. */
    public static Expression expression(String text) {
        SqlBounds.bound(text, MAX_EXPRESSION_LENGTH, false);
        Expression expression = SqlBounds.parse(() -> CatalystSqlParser$.MODULE$.parseExpression(text));
        SqlBounds.requireShallow(SqlBounds.depth(expression, 0));
        checkParsed(expression, Set.of());
        return expression;
    }

    /** Parses a schema (Spark DDL such as {@code host STRING, bytes BIGINT}), bounded like any text. */
    public static StructType schema(String ddl) {
        SqlBounds.bound(ddl, MAX_EXPRESSION_LENGTH, true);
        return SqlBounds.parse(() -> StructType.fromDDL(ddl));
    }

    /**
     * Checks an analysed plan: its leaves are the source's streams (no table, file or other relation
     * slipped in) and no expression runs code outside the row.
     */
    public static void checkAnalyzed(LogicalPlan analyzed) {
        Deque<QueryPlan<?>> plans = new ArrayDeque<>(List.of(analyzed));
        while (!plans.isEmpty()) {
            QueryPlan<?> plan = plans.pop();
            if (plan instanceof LogicalPlan logical
                    && logical.children().isEmpty()
                    && !LEAVES.contains(plan.getClass())) {
                throw new Refused("the query reads " + plan.nodeName() + "; a pipeline reads only the view "
                        + PipelineDefinition.EVENTS_VIEW);
            }
            if (plan.nodeName().contains("ScriptTransformation")) {
                throw new Refused("TRANSFORM ... USING runs a program on the server; a pipeline may not");
            }
            for (Expression expression : SqlPolicy.<Expression>seq(plan.expressions())) {
                checkAnalyzed(expression, plans);
            }
            plans.addAll(seq(plan.children()));
            plans.addAll(seq(plan.innerChildren()));
        }
    }

    private static void checkAnalyzed(Expression root, Deque<QueryPlan<?>> plans) {
        Deque<Expression> expressions = new ArrayDeque<>(List.of(root));
        while (!expressions.isEmpty()) {
            Expression expression = expressions.pop();
            String name = expression.getClass().getSimpleName();
            if (SqlFunctions.deniedExpression(name)
                    || expression.getClass().getPackageName().endsWith(".expressions.xml")) {
                throw new Refused("the expression " + expression.prettyName() + " is not allowed in a pipeline");
            }
            if (expression instanceof SubqueryExpression subquery) {
                plans.add(subquery.plan());
            }
            expressions.addAll(seq(expression.children()));
        }
    }

    private static void checkParsed(LogicalPlan root, Set<String> ctes) {
        Deque<LogicalPlan> plans = new ArrayDeque<>(List.of(root));
        while (!plans.isEmpty()) {
            LogicalPlan plan = plans.pop();
            if (!QUERY_OPERATORS.contains(plan.getClass())) {
                throw new Refused(describe(plan));
            }
            if (plan instanceof UnresolvedRelation relation) {
                List<String> parts = seq(relation.multipartIdentifier());
                String name = String.join(".", parts);
                if (parts.size() != 1
                        || !(name.equalsIgnoreCase(PipelineDefinition.EVENTS_VIEW)
                                || ctes.contains(name.toLowerCase(Locale.ROOT)))) {
                    throw new Refused("the query reads `" + name + "`; a pipeline reads only the view "
                            + PipelineDefinition.EVENTS_VIEW + " (and its own WITH queries), never tables or paths");
                }
            }
            if (plan instanceof UnresolvedHint hint
                    && !JOIN_HINTS.contains(hint.name().toUpperCase(Locale.ROOT))) {
                throw new Refused("the hint " + hint.name() + " is not allowed; only join hints ("
                        + String.join(", ", JOIN_HINTS.stream().sorted().toList()) + ") are");
            }
            for (Expression expression : SqlPolicy.<Expression>seq(plan.expressions())) {
                checkParsed(expression, ctes);
            }
            if (plan instanceof UnresolvedWith with) {
                for (Tuple2<String, SubqueryAlias> cte :
                        SqlPolicy.<Tuple2<String, SubqueryAlias>>seq(with.cteRelations())) {
                    plans.add(cte._2());
                }
            }
            if (plan instanceof WithWindowDefinition windows) {
                for (Expression definition :
                        JavaConverters.mapAsJavaMap(windows.windowDefinitions()).values()) {
                    checkParsed(definition, ctes);
                }
            }
            plans.addAll(seq(plan.children()));
        }
    }

    private static void checkParsed(Expression root, Set<String> ctes) {
        Deque<Expression> expressions = new ArrayDeque<>(List.of(root));
        while (!expressions.isEmpty()) {
            Expression expression = expressions.pop();
            if (expression instanceof UnresolvedFunction function) {
                SqlFunctions.check(seq(function.nameParts()));
            } else if (expression instanceof UnresolvedGenerator generator) {
                List<String> parts = generator.name().database().isDefined()
                        ? List.of(
                                generator.name().database().get(),
                                generator.name().funcName())
                        : List.of(generator.name().funcName());
                SqlFunctions.check(parts);
            } else if (expression instanceof ExpressionWithUnresolvedIdentifier) {
                throw new Refused("IDENTIFIER(...) names a function at run time; call the function by its name");
            } else if (expression instanceof SubqueryExpression subquery) {
                checkParsed(subquery.plan(), ctes);
            }
            expressions.addAll(seq(expression.children()));
        }
    }

    private static String describe(LogicalPlan plan) {
        if (plan instanceof UnresolvedTableValuedFunction function) {
            return "the query reads the table function " + String.join(".", seq(function.name()))
                    + "; a pipeline reads only the view " + PipelineDefinition.EVENTS_VIEW;
        }
        if (plan.nodeName().contains("ScriptTransformation")) {
            return "TRANSFORM ... USING runs a program on the server; a pipeline may not";
        }
        if (plan.nodeName().contains("UnresolvedIdentifier")) {
            return "IDENTIFIER(...) names a relation at run time; a pipeline reads only the view "
                    + PipelineDefinition.EVENTS_VIEW;
        }
        return "the statement is " + plan.nodeName() + ": " + ONE_QUERY;
    }

    private static Set<String> cteNames(LogicalPlan root) {
        Set<String> names = new HashSet<>();
        Deque<LogicalPlan> plans = new ArrayDeque<>(List.of(root));
        while (!plans.isEmpty()) {
            LogicalPlan plan = plans.pop();
            if (plan instanceof UnresolvedWith with) {
                for (Tuple2<String, SubqueryAlias> cte :
                        SqlPolicy.<Tuple2<String, SubqueryAlias>>seq(with.cteRelations())) {
                    names.add(cte._1().toLowerCase(Locale.ROOT));
                    plans.add(cte._2());
                }
            }
            Deque<Expression> expressions = new ArrayDeque<>(seq(plan.expressions()));
            while (!expressions.isEmpty()) {
                Expression expression = expressions.pop();
                if (expression instanceof SubqueryExpression subquery) {
                    plans.add(subquery.plan());
                }
                expressions.addAll(seq(expression.children()));
            }
            plans.addAll(seq(plan.children()));
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> seq(scala.collection.Seq<?> seq) {
        return (List<T>) JavaConverters.seqAsJavaList(seq);
    }
}
