package dev.sluice.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.FetchedRecords;
import dev.sluice.pipeline.FusedRecords;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** One local Spark session for the unit tests of a JVM; Spark's own shutdown hook stops it. */
public final class TestSpark {

    /** The Kafka source's columns that parsers read. */
    public static final StructType KAFKA_RECORD = new StructType()
            .add("topic", DataTypes.StringType)
            .add("partition", DataTypes.IntegerType)
            .add("offset", DataTypes.LongType)
            .add("timestamp", DataTypes.TimestampType)
            .add("key", DataTypes.BinaryType)
            .add("value", DataTypes.BinaryType);

    /** The leading columns of a decided record, as the sink takes it ({@code PostgresSink.INPUT_COLUMNS}). */
    public static final StructType DECIDED_RECORD = new StructType(Arrays.copyOf(KAFKA_RECORD.fields(), 4))
            .add("value", DataTypes.BinaryType)
            .add("reject_reason", DataTypes.StringType)
            .add("reject_detail", DataTypes.StringType)
            .add("key", DataTypes.BinaryType);

    private static SparkSession session;

    private TestSpark() {}

    public static synchronized SparkSession session() {
        if (session == null) {
            session = SparkSession.builder()
                    .config("spark.master", "local[2]")
                    .appName("sluice-unit-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
                    .config("spark.sql.warehouse.dir", "target/spark-warehouse")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.plugins", TaskGate.class.getName())
                    .getOrCreate();
        }
        return session;
    }

    /**
     * Stops whatever driver runs in this JVM, for a test that must start one of its own; the next
     * {@link #session()} starts the unit tests' driver again.
     */
    public static synchronized void stopAnyDriver() {
        session = null;
        SparkSession.getDefaultSession().foreach(running -> {
            running.stop();
            return null;
        });
        SparkSession.getActiveSession().foreach(running -> {
            running.stop();
            return null;
        });
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    /** Kafka records of topic car_info, partition 0, at offsets 0, 1, ... with the given values. */
    public static Dataset<Row> kafkaRecords(Instant at, List<byte[]> values) {
        List<Row> records = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            records.add(RowFactory.create("car_info", 0, (long) i, Timestamp.from(at), key(i), values.get(i)));
        }
        return session().createDataFrame(records, KAFKA_RECORD);
    }

    /** The key of the record at this offset in {@link #kafkaRecords}. */
    public static byte[] key(long offset) {
        return ("key-" + offset).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * What the fused records make of Kafka records with these values, one partition, in order:
     * read from Spark's rows of the records, and, the same, from the Kafka reader's rows over one
     * fetched array ({@link FetchedRecords}), whose values are decoded where they lie.
     */
    public static List<Row> decided(FusedRecords records, Instant at, List<byte[]> values) {
        List<Row> decided = kafkaRecords(at, values)
                .queryExecution()
                .toRdd()
                .toJavaRDD()
                .coalesce(1)
                .mapPartitions(records::decideAll)
                .collect();
        List<Row> inPlace = FetchedRecords.withBytes(records.readingFrom(FetchedRecords.KAFKA_SOURCE)
                .decideAll(FetchedRecords.rows("car_info", at, values, TestSpark::key)
                        .iterator()));
        assertThat(inPlace).as("decided in place").containsExactlyElementsOf(decided);
        return decided;
    }
}
