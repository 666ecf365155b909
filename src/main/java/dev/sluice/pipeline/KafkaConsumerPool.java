package dev.sluice.pipeline;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka consumers of one JVM's tasks, one topic partition each, kept between micro-batches as
 * Spark's Kafka reader keeps its own: a consumer and the records it polled past the end of one
 * batch's range serve the next batch of that partition, so a running query reads each partition
 * with one consumer and no seek. A consumer idle for longer than
 * {@code spark.kafka.consumer.cache.timeout} (5 minutes unless set) is closed, and no more than
 * {@code spark.kafka.consumer.cache.capacity} (64) are kept idle.
 */
final class KafkaConsumerPool {

    private static final Logger log = LoggerFactory.getLogger(KafkaConsumerPool.class);

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private static KafkaConsumerPool shared;

    /** Consumers are shared by the Kafka consumer group of a query's tasks and the partition they read. */
    record Key(String groupId, TopicPartition partition) {}

    /** A consumer lent to one task at a time, with what its last poll left unread. */
    static final class Lease {
        final Key key;
        final KafkaConsumer<ByteBuffer, ByteBuffer> consumer;
        /** The records of the last poll not yet read, or null; they start at {@link #next}. */
        ListIterator<ConsumerRecord<ByteBuffer, ByteBuffer>> unread;
        /** The offset the consumer reads next without a seek (after {@link #unread}), or -1 when unknown. */
        long next = -1;

        private long idleSince;

        Lease(Key key, KafkaConsumer<ByteBuffer, ByteBuffer> consumer) {
            this.key = key;
            this.consumer = consumer;
        }
    }

    private final long idleTimeoutMs;
    private final int capacity;
    private final Map<Key, Deque<Lease>> idle = new ConcurrentHashMap<>();
    private final AtomicInteger idleCount = new AtomicInteger();

    KafkaConsumerPool(long idleTimeoutMs, int capacity) {
        this.idleTimeoutMs = idleTimeoutMs;
        this.capacity = capacity;
    }

    /** This JVM's pool, its settings from Spark's configuration, closed at shutdown. */
    static synchronized KafkaConsumerPool shared() {
        if (shared == null) {
            SparkEnv env = SparkEnv.get();
            SparkConf conf = env == null ? new SparkConf(false) : env.conf();
            KafkaConsumerPool pool = new KafkaConsumerPool(
                    conf.getTimeAsMs("spark.kafka.consumer.cache.timeout", "5m"),
                    conf.getInt("spark.kafka.consumer.cache.capacity", 64));
            ScheduledExecutorService evictor = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "sluice-kafka-consumer-evictor");
                thread.setDaemon(true);
                return thread;
            });
            long every = Math.max(1_000, Math.min(60_000, pool.idleTimeoutMs / 2));
            evictor.scheduleWithFixedDelay(pool::evictIdle, every, every, TimeUnit.MILLISECONDS);
            Runtime.getRuntime().addShutdownHook(new Thread(pool::closeAll, "sluice-kafka-consumer-close"));
            shared = pool;
        }
        return shared;
    }

    /** An idle consumer of the key, or a new one assigned to its partition. */
    Lease borrow(Key key, Map<String, Object> kafkaParams) {
        Deque<Lease> leases = idle.get(key);
        Lease lease = leases == null ? null : leases.pollFirst();
        if (lease != null) {
            idleCount.decrementAndGet();
            return lease;
        }
        KafkaConsumer<ByteBuffer, ByteBuffer> consumer =
                new KafkaConsumer<>(kafkaParams, new ByteBufferDeserializer(), new ByteBufferDeserializer());
        try {
            consumer.assign(List.of(key.partition()));
        } catch (RuntimeException e) {
            consumer.close(CLOSE_TIMEOUT);
            throw e;
        }
        return new Lease(key, consumer);
    }

    /** Takes back a consumer whose task read its range to the end; the oldest idle ones go past the capacity. */
    void giveBack(Lease lease) {
        lease.idleSince = System.nanoTime();
        idle.computeIfAbsent(lease.key, key -> new ConcurrentLinkedDeque<>()).addFirst(lease);
        if (idleCount.incrementAndGet() > capacity) {
            evict(Long.MAX_VALUE, idleCount.get() - capacity);
        }
    }

    /** Closes a consumer that may be in any state (its task failed or was stopped). */
    void discard(Lease lease) {
        close(lease);
    }

    /** Closes the idle consumers of a key: a task attempted again starts from new consumers, as Spark's does. */
    void invalidate(Key key) {
        Deque<Lease> leases = idle.remove(key);
        if (leases != null) {
            for (Lease lease; (lease = leases.pollFirst()) != null; ) {
                idleCount.decrementAndGet();
                close(lease);
            }
        }
    }

    /** How many consumers are idle now. */
    int idle() {
        return idleCount.get();
    }

    void evictIdle() {
        evict(TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs), 0);
    }

    /** Closes every consumer idle for longer than {@code olderThanNanos}, and at least the {@code oldest} oldest. */
    private synchronized void evict(long olderThanNanos, int oldest) {
        long now = System.nanoTime();
        List<Lease> all = new ArrayList<>();
        idle.values().forEach(all::addAll);
        all.sort((a, b) -> Long.compare(a.idleSince, b.idleSince));
        for (int i = 0; i < all.size(); i++) {
            Lease lease = all.get(i);
            if ((i < oldest || now - lease.idleSince > olderThanNanos) && remove(lease)) {
                close(lease);
            }
        }
        idle.entrySet().removeIf(entry -> entry.getValue().isEmpty());
    }

    private boolean remove(Lease lease) {
        Deque<Lease> leases = idle.get(lease.key);
        if (leases != null && leases.removeFirstOccurrence(lease)) {
            idleCount.decrementAndGet();
            return true;
        }
        return false;
    }

    void closeAll() {
        evict(-1, Integer.MAX_VALUE);
    }

    /**
     * Closes a consumer, ending its fetch session with the broker. A task that Spark stopped is
     * interrupted, and Kafka's client would give up its close at once (logging it as an error):
     * the close runs with the thread's interrupt cleared, bounded by its timeout, and the
     * interrupt is set again after it.
     */
    private static void close(Lease lease) {
        boolean interrupted = Thread.interrupted();
        try {
            lease.consumer.close(CLOSE_TIMEOUT);
        } catch (RuntimeException e) {
            log.warn("Closing the Kafka consumer of {} failed: {}", lease.key.partition(), e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
