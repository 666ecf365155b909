package dev.sluice.config;

import com.zaxxer.hikari.HikariDataSource;
import java.util.regex.Pattern;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.flyway.FlywayMigrationStrategy;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** Where Sluice keeps its own tables: a schema of their own, laid out by Flyway. */
@Configuration(proxyBeanMethods = false)
class StoreConfiguration {

    private static final Pattern IDENTIFIER = Pattern.compile(SluiceProperties.IDENTIFIER);

    @Bean
    FlywayMigrationStrategy schemaLayout(SluiceProperties properties) {
        return new SchemaLayout(
                properties.postgres().schema(),
                properties.postgres().deadLetterTable(),
                properties.pipelines().carInfoToPostgres().table());
    }

    /**
     * The service's connections find Sluice's tables first, then the pipelines' tables (so the
     * same names work in its SQL and in an operator's {@code psql} with the same search path).
     * Read from the environment: a post-processor comes before the typed properties exist; the
     * names are checked here as they are there.
     */
    @Bean
    static BeanPostProcessor sluiceSearchPath(Environment environment) {
        String schema = environment.getProperty("sluice.postgres.schema", "sluice");
        String tables = environment.getProperty("sluice.postgres.tables-schema", "public");
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof HikariDataSource dataSource
                        && dataSource.getConnectionInitSql() == null
                        && IDENTIFIER.matcher(schema).matches()
                        && IDENTIFIER.matcher(tables).matches()) {
                    dataSource.setConnectionInitSql("SET search_path TO " + schema + ", " + tables);
                }
                return bean;
            }
        };
    }
}
