package dev.sluice.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.datasources.v2.MicroBatchScanExec;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.kafka010.KafkaBatchInputPartition;
import org.apache.spark.sql.kafka010.KafkaOffsetRange;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * A micro-batch of Spark's Kafka source, read by {@link KafkaRangeReader}s: one task per offset
 * range Spark planned for the batch, on the executor Spark prefers for it, each range's records
 * as the scan's rows, counted in the scan's own count of rows read (the query's input rows).
 */
final class KafkaBatchRows {

    /** The columns of Spark's Kafka source without headers, in its order. */
    private static final List<String> COLUMNS =
            List.of("key", "value", "topic", "partition", "offset", "timestamp", "timestampType");

    private KafkaBatchRows() {}

    /**
     * The batch's records, or null when the scan is not Spark's Kafka source as read here: a
     * source with headers, or consumers that take Kafka delegation tokens from Spark
     * ({@code spark.kafka.clusters.*}), which only Spark's own reader sets up.
     */
    static RDD<InternalRow> of(SparkContext context, SparkPlan scan) {
        if (!(scan instanceof MicroBatchScanExec microBatch)
                || !Arrays.asList(scan.schema().fieldNames()).equals(COLUMNS)
                || context.getConf().getAllWithPrefix("spark.kafka.clusters.").length > 0) {
            return null;
        }
        List<Tuple2<KafkaRangeReader.Range, Seq<String>>> ranges = new ArrayList<>();
        for (InputPartition partition : JavaConverters.seqAsJavaList(microBatch.inputPartitions())) {
            if (!(partition instanceof KafkaBatchInputPartition kafka) || kafka.includeHeaders()) {
                return null;
            }
            KafkaOffsetRange offsets = kafka.offsetRange();
            ranges.add(new Tuple2<>(
                    new KafkaRangeReader.Range(
                            offsets.topicPartition(),
                            offsets.fromOffset(),
                            offsets.untilOffset(),
                            new HashMap<>(kafka.executorKafkaParams()),
                            kafka.pollTimeoutMs(),
                            kafka.failOnDataLoss()),
                    JavaConverters.asScalaBuffer(Arrays.asList(kafka.preferredLocations()))
                            .toSeq()));
        }
        SQLMetric rowsRead = microBatch.metrics().get("numOutputRows").getOrElse(() -> null);
        ClassTag<KafkaRangeReader.Range> tag = ClassTag$.MODULE$.apply(KafkaRangeReader.Range.class);
        JavaRDD<KafkaRangeReader.Range> tasks = JavaRDD.fromRDD(
                context.makeRDD(JavaConverters.asScalaBuffer(ranges).toSeq(), tag), tag);
        return tasks.mapPartitions(partition -> partition.hasNext()
                        ? new KafkaRangeReader(partition.next(), KafkaConsumerPool.shared(), rowsRead)
                        : Collections.<InternalRow>emptyIterator())
                .rdd();
    }
}
