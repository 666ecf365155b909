package dev.sluice.config;

import dev.sluice.definition.BuiltInDefinitions;
import dev.sluice.definition.DefinedPipeline;
import dev.sluice.definition.PipelineDefinition;
import dev.sluice.definition.PipelineEnvironment;
import dev.sluice.pipeline.JdbcTarget;
import java.util.List;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The built-in car_info pipelines, from {@code sluice.pipelines.*}. */
@Configuration(proxyBeanMethods = false)
class PipelineConfiguration {

    static final String CAR_INFO_TO_POSTGRES = "car-info-to-postgres";
    static final String CAR_INFO_TO_HDFS = "car-info-to-hdfs";

    @Bean
    JdbcTarget sinkJdbcTarget(DataSourceProperties dataSource, SluiceProperties properties) {
        return jdbcTarget(dataSource, properties);
    }

    static JdbcTarget jdbcTarget(DataSourceProperties dataSource, SluiceProperties properties) {
        return new JdbcTarget(
                dataSource.determineUrl(),
                dataSource.determineUsername(),
                dataSource.determinePassword(),
                properties.postgres().maxConnectionsPerExecutor(),
                properties.postgres().writeMethod(),
                properties.postgres().tablesSchema(),
                properties.postgres().commitKeyedChunks());
    }

    /** A definition like any other, read-only, run by the same engine. */
    @Bean
    DefinedPipeline carInfoToPostgres(SluiceProperties properties, PipelineEnvironment environment) {
        return new DefinedPipeline(carInfoToPostgres(properties), DefinedPipeline.Origin.BUILT_IN, environment);
    }

    /** A definition like any other, read-only, run by the same engine. */
    @Bean
    DefinedPipeline carInfoToHdfs(SluiceProperties properties, PipelineEnvironment environment) {
        return new DefinedPipeline(carInfoToHdfs(properties), DefinedPipeline.Origin.BUILT_IN, environment);
    }

    /** The built-ins' definitions, as their beans hold them. */
    static List<PipelineDefinition> builtIns(SluiceProperties properties) {
        return List.of(carInfoToPostgres(properties), carInfoToHdfs(properties));
    }

    private static PipelineDefinition carInfoToPostgres(SluiceProperties properties) {
        SluiceProperties.CarInfoToPostgres p = properties.pipelines().carInfoToPostgres();
        return BuiltInDefinitions.carInfoToPostgres(
                p.settings(CAR_INFO_TO_POSTGRES), p.table(), p.validation().limits());
    }

    private static PipelineDefinition carInfoToHdfs(SluiceProperties properties) {
        SluiceProperties.CarInfoToHdfs p = properties.pipelines().carInfoToHdfs();
        return BuiltInDefinitions.carInfoToHdfs(
                p.settings(CAR_INFO_TO_HDFS),
                p.path(),
                p.rowsPerFile(),
                p.validation().limits());
    }
}
