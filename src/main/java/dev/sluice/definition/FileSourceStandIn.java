package dev.sluice.definition;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.execution.datasources.DataSource;
import org.apache.spark.sql.execution.streaming.StreamingRelation;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * A file source over a folder that does not exist yet, for checking a definition: the same
 * relation Spark's reader makes, without Spark's check that the folder exists. It is never started;
 * the pipeline's start creates the folder and reads it for real.
 */
final class FileSourceStandIn {

    private FileSourceStandIn() {}

    @SuppressWarnings("unchecked")
    static Dataset<Row> of(SparkSession spark, String format, String path, StructType schema) {
        scala.collection.immutable.Map<String, String> options =
                scala.collection.immutable.Map$.MODULE$.<String, String>empty().$plus(scala.Tuple2.apply("path", path));
        DataSource source = new DataSource(
                spark,
                format,
                JavaConverters.asScalaBuffer(java.util.List.of(path)).toSeq(),
                Option.apply(schema),
                JavaConverters.asScalaBuffer(java.util.List.<String>of()).toSeq(),
                Option.empty(),
                options,
                Option.empty());
        Seq<Attribute> output = (Seq<Attribute>) (Seq<?>) DataTypeUtils.toAttributes(schema);
        return Dataset.ofRows(spark, new StreamingRelation(source, "FileSource[" + path + "]", output));
    }
}
