package dev.sluice.pipeline;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongFunction;
import org.apache.kafka.common.record.TimestampType;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.kafka010.KafkaRecordToRowConverter;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Kafka records as the Kafka reader gives them ({@link KafkaRecordRow}): every key and value a part
 * of one array, between bytes of other records, as in a fetch. What the fused path decodes in place.
 */
public final class FetchedRecords {

    /** The Kafka source's columns, in its order: Spark's own (without headers). */
    public static final StructType KAFKA_SOURCE = KafkaRecordToRowConverter.kafkaSchema(false);

    /** What stands between two records' bytes: digits and a brace, which a read past a value's end would take. */
    private static final byte[] BETWEEN = "7}\"9".getBytes(StandardCharsets.US_ASCII);

    private FetchedRecords() {}

    /**
     * Records of partition 0, at offsets 0, 1, ..., each with its key ({@code null} for none) and
     * value (null for none), all in one array.
     */
    public static List<InternalRow> rows(String topic, Instant at, List<byte[]> values, LongFunction<byte[]> keys) {
        int size = BETWEEN.length;
        for (int i = 0; i < values.size(); i++) {
            size += length(keys.apply(i)) + length(values.get(i)) + 2 * BETWEEN.length;
        }
        byte[] fetched = new byte[size];
        List<InternalRow> rows = new ArrayList<>();
        int position = put(fetched, 0, BETWEEN);
        long micros = KafkaRangeReader.micros(at.toEpochMilli());
        for (int i = 0; i < values.size(); i++) {
            byte[] key = keys.apply(i);
            ByteBuffer keyBuffer = slice(fetched, position, key);
            position = put(fetched, put(fetched, position, key), BETWEEN);
            byte[] value = values.get(i);
            ByteBuffer valueBuffer = slice(fetched, position, value);
            position = put(fetched, put(fetched, position, value), BETWEEN);
            KafkaRecordRow row = new KafkaRecordRow(UTF8String.fromString(topic), 0);
            row.set(keyBuffer, valueBuffer, i, micros, TimestampType.CREATE_TIME.id);
            rows.add(row);
        }
        return rows;
    }

    /** The decided rows with their value and key as byte arrays, as a dead letter keeps them. */
    public static List<Row> withBytes(Iterator<Row> decided) {
        List<Row> rows = new ArrayList<>();
        decided.forEachRemaining(row -> {
            Object[] values = new Object[row.length()];
            for (int i = 0; i < values.length; i++) {
                values[i] = row.get(i);
            }
            values[4] = PostgresSink.bytes(values[4]);
            values[7] = PostgresSink.bytes(values[7]);
            rows.add(RowFactory.create(values));
        });
        return rows;
    }

    /**
     * A buffer over the bytes put at {@code position}, from position to limit, of the whole array
     * (as Kafka's slices); null for none.
     */
    private static ByteBuffer slice(byte[] fetched, int position, byte[] bytes) {
        return bytes == null
                ? null
                : ByteBuffer.wrap(fetched).position(position).slice().limit(bytes.length);
    }

    /** Puts the bytes (none for null) at {@code position}; where they end. */
    private static int put(byte[] fetched, int position, byte[] bytes) {
        if (bytes == null) {
            return position;
        }
        System.arraycopy(bytes, 0, fetched, position, bytes.length);
        return position + bytes.length;
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }
}
