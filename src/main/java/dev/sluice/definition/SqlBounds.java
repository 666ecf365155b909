package dev.sluice.definition;

import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.plans.QueryPlan;
import scala.collection.JavaConverters;

/**
 * The bounds on a definition's texts that keep Spark's recursive parser and analyser safe: their
 * length and bracket depth before parsing, the depth of what they parse into after.
 */
final class SqlBounds {

    private SqlBounds() {}

    /** Length, and bracket depth before the parser sees the text: its recursion follows the brackets. */
    static void bound(String text, int maxLength, boolean angleBrackets) {
        if (text.length() > maxLength) {
            throw new SqlPolicy.Refused(
                    "is " + text.length() + " characters long; at most " + maxLength + " are allowed");
        }
        int depth = 0;
        int deepest = 0;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote != '`') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == '(' || c == '[' || angleBrackets && c == '<') {
                deepest = Math.max(deepest, ++depth);
            } else if (c == ')' || c == ']' || angleBrackets && c == '>') {
                depth--;
            }
        }
        if (deepest > SqlPolicy.MAX_BRACKET_DEPTH) {
            throw new SqlPolicy.Refused("nests brackets " + deepest + " deep; at most " + SqlPolicy.MAX_BRACKET_DEPTH
                    + " levels are allowed");
        }
    }

    interface Parse<T> {
        T run() throws Exception;
    }

    /** Runs Spark's parser; its {@code ParseException} (with the line and position) goes on as it is. */
    static <T> T parse(Parse<T> parse) {
        try {
            return parse.run();
        } catch (StackOverflowError e) {
            throw new SqlPolicy.Refused("is nested too deeply to parse");
        } catch (Exception e) {
            throw SqlBounds.<RuntimeException>unchecked(e);
        }
    }

    @SuppressWarnings("unchecked")
    static <E extends Exception> E unchecked(Exception e) throws E {
        throw (E) e;
    }

    static void requireShallow(int depth) {
        if (depth > SqlPolicy.MAX_TREE_DEPTH) {
            throw new SqlPolicy.Refused(
                    "nests its operators and expressions more than " + SqlPolicy.MAX_TREE_DEPTH + " levels deep");
        }
    }

    /** The depth of a tree, giving up once past the bound (so this recursion stays short too). */
    static int depth(QueryPlan<?> plan, int above) {
        int deepest = above + 1;
        if (deepest > SqlPolicy.MAX_TREE_DEPTH) {
            return deepest;
        }
        for (Expression expression : SqlBounds.<Expression>seq(plan.expressions())) {
            deepest = Math.max(deepest, depth(expression, above + 1));
        }
        for (QueryPlan<?> child : SqlBounds.<QueryPlan<?>>seq(plan.children())) {
            deepest = Math.max(deepest, depth(child, above + 1));
        }
        for (QueryPlan<?> child : SqlBounds.<QueryPlan<?>>seq(plan.innerChildren())) {
            deepest = Math.max(deepest, depth(child, above + 1));
        }
        return deepest;
    }

    static int depth(Expression expression, int above) {
        int deepest = above + 1;
        if (deepest > SqlPolicy.MAX_TREE_DEPTH) {
            return deepest;
        }
        if (expression instanceof SubqueryExpression subquery) {
            deepest = Math.max(deepest, depth(subquery.plan(), above + 1));
        }
        for (Expression child : SqlBounds.<Expression>seq(expression.children())) {
            deepest = Math.max(deepest, depth(child, above + 1));
        }
        return deepest;
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> seq(scala.collection.Seq<?> seq) {
        return (List<T>) JavaConverters.seqAsJavaList(seq);
    }
}
