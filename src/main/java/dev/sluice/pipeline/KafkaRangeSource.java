package dev.sluice.pipeline;

import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.read.streaming.ContinuousStream;
import org.apache.spark.sql.connector.read.streaming.MicroBatchStream;
import org.apache.spark.sql.connector.read.streaming.Offset;
import org.apache.spark.sql.connector.read.streaming.ReadLimit;
import org.apache.spark.sql.connector.read.streaming.ReportsSourceMetrics;
import org.apache.spark.sql.connector.read.streaming.SupportsAdmissionControl;
import org.apache.spark.sql.connector.read.streaming.SupportsTriggerAvailableNow;
import org.apache.spark.sql.kafka010.KafkaBatchInputPartition;
import org.apache.spark.sql.kafka010.KafkaOffsetRange;
import org.apache.spark.sql.kafka010.KafkaSourceProvider;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * Spark's Kafka source, every option and offset of it, with each micro-batch's offset ranges read
 * by {@link KafkaRangeReader} instead of Spark's reader: the format every pipeline reads Kafka
 * with ({@link KafkaSource}). Planning, offsets, rate limits, {@code Trigger.AvailableNow}, the
 * offsets in the checkpoint and the source's progress metrics are Spark's own, so a checkpoint
 * written with Spark's {@code kafka} format resumes here and the other way round. Ranges with
 * headers, consumers that take Kafka delegation tokens from Spark ({@code spark.kafka.clusters.*}),
 * batch reads and continuous processing are read by Spark's reader.
 */
public final class KafkaRangeSource implements TableProvider {

    private final KafkaSourceProvider spark = new KafkaSourceProvider();

    @Override
    public StructType inferSchema(CaseInsensitiveStringMap options) {
        return spark.inferSchema(options);
    }

    @Override
    public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
        return new RangeTable((SupportsRead) spark.getTable(schema, partitioning, properties));
    }

    /** Spark's Kafka table, for reading. */
    private record RangeTable(SupportsRead table) implements SupportsRead {
        @Override
        public ScanBuilder newScanBuilder(CaseInsensitiveStringMap options) {
            ScanBuilder builder = table.newScanBuilder(options);
            return () -> new RangeScan(builder.build());
        }

        @Override
        public String name() {
            return table.name();
        }

        @Override
        public StructType schema() {
            return table.schema();
        }

        @Override
        public Set<TableCapability> capabilities() {
            Set<TableCapability> reads = EnumSet.of(
                    TableCapability.BATCH_READ, TableCapability.MICRO_BATCH_READ, TableCapability.CONTINUOUS_READ);
            reads.retainAll(table.capabilities());
            return reads;
        }
    }

    private record RangeScan(Scan scan) implements Scan {
        @Override
        public StructType readSchema() {
            return scan.readSchema();
        }

        @Override
        public String description() {
            return scan.description();
        }

        @Override
        public Batch toBatch() {
            return scan.toBatch();
        }

        @Override
        public MicroBatchStream toMicroBatchStream(String checkpointLocation) {
            return new RangeStream(scan.toMicroBatchStream(checkpointLocation));
        }

        @Override
        public ContinuousStream toContinuousStream(String checkpointLocation) {
            return scan.toContinuousStream(checkpointLocation);
        }

        @Override
        public CustomMetric[] supportedCustomMetrics() {
            return scan.supportedCustomMetrics();
        }
    }

    /** Spark's micro-batch stream with the readers of {@link KafkaRangeReader}. */
    private static final class RangeStream
            implements MicroBatchStream, SupportsTriggerAvailableNow, ReportsSourceMetrics {
        private final MicroBatchStream stream;

        RangeStream(MicroBatchStream stream) {
            if (!(stream instanceof SupportsTriggerAvailableNow) || !(stream instanceof ReportsSourceMetrics)) {
                throw new IllegalStateException(
                        "Spark's Kafka stream is " + stream.getClass().getName());
            }
            this.stream = stream;
        }

        @Override
        public PartitionReaderFactory createReaderFactory() {
            return new RangeReaders(stream.createReaderFactory());
        }

        @Override
        public Offset latestOffset() {
            return stream.latestOffset();
        }

        @Override
        public InputPartition[] planInputPartitions(Offset start, Offset end) {
            return stream.planInputPartitions(start, end);
        }

        @Override
        public Offset initialOffset() {
            return stream.initialOffset();
        }

        @Override
        public Offset deserializeOffset(String json) {
            return stream.deserializeOffset(json);
        }

        @Override
        public void commit(Offset end) {
            stream.commit(end);
        }

        @Override
        public void stop() {
            stream.stop();
        }

        @Override
        public ReadLimit getDefaultReadLimit() {
            return ((SupportsAdmissionControl) stream).getDefaultReadLimit();
        }

        @Override
        public Offset latestOffset(Offset start, ReadLimit limit) {
            return ((SupportsAdmissionControl) stream).latestOffset(start, limit);
        }

        @Override
        public Offset reportLatestOffset() {
            return ((SupportsAdmissionControl) stream).reportLatestOffset();
        }

        @Override
        public void prepareForTriggerAvailableNow() {
            ((SupportsTriggerAvailableNow) stream).prepareForTriggerAvailableNow();
        }

        @Override
        public Map<String, String> metrics(Optional<Offset> latestConsumedOffset) {
            return ((ReportsSourceMetrics) stream).metrics(latestConsumedOffset);
        }

        @Override
        public String toString() {
            return stream.toString();
        }
    }

    /**
     * Whether this JVM's Spark gives Kafka consumers delegation tokens ({@code
     * spark.kafka.clusters.*}), which only Spark's own reader sets up.
     */
    private static boolean tokensFromSpark() {
        Boolean tokens = tokensFromSpark;
        if (tokens == null) {
            SparkEnv env = SparkEnv.get();
            tokens = env != null && env.conf().getAllWithPrefix("spark.kafka.clusters.").length > 0;
            tokensFromSpark = tokens;
        }
        return tokens;
    }

    private static volatile Boolean tokensFromSpark;

    /** A range reader for each Kafka range without headers; Spark's reader for anything else. */
    private record RangeReaders(PartitionReaderFactory spark) implements PartitionReaderFactory {
        @Override
        public PartitionReader<InternalRow> createReader(InputPartition partition) {
            if (!(partition instanceof KafkaBatchInputPartition kafka) || kafka.includeHeaders() || tokensFromSpark()) {
                return spark.createReader(partition);
            }
            KafkaOffsetRange offsets = kafka.offsetRange();
            KafkaRangeReader reader = new KafkaRangeReader(
                    new KafkaRangeReader.Range(
                            offsets.topicPartition(),
                            offsets.fromOffset(),
                            offsets.untilOffset(),
                            kafka.executorKafkaParams(),
                            kafka.pollTimeoutMs(),
                            kafka.failOnDataLoss()),
                    KafkaConsumerPool.shared());
            return new PartitionReader<>() {
                private InternalRow row;

                @Override
                public boolean next() {
                    row = reader.hasNext() ? reader.next() : null;
                    return row != null;
                }

                @Override
                public InternalRow get() {
                    return row;
                }

                @Override
                public void close() {
                    reader.close();
                }
            };
        }
    }
}
