package dev.sluice.config;

import dev.sluice.definition.MemoryTables;
import dev.sluice.definition.PipelineEnvironment;
import dev.sluice.definition.PreparedChecks;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.event.SpringApplicationEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;

/**
 * Starts the service's Spark driver in a thread of its own as soon as the configuration is read,
 * so that Spark's start (seconds, on a cold JVM) runs while Spring builds the rest of the service;
 * the {@code sparkSession} bean then waits for it. The driver is built exactly as the bean builds
 * it, from the same {@code sluice.spark} settings, and a failure to build it is the bean's. Then,
 * in the same thread, Spark checks the built-in pipelines ({@link PreparedChecks}). If the service
 * fails to start, the driver is stopped. Added by {@link dev.sluice.SluiceApplication#run}.
 */
public final class SparkStart implements ApplicationListener<SpringApplicationEvent> {

    private static final Logger log = LoggerFactory.getLogger(SparkStart.class);
    private static final String BEAN = "sparkStart";

    private CompletableFuture<SparkSession> session;
    private final PreparedChecks checks = PreparedChecks.pending();

    @Override
    public void onApplicationEvent(SpringApplicationEvent event) {
        if (event instanceof ApplicationEnvironmentPreparedEvent prepared && session == null) {
            Binder binder = Binder.get(prepared.getEnvironment());
            SluiceProperties.Spark spark = binder.bindOrCreate("sluice.spark", SluiceProperties.Spark.class);
            CompletableFuture<SparkSession> starting = new CompletableFuture<>();
            Thread thread = new Thread(
                    () -> {
                        SparkSession session;
                        try {
                            session = SparkConfiguration.build(spark);
                        } catch (Throwable e) {
                            checks.abandon();
                            starting.completeExceptionally(e);
                            return;
                        }
                        starting.complete(session);
                        checkBuiltIns(session, binder);
                    },
                    "spark-start");
            thread.setDaemon(true);
            session = starting;
            thread.start();
        } else if (event instanceof ApplicationPreparedEvent prepared && session != null) {
            prepared.getApplicationContext().getBeanFactory().registerSingleton(BEAN, this);
        } else if (event instanceof ApplicationFailedEvent && session != null) {
            checks.abandon();
            session.thenAccept(SparkSession::stop);
        }
    }

    /**
     * Spark's checks of the built-in pipelines, made next, while Spring builds the rest of the
     * service, from the same settings their beans are built from; the catalog's load takes them.
     */
    private void checkBuiltIns(SparkSession spark, Binder binder) {
        try {
            SluiceProperties properties = binder.bindOrCreate("sluice", SluiceProperties.class);
            DataSourceProperties dataSource = binder.bindOrCreate("spring.datasource", DataSourceProperties.class);
            PipelineEnvironment environment = DefinitionConfiguration.environment(
                    properties, PipelineConfiguration.jdbcTarget(dataSource, properties), new MemoryTables());
            checks.make(spark, PipelineConfiguration.builtIns(properties), environment);
        } catch (Throwable e) {
            // The settings' own binding reports this (no value here: settings hold secrets).
            log.debug(
                    "The built-in pipelines are left to be checked as the service starts ({})",
                    e.getClass().getName());
            checks.abandon();
        }
    }

    /** The built-ins' checks made as Spark started (waited for by whoever takes one). */
    PreparedChecks preparedChecks() {
        return checks;
    }

    /** The driver, once started; throws what starting it threw. */
    SparkSession session() {
        try {
            return session.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }
}
