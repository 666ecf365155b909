package dev.sluice.config;

import dev.sluice.definition.MemoryTables;
import dev.sluice.definition.PipelineEnvironment;
import java.util.Map;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * The service's settings from a few properties, bound as its configuration binds them, and the
 * pipelines' environment its beans make of them: for tests that plan the built-ins outside a
 * Spring context.
 *
 * @param environment the properties as Spring's environment
 * @param properties {@code sluice.*}
 * @param pipelines what the pipelines are planned in
 */
record ServiceSettings(StandardEnvironment environment, SluiceProperties properties, PipelineEnvironment pipelines) {

    static ServiceSettings of(Map<String, Object> settings) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", settings));
        Binder binder = Binder.get(environment);
        SluiceProperties properties = binder.bindOrCreate("sluice", SluiceProperties.class);
        PipelineEnvironment pipelines = DefinitionConfiguration.environment(
                properties,
                PipelineConfiguration.jdbcTarget(
                        binder.bindOrCreate("spring.datasource", DataSourceProperties.class), properties),
                new MemoryTables());
        return new ServiceSettings(environment, properties, pipelines);
    }
}
