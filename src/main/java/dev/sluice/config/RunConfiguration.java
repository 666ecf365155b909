package dev.sluice.config;

import dev.sluice.metrics.KafkaLagMonitor;
import dev.sluice.pipeline.BatchListener;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.run.DesiredStateStore;
import dev.sluice.run.PipelineRuns;
import dev.sluice.run.RestartPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The manager of every pipeline's query, with its restart and stop settings, and its lag monitor. */
@Configuration(proxyBeanMethods = false)
class RunConfiguration {

    @Bean
    KafkaLagMonitor kafkaLagMonitor(MeterRegistry registry, SparkSession spark) {
        return new KafkaLagMonitor(registry, spark.sparkContext().hadoopConfiguration(), Clock.systemUTC());
    }

    /** The lag monitor reads the brokers and checkpoints from the start on, not while beans are wired. */
    @Bean
    SmartLifecycle kafkaLagMonitoring(KafkaLagMonitor monitor, SluiceProperties properties) {
        return new StartupStep(
                StartupStep.BEFORE_WEB_SERVER,
                () -> monitor.start(properties.monitoring().lagRefresh()),
                monitor::close);
    }

    @Bean
    PipelineRuns pipelineRuns(
            SparkSession spark,
            List<Pipeline> pipelines,
            List<BatchListener> batchListeners,
            DesiredStateStore desiredStates,
            KafkaLagMonitor lag,
            SluiceProperties properties) {
        SluiceProperties.Restart restart = properties.restart();
        RestartPolicy policy = new RestartPolicy(
                restart.enabled(),
                restart.initialBackoff(),
                restart.maxBackoff(),
                restart.multiplier(),
                restart.maxAttempts());
        PipelineRuns manager = new PipelineRuns(
                spark, pipelines, batchListeners, desiredStates, policy, properties.stopTimeout(), lag);
        lag.watch(manager::pipelines);
        manager.addRegistryListener(lag);
        return manager;
    }
}
