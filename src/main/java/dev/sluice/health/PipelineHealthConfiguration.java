package dev.sluice.health;

import dev.sluice.config.SluiceProperties;
import dev.sluice.query.StreamingQueryManager;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.health.CompositeHealthContributor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * One health indicator per pipeline, under {@code pipelines}: in {@code /actuator/health} and in
 * the readiness group, so a pipeline that should run and does not takes the pod out of service.
 */
@Configuration(proxyBeanMethods = false)
class PipelineHealthConfiguration {

    @Bean
    CompositeHealthContributor pipelinesHealthContributor(StreamingQueryManager manager, SluiceProperties properties) {
        Clock clock = Clock.systemUTC();
        Map<String, HealthIndicator> indicators = new LinkedHashMap<>();
        for (String name : manager.names()) {
            indicators.put(name, () -> PipelineHealth.of(manager.status(name), properties.monitoring().staleAfter(), clock.instant()));
        }
        return CompositeHealthContributor.fromMap(indicators);
    }
}
