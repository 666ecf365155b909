package dev.sluice.config;

import dev.sluice.definition.BuiltInDefinitions;
import dev.sluice.definition.DefinedPipeline;
import dev.sluice.definition.PipelineDefinition;
import dev.sluice.definition.PipelineEnvironment;
import dev.sluice.pipeline.CarInfoToParquet;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.pipeline.KafkaSource;
import dev.sluice.pipeline.StreamSettings;
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
        return new JdbcTarget(
                dataSource.determineUrl(),
                dataSource.determineUsername(),
                dataSource.determinePassword(),
                properties.postgres().maxConnectionsPerExecutor(),
                properties.postgres().writeMethod());
    }

    /** A definition like any other, read-only, run by the same engine. */
    @Bean
    DefinedPipeline carInfoToPostgres(SluiceProperties properties, PipelineEnvironment environment) {
        SluiceProperties.CarInfoToPostgres p = properties.pipelines().carInfoToPostgres();
        PipelineDefinition definition = BuiltInDefinitions.carInfoToPostgres(
                CAR_INFO_TO_POSTGRES,
                p.autoStart(),
                p.topic(),
                p.startingOffsets(),
                p.maxOffsetsPerTrigger(),
                p.failOnDataLoss(),
                p.trigger(),
                p.table(),
                p.validation().limits());
        return new DefinedPipeline(definition, DefinedPipeline.Origin.BUILT_IN, environment);
    }

    @Bean
    CarInfoToParquet carInfoToHdfs(SluiceProperties properties, JdbcTarget target) {
        SluiceProperties.CarInfoToHdfs p = properties.pipelines().carInfoToHdfs();
        KafkaSource source = new KafkaSource(
                properties.kafka().bootstrapServers(),
                p.topic(),
                p.startingOffsets(),
                p.maxOffsetsPerTrigger(),
                p.failOnDataLoss(),
                properties.kafka().properties());
        String root = properties.checkpointRoot().replaceAll("/+$", "");
        StreamSettings settings =
                new StreamSettings(CAR_INFO_TO_HDFS, p.autoStart(), source, p.trigger(), root + "/" + CAR_INFO_TO_HDFS);
        return new CarInfoToParquet(
                settings,
                p.validation().limits(),
                p.path(),
                p.rowsPerFile(),
                target,
                properties.postgres().deadLetterTable());
    }
}
