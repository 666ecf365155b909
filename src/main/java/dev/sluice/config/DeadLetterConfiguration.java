package dev.sluice.config;

import dev.sluice.deadletter.DeadLetterRetention;
import dev.sluice.deadletter.DeadLetterStore;
import dev.sluice.deadletter.KafkaPublisher;
import java.time.Clock;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/** The dead letters' store, their replay into Kafka, and their retention. */
@Configuration(proxyBeanMethods = false)
class DeadLetterConfiguration {

    @Bean
    DeadLetterStore deadLetterStore(JdbcTemplate jdbc, TransactionTemplate transactions, SluiceProperties properties) {
        return new DeadLetterStore(jdbc, transactions, properties.postgres().qualifiedDeadLetterTable());
    }

    /** Made on the first replay: a service that never replays never opens a producer. */
    @Bean(destroyMethod = "close")
    @Lazy
    KafkaPublisher deadLetterPublisher(SluiceProperties properties) {
        return new KafkaPublisher(
                properties.kafka().bootstrapServers(), properties.kafka().properties());
    }

    @Bean
    DeadLetterRetention deadLetterRetention(DeadLetterStore store, SluiceProperties properties) {
        return new DeadLetterRetention(store, properties.deadLetters().retention(), Clock.systemUTC());
    }

    /** Old dead letters are deleted from the start on, and every purge interval after. */
    @Bean
    SmartLifecycle deadLetterRetentionPurges(DeadLetterRetention retention, SluiceProperties properties) {
        return new StartupStep(
                StartupStep.BEFORE_WEB_SERVER,
                () -> retention.start(properties.deadLetters().purgeInterval()),
                retention::close);
    }
}
