package dev.sluice.pipeline;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.LogicalRDD;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.SQLExecutionRDD;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2ScanExecBase;
import org.apache.spark.sql.execution.streaming.IncrementalExecution;
import org.apache.spark.sql.execution.streaming.StreamExecution;
import org.apache.spark.sql.execution.streaming.StreamingQueryWrapper;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;

/**
 * A micro-batch's source records as the source's reader gives them, for a query whose batches
 * are only read and written ({@code foreachBatch} over the source itself).
 *
 * <p>Spark hands {@code foreachBatch} the batch as a relation over its plan's result: the
 * source's scan under a projection that only orders its columns, compiled to copy each record
 * into a row of its own, and that result copied once more by the relation's own compiled scan.
 * Here, when the batch's plan is just that (a scan, and projections of its columns), the scan's
 * rows are read as they are, with the session's settings in the tasks and the scan's row count
 * (the query's input rows) kept as Spark keeps it. Any other plan is read as Spark gives it.
 *
 * @param rows the records, in Spark's internal form
 * @param schema their columns
 */
public record BatchRecords(RDD<InternalRow> rows, StructType schema) {

    /**
     * The records of the batch a query is writing now: called from its {@code foreachBatch}, on
     * the query's own thread.
     *
     * @param spark the session the query was started in
     * @param batch the batch {@code foreachBatch} was given
     */
    public static BatchRecords of(SparkSession spark, Dataset<Row> batch) {
        String id = spark.sparkContext().getLocalProperty(StreamExecution.QUERY_ID_KEY());
        BatchRecords direct = id == null ? null : direct(spark.streams().get(id));
        if (direct != null) {
            return direct;
        }
        LogicalPlan logical = batch.queryExecution().logical();
        if (logical instanceof LogicalRDD relation) {
            return new BatchRecords(relation.rdd(), batch.schema());
        }
        return new BatchRecords(batch.queryExecution().toRdd(), batch.schema());
    }

    private static BatchRecords direct(StreamingQuery query) {
        if (!(query instanceof StreamingQueryWrapper wrapper)) {
            return null;
        }
        IncrementalExecution execution = wrapper.streamingQuery().lastExecution();
        if (execution == null) {
            return null;
        }
        SparkPlan scan = scanUnder(execution.executedPlan());
        if (scan == null) {
            return null;
        }
        return new BatchRecords(
                new SQLExecutionRDD(
                        scan.execute(), execution.sparkSession().sessionState().conf()),
                scan.schema());
    }

    /** The row-based scan under compiled stages and projections of plain columns, or null. */
    static SparkPlan scanUnder(SparkPlan plan) {
        while (true) {
            if (plan instanceof DataSourceV2ScanExecBase scan) {
                return scan.supportsColumnar() ? null : plan;
            } else if (plan instanceof WholeStageCodegenExec stage) {
                plan = stage.child();
            } else if (plan instanceof InputAdapter adapter) {
                plan = adapter.child();
            } else if (plan instanceof ProjectExec project && onlyColumns(project)) {
                plan = project.child();
            } else {
                return null;
            }
        }
    }

    private static boolean onlyColumns(ProjectExec project) {
        for (NamedExpression expression : JavaConverters.seqAsJavaList(project.projectList())) {
            if (!(expression instanceof Attribute)) {
                return false;
            }
        }
        return true;
    }
}
