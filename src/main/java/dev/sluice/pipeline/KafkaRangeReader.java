package dev.sluice.pipeline;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.sql.catalyst.util.RebaseDateTime;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.TaskCompletionListener;
import org.apache.spark.util.UninterruptibleThread;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The records of one micro-batch's offset range of one Kafka topic partition, as rows of Spark's
 * Kafka source ({@code key}, {@code value}, {@code topic}, {@code partition}, {@code offset},
 * {@code timestamp}, {@code timestampType}), read in its task ({@link KafkaRangeSource}).
 *
 * <p>It reads what Spark's reader reads and decides as it decides: offsets a poll skips are
 * invisible records (transaction markers, aborted or compacted records) when the partition still
 * begins at or before them, and lost otherwise; an offset Kafka no longer has, or records that
 * were deleted, fail the task when {@code failOnDataLoss} is set and are skipped with a warning
 * when it is not; a poll that brings nothing within the poll timeout fails the task. Unlike
 * Spark's reader, it looks up where the partition begins and ends only when a poll skips offsets
 * or brings nothing, not after every poll: that look-up seeks the consumer away and back, which
 * also drops the fetch the consumer had sent for the next poll. And it gives each record's key
 * and value where the consumer read them, in the fetched bytes ({@link KafkaRecordRow}): copied
 * only when Spark asks for them, never by the fused path, which decodes the value in place.
 *
 * <p>A row is reused for the next record, as a scan's rows are.
 */
final class KafkaRangeReader implements Iterator<InternalRow> {

    private static final Logger log = LoggerFactory.getLogger(KafkaRangeReader.class);

    /** Where a partition's records can be read from, and up to where. */
    private record Available(long earliest, long latest) {}

    /**
     * The offsets {@code [from, until)} of one topic partition, with the consumer settings and
     * choices of Spark's planned partition.
     */
    record Range(
            TopicPartition partition,
            long from,
            long until,
            Map<String, Object> kafkaParams,
            long pollTimeoutMs,
            boolean failOnDataLoss)
            implements Serializable {}

    private static final long LAST_JULIAN_SWITCH = RebaseDateTime.lastSwitchJulianTs();

    private final Range range;
    private final KafkaConsumerPool pool;
    private final KafkaConsumerPool.Key key;
    private final KafkaRecordRow row;

    private KafkaConsumerPool.Lease lease;
    /** The records of the last poll not read yet. */
    private ListIterator<ConsumerRecord<ByteBuffer, ByteBuffer>> polled = Collections.emptyListIterator();
    /** The next offset to read. */
    private long next;
    /** Where the partition began when the records in {@link #polled} were read: looked up on a gap only. */
    private long earliest = -1;

    private ConsumerRecord<ByteBuffer, ByteBuffer> ahead;

    KafkaRangeReader(Range range, KafkaConsumerPool pool) {
        this.range = range;
        this.pool = pool;
        this.key = new KafkaConsumerPool.Key((String) range.kafkaParams().get("group.id"), range.partition());
        this.next = range.from();
        this.row = new KafkaRecordRow(
                UTF8String.fromString(range.partition().topic()),
                range.partition().partition());
        if (range.from() >= range.until()) {
            return;
        }
        TaskContext task = TaskContext.get();
        if (task != null && task.attemptNumber() >= 1) {
            pool.invalidate(key);
        }
        lease = pool.borrow(key, range.kafkaParams());
        if (lease.unread != null && lease.next == range.from()) {
            polled = lease.unread;
        } else {
            lease.consumer.seek(range.partition(), range.from());
        }
        lease.unread = null;
        lease.next = -1;
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) context -> close());
        }
    }

    @Override
    public boolean hasNext() {
        if (ahead == null && lease != null) {
            ahead = advance();
            if (ahead == null) {
                finish();
            }
        }
        return ahead != null;
    }

    @Override
    public InternalRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ConsumerRecord<ByteBuffer, ByteBuffer> record = ahead;
        ahead = null;
        row.set(record.key(), record.value(), record.offset(), micros(record.timestamp()), record.timestampType().id);
        return row;
    }

    /** The next record of the range, or null when the range is read. */
    private ConsumerRecord<ByteBuffer, ByteBuffer> advance() {
        while (next < range.until()) {
            if (!polled.hasNext()) {
                poll();
                continue;
            }
            ConsumerRecord<ByteBuffer, ByteBuffer> record = polled.next();
            long offset = record.offset();
            if (offset < next) {
                throw new IllegalStateException("Asked Kafka for offset " + next + " of " + range.partition()
                        + " and it returned offset " + offset);
            }
            if (offset > next && !invisible(next)) {
                lost(next, Math.min(offset, range.until()), null);
            }
            if (offset >= range.until()) {
                polled.previous();
                next = range.until();
                return null;
            }
            next = offset + 1;
            return record;
        }
        return null;
    }

    /** Polls once; moves {@link #next} past offsets that hold no visible record or no longer exist. */
    private void poll() {
        TopicPartition partition = range.partition();
        try {
            List<ConsumerRecord<ByteBuffer, ByteBuffer>> records = uninterruptibly(() -> lease.consumer
                    .poll(Duration.ofMillis(range.pollTimeoutMs()))
                    .records(partition));
            earliest = -1;
            if (!records.isEmpty()) {
                polled = records.listIterator();
                return;
            }
            long position = lease.consumer.position(partition);
            Available available = available();
            if (next < available.earliest() || next >= available.latest()) {
                throw new OffsetOutOfRangeException(Map.of(partition, next));
            }
            if (position == next) {
                throw new TimeoutException("Cannot fetch record for offset " + next + " of " + partition + " in "
                        + range.pollTimeoutMs() + " milliseconds");
            }
            // Only invisible records before the position.
            next = position;
        } catch (OffsetOutOfRangeException e) {
            if (range.failOnDataLoss()) {
                lost(next, range.until(), e);
            }
            // Go on from the first offset of the range Kafka still has; the same offset again if it has it now.
            Available available = available();
            long from = next;
            if (next >= available.latest() || available.earliest() >= range.until()) {
                next = range.until();
            } else if (next < available.earliest()) {
                next = available.earliest();
            }
            if (next > from) {
                lost(from, next, e);
            } else {
                log.warn("Offset {} of {} was out of range and is there again; reading it again", next, partition);
            }
            polled = Collections.emptyListIterator();
            if (next < range.until()) {
                lease.consumer.seek(partition, next);
            }
        }
    }

    /** Whether a skipped offset is an invisible record: the partition still began at or before it as the records were read. */
    private boolean invisible(long offset) {
        if (earliest < 0) {
            earliest = available().earliest();
        }
        return earliest <= offset;
    }

    private Available available() {
        List<TopicPartition> partition = List.of(range.partition());
        Duration timeout = Duration.ofMillis(range.pollTimeoutMs());
        return uninterruptibly(() -> new Available(
                lease.consumer.beginningOffsets(partition, timeout).get(range.partition()),
                lease.consumer.endOffsets(partition, timeout).get(range.partition())));
    }

    /** Offsets {@code [from, to)} are gone: fails the task, or warns and goes on when data loss is allowed. */
    private void lost(long from, long to, RuntimeException cause) {
        String message = "Kafka no longer has offsets [" + from + ", " + to + ") of " + range.partition()
                + " (deleted by retention, or the topic was recreated)";
        if (range.failOnDataLoss()) {
            throw new IllegalStateException(
                    message + ". Set the source's failOnDataLoss to false to skip lost records instead.", cause);
        }
        log.warn("{}; going on without them, as failOnDataLoss is false", message);
    }

    /** Closes the consumer of a range not read to its end; a range read to its end gave it back already. */
    void close() {
        if (lease != null) {
            KafkaConsumerPool.Lease held = lease;
            lease = null;
            pool.discard(held);
        }
    }

    /** Gives the consumer back with what it polled past the range, for the partition's next batch. */
    private void finish() {
        KafkaConsumerPool.Lease done = lease;
        lease = null;
        done.unread = polled;
        done.next = next;
        pool.giveBack(done);
    }

    /** A Kafka timestamp (milliseconds) as Spark's Kafka source gives it: microseconds, rebased as Spark rebases them. */
    static long micros(long millis) {
        long micros = Math.multiplyExact(millis, 1000L);
        return micros >= LAST_JULIAN_SWITCH ? micros : DateTimeUtils.fromJavaTimestamp(new Timestamp(millis));
    }

    /** Runs a consumer call so that an interrupt cannot leave the consumer hanging (KAFKA-1894), as Spark's reader does. */
    private static <T> T uninterruptibly(Supplier<T> call) {
        if (Thread.currentThread() instanceof UninterruptibleThread thread) {
            return thread.runUninterruptibly(call::get);
        }
        return call.get();
    }
}
