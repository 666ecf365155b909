package dev.sluice.pipeline;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.stream.StreamSupport;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.BasePredicate;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.Predicate$;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection$;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.sql.catalyst.util.RebaseDateTime;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.LongAccumulator;
import scala.Function1;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * The fused shape of a pipeline, in the task that writes: each Kafka record's bytes decoded
 * ({@link JsonDecoder}), checked by the reject rules, transformed by the definition's projections
 * and filters, and turned into the sink's input row ({@link PostgresSink#INPUT_COLUMNS}, then the
 * table's columns, text as Spark's {@link UTF8String}), one record at a time, with no Spark
 * operator between. Every expression is
 * Spark's own (analysed from the definition, compiled here as Spark compiles a projection), so the
 * rows are those the general shape would give.
 *
 * <p>A record a filter drops gives no row. A text value holding a NUL character, which PostgreSQL
 * text cannot store, makes its record an {@code INVALID_CHARACTER} dead letter instead of failing
 * the batch.
 */
public final class FusedRecords implements Serializable {

    public static final String INVALID_CHARACTER = "INVALID_CHARACTER";

    /**
     * One step of the transform: a projection, or a filter when {@code condition} is set.
     *
     * @param input the attributes the step reads, in the order of the rows it is given
     */
    public record Step(List<Expression> projection, Expression condition, List<Attribute> input)
            implements Serializable {
        public Step {
            projection = projection == null ? null : List.copyOf(projection);
            input = List.copyOf(input);
            if ((projection == null) == (condition == null)) {
                throw new IllegalArgumentException("a step projects or filters");
            }
        }

        public static Step project(List<Expression> projection, List<Attribute> input) {
            return new Step(projection, null, input);
        }

        public static Step filter(Expression condition, List<Attribute> input) {
            return new Step(null, condition, input);
        }
    }

    /**
     * A column of each record's Kafka metadata.
     *
     * @param index the Kafka record's column: 0 topic, 1 partition, 2 offset, 3 timestamp, 4 key
     */
    public record Metadata(String name, int index) implements Serializable {
        private static final DataType[] TYPES = {
            DataTypes.StringType,
            DataTypes.IntegerType,
            DataTypes.LongType,
            DataTypes.TimestampType,
            DataTypes.BinaryType
        };

        public Metadata {
            if (index < 0 || index >= TYPES.length) {
                throw new IllegalArgumentException("a Kafka record has five metadata columns");
            }
        }

        public DataType type() {
            return TYPES[index];
        }
    }

    /** Where the key is among the Kafka records' columns read (and a {@link Metadata}'s index for it). */
    private static final int KEY = 4;

    /** Where the value is among the Kafka records' columns read. */
    private static final int VALUE = 5;

    /** The Kafka records' columns read: topic, partition, offset, timestamp, key and value, by position. */
    private static final int[] RECORD_COLUMNS = {0, 1, 2, 3, 4, 5};

    private static final String[] RECORD_COLUMN_NAMES = {"topic", "partition", "offset", "timestamp", "key", "value"};

    private final JsonDecoder decoder;
    private final List<Metadata> metadata;
    /** Where each of topic, partition, offset, timestamp, key and value is in the records given. */
    private final int[] columns;
    /**
     * The first broken rule's reason and detail, then whether each expectation is broken, over the
     * decoded fields; empty for no rules and no expectations.
     */
    private final List<Expression> rules;
    /** One per expectation: the records that broke it, added up on the driver. */
    private final List<LongAccumulator> broken;

    private final List<Attribute> fields;
    private final List<Step> steps;
    private final StructType output;

    /**
     * @param rules expressions over {@code fields}: the reason a record is rejected with and its
     *     detail, both null for a record that breaks no rule, then one boolean per expectation
     *     counted; or none
     * @param metadata the Kafka metadata columns after the decoder's fields
     * @param fields the decoder's fields and the metadata columns as attributes
     * @param output the rows the last step gives: the table's columns
     */
    public FusedRecords(
            JsonDecoder decoder,
            List<Metadata> metadata,
            List<Expression> rules,
            List<Attribute> fields,
            List<Step> steps,
            StructType output) {
        this(decoder, metadata, rules, fields, steps, output, List.of(), RECORD_COLUMNS);
    }

    private FusedRecords(
            JsonDecoder decoder,
            List<Metadata> metadata,
            List<Expression> rules,
            List<Attribute> fields,
            List<Step> steps,
            StructType output,
            List<LongAccumulator> broken,
            int[] columns) {
        this.broken = List.copyOf(broken);
        this.columns = columns.clone();
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.metadata = List.copyOf(metadata);
        this.rules = List.copyOf(rules);
        this.fields = List.copyOf(fields);
        this.steps = List.copyOf(steps);
        this.output = Objects.requireNonNull(output, "output");
        if (!this.rules.isEmpty() && this.rules.size() < 2) {
            throw new IllegalArgumentException("rules give a reason and a detail");
        }
    }

    /** How many expectations each record is counted for. */
    public int expectations() {
        return Math.max(0, rules.size() - 2);
    }

    /** These records, each broken expectation counted in its accumulator (registered on the driver). */
    public FusedRecords counting(List<LongAccumulator> counters) {
        if (counters.size() != expectations()) {
            throw new IllegalArgumentException("one counter per expectation");
        }
        return new FusedRecords(decoder, metadata, rules, fields, steps, output, counters, columns);
    }

    /**
     * These records, read from rows of this schema (the Kafka source's own rows, with no projection
     * before them): {@code topic}, {@code partition}, {@code offset}, {@code timestamp}, {@code
     * key} and {@code value} are found by name.
     */
    public FusedRecords readingFrom(StructType records) {
        int[] found = new int[RECORD_COLUMN_NAMES.length];
        for (int i = 0; i < found.length; i++) {
            found[i] = records.fieldIndex(RECORD_COLUMN_NAMES[i]);
        }
        return new FusedRecords(decoder, metadata, rules, fields, steps, output, broken, found);
    }

    /** The rows the last step gives: the table's columns. */
    public StructType output() {
        return output;
    }

    /**
     * A Kafka record in Spark's internal form, its columns where {@link #decideAll} reads them
     * unless {@link #readingFrom} says otherwise.
     *
     * @param timestampMicros the record's timestamp, in microseconds since the epoch
     */
    public static InternalRow record(
            String topic, int partition, long offset, long timestampMicros, byte[] key, byte[] value) {
        Object[] values = new Object[RECORD_COLUMNS.length];
        values[0] = UTF8String.fromString(topic);
        values[1] = partition;
        values[2] = offset;
        values[3] = timestampMicros;
        values[KEY] = key;
        values[VALUE] = value;
        return new GenericInternalRow(values);
    }

    /**
     * Turns Kafka records ({@code topic}, {@code partition}, {@code offset}, {@code timestamp},
     * {@code key}, {@code value}, in Spark's internal form, in that order unless {@link
     * #readingFrom} says otherwise) into the sink's input rows; runs in a Spark task.
     */
    public Iterator<Row> decideAll(Iterator<InternalRow> records) {
        Task task = new Task();
        Iterable<InternalRow> input = () -> records;
        return StreamSupport.stream(input.spliterator(), false)
                .map(task::decide)
                .filter(Objects::nonNull)
                .iterator();
    }

    /**
     * Compiles the expressions a task compiles, now, and the detail a task's first rejected record
     * needs: Spark keeps compiled code by its text and the compiling thread's class loader, so,
     * called in a task of the same executor, the first task of a run finds them compiled (a fused
     * pipeline's first rows land sooner).
     */
    public void compileAhead() {
        Task task = new Task();
        if (task.detailRule != null) {
            task.detailProjection();
        }
    }

    /** The compiled expressions of one task. */
    private final class Task {
        /** The first broken rule's reason, then whether each expectation is broken. */
        private final UnsafeProjection ruleProjection;
        /**
         * The first broken rule's detail, apart: it goes through the rules' conditions again, which
         * only a rejected record needs, so a task generates it for its first rejected record.
         */
        private final Expression detailRule;

        private UnsafeProjection detailProjection;

        /** Whether the records' key and value are where the Kafka reader's rows ({@link KafkaRecordRow}) have them. */
        private final boolean readsKafkaRows =
                columns[VALUE] == KafkaRecordRow.VALUE && columns[KEY] == KafkaRecordRow.KEY;

        private final List<Object> compiled = new ArrayList<>();
        private final List<Function1<Object, Object>> converters = new ArrayList<>();
        private final DataType[] types =
                Arrays.stream(output.fields()).map(StructField::dataType).toArray(DataType[]::new);

        Task() {
            int partition = TaskContext.get() == null ? 0 : TaskContext.getPartitionId();
            if (rules.isEmpty()) {
                ruleProjection = null;
                detailRule = null;
            } else {
                List<Expression> checks = new ArrayList<>(rules);
                detailRule = checks.remove(1);
                ruleProjection = UnsafeProjection$.MODULE$.create(seq(checks), seq(fields));
            }
            for (Step step : steps) {
                Picks picks = step.projection() == null ? null : Picks.of(step);
                if (picks != null) {
                    compiled.add(picks);
                } else if (step.projection() != null) {
                    UnsafeProjection projection =
                            UnsafeProjection$.MODULE$.create(seq(step.projection()), seq(step.input()));
                    projection.initialize(partition);
                    compiled.add(projection);
                } else {
                    BasePredicate predicate = Predicate$.MODULE$.create(step.condition(), seq(step.input()));
                    predicate.initialize(partition);
                    compiled.add(predicate);
                }
            }
            for (DataType type : types) {
                converters.add(CatalystTypeConverters.createToScalaConverter(type));
            }
        }

        /** The rules' detail projection, generated when first needed. */
        private UnsafeProjection detailProjection() {
            if (detailProjection == null) {
                detailProjection = UnsafeProjection$.MODULE$.create(seq(List.of(detailRule)), seq(fields));
            }
            return detailProjection;
        }

        /** The last topic read, as bytes and as text: a task's records mostly share one. */
        private UTF8String lastTopic;

        private String lastTopicText;

        private String topic(UTF8String topic) {
            if (!topic.equals(lastTopic)) {
                lastTopic = topic.clone();
                lastTopicText = topic.toString();
            }
            return lastTopicText;
        }

        /** The sink's input row for one record, or null when a filter drops it. */
        Row decide(InternalRow record) {
            // The value and key as the sink's row carries them: byte arrays, or the fetched bytes
            // themselves (a ByteBuffer) when the record is the Kafka reader's, which are copied
            // only for a dead letter or a metadata column.
            Object value;
            Object key;
            JsonDecoder.Decoded decoded;
            if (readsKafkaRows && record instanceof KafkaRecordRow kafka) {
                ByteBuffer bytes = kafka.buffer(KafkaRecordRow.VALUE);
                value = bytes;
                key = kafka.buffer(KafkaRecordRow.KEY);
                decoded = decoder.decode(bytes);
            } else {
                // Read once (a copy of the row's bytes): for the decoder, a metadata column and a dead letter.
                byte[] bytes = record.isNullAt(columns[VALUE]) ? null : record.getBinary(columns[VALUE]);
                value = bytes;
                key = record.isNullAt(columns[KEY]) ? null : record.getBinary(columns[KEY]);
                decoded = decoder.decode(bytes);
            }
            if (!decoded.accepted()) {
                return rejected(record, value, key, decoded.reason(), decoded.detail());
            }
            InternalRow row =
                    metadata.isEmpty() ? decoded.fields() : new JoinedRow(decoded.fields(), metadataRow(record, key));
            // The decoder's row is this record's own; a compiled projection's is reused for the next.
            boolean owned = true;
            if (ruleProjection != null) {
                InternalRow checked = ruleProjection.apply(row);
                for (int i = 0; i < broken.size(); i++) {
                    if (!checked.isNullAt(1 + i) && checked.getBoolean(1 + i)) {
                        broken.get(i).add(1);
                    }
                }
                if (!checked.isNullAt(0)) {
                    String reason = checked.getUTF8String(0).toString();
                    if (reason.startsWith(RejectRule.DROP)) {
                        return null;
                    }
                    InternalRow explained = detailProjection().apply(row);
                    String detail = explained.isNullAt(0)
                            ? null
                            : explained.getUTF8String(0).toString();
                    if (reason.startsWith(RejectRule.FAIL)) {
                        throw RejectRule.failure(
                                reason,
                                detail,
                                record.getUTF8String(columns[0]).toString(),
                                record.getInt(columns[1]),
                                record.getLong(columns[2]));
                    }
                    return rejected(record, value, key, reason, detail);
                }
            }
            for (Object step : compiled) {
                if (step instanceof BasePredicate predicate) {
                    if (!predicate.eval(row)) {
                        return null;
                    }
                } else if (step instanceof Picks picks) {
                    row = picks.apply(row);
                } else {
                    row = ((UnsafeProjection) step).apply(row);
                    owned = false;
                }
            }
            Object[] values = new Object[PostgresSink.INPUT_COLUMNS.size() + types.length];
            metadata(record, value, key, values);
            int first = PostgresSink.INPUT_COLUMNS.size();
            for (int i = 0; i < types.length; i++) {
                Object column;
                if (row.isNullAt(i)) {
                    column = null;
                } else if (types[i] == DataTypes.StringType) {
                    // Its UTF-8 bytes go to COPY as they are; copied when the row's buffer is reused.
                    column = owned ? row.getUTF8String(i) : row.getUTF8String(i).clone();
                } else {
                    column = converters.get(i).apply(row.get(i, types[i]));
                }
                if (column instanceof UTF8String text && hasNul(text)) {
                    return rejected(
                            record,
                            value,
                            key,
                            INVALID_CHARACTER,
                            output.fields()[i].name()
                                    + " contains a NUL character, which PostgreSQL text cannot store");
                }
                values[first + i] = column;
            }
            return RowFactory.create(values);
        }

        private Row rejected(InternalRow record, Object value, Object key, String reason, String detail) {
            Object[] values = new Object[PostgresSink.INPUT_COLUMNS.size()];
            metadata(record, PostgresSink.bytes(value), PostgresSink.bytes(key), values);
            values[5] = reason;
            values[6] = detail;
            return RowFactory.create(values);
        }

        /** The metadata columns of a record, copied: the record's row may be reused for the next. */
        private InternalRow metadataRow(InternalRow record, Object key) {
            Object[] values = new Object[metadata.size()];
            for (int i = 0; i < values.length; i++) {
                int index = metadata.get(i).index();
                int column = columns[index];
                if (index == KEY) {
                    values[i] = PostgresSink.bytes(key);
                } else if (!record.isNullAt(column)) {
                    values[i] = index == 0
                            ? record.getUTF8String(column).clone()
                            : record.get(column, metadata.get(i).type());
                }
            }
            return new GenericInternalRow(values);
        }

        /**
         * The record's Kafka metadata, its value and its key (for a dead letter, the table's
         * refusal included).
         */
        private void metadata(InternalRow record, Object value, Object key, Object[] values) {
            values[0] = record.isNullAt(columns[0]) ? null : topic(record.getUTF8String(columns[0]));
            values[1] = record.isNullAt(columns[1]) ? null : record.getInt(columns[1]);
            values[2] = record.isNullAt(columns[2]) ? null : record.getLong(columns[2]);
            values[3] = record.isNullAt(columns[3]) ? null : kafkaTimestamp(record.getLong(columns[3]));
            values[4] = value;
            values[7] = key;
        }
    }

    /**
     * A projection that only picks, renames and reorders columns: done by reference, with no
     * compiled projection and no copy; one that keeps every column in its place (a renaming) gives
     * the row it is given.
     */
    private record Picks(int[] from, DataType[] types, boolean keepsAll) {

        /** The picks of a projection of plain column references, or null for any other projection. */
        static Picks of(Step step) {
            int[] from = new int[step.projection().size()];
            DataType[] types = new DataType[from.length];
            for (int i = 0; i < from.length; i++) {
                Expression expression = step.projection().get(i);
                if (expression instanceof Alias alias) {
                    expression = alias.child();
                }
                if (!(expression instanceof Attribute attribute)) {
                    return null;
                }
                from[i] = -1;
                for (int j = 0; j < step.input().size(); j++) {
                    if (step.input().get(j).exprId().equals(attribute.exprId())) {
                        from[i] = j;
                    }
                }
                if (from[i] < 0) {
                    return null;
                }
                types[i] = attribute.dataType();
            }
            boolean keepsAll = from.length == step.input().size();
            for (int i = 0; i < from.length && keepsAll; i++) {
                keepsAll = from[i] == i;
            }
            return new Picks(from, types, keepsAll);
        }

        InternalRow apply(InternalRow row) {
            if (keepsAll) {
                return row;
            }
            Object[] values = new Object[from.length];
            for (int i = 0; i < from.length; i++) {
                values[i] = row.isNullAt(from[i]) ? null : row.get(from[i], types[i]);
            }
            return new GenericInternalRow(values);
        }
    }

    /** The instant from which Spark's calendar rebase leaves every time zone's timestamps as they are. */
    private static final long LAST_CALENDAR_SWITCH = RebaseDateTime.lastSwitchGregorianTs();

    /**
     * A timestamp column's value (microseconds) as Spark gives it to a row: {@link
     * DateTimeUtils#toJavaTimestamp(long)}'s value, without its look-up of the JVM's time zone (a
     * copy of the default {@code TimeZone} per call) for the instants after every calendar switch,
     * which it does not rebase.
     */
    static Timestamp kafkaTimestamp(long micros) {
        return micros >= LAST_CALENDAR_SWITCH
                ? DateTimeUtils.toJavaTimestampNoRebase(micros)
                : DateTimeUtils.toJavaTimestamp(micros);
    }

    /** Whether the text holds a NUL character: a zero byte, which UTF-8 uses for nothing else. */
    private static boolean hasNul(UTF8String text) {
        Object base = text.getBaseObject();
        long offset = text.getBaseOffset();
        for (int i = 0, size = text.numBytes(); i < size; i++) {
            if (Platform.getByte(base, offset + i) == 0) {
                return true;
            }
        }
        return false;
    }

    private static <T> Seq<T> seq(List<T> list) {
        return JavaConverters.asScalaBuffer(new ArrayList<>(list)).toSeq();
    }
}
