package dev.sluice.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.definition.DefinedPipeline;
import dev.sluice.definition.FileRoots;
import dev.sluice.definition.MemoryTables;
import dev.sluice.definition.PipelineCatalog;
import dev.sluice.definition.PipelineDefinitionStore;
import dev.sluice.definition.PipelineEnvironment;
import dev.sluice.definition.PreparedChecks;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.run.PipelineRuns;
import java.util.List;
import javax.sql.DataSource;
import org.apache.spark.sql.SparkSession;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/** Pipelines defined as data: from {@code sluice.pipelines.definitions} and the API. */
@Configuration(proxyBeanMethods = false)
class DefinitionConfiguration {

    @Bean
    MemoryTables memoryTables() {
        return new MemoryTables();
    }

    @Bean
    PipelineEnvironment pipelineEnvironment(SluiceProperties properties, JdbcTarget target, MemoryTables memoryTables) {
        return environment(properties, target, memoryTables);
    }

    static PipelineEnvironment environment(SluiceProperties properties, JdbcTarget target, MemoryTables memoryTables) {
        return new PipelineEnvironment(
                properties.kafka().bootstrapServers(),
                properties.kafka().properties(),
                properties.checkpointRoot(),
                target,
                properties.postgres().qualifiedDeadLetterTable(),
                memoryTables);
    }

    @Bean
    PipelineDefinitionStore pipelineDefinitionStore(JdbcTemplate jdbc, ObjectMapper json) {
        return new PipelineDefinitionStore(jdbc, json);
    }

    @Bean
    PipelineCatalog pipelineCatalog(
            SparkSession spark,
            PipelineRuns manager,
            PipelineDefinitionStore store,
            PipelineEnvironment environment,
            DataSource dataSource,
            SluiceProperties properties) {
        FileRoots files = new FileRoots(
                properties.pipelines().fileRoots(),
                List.of(
                        properties.checkpointRoot(),
                        properties.pipelines().carInfoToHdfs().path()));
        return new PipelineCatalog(spark, manager, store, environment, dataSource, files);
    }

    /**
     * Registers every defined pipeline with the manager at the service's start (configured ones
     * checked first: an invalid one stops the service), before it takes requests or starts its
     * other pipelines. Each built-in that should run starts as soon as it is checked: its first
     * micro-batch does not wait for the checks of the definitions after it (the built-ins' are
     * made on Spark's start thread, {@link SparkStart}, while the service is wired).
     */
    @Bean
    SmartLifecycle pipelineCatalogLoading(
            PipelineCatalog catalog,
            PipelineRuns manager,
            SluiceProperties properties,
            List<DefinedPipeline> builtIns,
            ObjectProvider<SparkStart> started) {
        SparkStart start = started.getIfAvailable();
        PreparedChecks prepared = start != null ? start.preparedChecks() : PreparedChecks.none();
        return new StartupStep(
                StartupStep.BEFORE_WEB_SERVER,
                () -> catalog.load(
                        builtIns, properties.pipelines().definitions(), prepared, manager::startAutomatically),
                () -> {});
    }

    /**
     * Starts the other pipelines that should run (as an operator last asked, else as configured)
     * once the catalog is loaded and the other steps have run, before the web server: their first
     * micro-batch does not wait for the web server's start. They stop as the service does ({@link
     * PipelineRuns#stopAll}), after the web server has stopped taking requests.
     */
    @Bean
    SmartLifecycle pipelinesAutoStart(PipelineRuns manager) {
        return new StartupStep(StartupStep.PIPELINES, manager::startAutomatically, () -> {});
    }
}
