package dev.sluice.health;

import dev.sluice.config.SluiceProperties;
import dev.sluice.run.PipelineRuns;
import java.time.Clock;
import java.util.Iterator;
import java.util.function.Function;
import org.springframework.boot.actuate.health.CompositeHealthContributor;
import org.springframework.boot.actuate.health.HealthContributor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.NamedContributor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * One health indicator per pipeline, under {@code pipelines}: in {@code /actuator/health} and in
 * the readiness group, so a pipeline that should run and does not takes the pod out of service.
 */
@Configuration(proxyBeanMethods = false)
class PipelineHealthConfiguration {

    @Bean
    CompositeHealthContributor pipelinesHealthContributor(PipelineRuns manager, SluiceProperties properties) {
        Clock clock = Clock.systemUTC();
        Function<String, HealthIndicator> indicator = name -> () ->
                PipelineHealth.of(manager.status(name), properties.monitoring().staleAfter(), clock.instant());
        // Pipelines come and go over the API: the members are read from the manager each time.
        return new CompositeHealthContributor() {
            @Override
            public HealthContributor getContributor(String name) {
                return manager.names().contains(name) ? indicator.apply(name) : null;
            }

            @Override
            public Iterator<NamedContributor<HealthContributor>> iterator() {
                return manager.names().stream()
                        .map(name -> NamedContributor.<HealthContributor>of(name, indicator.apply(name)))
                        .iterator();
            }
        };
    }
}
