package dev.sluice.config;

import dev.sluice.pipeline.BatchListener;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.query.DesiredStateStore;
import dev.sluice.query.RestartPolicy;
import dev.sluice.query.StreamingQueryManager;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The manager of every pipeline's query, with its restart and stop settings. */
@Configuration(proxyBeanMethods = false)
class QueryConfiguration {

    @Bean
    StreamingQueryManager streamingQueryManager(SparkSession spark, List<Pipeline> pipelines,
            List<BatchListener> batchListeners, DesiredStateStore desiredStates, SluiceProperties properties) {
        SluiceProperties.Restart restart = properties.restart();
        RestartPolicy policy = new RestartPolicy(restart.enabled(), restart.initialBackoff(), restart.maxBackoff(),
                restart.multiplier(), restart.maxAttempts());
        return new StreamingQueryManager(spark, pipelines, batchListeners, desiredStates, policy, properties.stopTimeout());
    }
}
