package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/** The consumers kept between batches: lent to one reader at a time, no more kept than the capacity, none kept idle past the timeout. */
class KafkaConsumerPoolTest {

    /** A consumer connects only when used: these are never used. */
    private static final Map<String, Object> PARAMS = Map.of(
            "bootstrap.servers",
            "127.0.0.1:9",
            "group.id",
            "pool-test",
            "key.deserializer",
            ByteArrayDeserializer.class.getName(),
            "value.deserializer",
            ByteArrayDeserializer.class.getName());

    private static final KafkaConsumerPool.Key KEY = new KafkaConsumerPool.Key("pool-test", new TopicPartition("t", 0));

    @Test
    void lendsAConsumerToOneReaderAtATimeAndTakesItBack() {
        KafkaConsumerPool pool = new KafkaConsumerPool(60_000, 4);
        KafkaConsumerPool.Lease first = pool.borrow(KEY, PARAMS);
        KafkaConsumerPool.Lease second = pool.borrow(KEY, PARAMS);
        assertThat(second.consumer).isNotSameAs(first.consumer);
        assertThat(first.consumer.assignment()).containsExactly(KEY.partition());
        pool.giveBack(first);
        assertThat(pool.borrow(KEY, PARAMS)).isSameAs(first);
        assertThat(pool.borrow(new KafkaConsumerPool.Key("other", KEY.partition()), PARAMS))
                .isNotSameAs(first);
        pool.closeAll();
    }

    @Test
    void keepsNoMoreThanItsCapacityAndNothingIdlePastTheTimeout() {
        KafkaConsumerPool pool = new KafkaConsumerPool(0, 2);
        KafkaConsumerPool.Lease oldest = pool.borrow(KEY, PARAMS);
        KafkaConsumerPool.Lease middle = pool.borrow(KEY, PARAMS);
        KafkaConsumerPool.Lease newest = pool.borrow(KEY, PARAMS);
        pool.giveBack(oldest);
        pool.giveBack(middle);
        pool.giveBack(newest);
        assertThat(pool.idle()).isEqualTo(2);
        assertThat(pool.borrow(KEY, PARAMS)).isSameAs(newest);
        assertThat(pool.borrow(KEY, PARAMS)).isSameAs(middle);
        pool.giveBack(middle);
        pool.invalidate(KEY);
        assertThat(pool.idle()).isZero();
        pool.giveBack(newest);
        pool.evictIdle();
        assertThat(pool.idle()).isZero();
        assertThat(pool.borrow(KEY, PARAMS)).isNotSameAs(newest);
    }
}
